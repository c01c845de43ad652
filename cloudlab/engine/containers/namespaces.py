"""Linux namespaces: the eight kinds (reference §8.1) and what one container sees with each on or off.

A namespace is a *view*: the same kernel objects (processes, the hostname, network devices,
mounts …) seen through a different window. ``views(flags)`` builds one simulated host with one
container started with the given ``CLONE_NEW*`` flags and returns, per namespace, what the
container sees, what the host sees, and what leaks when the flag is off.

The PID namespaces follow the kernel's ``struct pid``: a process has one number in its own PID
namespace and in every ancestor namespace; the first process of a new namespace is its PID 1;
``getppid()`` returns 0 when the parent lives outside the caller's namespace.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from ..i18n import N_
from .notes import Note, Refused


@dataclass(frozen=True)
class Namespace:
    """One row of the table: ``arrived`` is the kernel where the flag came, ``proc_link`` the kernel
    from which ``/proc/[pid]/ns/<link>`` exists (they are different things)."""

    key: str
    name: str
    flag: str
    link: str
    arrived: str
    arrived_note: str
    proc_link: str
    isolates: str
    docker_default: bool


NAMESPACES: Final[tuple[Namespace, ...]] = (
    Namespace(
        "mnt", N_("Mount"), "CLONE_NEWNS", "mnt", "2.4.19", N_("the first namespace"), "3.8", N_("mount points"), True
    ),
    Namespace("uts", N_("UTS"), "CLONE_NEWUTS", "uts", "2.6.19", "", "3.0", N_("hostname, NIS domain name"), True),
    Namespace(
        "ipc",
        N_("IPC"),
        "CLONE_NEWIPC",
        "ipc",
        "2.6.19",
        N_("POSIX message queues added in 2.6.30"),
        "3.0",
        N_("System V IPC, POSIX message queues"),
        True,
    ),
    Namespace(
        "pid",
        N_("PID"),
        "CLONE_NEWPID",
        "pid",
        "2.6.24",
        N_("with clone(2); unshare(2) support in 3.8"),
        "3.8",
        N_("process IDs (nested; PID 1 per namespace)"),
        True,
    ),
    Namespace(
        "net",
        N_("Network"),
        "CLONE_NEWNET",
        "net",
        "2.6.24",
        "",
        "3.0",
        N_("devices, stacks, routes, ports, /proc/net"),
        True,
    ),
    Namespace(
        "user",
        N_("User"),
        "CLONE_NEWUSER",
        "user",
        "3.8",
        N_("first pieces 2.6.23; usable semantics 3.5; complete 3.8 (unprivileged creation since 3.8)"),
        "3.8",
        N_("UIDs/GIDs, capabilities"),
        False,
    ),
    Namespace(
        "cgroup",
        N_("Cgroup"),
        "CLONE_NEWCGROUP",
        "cgroup",
        "4.6",
        "",
        "4.6",
        N_("the view of the cgroup root directory"),
        True,
    ),
    Namespace(
        "time",
        N_("Time"),
        "CLONE_NEWTIME",
        "time",
        "5.6",
        N_("created only via unshare(2); only the caller's later children enter it"),
        "5.6",
        N_("offsets for CLOCK_MONOTONIC and CLOCK_BOOTTIME"),
        False,
    ),
)

KEYS: Final = tuple(n.key for n in NAMESPACES)
#: What ``docker run`` asks for on a cgroup v2 host (no user namespace unless userns-remap; no
#: time namespace).
DOCKER_DEFAULT: Final = frozenset(n.key for n in NAMESPACES if n.docker_default)

CONTAINER_ID: Final = "3f2a9c1b7d4e"
HOST_NAME: Final = "compute-1"


def parse_flags(keys: Iterable[Any]) -> frozenset[str]:
    """The namespaces to create, by key (``pid``) or flag (``CLONE_NEWPID``); unknown ones refused."""
    by_flag = {n.flag: n.key for n in NAMESPACES}
    chosen: set[str] = set()
    for raw in keys:
        key = by_flag.get(str(raw), str(raw))
        if key not in KEYS:
            raise Refused(
                "EINVAL", N_("Unknown namespace {name!r}: use one of {known}."), name=str(raw), known=", ".join(KEYS)
            )
        chosen.add(key)
    return frozenset(chosen)


# -- PID namespaces --------------------------------------------------------------------------


@dataclass
class PidNamespace:
    name: str
    parent: PidNamespace | None
    next_pid: int = 1

    @property
    def level(self) -> int:
        return 0 if self.parent is None else self.parent.level + 1

    def lineage(self) -> list[PidNamespace]:
        """This namespace and its ancestors, the root first."""
        chain: list[PidNamespace] = []
        here: PidNamespace | None = self
        while here is not None:
            chain.append(here)
            here = here.parent
        return chain[::-1]

    def contains(self, other: PidNamespace) -> bool:
        """Whether ``other`` is this namespace or a descendant of it (its processes are visible here)."""
        return self in other.lineage()


@dataclass
class Process:
    command: str
    ns: PidNamespace
    parent: Process | None
    numbers: dict[str, int] = field(default_factory=dict)  # namespace name → PID there

    def pid_in(self, ns: PidNamespace) -> int | None:
        """This process's PID as seen from ``ns``, None if it is not visible there."""
        return self.numbers.get(ns.name) if ns.contains(self.ns) else None

    @property
    def pid(self) -> int:
        """The PID the process itself sees from getpid()."""
        return self.numbers[self.ns.name]

    def getppid(self) -> int:
        """The parent's PID in this process's namespace; 0 when the parent is outside it."""
        if self.parent is None:
            return 0
        return self.parent.pid_in(self.ns) or 0


class ProcessTree:
    """Processes and nested PID namespaces; PIDs are handed out in order in each namespace."""

    def __init__(self, host_next_pid: int = 1) -> None:
        self.root = PidNamespace("host", None, host_next_pid)
        self.namespaces: dict[str, PidNamespace] = {"host": self.root}
        self.processes: list[Process] = []

    def new_namespace(self, name: str, parent: PidNamespace) -> PidNamespace:
        ns = PidNamespace(name, parent)
        self.namespaces[name] = ns
        return ns

    def spawn(
        self, command: str, parent: Process | None, ns: PidNamespace | None = None, pid: int | None = None
    ) -> Process:
        """fork/clone: a number in ``ns`` (the parent's by default) and in each ancestor namespace.
        ``pid`` pins the host number (a host that has been up for a while)."""
        home = ns or (parent.ns if parent is not None else self.root)
        process = Process(command, home, parent)
        for level in home.lineage():
            if level is self.root and pid is not None:
                level.next_pid = pid
            process.numbers[level.name] = level.next_pid
            level.next_pid += 1
        self.processes.append(process)
        return process

    def ps(self, viewer: PidNamespace) -> list[dict[str, Any]]:
        """``ps -ef`` run in ``viewer``: the processes of it and its descendants, with PIDs as
        ``viewer`` numbers them (PPID 0 when the parent is not visible there)."""
        rows = []
        for process in self.processes:
            pid = process.pid_in(viewer)
            if pid is None:
                continue
            parent = process.parent.pid_in(viewer) if process.parent is not None else None
            rows.append({"pid": pid, "ppid": parent or 0, "command": process.command})
        return sorted(rows, key=lambda row: row["pid"])

    def mapping(self) -> list[dict[str, Any]]:
        """Each process's PID in every namespace (None where it is not visible)."""
        return [
            {
                "command": p.command,
                "home": p.ns.name,
                "level": p.ns.level,
                "pids": {name: p.pid_in(ns) for name, ns in self.namespaces.items()},
                "getppid": p.getppid(),
            }
            for p in self.processes
        ]


@dataclass
class Demo:
    tree: ProcessTree
    container: PidNamespace
    nested: PidNamespace
    init: Process
    nested_init: Process


def demo_tree(flags: frozenset[str] = DOCKER_DEFAULT) -> Demo:
    """A host that has run for a while, one container (``docker run alpine /bin/sh``) and, inside
    it, ``unshare --pid --fork --mount-proc /bin/sh`` (a PID namespace nested in the container's)."""
    tree = ProcessTree()
    systemd = tree.spawn("/sbin/init", None, pid=1)
    tree.spawn("[kthreadd]", None, pid=2)
    tree.spawn("/usr/sbin/sshd -D", systemd, pid=623)
    tree.spawn("/usr/bin/containerd", systemd, pid=811)
    tree.spawn("/usr/bin/dockerd -H fd://", systemd, pid=958)
    shim = tree.spawn(f"/usr/bin/containerd-shim-runc-v2 -id {CONTAINER_ID}", systemd, pid=4301)
    container = tree.new_namespace("container", tree.root) if "pid" in flags else tree.root
    sh = tree.spawn("/bin/sh", shim, container, pid=4312)
    tree.spawn("sleep 3600", sh)
    unshare = tree.spawn("unshare --pid --fork --mount-proc /bin/sh", sh)
    nested = tree.new_namespace("nested", sh.ns)
    inner = tree.spawn("/bin/sh", unshare, nested)
    tree.spawn("top", inner)
    return Demo(tree, container, nested, sh, inner)


# -- what each namespace shows ---------------------------------------------------------------

HOST_INTERFACES: Final = (
    {"name": "lo", "addr": "127.0.0.1/8"},
    {"name": "eth0", "addr": "10.0.0.11/24"},
    {"name": "docker0", "addr": "172.17.0.1/16"},
    {"name": "veth3f2a9c1@if2", "addr": ""},
)
CONTAINER_INTERFACES: Final = (
    {"name": "lo", "addr": "127.0.0.1/8"},
    {"name": "eth0@if5", "addr": "172.17.0.2/16"},
)
HOST_MOUNTS: Final = (
    "/dev/sda1 on / type ext4 (rw,relatime)",
    "proc on /proc type proc (rw,nosuid,nodev,noexec)",
    "sysfs on /sys type sysfs (rw,nosuid,nodev,noexec)",
    "cgroup2 on /sys/fs/cgroup type cgroup2 (rw,nosuid,nodev,noexec)",
    "/dev/sda2 on /var/lib/docker type ext4 (rw,relatime)",
)
CONTAINER_MOUNTS: Final = (
    "overlay on / type overlay (rw,relatime,lowerdir=…,upperdir=…,workdir=…)",
    "proc on /proc type proc (rw,nosuid,nodev,noexec)",
    "tmpfs on /dev type tmpfs (rw,nosuid,size=65536k,mode=755)",
    "devpts on /dev/pts type devpts (rw,nosuid,noexec,gid=5,mode=620)",
    "sysfs on /sys type sysfs (ro,nosuid,nodev,noexec)",
    "cgroup on /sys/fs/cgroup type cgroup2 (ro,nosuid,nodev,noexec)",
    "shm on /dev/shm type tmpfs (rw,nosuid,nodev,noexec,size=65536k)",
    "/dev/sda2 on /etc/resolv.conf type ext4 (rw,relatime)",
    "/dev/sda2 on /etc/hostname type ext4 (rw,relatime)",
    "/dev/sda2 on /etc/hosts type ext4 (rw,relatime)",
)
HOST_IPC: Final = ("0x0052e2c1 32768 postgres 600 56 bytes (shared memory)",)
SCOPE: Final = f"/system.slice/docker-{CONTAINER_ID}.scope"
BOOT_OFFSET_SECONDS: Final = 86400


def views(flags: frozenset[str] = DOCKER_DEFAULT) -> dict[str, Any]:
    """Per namespace key: what the container shows (``container``), the host (``host``), whether
    it is isolated, and the notes on what leaks when the flag is off. Plus the PID demo."""
    demo = demo_tree(flags)
    tree = demo.tree
    on = {key: key in flags for key in KEYS}
    result: dict[str, Any] = {"flags": sorted(flags), "namespaces": {}}

    def entry(key: str, container: Any, host: Any, leaks: list[Note], isolated: list[Note]) -> None:
        result["namespaces"][key] = {
            "on": on[key],
            "container": container,
            "host": host,
            "notes": isolated if on[key] else leaks,
        }

    viewer = demo.init.ns
    entry(
        "pid",
        tree.ps(viewer),
        tree.ps(tree.root),
        [
            Note(
                "leak",
                N_(
                    "Without CLONE_NEWPID the container's ps lists every host process, and /bin/sh is PID {pid}, not "
                    "1: it could signal any of them."
                ),
                {"pid": demo.init.pid},
            )
        ],
        [
            Note(
                "isolated",
                N_(
                    "/bin/sh is PID 1 in the container and PID {host} on the host; getppid() gives {ppid}: its "
                    "parent (the shim, PID {shim}) is outside the namespace."
                ),
                {
                    "host": demo.init.numbers["host"],
                    "ppid": demo.init.getppid(),
                    "shim": demo.init.parent.numbers["host"] if demo.init.parent else 0,
                },
            )
        ],
    )
    hostname = CONTAINER_ID if on["uts"] else HOST_NAME
    entry(
        "uts",
        {"hostname": hostname},
        {"hostname": HOST_NAME},
        [
            Note(
                "leak",
                N_(
                    "Without CLONE_NEWUTS the container shares the host's hostname {host}; running hostname in it "
                    "renames the host."
                ),
                {"host": HOST_NAME},
            )
        ],
        [
            Note(
                "isolated",
                N_("The container has its own hostname ({name}); changing it leaves the host's {host} alone."),
                {"name": CONTAINER_ID, "host": HOST_NAME},
            )
        ],
    )
    entry(
        "net",
        list(CONTAINER_INTERFACES if on["net"] else HOST_INTERFACES),
        list(HOST_INTERFACES),
        [
            Note(
                "leak",
                N_(
                    "Without CLONE_NEWNET (like --network host) the container sees the host's interfaces and ports: "
                    "a server on port 80 in it takes the host's port 80."
                ),
            )
        ],
        [
            Note(
                "isolated",
                N_(
                    "The container has its own stack: lo and one end of a veth pair (eth0, 172.17.0.2); the other "
                    "end is on the host's docker0 bridge."
                ),
            )
        ],
    )
    entry(
        "mnt",
        list(CONTAINER_MOUNTS if on["mnt"] else HOST_MOUNTS + CONTAINER_MOUNTS),
        list(HOST_MOUNTS if on["mnt"] else HOST_MOUNTS + CONTAINER_MOUNTS),
        [
            Note(
                "leak",
                N_(
                    "Without CLONE_NEWNS the container's mounts (its overlay, /proc, the bind mounts) land in the "
                    "host's mount table, and the container sees every host mount."
                ),
            )
        ],
        [
            Note(
                "isolated",
                N_(
                    "The container sees its own mount table: the overlay as / and the runtime's mounts; the host "
                    "does not see them in its own."
                ),
            )
        ],
    )
    entry(
        "ipc",
        [] if on["ipc"] else list(HOST_IPC),
        list(HOST_IPC),
        [
            Note(
                "leak",
                N_(
                    "Without CLONE_NEWIPC ipcs in the container lists the host's System V objects (here PostgreSQL's "
                    "shared memory) and can attach to them."
                ),
            )
        ],
        [
            Note(
                "isolated",
                N_(
                    "ipcs in the container lists nothing: its System V IPC objects and POSIX message queues are its "
                    "own."
                ),
            )
        ],
    )
    uid_map = "0 100000 65536" if on["user"] else "0 0 4294967295"
    entry(
        "user",
        {"uid_map": uid_map, "id": "uid=0(root) gid=0(root)"},
        {"owner_of_sh": "100000" if on["user"] else "0 (root)"},
        [
            Note(
                "leak",
                N_(
                    "Without CLONE_NEWUSER (Docker's default) root in the container is uid 0 on the host: a file it "
                    "writes to a bind mount is owned by the host's root."
                ),
            )
        ],
        [
            Note(
                "isolated",
                N_(
                    "With a user namespace (userns-remap) root in the container is uid {uid} on the host, with no "
                    "privilege outside."
                ),
                {"uid": 100000},
            )
        ],
    )
    entry(
        "cgroup",
        {"proc_self_cgroup": "0::/" if on["cgroup"] else f"0::{SCOPE}"},
        {"proc_self_cgroup": f"0::{SCOPE}"},
        [
            Note(
                "leak",
                N_(
                    "Without CLONE_NEWCGROUP /proc/self/cgroup shows the host's path {path}: the container learns "
                    "where it sits in the host's tree."
                ),
                {"path": SCOPE},
            )
        ],
        [Note("isolated", N_("With a cgroup namespace the container's own cgroup looks like the root (0::/)."))],
    )
    entry(
        "time",
        {"boottime_offset": BOOT_OFFSET_SECONDS if on["time"] else 0},
        {"boottime_offset": 0},
        [
            Note(
                "leak",
                N_(
                    "Without CLONE_NEWTIME (Docker never asks for it) uptime and CLOCK_MONOTONIC in the container "
                    "are the host's."
                ),
            )
        ],
        [
            Note(
                "isolated",
                N_(
                    "With a time namespace (unshare --time --boottime {offset}) uptime in the container is offset by "
                    "{offset} s; the host's clock is untouched."
                ),
                {"offset": BOOT_OFFSET_SECONDS},
            )
        ],
    )
    result["pid_demo"] = {
        "namespaces": [
            {"name": ns.name, "level": ns.level, "parent": ns.parent.name if ns.parent else None}
            for ns in tree.namespaces.values()
        ],
        "mapping": tree.mapping(),
        "nested": tree.ps(demo.nested),
        "init": {"pid": demo.init.pid, "host_pid": demo.init.numbers["host"], "getppid": demo.init.getppid()},
    }
    return result
