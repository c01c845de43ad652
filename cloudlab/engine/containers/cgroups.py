"""Control groups (cgroup v2): the tree, the knobs as the kernel parses them, and a workload run
tick by tick under ``cpu.max``, ``memory.high`` and ``memory.max``.

The chapter's words on the tree: a *task* is a process (listed in ``cgroup.procs``), a *control
group* a directory of the tree, a *hierarchy* the tree mounted at ``/sys/fs/cgroup`` (v2 has one,
with every controller; v1 one per controller or set of them), a *subsystem* a controller (cpu,
memory, io, pids …).

The simulation, one tick = one second of wall time:

1. CPU: time is cut into ``cpu.max`` periods; in each period the group may run ``$MAX`` µs (over
   all CPUs). A period in which it wanted more is throttled: ``nr_throttled`` + 1, and each busy
   CPU run queue waits from the moment the quota ran out to the end of the period
   (``throttled_usec``, summed over run queues as the kernel does).
2. Memory: the tasks allocate (anonymous memory, no swap) and read files (page cache). Over
   ``memory.high`` the kernel reclaims the cache and throttles the allocating tasks (``high`` + 1);
   it never OOM-kills for ``memory.high``. A charge that would pass ``memory.max`` counts ``max`` + 1
   and reclaims; if reclaim cannot make room, ``oom`` + 1 and the OOM killer kills inside the
   group: the largest task, or every task with ``memory.oom.group`` = 1 (``oom_kill`` + each kill).
   ``low`` stays 0: nothing sets ``memory.low`` and nothing outside presses on the group.

This model's own choices (not the kernel's): a throttled tick allocates half of what it asked
for (the kernel sleeps the task in proportion to the overage); events count once per tick (the
kernel counts per charge batch).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Final

from ..i18n import N_
from .notes import Note, Refused

USEC: Final = 1_000_000
TICK_USEC: Final = USEC
PAGE: Final = 4096
MIB: Final = 1 << 20
#: ``cpu.max`` bounds (kernel/sched/core.c: min_cfs_quota_period 1 ms, max_cfs_quota_period 1 s;
#: max_cfs_runtime = 2^44 − 1 µs).
MIN_QUOTA_USEC: Final = 1000
MIN_PERIOD_USEC: Final = 1000
MAX_PERIOD_USEC: Final = 1_000_000
MAX_QUOTA_USEC: Final = (1 << 44) - 1
DEFAULT_PERIOD_USEC: Final = 100_000
#: The host's CPUs: the group can never use more than these per period.
HOST_CPUS: Final = 4
MAX_TICKS: Final = 120

CONTROLLERS_V2: Final = ("cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc")
#: v2 controllers and the release each arrived in (reference §8.2).
V2_SINCE: Final = {
    "io": "4.5",
    "memory": "4.5",
    "pids": "4.5",
    "cpu": "4.15",
    "perf_event": "4.11",
    "rdma": "4.11",
    "cpuset": "5.0",
    "freezer": "5.2",
    "hugetlb": "5.6",
}
#: v1 controllers and the release that added each; v1 mounts one hierarchy per controller (or
#: per set, as cpu,cpuacct).
V1_CONTROLLERS: Final = (
    ("cpu", "2.6.24"),
    ("cpuacct", "2.6.24"),
    ("cpuset", "2.6.24"),
    ("memory", "2.6.25"),
    ("devices", "2.6.26"),
    ("freezer", "2.6.28"),
    ("net_cls", "2.6.29"),
    ("blkio", "2.6.33"),
    ("perf_event", "2.6.39"),
    ("net_prio", "3.3"),
    ("hugetlb", "3.5"),
    ("pids", "4.3"),
    ("rdma", "4.11"),
)
V1_HIERARCHIES: Final = (
    "cpu,cpuacct",
    "cpuset",
    "memory",
    "devices",
    "freezer",
    "net_cls,net_prio",
    "blkio",
    "perf_event",
    "hugetlb",
    "pids",
    "rdma",
)

CONTAINER_ID: Final = "3f2a9c1b7d4e"
SCOPE: Final = f"/system.slice/docker-{CONTAINER_ID}.scope"


# -- knobs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CpuMax:
    quota: int | None  # µs per period; None = "max"
    period: int

    def __str__(self) -> str:
        return f"{'max' if self.quota is None else self.quota} {self.period}"


_DIGITS = re.compile(r"[0-9]+")


def parse_cpu_max(text: Any, current_period: int = DEFAULT_PERIOD_USEC) -> CpuMax:
    """``cpu.max`` as cpu_max_write() takes it: ``$MAX [$PERIOD]``, $MAX "max" or µs; a missing
    period keeps the current one. Quota and period ≥ 1000 µs, period ≤ 1 s (EINVAL otherwise)."""
    words = str(text).split() if text is not None else []
    if not words or len(words) > 2:
        raise Refused(
            "EINVAL", N_('cpu.max takes "$MAX $PERIOD" in microseconds, such as "50000 100000" or "max 100000".')
        )
    quota_word = words[0]
    if quota_word == "max":
        quota = None
    elif _DIGITS.fullmatch(quota_word):
        quota = int(quota_word)
    else:
        raise Refused(
            "EINVAL",
            N_('cpu.max: the quota {value!r} is neither "max" nor a whole number of microseconds.'),
            value=quota_word,
        )
    if len(words) == 2:
        if not _DIGITS.fullmatch(words[1]):
            raise Refused(
                "EINVAL", N_("cpu.max: the period {value!r} is not a whole number of microseconds."), value=words[1]
            )
        period = int(words[1])
    else:
        period = current_period
    if period < MIN_PERIOD_USEC or period > MAX_PERIOD_USEC:
        raise Refused(
            "EINVAL",
            N_(
                "cpu.max: the period {period} µs is outside 1000–1000000 µs (1 ms to 1 s), which the kernel refuses "
                "(EINVAL)."
            ),
            period=period,
        )
    if quota is not None and quota < MIN_QUOTA_USEC:
        raise Refused(
            "EINVAL",
            N_("cpu.max: the quota {quota} µs is below the kernel's minimum of 1000 µs (1 ms) (EINVAL)."),
            quota=quota,
        )
    if quota is not None and quota > MAX_QUOTA_USEC:
        raise Refused(
            "EINVAL",
            N_("cpu.max: the quota {quota} µs is above the kernel's maximum (2^44 − 1 µs) (EINVAL)."),
            quota=quota,
        )
    return CpuMax(quota, period)


_MEMPARSE = re.compile(r"(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)([kKmMgGtTpPeE]?)")
_SHIFT = {"": 0, "k": 10, "m": 20, "g": 30, "t": 40, "p": 50, "e": 60}
#: PAGE_COUNTER_MAX on 64-bit: LONG_MAX / PAGE_SIZE pages.
PAGE_COUNTER_MAX: Final = ((1 << 63) - 1) // PAGE


def parse_memory(name: str, text: Any) -> int | None:
    """``memory.max`` / ``memory.high`` as page_counter_memparse() takes them: "max" (None), or a
    number (decimal, 0x hex or 0 octal, as memparse) with an optional K, M, G, T, P or E suffix,
    nothing after it. The kernel keeps whole pages: the bytes are rounded down to 4096."""
    value = str(text).strip() if text is not None else ""
    if value == "max":
        return None
    if not value:
        raise Refused("EINVAL", N_('{knob}: give a size in bytes (such as 256M or 1G) or "max".'), knob=name)
    match = _MEMPARSE.fullmatch(value)
    if match is None:
        raise Refused(
            "EINVAL",
            N_(
                "{knob}: {value!r} is not a size: write bytes with an optional K, M or G suffix "
                '(256M, 1G, 1048576) or "max"; no decimals, spaces or minus sign (EINVAL).'
            ),
            knob=name,
            value=value,
        )
    number, suffix = match.groups()
    size = int(number, 0) if not (len(number) > 1 and number[0] == "0" and number[1] not in "xX") else int(number, 8)
    pages = min((size << _SHIFT[suffix.lower()]) // PAGE, PAGE_COUNTER_MAX)
    return pages * PAGE


def parse_oom_group(text: Any) -> bool:
    """``memory.oom.group``: 0 or 1 (EINVAL otherwise)."""
    value = str(text).strip() if text is not None else ""
    if value not in ("0", "1"):
        raise Refused("EINVAL", N_("memory.oom.group takes 0 or 1, not {value!r} (EINVAL)."), value=value)
    return value == "1"


@dataclass(frozen=True)
class Limits:
    cpu_max: CpuMax = CpuMax(None, DEFAULT_PERIOD_USEC)
    memory_high: int | None = None
    memory_max: int | None = None
    oom_group: bool = False


def parse_limits(values: dict[str, Any]) -> Limits:
    """The group's knobs from the page's form; each refusal names its knob."""
    return Limits(
        cpu_max=parse_cpu_max(values.get("cpu.max", "max 100000")),
        memory_high=parse_memory("memory.high", values.get("memory.high", "max")),
        memory_max=parse_memory("memory.max", values.get("memory.max", "max")),
        oom_group=parse_oom_group(values.get("memory.oom.group", "0")),
    )


def show_memory(limit: int | None) -> str:
    """What ``cat memory.max`` prints."""
    return "max" if limit is None else str(limit)


# -- the workload ----------------------------------------------------------------------------


@dataclass
class Task:
    pid: int
    command: str
    anon: int  # bytes
    grows: int  # bytes asked for per tick
    alive: bool = True


@dataclass(frozen=True)
class Workload:
    """Per tick: the CPUs the tasks want busy, the anonymous memory the hog asks for, and the page
    cache reading adds."""

    ticks: int = 20
    cpu_demand: float = 2.0
    anon_per_tick: int = 48 * MIB
    cache_per_tick: int = 16 * MIB


def parse_workload(values: dict[str, Any]) -> Workload:
    def number(key: str, default: float, low: float, high: float, label: str) -> float:
        raw = values.get(key, default)
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise Refused(
                "EINVAL", N_("{label}: {value!r} is not a number."), label=label, value=str(raw), words=("label",)
            ) from None
        if not math.isfinite(value) or value < low or value > high:
            raise Refused(
                "EINVAL",
                N_("{label} must be between {low} and {high}, not {value}."),
                label=label,
                low=low,
                high=high,
                value=str(raw),
                words=("label",),
            )
        return value

    ticks = number("ticks", 20, 1, MAX_TICKS, N_("ticks"))
    if ticks != int(ticks):
        raise Refused(
            "EINVAL", N_("ticks (1 s each) must be a whole number, not {value}."), value=str(values.get("ticks"))
        )
    return Workload(
        ticks=int(ticks),
        cpu_demand=number("cpu_demand", 2.0, 0, HOST_CPUS, N_("CPU demand (CPUs)")),
        anon_per_tick=int(number("anon_mib", 48, 0, 4096, N_("memory per tick (MiB)")) * MIB),
        cache_per_tick=int(number("cache_mib", 16, 0, 4096, N_("page cache per tick (MiB)")) * MIB),
    )


EVENTS: Final = ("low", "high", "max", "oom", "oom_kill")


@dataclass
class Group:
    """The container's cgroup as the simulation runs: its tasks, its usage and its counters."""

    limits: Limits
    tasks: list[Task]
    cache: int = 0
    events: dict[str, int] = field(default_factory=lambda: dict.fromkeys(EVENTS, 0))
    cpu_stat: dict[str, int] = field(
        default_factory=lambda: {"usage_usec": 0, "nr_periods": 0, "nr_throttled": 0, "throttled_usec": 0}
    )

    @property
    def anon(self) -> int:
        return sum(t.anon for t in self.tasks if t.alive)

    @property
    def current(self) -> int:
        return self.anon + self.cache


def demo_tasks() -> list[Task]:
    return [
        Task(4312, "/bin/sh", 2 * MIB, 0),
        Task(4340, "nginx: worker process", 12 * MIB, 0),
        Task(4350, "stress --vm 1", 8 * MIB, 1),  # grows by the workload's anon_per_tick
    ]


def run(limits: Limits, workload: Workload) -> dict[str, Any]:
    """Run the workload tick by tick; return every tick's counters, usage and what happened."""
    group = Group(limits, demo_tasks())
    ticks: list[dict[str, Any]] = []
    period = limits.cpu_max.period
    next_period_start = 0
    for tick in range(workload.ticks):
        notes: list[Note] = []
        end = (tick + 1) * TICK_USEC
        running = any(t.alive for t in group.tasks)
        demand = workload.cpu_demand if running else 0.0
        used = throttled_periods = 0
        while next_period_start + period <= end:
            used_here, throttled_here = _cpu_period(group, demand, period)
            used += used_here
            throttled_periods += throttled_here
            next_period_start += period
        if throttled_periods:
            notes.append(
                Note(
                    "cpu_throttled",
                    N_(
                        "cpu.max {cpu_max}: throttled in {n} periods; the tasks got {cpus} CPUs of the {want} they "
                        "wanted"
                    ),
                    {
                        "cpu_max": str(limits.cpu_max),
                        "n": throttled_periods,
                        "cpus": round(used / TICK_USEC, 3),
                        "want": demand,
                    },
                )
            )
        _memory_tick(group, workload, notes)
        ticks.append(
            {
                "tick": tick + 1,
                "time_s": end // USEC,
                "cpu_used": round(used / TICK_USEC, 4),
                "cpu_demand": demand,
                "cpu_stat": dict(group.cpu_stat),
                "memory_current": group.current,
                "anon": group.anon,
                "file": group.cache,
                "events": dict(group.events),
                "tasks": [{"pid": t.pid, "command": t.command, "anon": t.anon, "alive": t.alive} for t in group.tasks],
                "notes": notes,
            }
        )
    return {
        "limits": {
            "cpu.max": str(limits.cpu_max),
            "memory.high": show_memory(limits.memory_high),
            "memory.max": show_memory(limits.memory_max),
            "memory.oom.group": int(limits.oom_group),
        },
        "ticks": ticks,
    }


def _cpu_period(group: Group, demand: float, period: int) -> tuple[int, int]:
    """One ``cpu.max`` period: CPU time used, and 1 if the group was throttled in it."""
    if demand <= 0:
        return 0, 0
    stat = group.cpu_stat
    stat["nr_periods"] += 1
    want = demand * period
    quota = group.limits.cpu_max.quota
    if quota is None or want <= quota:
        used = round(want)
        stat["usage_usec"] += used
        return used, 0
    runqueues = math.ceil(demand)
    ran_out_at = quota / demand  # the quota drains at ``demand`` CPUs
    stat["usage_usec"] += quota
    stat["nr_throttled"] += 1
    stat["throttled_usec"] += round(runqueues * (period - ran_out_at))
    return quota, 1


def _memory_tick(group: Group, workload: Workload, notes: list[Note]) -> None:
    """Charge one tick's allocations and reads, in the kernel's order: over memory.high reclaim
    and throttle; at memory.max reclaim, then the OOM killer inside the group."""
    limits = group.limits
    if not any(t.alive for t in group.tasks):
        return
    hogs = [t for t in group.tasks if t.alive and t.grows]
    asked = workload.anon_per_tick if hogs else 0
    group.cache += workload.cache_per_tick  # reads charge the page cache first, reclaim takes it back
    high = limits.memory_high
    if high is not None and group.current + asked > high:
        group.events["high"] += 1
        freed = min(group.cache, group.current + asked - high)
        group.cache -= freed
        if group.anon + asked > high:
            asked //= 2
            notes.append(
                Note(
                    "high_throttle",
                    N_(
                        "over memory.high: high + 1; {freed} bytes of page cache reclaimed and the allocating tasks "
                        "throttled (they got {got} bytes of what they asked for); memory.high never OOM-kills"
                    ),
                    {"freed": freed, "got": asked},
                )
            )
        else:
            notes.append(
                Note(
                    "high_reclaim",
                    N_("over memory.high: high + 1; {freed} bytes of page cache reclaimed"),
                    {"freed": freed},
                )
            )
    limit = limits.memory_max
    if limit is not None and group.current + asked > limit:
        group.events["max"] += 1
        freed = min(group.cache, group.current + asked - limit)
        group.cache -= freed
        if group.anon + asked <= limit:
            notes.append(
                Note(
                    "max_reclaim",
                    N_(
                        "about to pass memory.max: max + 1; reclaim freed {freed} bytes of page cache and the charge "
                        "fits"
                    ),
                    {"freed": freed},
                )
            )
        else:
            group.events["oom"] += 1
            alive = [t for t in group.tasks if t.alive]
            victims = alive if limits.oom_group else [max(alive, key=lambda t: t.anon + (asked if t.grows else 0))]
            for victim in victims:
                victim.alive = False
                victim.anon = 0
                group.events["oom_kill"] += 1
            if not any(t.alive for t in group.tasks):
                group.cache = 0
            asked = 0
            notes.append(
                Note(
                    "oom_kill",
                    N_(
                        "memory.max reached and reclaim could not make room: max + 1, oom + 1; the OOM killer killed "
                        "{who} inside the group (oom_kill + {n})"
                    ),
                    {"who": ", ".join(str(v.pid) for v in victims), "n": len(victims)},
                )
            )
    for hog in hogs:
        if hog.alive:
            hog.anon += asked


# -- the tree --------------------------------------------------------------------------------


def tree(limits: Limits | None = None) -> dict[str, Any]:
    """The v2 hierarchy at /sys/fs/cgroup: control groups, their tasks and the controllers each
    group's children get (``cgroup.subtree_control``). Only leaves hold tasks (no internal processes)."""
    limits = limits or Limits()
    container = {
        "path": SCOPE,
        "name": f"docker-{CONTAINER_ID}.scope",
        "tasks": [{"pid": t.pid, "command": t.command} for t in demo_tasks()],
        "controllers": ["cpu", "io", "memory", "pids"],
        "subtree_control": [],
        "files": {
            "cpu.max": str(limits.cpu_max),
            "memory.high": show_memory(limits.memory_high),
            "memory.max": show_memory(limits.memory_max),
            "memory.oom.group": str(int(limits.oom_group)),
        },
        "children": [],
        "container": True,
    }

    def group(
        path: str, tasks: list[dict[str, Any]], children: list[dict[str, Any]], subtree: list[str]
    ) -> dict[str, Any]:
        return {
            "path": path,
            "name": path.rsplit("/", 1)[-1] or "/",
            "tasks": tasks,
            "controllers": ["cpu", "io", "memory", "pids"],
            "subtree_control": subtree,
            "files": {},
            "children": children,
            "container": False,
        }

    system = group(
        "/system.slice",
        [],
        [
            group(
                "/system.slice/containerd.service",
                [{"pid": 811, "command": "/usr/bin/containerd"}, {"pid": 4301, "command": "containerd-shim-runc-v2"}],
                [],
                [],
            ),
            group("/system.slice/docker.service", [{"pid": 958, "command": "/usr/bin/dockerd"}], [], []),
            group("/system.slice/ssh.service", [{"pid": 623, "command": "/usr/sbin/sshd -D"}], [], []),
            container,
        ],
        ["cpu", "io", "memory", "pids"],
    )
    root = group(
        "/",
        [],
        [
            group("/init.scope", [{"pid": 1, "command": "/sbin/init"}], [], []),
            system,
            group("/user.slice", [], [], ["memory", "pids"]),
        ],
        ["cpu", "io", "memory", "pids"],
    )
    root["controllers"] = list(CONTROLLERS_V2)
    root["name"] = "/sys/fs/cgroup"
    return root
