"""cgroup v2 knobs parsed as the kernel parses them, cpu.max throttling numbers, and the
memory.high → memory.max → OOM sequence with memory.events counting as cgroup-v2.rst says."""

from __future__ import annotations

import pytest

from cloudlab.engine.containers.cgroups import (
    MIB,
    CpuMax,
    Limits,
    Refused,
    Workload,
    parse_cpu_max,
    parse_limits,
    parse_memory,
    parse_oom_group,
    run,
    tree,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("max 100000", CpuMax(None, 100000)),
        ("max", CpuMax(None, 100000)),
        ("50000 100000", CpuMax(50000, 100000)),
        ("1000 1000", CpuMax(1000, 1000)),
        ("200000 1000000", CpuMax(200000, 1000000)),
        ("  20000  ", CpuMax(20000, 100000)),  # the period stays what it was
    ],
)
def test_cpu_max_values_the_kernel_takes(text, expected):
    assert parse_cpu_max(text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("999 100000", "minimum of 1000"),
        ("50000 999", "1000–1000000"),
        ("50000 1000001", "1000–1000000"),
        ("half 100000", "neither"),
        ("-5 100000", "neither"),
        ("50000 1e5", "period"),
        ("", "$MAX $PERIOD"),
        ("1 2 3", "$MAX $PERIOD"),
    ],
)
def test_cpu_max_values_the_kernel_refuses(text, words):
    with pytest.raises(Refused) as refused:
        parse_cpu_max(text)
    assert refused.value.errno == "EINVAL" and words in str(refused.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("max", None),
        ("256M", 256 * MIB),
        ("1G", 1 << 30),
        ("512k", 512 << 10),
        ("1048576", 1 << 20),
        ("0x100000", 1 << 20),
        ("1000", 0),  # less than a page: the kernel keeps whole pages
        ("5000", 4096),
        ("0", 0),
    ],
)
def test_memory_sizes_as_memparse_reads_them(text, expected):
    assert parse_memory("memory.max", text) == expected


@pytest.mark.parametrize("text", ["1.5G", "256 M", "-1", "256MB", "lots", ""])
def test_memory_sizes_refused_name_the_knob(text):
    with pytest.raises(Refused) as refused:
        parse_memory("memory.high", text)
    assert "memory.high" in str(refused.value)


def test_oom_group_is_0_or_1():
    assert parse_oom_group("1") is True and parse_oom_group("0") is False
    with pytest.raises(Refused):
        parse_oom_group("2")


def test_cpu_max_throttles_with_the_kernels_counters():
    # 2 busy CPUs, 50 ms per 100 ms period: every period throttled; both run queues wait 75 ms
    limits = Limits(cpu_max=CpuMax(50000, 100000))
    ticks = run(limits, Workload(ticks=3, cpu_demand=2.0, anon_per_tick=0, cache_per_tick=0))["ticks"]
    assert [t["cpu_used"] for t in ticks] == [0.5, 0.5, 0.5]
    assert ticks[-1]["cpu_stat"] == {
        "usage_usec": 1_500_000,
        "nr_periods": 30,
        "nr_throttled": 30,
        "throttled_usec": 30 * 2 * 75_000,
    }
    free = run(Limits(), Workload(ticks=3, cpu_demand=2.0, anon_per_tick=0, cache_per_tick=0))["ticks"]
    assert free[-1]["cpu_stat"]["nr_throttled"] == 0 and free[-1]["cpu_used"] == 2.0


def test_a_short_period_throttles_more_often():
    limits = Limits(cpu_max=CpuMax(10000, 20000))  # the same 50 %, five times as many periods
    tick = run(limits, Workload(ticks=1, cpu_demand=1.0, anon_per_tick=0, cache_per_tick=0))["ticks"][0]
    assert tick["cpu_stat"]["nr_periods"] == 50 and tick["cpu_stat"]["nr_throttled"] == 50
    assert tick["cpu_stat"]["throttled_usec"] == 50 * 10000
    under = run(limits, Workload(ticks=1, cpu_demand=0.4, anon_per_tick=0, cache_per_tick=0))["ticks"][0]
    assert under["cpu_stat"]["nr_throttled"] == 0 and under["cpu_used"] == 0.4


def test_memory_high_throttles_then_memory_max_oom_kills_the_largest_task():
    limits = parse_limits({"memory.high": "192M", "memory.max": "256M", "memory.oom.group": "0"})
    ticks = run(limits, Workload(ticks=10, cpu_demand=0, anon_per_tick=48 * MIB, cache_per_tick=16 * MIB))["ticks"]
    codes = [[n.code for n in t["notes"]] for t in ticks]
    first_high = next(i for i, c in enumerate(codes) if any(x.startswith("high") for x in c))
    kill = next(i for i, c in enumerate(codes) if "oom_kill" in c)
    assert first_high < kill
    assert all("oom_kill" not in c for c in codes[:kill])  # memory.high alone never kills
    before, at = ticks[kill - 1]["events"], ticks[kill]["events"]
    assert before["oom"] == before["oom_kill"] == before["max"] == 0 and before["high"] >= 2
    assert (at["max"], at["oom"], at["oom_kill"], at["low"]) == (1, 1, 1, 0)
    alive = {t["command"]: t["alive"] for t in ticks[kill]["tasks"]}
    assert alive == {"/bin/sh": True, "nginx: worker process": True, "stress --vm 1": False}
    assert ticks[kill - 1]["memory_current"] <= 256 * MIB


def test_memory_max_counts_near_misses_that_reclaim_saves():
    limits = parse_limits({"memory.max": "64M"})  # the cache alone keeps pressing on the limit
    ticks = run(limits, Workload(ticks=8, cpu_demand=0, anon_per_tick=0, cache_per_tick=16 * MIB))["ticks"]
    events = ticks[-1]["events"]
    assert events["max"] >= 3 and events["oom"] == 0 and events["oom_kill"] == 0
    assert all(t["memory_current"] <= 64 * MIB for t in ticks)


def test_oom_group_kills_every_task_together():
    limits = parse_limits({"memory.max": "128M", "memory.oom.group": "1"})
    ticks = run(limits, Workload(ticks=6, cpu_demand=1, anon_per_tick=64 * MIB, cache_per_tick=0))["ticks"]
    kill = next(t for t in ticks if any(n.code == "oom_kill" for n in t["notes"]))
    assert kill["events"]["oom"] == 1 and kill["events"]["oom_kill"] == 3
    assert not any(t["alive"] for t in kill["tasks"])
    assert ticks[-1]["cpu_used"] == 0 and ticks[-1]["events"] == kill["events"]


def test_the_tree_puts_tasks_only_in_leaves():
    root = tree(Limits(cpu_max=CpuMax(50000, 100000)))

    def walk(group):
        yield group
        for child in group["children"]:
            yield from walk(child)

    groups = list(walk(root))
    assert all(not g["tasks"] for g in groups if g["subtree_control"])  # no internal processes
    [container] = [g for g in groups if g["container"]]
    assert container["files"]["cpu.max"] == "50000 100000"
    assert [t["pid"] for t in container["tasks"]] == [4312, 4340, 4350]
