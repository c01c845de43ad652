# ruff: noqa: S108 (the paths are inside the simulated container, not on this machine)
"""The overlayfs rules of the rootfs model (kernel overlayfs.rst; reference §8.3–8.4) and what
docker diff lists (moby's overlay2 driver)."""

from __future__ import annotations

import pytest

from cloudlab.engine.containers.overlay import (
    INIT_LAYER_DIRS,
    INIT_LAYER_FILES,
    INIT_LAYER_SYMLINKS,
    Refused,
    Rootfs,
    describe,
    merged,
    replay,
)


def codes(outcome):
    return [note.code for note in outcome.notes]


def test_the_init_layer_holds_exactly_what_initlayer_setup_creates():
    rootfs = Rootfs()
    init = rootfs.layers[-2]
    assert init.role == "init" and init.id.endswith("-init")
    dirs = {p for p, e in init.entries.items() if e.kind == "dir"}
    files = {p for p, e in init.entries.items() if e.kind == "file"}
    links = {p: e.target for p, e in init.entries.items() if e.kind == "symlink"}
    assert dirs == {*INIT_LAYER_DIRS, "/dev", "/etc"}  # the two parents MkdirAll has to make
    assert set(INIT_LAYER_DIRS) == {"/dev/pts", "/dev/shm", "/proc", "/sys"}
    assert files == set(INIT_LAYER_FILES)
    assert files == {"/.dockerenv", "/etc/resolv.conf", "/etc/hosts", "/etc/hostname", "/dev/console"}
    assert links == INIT_LAYER_SYMLINKS == {"/etc/mtab": "/proc/mounts"}
    assert all(e.size == 0 for p, e in init.entries.items() if p in files)
    assert [layer.role for layer in rootfs.layers] == ["image", "image", "image", "init", "container"]
    assert rootfs.upper == {} and rootfs.docker_diff() == []


def test_the_first_write_copies_the_whole_file_up_parents_first():
    rootfs = Rootfs()
    outcome = rootfs.write("/etc/nginx/nginx.conf", "# one line\n")
    assert codes(outcome) == ["copy_up_dir", "copy_up_dir", "copy_up", "write"]
    assert [n.numbers.get("path") for n in outcome.notes[:3]] == ["/etc", "/etc/nginx", "/etc/nginx/nginx.conf"]
    assert outcome.notes[2].numbers["size"] == 1447  # the whole file, for an 11-byte write
    assert rootfs.upper["/etc/nginx/nginx.conf"].size == 1447 + 11
    lower = rootfs.layers[1].entries["/etc/nginx/nginx.conf"]
    assert lower.size == 1447  # the read-only layer is untouched
    # the second write goes to the upper copy: no copy-up again
    assert codes(rootfs.write("/etc/nginx/nginx.conf", "x")) == ["write"]
    assert rootfs.docker_diff() == [("C", "/etc/nginx/nginx.conf")]  # parents copied with their times: not changed


def test_a_metadata_change_copies_up_too():
    rootfs = Rootfs()
    outcome = rootfs.chmod("/usr/sbin/nginx", "0700")
    assert "copy_up" in codes(outcome)
    copied = rootfs.upper["/usr/sbin/nginx"]
    assert (copied.size, copied.mode) == (1244744, 0o700)
    assert rootfs.docker_diff() == [("C", "/usr/sbin/nginx")]


def test_deleting_a_lower_file_leaves_a_whiteout_and_an_upper_only_file_just_goes():
    rootfs = Rootfs()
    outcome = rootfs.delete("/etc/passwd")
    assert codes(outcome) == ["copy_up_dir", "whiteout"]
    whiteout = rootfs.upper["/etc/passwd"]
    assert whiteout.kind == "whiteout" and describe(rootfs)["layers"][-1]["entries"][-1]["device"] == "0/0"
    assert "/etc/passwd" not in merged(rootfs.layers)
    rootfs.write("/tmp/scratch", "temporary")
    assert rootfs.upper["/tmp/scratch"].kind == "file"
    outcome = rootfs.delete("/tmp/scratch")
    assert codes(outcome) == ["unlink"]
    assert "/tmp/scratch" not in rootfs.upper  # no whiteout: nothing below to hide
    assert rootfs.docker_diff() == [("C", "/etc"), ("D", "/etc/passwd"), ("C", "/tmp")]


def test_a_copied_up_file_deleted_still_needs_its_whiteout():
    rootfs = Rootfs()
    rootfs.write("/etc/group", "staff:x:50:\n")
    rootfs.delete("/etc/group")
    assert rootfs.upper["/etc/group"].kind == "whiteout"


def test_a_lower_directory_removed_and_recreated_is_opaque():
    rootfs = Rootfs()
    rootfs.delete("/etc/nginx")
    assert rootfs.upper["/etc/nginx"].kind == "whiteout"
    assert not any(p.startswith("/etc/nginx/") for p in rootfs.upper)
    outcome = rootfs.mkdir("/etc/nginx")
    assert codes(outcome) == ["opaque"]
    assert rootfs.upper["/etc/nginx"].opaque
    view = merged(rootfs.layers)
    assert "/etc/nginx" in view and not any(p.startswith("/etc/nginx/") for p in view)  # the lower files stay hidden
    rootfs.write("/etc/nginx/nginx.conf", "events {}\n")
    assert [p for p in merged(rootfs.layers) if p.startswith("/etc/nginx/")] == ["/etc/nginx/nginx.conf"]
    # moby reports an opaque directory as deleted, and a name a lower layer has as changed
    assert rootfs.docker_diff() == [("C", "/etc"), ("D", "/etc/nginx"), ("C", "/etc/nginx/nginx.conf")]


def test_a_new_directory_where_there_was_none_is_not_opaque():
    rootfs = Rootfs()
    rootfs.mkdir("/data")
    assert not rootfs.upper["/data"].opaque
    rootfs.write("/data/notes.txt", "hello")
    assert rootfs.docker_diff() == [("A", "/data"), ("A", "/data/notes.txt")]


def test_renaming_a_directory_with_a_lower_part_is_exdev():
    rootfs = Rootfs()
    with pytest.raises(Refused) as refused:
        rootfs.rename("/etc/nginx", "/etc/nginx.old")
    assert refused.value.errno == "EXDEV" and "redirect_dir" in str(refused.value)
    assert rootfs.upper == {}  # nothing half-done
    rootfs.mkdir("/data")  # a directory only the upper layer has moves fine
    rootfs.write("/data/a", "1")
    rootfs.rename("/data", "/srv")
    assert "/srv/a" in rootfs.upper and "/data" not in merged(rootfs.layers)


def test_renaming_a_lower_file_copies_it_up_and_whites_out_the_old_name():
    rootfs = Rootfs()
    outcome = rootfs.rename("/etc/os-release", "/etc/os-release.bak")
    assert "copy_up" in codes(outcome) and codes(outcome)[-1] == "whiteout"
    assert rootfs.upper["/etc/os-release"].kind == "whiteout"
    assert rootfs.upper["/etc/os-release.bak"].size == 267
    assert rootfs.docker_diff() == [("C", "/etc"), ("D", "/etc/os-release"), ("A", "/etc/os-release.bak")]


def test_image_layer_whiteouts_hide_the_base_layer():
    view = merged(Rootfs().layers)
    assert "/usr/share/doc" not in view and "/usr/share/doc/README" not in view
    assert view["/usr/share/nginx/html/index.html"][1] == 2


def test_the_runtime_mounts_are_not_the_overlay():
    rootfs = Rootfs()
    assert codes(rootfs.write("/etc/hosts", "10.0.0.5 db\n")) == ["bind_mount"]
    assert rootfs.upper == {} and rootfs.docker_diff() == []  # init-layer paths never listed
    for path in ("/etc/hosts", "/etc/resolv.conf", "/proc"):
        with pytest.raises(Refused) as refused:
            rootfs.delete(path)
        assert refused.value.errno == "EBUSY"
    with pytest.raises(Refused) as refused:
        rootfs.delete("/etc")  # holds /etc/hosts
    assert refused.value.errno == "EBUSY"
    with pytest.raises(Refused) as refused:
        rootfs.write("/proc/sys/vm/x", "1")
    assert "proc" in str(refused.value)


@pytest.mark.parametrize(
    ("operation", "errno"),
    [
        ({"op": "write", "path": "etc/motd", "text": "x"}, "EINVAL"),
        ({"op": "write", "path": "/etc/../motd", "text": "x"}, "EINVAL"),
        ({"op": "write", "path": "/nope/motd", "text": "x"}, "ENOENT"),
        ({"op": "write", "path": "/etc/passwd/x", "text": "x"}, "ENOTDIR"),
        ({"op": "write", "path": "/etc", "text": "x"}, "EISDIR"),
        ({"op": "mkdir", "path": "/etc"}, "EEXIST"),
        ({"op": "delete", "path": "/nope"}, "ENOENT"),
        ({"op": "chmod", "path": "/etc/passwd", "mode": "rwx"}, "EINVAL"),
        ({"op": "rename", "path": "/tmp", "to": "/tmp/inner"}, "EINVAL"),
        ({"op": "format", "path": "/"}, "EINVAL"),
        ({"op": "write", "path": "/" + "a" * 256, "text": "x"}, "ENAMETOOLONG"),
    ],
)
def test_bad_operations_are_refused_by_name_and_change_nothing(operation, errno):
    result = replay([{"op": "append", "path": "/etc/passwd", "text": "x"}, operation])
    assert result.failed_at == 1 and result.refusal is not None and result.refusal.errno == errno
    assert result.refusal.note.text()
    assert result.rootfs.docker_diff() == [("C", "/etc/passwd")]  # the first operation only


def test_docker_diff_walks_like_filepath_walk():
    rootfs = Rootfs()
    rootfs.mkdir("/a")
    rootfs.write("/a/b", "1")
    rootfs.write("/a.txt", "2")
    assert rootfs.docker_diff() == [("A", "/a"), ("A", "/a/b"), ("A", "/a.txt")]
