"""The weighers and Nova's normalisation (nova-semantics.md section c)."""

from __future__ import annotations

import pytest
from sched_helpers import aggregate, config, host, request, uuid

from cloudlab.engine.scheduler import ERA_DEFAULT_WEIGHERS, WEIGHER_NAMES, WEIGHERS, ServerGroup, schedule
from cloudlab.engine.scheduler.weighers import aggregate_multiplier, clamp, normalize


def test_every_weigher_is_a_default_of_the_eras_that_had_it() -> None:
    """Classic: Nova's all_weighers from Juno to Liberty (nova/scheduler/weights/ held ram.py,
    metrics.py and io_ops.py; disk.py and affinity.py came in Mitaka, cpu.py in Rocky)."""
    assert ERA_DEFAULT_WEIGHERS["placement"] == WEIGHER_NAMES
    assert ERA_DEFAULT_WEIGHERS["classic"] == ("RAMWeigher", "IoOpsWeigher", "MetricsWeigher")
    assert all(WEIGHERS[name].name == name for name in WEIGHER_NAMES)


def test_a_negative_ram_multiplier_packs_under_the_classic_defaults() -> None:
    """With Juno–Liberty's weighers nothing spreads against RAMWeigher: ram_weight_multiplier −1
    picks the fullest host that fits. With every weigher, CPUWeigher and DiskWeigher (+1 each)
    outweigh it and the big empty host wins."""
    hosts = [
        host("roomy", memory_mb=32768, local_gb=500, vcpus=16),
        host("full", memory_mb=8192, local_gb=50, vcpus=4, memory_mb_used=6144),
    ]
    packed = schedule(hosts, request("m1.tiny"), config(era="classic", ram_weight_multiplier=-1.0))
    assert packed["selected_hosts"] == ["full"]
    every = config(era="classic", weight_classes=WEIGHER_NAMES, ram_weight_multiplier=-1.0)
    assert schedule(hosts, request("m1.tiny"), every)["selected_hosts"] == ["roomy"]


def test_the_metrics_weigher_never_changes_an_order() -> None:
    """No host reports metrics and [metrics] weight_setting is empty: raw 0 everywhere."""
    hosts = [host("a", memory_mb=4096), host("b", memory_mb=8192)]
    trace = schedule(hosts, request(), config(weight_classes=("MetricsWeigher",), metrics_weight_multiplier=100.0))
    [metrics] = trace["instances"][0]["weighers"]
    assert {name: v["raw"] for name, v in metrics["values"].items()} == {"a": 0.0, "b": 0.0}
    assert trace["instances"][0]["ranking"] == [{"host": "a", "weight": 0.0}, {"host": "b", "weight": 0.0}]


def test_minval_zero_normalises_against_zero_not_the_minimum() -> None:
    assert normalize([512, 1024, 3072, 8192], 0) == [0.0625, 0.125, 0.375, 1.0]


def test_without_minval_normalisation_is_min_max() -> None:
    assert normalize([512, 1024, 3072, 8192], None) == [0.0, 512 / 7680, 2560 / 7680, 1.0]


def test_equal_values_normalise_to_zero() -> None:
    assert normalize([5, 5, 5], None) == [0.0, 0.0, 0.0]
    assert normalize([0, 0], 0) == [0.0, 0.0]


@pytest.mark.parametrize(
    ("values", "expected", "minval", "maxval"),
    [
        # nova/tests/unit/test_weights.py test_normalization, case by case
        ((), [], None, None),
        ((0.0, 0.0), [0.0, 0.0], None, None),
        ((1.0, 1.0), [0.0, 0.0], None, None),
        ((20.0, 50.0), [0.0, 1.0], None, None),
        ((20.0, 50.0), [0.0, 0.375], None, 100.0),
        ((20.0, 50.0), [0.4, 1.0], 0.0, None),
        ((20.0, 50.0), [0.2, 0.5], 0.0, 100.0),
    ],
)
def test_normalisation_uses_the_declared_bounds_as_the_scale(
    values: tuple[float, ...], expected: list[float], minval: float | None, maxval: float | None
) -> None:
    assert normalize(values, minval, maxval) == expected


def test_raw_values_are_clamped_into_the_declared_range_before_normalising() -> None:
    # nova/weights.py BaseWeigher.weigh_objects (Victoria 22+): max(weight, minval), min(weight, maxval).
    assert clamp([-1024, 4096, 8192], 0, None) == [0, 4096, 8192]
    assert clamp([-5, 50, 500], 0, 100) == [0, 50, 100]
    assert clamp([-5, 7], None, None) == [-5, 7]


@pytest.mark.parametrize(
    ("weigher", "field", "negative"),
    [
        # nova/tests/unit/scheduler/weights/test_weights_ram.py test_ram_filter_negative
        ("RAMWeigher", "memory_mb_used", {"memory_mb": 8192, "memory_mb_used": 8192 + 512}),
        # test_weights_cpu.py test_negative_host: 4 vCPUs, 6 used, ratio 1.0 → −2 free
        ("CPUWeigher", "vcpus_used", {"vcpus": 4, "vcpus_used": 6, "cpu_allocation_ratio": 1.0}),
        # test_weights_disk.py test_disk_filter_negative: free_disk_mb −5120
        ("DiskWeigher", "local_gb_used", {"local_gb": 80, "local_gb_used": 85}),
    ],
)
def test_an_over_committed_host_counts_as_zero_and_does_not_drag_the_others(
    weigher: str, field: str, negative: dict[str, int]
) -> None:
    hosts = [
        host("host1", memory_mb=1024, memory_mb_used=512, vcpus=1, cpu_allocation_ratio=1.0, local_gb=5),
        host("host4", memory_mb=8704, memory_mb_used=512, vcpus=16, cpu_allocation_ratio=1.0, local_gb=80),
        host("negative", **negative),  # type: ignore[arg-type]
    ]
    cfg = config(enabled_filters=[], weight_classes=[weigher])
    inst = schedule(hosts, request("m1.tiny"), cfg)["instances"][0]
    values = inst["weighers"][0]["values"]
    assert values["negative"]["raw"] < 0
    assert values["negative"]["clamped"] == 0
    assert values["negative"]["normalized"] == 0.0
    # The others are measured from 0, not from the negative value (Nova before Victoria did that).
    top = values["host4"]["raw"]
    assert values["host1"]["normalized"] == values["host1"]["raw"] / top
    assert [r["host"] for r in inst["ranking"]] == ["host4", "host1", "negative"]
    assert inst["ranking"][0]["weight"] == 1.0 and inst["ranking"][-1]["weight"] == 0.0


def test_exactly_ram_cpu_disk_and_io_ops_declare_minval_zero_and_none_a_maxval() -> None:
    # nova/scheduler/weights/{ram,cpu,disk,io_ops}.py set minval = 0; no weigher sets maxval.
    declared = {name: w.minval for name, w in WEIGHERS.items() if w.minval is not None}
    assert declared == {"RAMWeigher": 0, "CPUWeigher": 0, "DiskWeigher": 0, "IoOpsWeigher": 0}
    assert all(w.maxval is None for w in WEIGHERS.values())


def test_values_already_in_range_are_their_own_clamped_value() -> None:
    inst = schedule(_three_hosts(), request("m1.tiny"), config(enabled_filters=[]))["instances"][0]
    for w in inst["weighers"]:
        assert all(v["clamped"] == v["raw"] for v in w["values"].values()), w["name"]


def _three_hosts():  # type: ignore[no-untyped-def]
    # free RAM 4096 / 8192 / 2048, free vCPUs 28 / 2 / 64, io_ops 0 / 2 / 1
    return [
        host("hA", vcpus=2, memory_mb=8192, memory_mb_used=4096, vcpus_used=4, num_io_ops=0),
        host("hB", vcpus=1, memory_mb=16384, memory_mb_used=8192, vcpus_used=14, num_io_ops=2),
        host("hC", vcpus=4, memory_mb=4096, memory_mb_used=2048, vcpus_used=0, num_io_ops=1),
    ]


def test_worked_example_orders_ha_hc_hb() -> None:
    cfg = config(enabled_filters=[], weight_classes=["RAMWeigher", "CPUWeigher", "IoOpsWeigher"])
    trace = schedule(_three_hosts(), request("m1.tiny"), cfg)
    inst = trace["instances"][0]
    ram, cpu, io = inst["weighers"]
    assert [ram["values"][h]["normalized"] for h in ("hA", "hB", "hC")] == [0.5, 1.0, 0.25]
    assert [cpu["values"][h]["normalized"] for h in ("hA", "hB", "hC")] == [0.4375, 0.03125, 1.0]
    assert [io["values"][h]["weighted"] for h in ("hA", "hB", "hC")] == [0.0, -1.0, -0.5]
    assert inst["ranking"] == [
        {"host": "hA", "weight": 0.9375},
        {"host": "hC", "weight": 0.75},
        {"host": "hB", "weight": 0.03125},
    ]
    assert inst["selected"] == "hA"


def test_negative_ram_multiplier_stacks() -> None:
    cfg = config(enabled_filters=[], weight_classes=["RAMWeigher"], ram_weight_multiplier=-1.0)
    trace = schedule(_three_hosts(), request("m1.tiny"), cfg)
    assert trace["selected_hosts"] == ["hC"]


def test_aggregate_metadata_overrides_the_multiplier_with_the_minimum() -> None:
    h = host(aggregates=(aggregate("a", ram_weight_multiplier="2.0"), aggregate("b", ram_weight_multiplier="0.5")))
    assert aggregate_multiplier(h, "ram_weight_multiplier", 1.0) == 0.5
    assert aggregate_multiplier(host(), "ram_weight_multiplier", 1.0) == 1.0


def test_an_unparsable_aggregate_multiplier_falls_back_to_the_config() -> None:
    h = host(aggregates=(aggregate("a", ram_weight_multiplier="2.0"), aggregate("b", ram_weight_multiplier="lots")))
    assert aggregate_multiplier(h, "ram_weight_multiplier", 1.0) == 1.0


def test_aggregate_multiplier_changes_the_ranking() -> None:
    # hB has the most free RAM, but its aggregate sets ram_weight_multiplier 0.
    hosts = _three_hosts()
    hosts[1] = host(
        "hB", vcpus=1, memory_mb=16384, memory_mb_used=8192, aggregates=(aggregate("x", ram_weight_multiplier="0"),)
    )
    cfg = config(enabled_filters=[], weight_classes=["RAMWeigher"])
    inst = schedule(hosts, request("m1.tiny"), cfg)["instances"][0]
    assert inst["weighers"][0]["values"]["hB"]["multiplier"] == 0.0
    assert inst["selected"] == "hA"


def test_build_failure_weigher_applies_its_multiplier_negated() -> None:
    hosts = [host("ok"), host("flaky", failed_builds=3), host("bad", failed_builds=6)]
    cfg = config(enabled_filters=[], weight_classes=["BuildFailureWeigher", "RAMWeigher"])
    inst = schedule(hosts, request("m1.tiny"), cfg)["instances"][0]
    bf = inst["weighers"][0]
    assert bf["multiplier"] == -1000000.0
    assert bf["values"]["flaky"]["normalized"] == 0.5
    assert bf["values"]["bad"]["weighted"] == -1000000.0
    assert [r["host"] for r in inst["ranking"]] == ["ok", "flaky", "bad"]


def test_num_instances_weigher_is_min_max_and_off_by_default() -> None:
    hosts = [host("a", num_instances=2), host("b", num_instances=4), host("c", num_instances=6)]
    off = schedule(hosts, request("m1.tiny"), config(enabled_filters=[], weight_classes=["NumInstancesWeigher"]))
    assert all(r["weight"] == 0 for r in off["instances"][0]["ranking"])
    spread = config(enabled_filters=[], weight_classes=["NumInstancesWeigher"], num_instances_weight_multiplier=-1.0)
    inst = schedule(hosts, request("m1.tiny"), spread)["instances"][0]
    assert inst["weighers"][0]["values"]["b"]["normalized"] == 0.5
    assert inst["selected"] == "a"


def test_hypervisor_version_weigher_prefers_newer_hosts() -> None:
    hosts = [host("old", hypervisor_version=4002000), host("new", hypervisor_version=8002000)]
    inst = schedule(hosts, request("m1.tiny"), config(enabled_filters=[], weight_classes=["HypervisorVersionWeigher"]))
    assert inst["instances"][0]["selected"] == "new"


@pytest.mark.parametrize(("policy", "expected"), [("soft-affinity", "busy"), ("soft-anti-affinity", "idle")])
def test_soft_affinity_weighers(policy: str, expected: str) -> None:
    group = ServerGroup("g", policy, (uuid(1), uuid(2)))
    hosts = [host("idle"), host("busy", instance_uuids=frozenset({uuid(1), uuid(2)}))]
    cfg = config(
        enabled_filters=[], weight_classes=["ServerGroupSoftAffinityWeigher", "ServerGroupSoftAntiAffinityWeigher"]
    )
    assert schedule(hosts, request("m1.tiny", group=group), cfg)["selected_hosts"] == [expected]


def test_soft_weighers_give_zero_without_a_group() -> None:
    hosts = [host("a"), host("b", instance_uuids=frozenset({uuid(1)}))]
    cfg = config(enabled_filters=[], weight_classes=["ServerGroupSoftAffinityWeigher"])
    values = schedule(hosts, request("m1.tiny"), cfg)["instances"][0]["weighers"][0]["values"]
    assert {v["raw"] for v in values.values()} == {0}


def test_one_surviving_host_is_not_weighed() -> None:
    trace = schedule([host("only")], request("m1.tiny"), config())
    inst = trace["instances"][0]
    assert inst["weighers"] == []
    assert inst["ranking"] == [{"host": "only", "weight": 0.0}]


def test_ties_keep_the_incoming_order() -> None:
    hosts = [host("h3"), host("h1"), host("h2")]
    trace = schedule(hosts, request("m1.tiny"), config())
    assert [r["host"] for r in trace["instances"][0]["ranking"]] == ["h3", "h1", "h2"]
    assert trace["selected_hosts"] == ["h3"]
