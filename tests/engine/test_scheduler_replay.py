"""Moments, replay and "why not host X?": a stored decision replays and explains itself."""

from __future__ import annotations

import copy
import json
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sched_helpers import config, host, request, uuid

from cloudlab.engine.resources import ERAS, HostResources
from cloudlab.engine.scheduler import (
    DRIVER_NAMES,
    FILTER_NAMES,
    WEIGHER_NAMES,
    Aggregate,
    Flavor,
    HostState,
    Image,
    Moment,
    SchedulerConfig,
    ScheduleRequest,
    SchedulerHints,
    ServerGroup,
    load_scenario_file,
    moment_from_dict,
    moment_to_dict,
    replay_stages,
    rerun,
    schedule,
    why_not,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "cloudlab" / "engine" / "scheduler" / "examples"

RAM_TEMPLATE_FAIL = (
    "usable RAM = {memory_mb} × {ram_allocation_ratio} − {used_ram_mb} = {usable_ram_mb} MB"
    " < {requested_ram_mb} MB requested"
)


def example(name: str, **overrides: Any) -> Moment:
    s = load_scenario_file(EXAMPLES / f"{name}.yaml")
    cfg = replace(s.scheduler, **overrides) if overrides else s.scheduler
    return Moment(s.hosts, s.requests[0], cfg)


def counts(stages: list[dict[str, Any]]) -> list[tuple[int, int]]:
    return [(s["hosts_in"], s["hosts_out"]) for s in stages if s["kind"] == "filter"]


# -- moments: a round trip through plain data ------------------------------------------------

texts = st.text(max_size=8)
str_maps = st.dictionaries(texts, texts, max_size=3)
finite = st.floats(allow_nan=False, allow_infinity=False)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | finite | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)

aggregates = st.builds(Aggregate, name=texts, availability_zone=st.none() | texts, metadata=str_maps)
resources = st.builds(
    HostResources,
    **{f.name: finite if f.name.endswith("ratio") else st.integers(-(2**40), 2**40) for f in fields(HostResources)},
)
host_states = st.builds(
    HostState,
    name=texts,
    resources=resources,
    aggregates=st.lists(aggregates, max_size=3).map(tuple),
    host_ip=st.none() | texts,
    hypervisor_type=texts,
    hypervisor_version=st.integers(0, 10**8),
    architecture=texts,
    cpu_arch=texts,
    supported_instances=st.none() | st.lists(st.tuples(texts, texts, texts), max_size=3).map(tuple),
    enabled=st.booleans(),
    up=st.booleans(),
    num_instances=st.integers(0, 100),
    num_io_ops=st.integers(0, 100),
    failed_builds=st.integers(0, 10),
    instance_uuids=st.frozensets(texts, max_size=4),
    stats=str_maps,
    cpu_info=st.dictionaries(texts, json_values, max_size=3),
)
flavors = st.builds(
    Flavor,
    id=texts,
    name=texts,
    vcpus=st.integers(0, 64),
    memory_mb=st.integers(0, 10**6),
    root_gb=st.integers(0, 1000),
    ephemeral_gb=st.integers(0, 100),
    swap=st.integers(0, 4096),
    extra_specs=str_maps,
)
images = st.builds(
    Image,
    id=texts,
    name=texts,
    disk_format=texts,
    size_mb=st.integers(0, 10**5),
    min_ram=st.integers(0, 10**5),
    min_disk=st.integers(0, 1000),
    properties=str_maps,
)
groups = st.builds(
    ServerGroup,
    name=texts,
    policy=st.sampled_from(["affinity", "anti-affinity", "soft-affinity", "soft-anti-affinity"]),
    members=st.lists(texts, max_size=3).map(tuple),
    rules=st.dictionaries(texts, st.integers(0, 10), max_size=2),
    uuid=texts,
)
hints = st.builds(
    SchedulerHints,
    same_host=st.lists(texts, max_size=2).map(tuple),
    different_host=st.lists(texts, max_size=2).map(tuple),
    build_near_host_ip=st.none() | texts,
    cidr=texts,
    group=st.none() | texts,
)
requests = st.builds(
    ScheduleRequest,
    flavor=flavors,
    image=st.none() | images,
    num_instances=st.integers(1, 5),
    availability_zone=st.none() | texts,
    scheduler_hints=hints,
    server_group=st.none() | groups,
    instance_uuids=st.lists(texts, max_size=3).map(tuple),
    project=texts,
)


def _option(name: str, kind: str) -> st.SearchStrategy[Any]:
    if name == "era":
        return st.sampled_from(ERAS)
    if name == "driver":
        return st.sampled_from(DRIVER_NAMES)
    if name == "enabled_filters":
        return st.lists(st.sampled_from(FILTER_NAMES), max_size=5).map(tuple)
    if name == "weight_classes":
        return st.lists(st.sampled_from(WEIGHER_NAMES), max_size=5).map(tuple)
    return {
        "float": finite,
        "int": st.integers(-1000, 10**6),
        "bool": st.booleans(),
        "str": texts,
        "str | None": st.none() | texts,
        "tuple[str, ...]": st.lists(texts, max_size=3).map(tuple),
    }[kind]


configs = st.builds(SchedulerConfig, **{f.name: _option(f.name, str(f.type)) for f in fields(SchedulerConfig)})
moments = st.builds(
    Moment,
    hosts=st.lists(host_states, max_size=4, unique_by=lambda h: h.name).map(tuple),
    request=requests,
    config=configs,
    retry_hosts=st.lists(texts, max_size=3).map(tuple),
)


@settings(max_examples=150, deadline=None)
@given(moments)
def test_a_moment_survives_json_and_back_unchanged(m: Moment) -> None:
    stored = json.loads(json.dumps(moment_to_dict(m)))
    assert moment_from_dict(stored) == m


def test_a_moment_with_aggregates_groups_and_hints_reruns_to_the_same_trace() -> None:
    ssd = Aggregate("ssd", "az1", {"ssd": "true", "ram_weight_multiplier": "2.0"})
    hosts = [
        host("c1", aggregates=(ssd,), instance_uuids=frozenset({uuid(1)}), stats={"x": "1"}),
        host(
            "c2",
            supported_instances=(("x86_64", "qemu", "hvm"),),
            cpu_info={"vendor": "Intel", "topology": {"cores": 4}},
        ),
        host("c3", memory_mb_used=8000),
    ]
    group = ServerGroup("web", "anti-affinity", members=(uuid(1),), rules={"max_server_per_host": 1})
    req = request(
        "m1.small",
        num_instances=2,
        group=group,
        hints=SchedulerHints(different_host=(uuid(9),), group="web"),
        availability_zone="az1",
    )
    m = Moment(hosts, req, config(), retry_hosts=["c3"])
    back = moment_from_dict(json.loads(json.dumps(moment_to_dict(m))))
    assert back == m
    assert back.hosts[0].aggregates == (ssd,)
    assert rerun(back) == schedule(hosts, req, config(), retry_hosts=["c3"])


def test_a_moment_of_every_worked_example_reruns_to_what_the_scheduler_decided() -> None:
    for name in ("ram-filter", "weighers", "eras"):
        s = load_scenario_file(EXAMPLES / f"{name}.yaml")
        m = moment_from_dict(moment_to_dict(Moment(s.hosts, s.requests[0], s.scheduler)))
        assert rerun(m) == schedule(s.hosts, s.requests[0], s.scheduler)


def _stored() -> dict[str, Any]:
    return json.loads(json.dumps(moment_to_dict(example("ram-filter"))))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: d.pop("hosts"), "moment.hosts: missing"),
        (lambda d: d.update(version=99), "moment.version: unsupported version 99"),
        (lambda d: d.update(surprise=1), "moment.surprise: unknown key"),
        (lambda d: d["hosts"][1]["resources"].update(vcpus="four"), "hosts[1].resources.vcpus: must be an integer"),
        (
            lambda d: d["hosts"][0]["resources"].update(ram_allocation_ratio=True),
            "ram_allocation_ratio: must be a number",
        ),
        (lambda d: d["hosts"][2].update(enabled="yes"), "hosts[2].enabled: must be true or false"),
        (lambda d: d["hosts"][3].update(name="compute1"), "hosts[3].name: duplicate host 'compute1'"),
        (lambda d: d["hosts"][0].update(supported_instances=[["x86_64", "qemu"]]), "supported_instances[0]: must be"),
        (lambda d: d["request"]["flavor"].pop("memory_mb"), "request.flavor.memory_mb: missing"),
        (lambda d: d["request"].update(num_instances=0), "request.num_instances: must be a positive integer"),
        (lambda d: d["config"].update(era="future"), "config.era: must be one of classic, placement"),
        (lambda d: d["config"].update(enabled_filters="RamFilter"), "config.enabled_filters: must be a list"),
        (lambda d: d["config"].update(ram_weight_multiplier="1.0"), "config.ram_weight_multiplier: must be a number"),
        (lambda d: d.update(retry_hosts=[1]), "retry_hosts[0]: must be a string"),
    ],
)
def test_malformed_moment_data_is_refused_by_its_path(damage: Any, message: str) -> None:
    d = _stored()
    damage(d)
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]").replace(".", r"\.")):
        moment_from_dict(d)


def test_a_moment_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(ValueError, match="moment: must be a mapping"):
        moment_from_dict([])  # type: ignore[arg-type]


# -- replay stages -------------------------------------------------------------------------------


def test_replay_of_the_ram_filter_example_steps_through_the_funnel_in_the_traces_order() -> None:
    m = example("ram-filter")
    trace = rerun(m)
    stages = replay_stages(trace)
    assert [s["kind"] for s in stages] == ["filter"] * 7 + ["weighing", "selected"]
    assert [s["name"] for s in stages if s["kind"] == "filter"] == list(m.config.enabled_filters)
    assert [s["name"] for s in stages[:7]] == [f["name"] for f in trace["instances"][0]["filters"]]
    assert counts(stages) == [(4, 4), (4, 4), (4, 3), (3, 2), (2, 2), (2, 2), (2, 2)]
    ram = stages[2]
    assert ram["removed"] == ["compute2"]
    assert ram["remaining"] == ["compute1", "compute3", "compute4"]
    assert stages[3]["removed"] == ["compute4"]
    assert [s["index"] for s in stages] == list(range(len(stages)))
    assert [h["host"] for h in stages[-2]["hosts"]] == ["compute1", "compute3"]
    # classic weighers: RAMWeigher (compute1 has the most free RAM: 1.0), IoOps and Metrics 0
    assert stages[-1] == {"index": 8, "kind": "selected", "instance": 0, "host": "compute1", "weight": 1.0}


def test_the_weighing_stage_carries_each_hosts_total_and_weigher_parts() -> None:
    stages = replay_stages(rerun(example("weighers")))
    weighing = next(s for s in stages if s["kind"] == "weighing")
    assert weighing["weighers"] == ["RAMWeigher", "CPUWeigher", "IoOpsWeigher"]
    assert [(h["host"], h["weight"]) for h in weighing["hosts"]] == [("hA", 0.9375), ("hC", 0.75), ("hB", 0.03125)]
    hb = weighing["hosts"][2]
    assert hb["per_weigher"] == {"RAMWeigher": 1.0, "CPUWeigher": 0.03125, "IoOpsWeigher": -1.0}


def test_no_valid_host_ends_the_replay_right_after_the_stage_that_emptied_the_list() -> None:
    m = example("eras", era="placement", enabled_filters=SchedulerConfig.for_era("placement").enabled_filters)
    stages = replay_stages(rerun(m))
    assert [(s["kind"], s.get("name")) for s in stages] == [
        ("filter", "Placement"),
        ("filter", "ComputeFilter"),
        ("no_valid_host", None),
    ]
    assert counts(stages) == [(2, 1), (1, 0)]
    end = stages[-1]
    assert end["last_filter"] == "ComputeFilter"
    assert end["message"].startswith("No valid host was found.")
    assert end["error_type"] == "NoValidHost"


def test_a_stored_trace_replays_to_the_same_stages_as_the_live_one() -> None:
    trace = rerun(example("ram-filter"))
    stored = json.loads(json.dumps(trace))
    assert replay_stages(stored) == replay_stages(trace)


def test_a_multi_instance_request_replays_each_instance_in_turn_skipping_run_once_filters() -> None:
    m = replace(example("weighers"), request=replace(example("weighers").request, num_instances=2))
    trace = rerun(m)
    stages = replay_stages(trace)
    second = [s for s in stages if s["instance"] == 1]
    assert [s["kind"] for s in stages if s["instance"] == 0][-1] == "selected"
    # RetryFilter, RamFilter and the server-group filters run again; the run-once filters do not.
    ran = [f["name"] for f in trace["instances"][1]["filters"] if f["ran"]]
    assert [s["name"] for s in second if s["kind"] == "filter"] == ran
    assert ran == ["RetryFilter", "RamFilter", "ServerGroupAntiAffinityFilter", "ServerGroupAffinityFilter"]
    assert [s["kind"] for s in second][-2:] == ["weighing", "selected"]
    assert [s["index"] for s in stages] == list(range(len(stages)))


def test_when_a_later_instance_finds_no_host_the_earlier_ones_stay_selected() -> None:
    hosts = [host("h1", memory_mb=4096), host("h2", memory_mb=2048, ram_allocation_ratio=1.0, memory_mb_used=0)]
    # h1: 4096 × 1.5 − 512 = 5632 MB holds two m1.small, h2 (2048 × 1.0) one; the fourth fails.
    trace = schedule(hosts, request("m1.small", num_instances=4), config())
    stages = replay_stages(trace)
    ends = [s for s in stages if s["kind"] in ("selected", "no_valid_host")]
    assert [s["kind"] for s in ends] == ["selected", "selected", "selected", "no_valid_host"]
    assert sorted(s["host"] for s in ends[:3]) == ["h1", "h1", "h2"]
    assert stages[-1]["instance"] == 3
    assert stages[-1]["last_filter"] == "RamFilter"
    assert stages[-2]["kind"] == "filter" and stages[-2]["hosts_out"] == 0


def test_historic_drivers_replay_their_own_stages_then_the_choice() -> None:
    hosts = [host("h1"), host("h2", up=False)]
    chance = replay_stages(schedule(hosts, request(), config(driver="chance_scheduler")))
    assert [(s["kind"], s.get("name")) for s in chance] == [("filter", "hosts_up"), ("selected", None)]
    assert chance[0]["removed"] == ["h2"] and chance[1]["host"] == "h1"
    simple = replay_stages(schedule(hosts, request(), config(driver="simple_scheduler")))
    assert [(s["kind"], s.get("name")) for s in simple] == [("filter", "least_loaded_walk"), ("selected", None)]
    down = replay_stages(schedule([host("h1", up=False)], request(), config(driver="chance_scheduler")))
    assert [s["kind"] for s in down] == ["filter", "no_valid_host"]


def test_a_request_refused_before_scheduling_is_one_no_valid_host_stage() -> None:
    trace = schedule([host("h1")], request(), config(max_attempts=2), retry_hosts=["a", "b"])
    stages = replay_stages(trace)
    assert len(stages) == 1
    assert stages[0]["kind"] == "no_valid_host"
    assert stages[0]["error_type"] == "MaxRetriesExceeded"


def _claim_moment() -> Moment:
    # x has the most free RAM but Placement can hold only one m1.small on it:
    # (16384 − 512) × 0.2 = 3174.4 MB of capacity.
    era = "placement"
    hosts = [host("x", era=era, memory_mb=16384, ram_allocation_ratio=0.2), host("y", era=era, memory_mb=8192)]
    return Moment(hosts, request("m1.small", num_instances=2), config(era, weight_classes=["RAMWeigher"]))


def test_a_placement_claim_walk_shows_in_the_selected_stage() -> None:
    stages = replay_stages(rerun(_claim_moment()))
    chosen = [s for s in stages if s["kind"] == "selected"]
    assert [s["host"] for s in chosen] == ["x", "y"]
    assert [(c["host"], c["passed"]) for c in chosen[1]["claims"]] == [("x", False), ("y", True)]


# -- why not host X? ----------------------------------------------------------------------------


def test_a_filtered_host_names_the_first_filter_it_failed_with_its_arithmetic() -> None:
    trace = rerun(example("ram-filter"))
    answer = why_not(trace, "compute2")
    assert answer["outcome"] == "filtered"
    assert answer["filter"] == "RamFilter"
    assert answer["reason"] == "usable RAM = 4096 × 1.5 − 4608 = 1536 MB < 2048 MB requested"
    assert answer["numbers"]["usable_ram_mb"] == 1536
    assert answer["numbers"]["requested_ram_mb"] == 2048
    assert answer["explanation"].startswith("RamFilter removed compute2: usable RAM")
    assert why_not(trace, "compute4")["filter"] == "ComputeFilter"


def test_a_host_failing_two_filters_is_charged_to_the_first() -> None:
    # compute2 is both too full (RamFilter) and disabled (ComputeFilter, later in the list).
    m = example("ram-filter")
    hosts = tuple(replace(h, enabled=False) if h.name == "compute2" else h for h in m.hosts)
    assert why_not(rerun(replace(m, hosts=hosts)), "compute2")["filter"] == "RamFilter"
    reordered = replace(m.config, enabled_filters=("ComputeFilter", "RamFilter"))
    assert why_not(rerun(replace(m, hosts=hosts, config=reordered)), "compute2")["filter"] == "ComputeFilter"


def test_the_reason_is_rendered_in_the_readers_language() -> None:
    zh = {
        RAM_TEMPLATE_FAIL: "可用内存 = {memory_mb} × {ram_allocation_ratio} − {used_ram_mb} "
        "= {usable_ram_mb} MB < 请求的 {requested_ram_mb} MB"
    }
    answer = why_not(rerun(example("ram-filter")), "compute2", translate=lambda s: zh.get(s, s))
    assert answer["reason"] == "可用内存 = 4096 × 1.5 − 4608 = 1536 MB < 请求的 2048 MB"
    assert "可用内存" in answer["explanation"]


def test_a_losing_host_is_told_its_margin_and_each_weighers_part() -> None:
    trace = rerun(example("weighers"))
    ranking = {r["host"]: r["weight"] for r in trace["instances"][0]["ranking"]}
    answer = why_not(trace, "hC")
    assert answer["outcome"] == "lost"
    assert answer["winner"] == "hA"
    assert answer["margin"] == pytest.approx(ranking["hA"] - ranking["hC"]) == pytest.approx(0.1875)
    assert answer["weight"] == ranking["hC"] and answer["winner_weight"] == ranking["hA"]
    parts = {p["name"]: p for p in answer["per_weigher"]}
    assert parts["RAMWeigher"]["raw"] == 2048 and parts["RAMWeigher"]["winner_raw"] == 4096
    assert parts["CPUWeigher"]["difference"] == pytest.approx(0.4375 - 1.0)
    assert sum(p["difference"] for p in answer["per_weigher"]) == pytest.approx(answer["margin"])
    assert "0.1875 less than hA" in answer["explanation"]


def test_a_losing_over_committed_host_is_told_its_raw_and_clamped_value() -> None:
    hosts = [host("roomy"), host("over", memory_mb=2048, memory_mb_used=3072)]
    trace = schedule(hosts, request("m1.tiny"), config(enabled_filters=[], weight_classes=["RAMWeigher"]))
    ram = why_not(trace, "over")["per_weigher"][0]
    assert (ram["raw"], ram["clamped"], ram["normalized"]) == (-1024, 0, 0.0)
    assert (ram["winner_raw"], ram["winner_clamped"]) == (7680, 7680)


def test_a_losing_hosts_explanation_points_at_the_largest_gap() -> None:
    answer = why_not(rerun(example("weighers")), "hB")
    # hB: RAM 1 vs 0.5, CPU 0.03125 vs 0.4375, IoOps −1 vs 0: the I/O load cost it most.
    assert answer["margin"] == pytest.approx(0.90625)
    assert "The largest gap was IoOpsWeigher: 1" in answer["explanation"]


def test_the_chosen_host_is_told_how_far_ahead_it_was() -> None:
    answer = why_not(rerun(example("weighers")), "hA")
    assert answer["outcome"] == "chosen"
    assert answer["runner_up"] == "hC"
    assert answer["margin"] == pytest.approx(0.1875)
    only = why_not(rerun(example("eras")), "compute1")
    assert only["outcome"] == "chosen" and only["runner_up"] is None
    assert "only host left" in only["explanation"]


def test_a_tie_is_explained_as_a_tie() -> None:
    trace = schedule([host("a"), host("b")], request(), config())
    answer = why_not(trace, "b")
    assert answer["outcome"] == "lost" and answer["margin"] == 0
    assert "tied with a" in answer["explanation"]


def test_an_unknown_host_or_instance_is_an_error() -> None:
    trace = rerun(example("ram-filter"))
    with pytest.raises(ValueError, match="unknown host 'compute9'"):
        why_not(trace, "compute9")
    with pytest.raises(ValueError, match="instance 1 is not in this request"):
        why_not(trace, "compute1", instance=1)


def test_a_host_of_the_cloud_the_decision_never_saw_is_not_seen() -> None:
    trace = rerun(example("ram-filter"))
    answer = why_not(trace, "compute9", hosts=["compute1", "compute9"])
    assert answer["outcome"] == "not_seen"
    assert "compute9" in answer["explanation"]


def test_a_failed_placement_claim_is_why_a_top_ranked_host_lost_the_second_instance() -> None:
    trace = rerun(_claim_moment())
    assert why_not(trace, "x")["outcome"] == "chosen"
    answer = why_not(trace, "x", instance=1)
    assert answer["outcome"] == "filtered"
    assert answer["filter"] == "Placement claim"
    assert answer["reason"].startswith("MEMORY_MB: 2048 used + 2048 requested")
    assert why_not(trace, "y", instance=1)["outcome"] == "chosen"


def test_a_host_removed_for_an_earlier_instance_says_so_for_the_later_one() -> None:
    hosts = [host("h1", memory_mb=4096), host("h2", memory_mb=2048, ram_allocation_ratio=1.0, memory_mb_used=0)]
    trace = schedule(hosts, request("m1.small", num_instances=2, group=ServerGroup("g", "anti-affinity")), config())
    # h1 takes instance 0; anti-affinity then removes it for instance 1.
    assert why_not(trace, "h1")["outcome"] == "chosen"
    later = why_not(trace, "h1", instance=1)
    assert later["outcome"] == "filtered" and later["filter"] == "ServerGroupAntiAffinityFilter"
    assert later["instance"] == 1
    down = [host("h1"), host("h2", up=False)]
    gone = why_not(schedule(down, request(num_instances=2), config()), "h2", instance=1)
    assert gone["filter"] == "ComputeFilter" and gone["instance"] == 0
    assert "while placing instance 1" in gone["explanation"]


def test_why_not_reads_a_stored_trace_the_same_way() -> None:
    trace = rerun(example("weighers"))
    stored = copy.deepcopy(json.loads(json.dumps(trace)))
    assert [why_not(stored, h) for h in ("hA", "hB", "hC")] == [why_not(trace, h) for h in ("hA", "hB", "hC")]
