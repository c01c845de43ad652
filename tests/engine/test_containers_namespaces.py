"""The namespaces table (reference §8.1), nested PID namespaces, and what leaks with a flag off."""

from __future__ import annotations

import pytest

from cloudlab.engine.containers.namespaces import (
    DOCKER_DEFAULT,
    HOST_NAME,
    KEYS,
    NAMESPACES,
    ProcessTree,
    Refused,
    demo_tree,
    parse_flags,
    views,
)


def test_the_table_has_the_eight_namespaces_with_their_flags_and_kernels():
    rows = {n.key: (n.flag, n.arrived, n.proc_link) for n in NAMESPACES}
    assert rows == {
        "mnt": ("CLONE_NEWNS", "2.4.19", "3.8"),
        "uts": ("CLONE_NEWUTS", "2.6.19", "3.0"),
        "ipc": ("CLONE_NEWIPC", "2.6.19", "3.0"),
        "pid": ("CLONE_NEWPID", "2.6.24", "3.8"),
        "net": ("CLONE_NEWNET", "2.6.24", "3.0"),
        "user": ("CLONE_NEWUSER", "3.8", "3.8"),
        "cgroup": ("CLONE_NEWCGROUP", "4.6", "4.6"),
        "time": ("CLONE_NEWTIME", "5.6", "5.6"),
    }
    assert DOCKER_DEFAULT == {"mnt", "uts", "ipc", "pid", "net", "cgroup"}


def test_pid_1_in_a_new_namespace_and_another_pid_on_the_host():
    tree = ProcessTree()
    init = tree.spawn("/sbin/init", None, pid=1)
    shim = tree.spawn("shim", init, pid=500)
    ns = tree.new_namespace("c", tree.root)
    sh = tree.spawn("/bin/sh", shim, ns)
    child = tree.spawn("sleep 1", sh)
    assert (sh.pid, sh.numbers["host"]) == (1, 501)
    assert (child.pid, child.numbers["host"]) == (2, 502)
    assert sh.getppid() == 0  # the shim is outside the container's namespace
    assert child.getppid() == 1
    assert shim.pid_in(ns) is None  # the host's processes are invisible inside
    assert [r["pid"] for r in tree.ps(ns)] == [1, 2]
    assert [r["pid"] for r in tree.ps(tree.root)] == [1, 500, 501, 502]


def test_nested_namespaces_give_one_number_per_level():
    demo = demo_tree()
    inner = demo.nested_init
    assert inner.ns.level == 2
    assert inner.pid == 1 and inner.getppid() == 0
    assert inner.pid_in(demo.container) == 4 and inner.numbers["host"] == 4315
    assert demo.init.pid_in(demo.nested) is None
    nested_ps = demo.tree.ps(demo.nested)
    assert [(r["pid"], r["ppid"], r["command"]) for r in nested_ps] == [(1, 0, "/bin/sh"), (2, 1, "top")]
    container_ps = demo.tree.ps(demo.container)
    assert [r["pid"] for r in container_ps] == [1, 2, 3, 4, 5]
    assert container_ps[0] == {"pid": 1, "ppid": 0, "command": "/bin/sh"}


def test_without_clone_newpid_the_container_sees_every_host_process():
    on = views(DOCKER_DEFAULT)["namespaces"]["pid"]
    off = views(DOCKER_DEFAULT - {"pid"})["namespaces"]["pid"]
    assert on["container"][0]["pid"] == 1 and len(on["container"]) < len(on["host"])
    assert off["container"] == off["host"]
    assert {"pid": 4312, "ppid": 4301, "command": "/bin/sh"} in off["container"]
    assert off["notes"][0].code == "leak" and on["notes"][0].code == "isolated"
    assert on["notes"][0].numbers == {"host": 4312, "ppid": 0, "shim": 4301}


@pytest.mark.parametrize(
    ("key", "field", "isolated", "leaked"),
    [
        ("uts", "hostname", "3f2a9c1b7d4e", HOST_NAME),
        ("cgroup", "proc_self_cgroup", "0::/", "0::/system.slice/docker-3f2a9c1b7d4e.scope"),
        ("user", "uid_map", "0 100000 65536", "0 0 4294967295"),
    ],
)
def test_a_flag_off_shows_the_hosts_view(key, field, isolated, leaked):
    assert views(frozenset(KEYS))["namespaces"][key]["container"][field] == isolated
    assert views(frozenset(KEYS) - {key})["namespaces"][key]["container"][field] == leaked


def test_network_mount_and_ipc_leak_the_hosts_objects():
    on = views(DOCKER_DEFAULT)["namespaces"]
    off = views(frozenset())["namespaces"]
    assert [i["name"] for i in on["net"]["container"]] == ["lo", "eth0@if5"]
    assert off["net"]["container"] == off["net"]["host"]
    assert not any("ext4 (rw,relatime)" in m and " on / " in m for m in on["mnt"]["container"])
    assert "/dev/sda1 on / type ext4 (rw,relatime)" in off["mnt"]["container"]
    assert any(" on /etc/hosts " in m for m in off["mnt"]["host"])  # the container's mounts land on the host
    assert on["ipc"]["container"] == [] and off["ipc"]["container"] == off["ipc"]["host"] != []


def test_flags_are_read_by_key_or_flag_name_and_others_refused():
    assert parse_flags(["pid", "CLONE_NEWNET"]) == {"pid", "net"}
    with pytest.raises(Refused) as refused:
        parse_flags(["CLONE_NEWFOO"])
    assert "CLONE_NEWFOO" in str(refused.value)
