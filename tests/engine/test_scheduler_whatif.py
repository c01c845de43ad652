"""What-if: one change to a frozen moment, the same request again, and what changed."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sched_helpers import config, host, request

from cloudlab.engine.resources import Era
from cloudlab.engine.scheduler import (
    WHAT_IF_KINDS,
    HostState,
    Moment,
    SchedulerConfig,
    compare,
    describe_change,
    load_scenario_file,
    moment_to_dict,
    rerun,
    what_if,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "cloudlab" / "engine" / "scheduler" / "examples"
RAM_OFF = {"kind": "filter", "name": "RamFilter", "enabled": False}


def example(name: str) -> Moment:
    s = load_scenario_file(EXAMPLES / f"{name}.yaml")
    return Moment(s.hosts, s.requests[0], s.scheduler)


def removed_by(trace: dict[str, Any], name: str) -> set[str]:
    stage = next(f for f in trace["instances"][0]["filters"] if f["name"] == name)
    return {h for h, v in stage["verdicts"].items() if not v["passed"]}


# -- filters on and off -------------------------------------------------------------------------


def test_with_ram_filter_off_exactly_the_hosts_it_removed_change_verdict() -> None:
    m = example("ram-filter")
    before, after = rerun(m), rerun(what_if(m, RAM_OFF))
    result = compare(before, after)
    assert result["changed"] == ["compute2"]
    rows = {r["host"]: r for r in result["hosts"]}
    assert rows["compute2"]["before"]["outcome"] == "filtered"
    assert rows["compute2"]["before"]["filter"] == "RamFilter"
    assert "1536 MB < 2048 MB" in rows["compute2"]["before"]["reason"]
    assert rows["compute2"]["after"] == {"outcome": "passed", "filter": None, "reason": None}
    assert rows["compute4"]["before"] == rows["compute4"]["after"]
    assert rows["compute4"]["after"]["filter"] == "ComputeFilter"
    assert [r["changed"] for r in result["hosts"]] == [False, True, False, False]
    assert result["selected"] == ["compute1", "compute1"]
    assert result["summary"] == "Both decisions choose compute1. Hosts that changed verdict: compute2."


def test_the_frozen_moment_is_untouched_by_a_what_if() -> None:
    m = example("ram-filter")
    stored = json.dumps(moment_to_dict(m))
    changed = what_if(m, {"kind": "host", "host": "compute2", "field": "memory_mb_used", "value": 1024})
    assert json.dumps(moment_to_dict(m)) == stored
    assert changed.host("compute2").resources.memory_mb_used == 1024
    assert [h for h in changed.hosts if h.name != "compute2"] == [h for h in m.hosts if h.name != "compute2"]
    assert changed.request == m.request and changed.config == m.config


@st.composite
def clouds(draw: st.DrawFn) -> list[HostState]:
    out = []
    for i in range(draw(st.integers(1, 6))):
        memory_mb = draw(st.sampled_from([2048, 4096, 8192, 16384]))
        out.append(
            host(
                f"h{i}",
                memory_mb=memory_mb,
                memory_mb_used=draw(st.integers(512, memory_mb * 2)),
                vcpus_used=draw(st.integers(0, 64)),
                enabled=draw(st.booleans()),
                up=draw(st.booleans()),
            )
        )
    return out


@settings(max_examples=80, deadline=None)
@given(clouds(), st.sampled_from(["m1.tiny", "m1.small", "m1.medium", "m1.large"]))
def test_turning_ram_filter_off_changes_no_verdict_but_its_own_and_the_choice(
    hosts: list[HostState], flavor_name: str
) -> None:
    m = Moment(hosts, request(flavor_name), config())
    before = rerun(m)
    after = rerun(what_if(m, RAM_OFF))
    result = compare(before, after)
    removed = removed_by(before, "RamFilter")
    for row in result["hosts"]:
        if row["host"] in removed:
            assert row["after"]["filter"] != "RamFilter"
        elif row["host"] not in result["selected"]:
            assert not row["changed"], row
    # Every host RamFilter removed either passes now or fails a later filter for its own reason.
    for host_name in removed:
        verdict = next(r["after"] for r in result["hosts"] if r["host"] == host_name)
        assert verdict["outcome"] in ("passed", "chosen") or verdict["filter"] == "ComputeFilter"


def test_enabling_a_filter_puts_it_at_the_end_or_where_asked() -> None:
    m = what_if(example("ram-filter"), RAM_OFF)
    assert "RamFilter" not in m.config.enabled_filters
    at_end = what_if(m, {"kind": "filter", "name": "RamFilter", "enabled": True})
    assert at_end.config.enabled_filters[-1] == "RamFilter"
    first = what_if(m, {"kind": "filter", "name": "RamFilter", "enabled": True, "position": 0})
    assert first.config.enabled_filters[0] == "RamFilter"
    assert first.config.enabled_filters[1:] == m.config.enabled_filters
    # Moving an enabled filter: ComputeFilter first removes compute4 before RamFilter sees it.
    moved = what_if(example("ram-filter"), {"kind": "filter", "name": "ComputeFilter", "enabled": True, "position": 0})
    assert moved.config.enabled_filters[:3] == ("ComputeFilter", "RetryFilter", "AvailabilityZoneFilter")
    assert rerun(moved)["instances"][0]["filters"][0]["hosts_out"] == 3


# -- multipliers, flavor, era -------------------------------------------------------------------


def test_a_negative_ram_multiplier_packs_where_a_positive_one_spreads() -> None:
    hosts = [host("empty", memory_mb=16384), host("half", memory_mb=16384, memory_mb_used=8192)]
    m = Moment(hosts, request("m1.small"), config(weight_classes=["RAMWeigher"]))
    assert rerun(m)["selected_hosts"] == ["empty"]
    packed = what_if(m, {"kind": "multiplier", "name": "ram_weight_multiplier", "value": -1.0})
    assert packed.config.ram_weight_multiplier == -1.0
    assert rerun(packed)["selected_hosts"] == ["half"]
    result = compare(rerun(m), rerun(packed))
    assert result["selected"] == ["empty", "half"]
    assert result["changed"] == ["empty", "half"]
    assert result["summary"].startswith("The choice moves from empty to half.")


def test_a_bigger_flavor_keeps_every_field_it_does_not_name() -> None:
    m = example("ram-filter")
    big = what_if(m, {"kind": "flavor", "flavor": {"memory_mb": 30000}})
    assert big.request.flavor == replace(m.request.flavor, memory_mb=30000)
    trace = rerun(big)
    assert trace["error"]["type"] == "NoValidHost"
    assert compare(rerun(m), trace)["selected"] == ["compute1", None]
    renamed = what_if(m, {"kind": "flavor", "flavor": {"name": "m1.custom", "vcpus": 2, "extra_specs": {"a": "b"}}})
    assert (renamed.request.flavor.name, renamed.request.flavor.vcpus) == ("m1.custom", 2)
    assert renamed.request.flavor.extra_specs == {"a": "b"}


def test_switching_era_changes_the_eras_example_from_placed_to_no_valid_host() -> None:
    m = example("eras")
    placement = what_if(m, {"kind": "era", "era": "placement"})
    assert placement.config.era == "placement"
    assert placement.config.enabled_filters == SchedulerConfig.for_era("placement").enabled_filters
    assert placement.config.weight_classes == SchedulerConfig.for_era("placement").weight_classes
    assert placement.hosts == m.hosts  # the hosts keep the ratios they had
    before, after = rerun(m), rerun(placement)
    assert before["selected_hosts"] == ["compute1"]
    assert after["error"]["type"] == "NoValidHost"
    result = compare(before, after)
    rows = {r["host"]: r for r in result["hosts"]}
    assert rows["compute1"]["after"]["filter"] == "Placement"
    assert "(8192 − 512) × 1.5" in rows["compute1"]["after"]["reason"]
    assert result["summary"].startswith("The choice moves from compute1 to NoValidHost.")
    back = what_if(placement, {"kind": "era", "era": "classic"})
    assert rerun(back)["selected_hosts"] == ["compute1"]


def test_an_era_switch_keeps_weighers_the_instructor_chose() -> None:
    m = example("weighers")
    assert what_if(m, {"kind": "era", "era": "placement"}).config.weight_classes == m.config.weight_classes


def test_a_host_change_can_bring_a_filtered_host_back() -> None:
    m = example("ram-filter")
    up = what_if(m, {"kind": "host", "host": "compute4", "field": "enabled", "value": True})
    result = compare(rerun(m), rerun(up))
    assert "compute4" in result["changed"]
    row = next(r for r in result["hosts"] if r["host"] == "compute4")
    assert row["before"]["filter"] == "ComputeFilter" and row["after"]["outcome"] in ("passed", "chosen")
    ratio = what_if(m, {"kind": "host", "host": "compute2", "field": "ram_allocation_ratio", "value": 2})
    assert ratio.host("compute2").resources.ram_allocation_ratio == 2.0
    assert "compute2" in compare(rerun(m), rerun(ratio))["changed"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "host", "host": "x", "field": "vcpus", "value": 4}, "unknown host 'x'"),
        ({"kind": "host", "host": "compute1", "field": "name", "value": "y"}, "a host change cannot set 'name'"),
        ({"kind": "host", "host": "compute1", "field": "vcpus", "value": 0}, "vcpus must be a positive integer"),
        ({"kind": "host", "host": "compute1", "field": "memory_mb_used", "value": -1}, "must be a non-negative"),
        ({"kind": "host", "host": "compute1", "field": "memory_mb_used", "value": 1.5}, "must be a non-negative"),
        ({"kind": "host", "host": "compute1", "field": "up", "value": "no"}, "up must be true or false"),
        ({"kind": "host", "host": "compute1", "field": "cpu_allocation_ratio", "value": 0}, "must be a positive"),
        ({"kind": "host", "host": "compute1", "field": "vcpus"}, "a host change needs 'value'"),
        ({"kind": "filter", "name": "FastFilter", "enabled": False}, "unknown filter 'FastFilter'"),
        ({"kind": "filter", "name": "CoreFilter", "enabled": False}, "CoreFilter is not enabled"),
        ({"kind": "filter", "name": "RamFilter", "enabled": "no"}, "enabled must be true or false"),
        ({"kind": "filter", "name": "RamFilter", "enabled": True}, "already enabled"),
        ({"kind": "filter", "name": "CoreFilter", "enabled": True, "position": 99}, "position must be an integer"),
        (
            {"kind": "multiplier", "name": "ram_weight_multiplier", "value": "big"},
            "ram_weight_multiplier must be a number",
        ),
        ({"kind": "multiplier", "name": "ram_weight_multiplier", "value": float("nan")}, "must be a number"),
        ({"kind": "multiplier", "name": "speed_weight_multiplier", "value": 1}, "unknown multiplier"),
        ({"kind": "flavor", "flavor": {"memory_mb": 0}}, "memory_mb must be a positive integer"),
        ({"kind": "flavor", "flavor": {"colour": "red"}}, "a flavor has no 'colour'"),
        ({"kind": "flavor", "flavor": {"memory_mb": 2048}}, "the flavor is unchanged"),
        ({"kind": "flavor", "flavor": "m1.large"}, "flavor must be a mapping"),
        ({"kind": "era", "era": "classic"}, "the era is already classic"),
        ({"kind": "era", "era": "future"}, "unknown era 'future'"),
        ({"kind": "weather", "sunny": True}, "unknown kind of change 'weather'"),
        ({"kind": "era", "era": "placement", "also": 1}, "an era change has no 'also'"),
    ],
)
def test_a_bad_change_is_refused_with_a_message_naming_the_problem(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        what_if(example("ram-filter"), change)


def test_a_placement_era_moment_cannot_enable_a_filter_that_no_longer_exists() -> None:
    m = what_if(example("ram-filter"), {"kind": "era", "era": "placement"})
    with pytest.raises(ValueError, match="RamFilter does not exist in the placement era"):
        what_if(m, {"kind": "filter", "name": "RamFilter", "enabled": True})


def test_every_kind_of_change_is_accepted_somewhere() -> None:
    m = example("ram-filter")
    examples = {
        "host": {"kind": "host", "host": "compute2", "field": "memory_mb_used", "value": 1024},
        "filter": RAM_OFF,
        "multiplier": {"kind": "multiplier", "name": "cpu_weight_multiplier", "value": 2},
        "flavor": {"kind": "flavor", "flavor": {"vcpus": 2}},
        "era": {"kind": "era", "era": "placement"},
    }
    assert tuple(examples) == WHAT_IF_KINDS
    for change in examples.values():
        assert what_if(m, change) != m


# -- describing a change ------------------------------------------------------------------------


def test_each_change_reads_as_a_short_label() -> None:
    m = example("ram-filter")
    host_change = {"kind": "host", "host": "compute2", "field": "memory_mb_used", "value": 1024}
    assert describe_change(RAM_OFF) == "RamFilter off"
    assert describe_change(host_change, moment=m) == "compute2 memory_mb_used 4608 → 1024"
    assert describe_change(host_change) == "compute2 memory_mb_used → 1024"
    assert describe_change({"kind": "filter", "name": "CoreFilter", "enabled": True}) == "CoreFilter on"
    assert (
        describe_change({"kind": "filter", "name": "CoreFilter", "enabled": True, "position": 2})
        == "CoreFilter on at position 2"
    )
    multiplier = {"kind": "multiplier", "name": "ram_weight_multiplier", "value": -1.0}
    assert describe_change(multiplier, moment=m) == "ram_weight_multiplier 1 → -1"
    assert describe_change({"kind": "era", "era": "placement"}, moment=m) == "era classic → placement"
    assert (
        describe_change({"kind": "host", "host": "compute4", "field": "enabled", "value": True}, moment=m)
        == "compute4 enabled false → true"
    )
    assert (
        describe_change({"kind": "flavor", "flavor": {"memory_mb": 4096}}, moment=m)
        == "flavor m1.small → m1.small (1 vCPU, 4096 MB RAM, 20 GB disk)"
    )


def test_a_label_is_rendered_in_the_readers_language_and_validated_against_the_moment() -> None:
    zh = {"{filter} off": "{filter} 关闭"}
    assert describe_change(RAM_OFF, lambda s: zh.get(s, s)) == "RamFilter 关闭"
    with pytest.raises(ValueError, match="unknown host 'nope'"):
        describe_change({"kind": "host", "host": "nope", "field": "vcpus", "value": 2}, moment=example("ram-filter"))


def test_the_comparison_summary_is_rendered_in_the_readers_language() -> None:
    zh = {
        "Both decisions choose {host}.": "两次决策都选择 {host}。",
        "Hosts that changed verdict: {hosts}.": "结论改变的主机：{hosts}。",
        "{first} {second}": "{first}{second}",
    }
    m = example("ram-filter")
    result = compare(rerun(m), rerun(what_if(m, RAM_OFF)), translate=lambda s: zh.get(s, s))
    assert result["summary"] == "两次决策都选择 compute1。结论改变的主机：compute2。"


def test_a_host_removed_by_another_filter_counts_as_changed() -> None:
    # compute2 is too full and, here, also disabled: without RamFilter, ComputeFilter removes it.
    m = what_if(example("ram-filter"), {"kind": "host", "host": "compute2", "field": "enabled", "value": False})
    result = compare(rerun(m), rerun(what_if(m, RAM_OFF)))
    row = next(r for r in result["hosts"] if r["host"] == "compute2")
    assert (row["before"]["filter"], row["after"]["filter"]) == ("RamFilter", "ComputeFilter")
    assert row["before"]["outcome"] == row["after"]["outcome"] == "filtered"
    assert row["changed"] is True
    assert result["changed"] == ["compute2"]


# -- a change that over-commits a host ----------------------------------------------------------


def _one_full_host(era: Era) -> Moment:
    """compute2 holds 11264 MB of instances on 8192 MB at ratio 1.5: within the limit in both eras
    (12288 classic, 11520 placement); compute1 is disabled, so compute2 is the only choice."""
    full = host("compute2", era=era, memory_mb=8192, memory_mb_used=512 + 11264, ram_allocation_ratio=1.5)
    empty = host("compute1", era=era, memory_mb=4096, enabled=False)
    return Moment((full, empty), request("m1.nano"), config(era))


LOWER_RAM_RATIO = {"kind": "host", "host": "compute2", "field": "ram_allocation_ratio", "value": 1.0}


def test_lowering_a_ratio_below_the_usage_is_accepted_and_over_commits_the_host_classic() -> None:
    m = _one_full_host("classic")
    changed = what_if(m, LOWER_RAM_RATIO)
    assert changed.host("compute2").resources.memory_mb_used == 11776  # the instances stay
    before, after = rerun(m), rerun(changed)
    result = compare(before, after)
    row = next(r for r in result["hosts"] if r["host"] == "compute2")
    assert row["before"]["outcome"] == "chosen"
    assert (row["after"]["outcome"], row["after"]["filter"]) == ("filtered", "RamFilter")
    assert row["after"]["reason"] == (
        "usable RAM = 8192 × 1 − 11776 = -3584 MB, below zero: the host is over-committed and takes no new "
        "instance (64 MB requested)"
    )
    assert result["selected"] == ["compute2", None]
    assert describe_change(LOWER_RAM_RATIO, moment=m) == (
        "compute2 ram_allocation_ratio 1.5 → 1; compute2 is now over-committed: memory_mb used 11776 > limit 8192"
    )


def test_lowering_a_ratio_below_the_usage_is_accepted_and_over_commits_the_host_placement() -> None:
    m = _one_full_host("placement")
    result = compare(rerun(m), rerun(what_if(m, LOWER_RAM_RATIO)))
    row = next(r for r in result["hosts"] if r["host"] == "compute2")
    assert (row["after"]["outcome"], row["after"]["filter"]) == ("filtered", "Placement")
    assert row["after"]["reason"].startswith("MEMORY_MB: 11264 used + 64 requested > (8192 − 512) × 1 = 7680 MB")
    assert describe_change(LOWER_RAM_RATIO, moment=m).endswith(
        "; compute2 is now over-committed: memory_mb used 11264 > limit 7680"
    )


def test_a_host_over_committed_already_is_not_said_again() -> None:
    m = what_if(_one_full_host("classic"), LOWER_RAM_RATIO)
    usage = {"kind": "host", "host": "compute2", "field": "memory_mb_used", "value": 13000}
    assert describe_change(usage, moment=m) == "compute2 memory_mb_used 11776 → 13000"
    zh = {
        "{change}; {host} is now over-committed: {resources}": "{change}；{host} 现已超额分配：{resources}",
        "{resource} used {used} > limit {limit}": "{resource} 已用 {used} > 上限 {limit}",
    }
    label = describe_change(LOWER_RAM_RATIO, lambda s: zh.get(s, s), moment=_one_full_host("classic"))
    assert label == "compute2 ram_allocation_ratio 1.5 → 1；compute2 现已超额分配：memory_mb 已用 11776 > 上限 8192"


def test_a_multi_create_comparison_names_its_first_instance() -> None:
    m = example("ram-filter")
    two = replace(m, request=replace(m.request, num_instances=2))
    result = compare(rerun(two), rerun(what_if(two, RAM_OFF)))
    assert result["summary"].startswith("Both decisions place instance 1 on compute1. "), result["summary"]
