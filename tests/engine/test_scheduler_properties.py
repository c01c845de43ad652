"""Property tests: what holds for every cloud, not just the worked examples."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sched_helpers import config, host, request

from cloudlab.engine.scheduler import (
    FILTER_NAMES,
    WEIGHER_NAMES,
    Aggregate,
    HostState,
    ScenarioError,
    SchedulingTrace,
    parse_scenario,
    run_scenario,
    schedule,
    validate_trace,
)
from cloudlab.engine.scheduler.filters import FILTERS as FILTER_REGISTRY
from cloudlab.engine.scheduler.weighers import clamp, normalize

FLAVORS = ("m1.tiny", "m1.small", "m1.medium", "m1.large", "m1.xlarge", "m1.nano")
FILTERS = (
    "RamFilter",
    "CoreFilter",
    "DiskFilter",
    "ComputeFilter",
    "NumInstancesFilter",
    "IoOpsFilter",
    "ImagePropertiesFilter",
)


@st.composite
def hosts(draw: st.DrawFn, era: str = "classic") -> list[HostState]:
    count = draw(st.integers(1, 8))
    out = []
    for i in range(count):
        memory_mb = draw(st.sampled_from([1024, 2048, 4096, 8192, 16384, 32768]))
        vcpus = draw(st.integers(1, 32))
        local_gb = draw(st.integers(1, 500))
        out.append(
            host(
                f"h{i}",
                era=era,  # type: ignore[arg-type]
                vcpus=vcpus,
                memory_mb=memory_mb,
                local_gb=local_gb,
                memory_mb_used=draw(st.integers(512, memory_mb * 2)),  # may be over-committed
                vcpus_used=draw(st.integers(0, vcpus * 20)),
                local_gb_used=draw(st.integers(0, local_gb * 2)),
                enabled=draw(st.booleans()),
                up=draw(st.booleans()),
                num_instances=draw(st.integers(0, 60)),
                num_io_ops=draw(st.integers(0, 10)),
                failed_builds=draw(st.integers(0, 3)),
                hypervisor_type=draw(st.sampled_from(["QEMU", "KVM", "VirtualBox", "LXC"])),
            )
        )
    return out


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=50), st.sampled_from([0, None]))
def test_clamped_values_normalise_into_0_1(raws: list[float], minval: int | None) -> None:
    clamped = clamp(raws, minval, None)
    assert all(0.0 <= x <= 1.0 for x in normalize(clamped, minval))


@given(hosts(), st.sampled_from(FLAVORS), st.permutations(FILTERS))
def test_the_pass_set_does_not_depend_on_filter_order(hs: list[HostState], flavor: str, order: list[str]) -> None:
    def passing(names: tuple[str, ...] | list[str]) -> set[str]:
        trace = schedule(hs, request(flavor), config(enabled_filters=names, weight_classes=[]))
        return {r["host"] for r in trace["instances"][0].get("ranking", [])}

    assert passing(order) == passing(FILTERS)


@given(hosts(), st.sampled_from(FLAVORS), st.integers(1, 3), st.integers(1, 4), st.integers(0, 1000))
@settings(max_examples=150)
def test_a_request_never_lands_on_a_host_a_filter_rejected(
    hs: list[HostState], flavor: str, count: int, subset: int, seed: int
) -> None:
    cfg = config(
        enabled_filters=["RamFilter", "CoreFilter", "DiskFilter", "ComputeFilter", "ImagePropertiesFilter"],
        host_subset_size=subset,
        seed=seed,
    )
    trace = schedule(hs, request(flavor, num_instances=count), cfg)
    for inst in trace["instances"]:
        if inst.get("selected") is None:
            continue
        for f in inst["filters"]:
            if f["ran"]:
                assert f["verdicts"][inst["selected"]]["passed"], (f["name"], inst["selected"])


@given(hosts("placement"), st.sampled_from(FLAVORS), st.integers(1, 3))
@settings(max_examples=150)
def test_placement_era_selections_always_fit_by_placements_rule(hs: list[HostState], flavor: str, count: int) -> None:
    trace = schedule(hs, request(flavor, num_instances=count), config("placement"))
    for inst in trace["instances"]:
        if inst.get("selected"):
            claim = next(c for c in inst["claims"] if c["host"] == inst["selected"])
            assert claim["passed"]


@given(hosts(), st.sampled_from(FLAVORS), st.integers(0, 2**32))
def test_with_host_subset_size_1_the_result_is_deterministic(hs: list[HostState], flavor: str, seed: int) -> None:
    a = schedule(hs, request(flavor, num_instances=2), config(), rng=random.Random(seed))
    b = schedule(hs, request(flavor, num_instances=2), config(), rng=random.Random(seed + 1))
    assert a["selected_hosts"] == b["selected_hosts"]
    assert a["instances"][0].get("ranking") == b["instances"][0].get("ranking")


# -- any cloud the scenario format accepts ------------------------------------------------------------

_ARCHES = ("x86_64", "amd64", "i386", "i686", "aarch64", "AARCH64", "arm64")
_HV_TYPES = ("qemu", "QEMU", "kvm", "xen", "xapi", "docker")
_VM_MODES = ("hvm", "hv", "pv", "xen", "exe")
_ZONES = ("az1", "az2", "az3")
_FLAVORS = [
    {"name": "tiny", "vcpus": 1, "memory_mb": 512, "root_gb": 1},
    {"name": "swappy", "vcpus": 2, "memory_mb": 2048, "root_gb": 20, "ephemeral_gb": 5, "swap": 1536},
    {"name": "big", "vcpus": 8, "memory_mb": 16384, "root_gb": 80},
    {"name": "volume", "vcpus": 1, "memory_mb": 1024, "root_gb": 0, "swap": 512},
]
_METADATA = {
    "ram_allocation_ratio": st.sampled_from(["0.5", "1.0", "1.5", "16"]),
    "cpu_allocation_ratio": st.sampled_from(["1", "4.0", "16.0"]),
    "disk_allocation_ratio": st.sampled_from(["0.5", "1.0", "2"]),
    "max_instances_per_host": st.sampled_from(["0", "1", "5", "50"]),
    "max_io_ops_per_host": st.sampled_from(["0", "2", "8"]),
    "instance_type": st.sampled_from(["tiny", "tiny, swappy", "big,volume"]),
    "filter_tenant_id": st.sampled_from(["demo", "blue", "blue, demo"]),
    "filter_tenant_id_2": st.sampled_from(["demo", "red"]),
    "hw_vm_mode": st.sampled_from(["hvm", "hvm,xen"]),
    "os_distro": st.sampled_from(["ubuntu", "windows"]),
    "ram_weight_multiplier": st.sampled_from(["-1", "0", "2.5"]),
    "ssd": st.just("true"),
}


def _filters_of(era: str) -> list[str]:
    return [n for n in FILTER_NAMES if era in FILTER_REGISTRY[n].eras]


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A cloud as a scenario file would describe it: aggregates with zones and the metadata the
    filters read, hosts that may be over-committed (usage above their limits), images with
    properties in any of Nova's spellings, one to three requests."""
    era = draw(st.sampled_from(["classic", "placement"]))
    aggregates = []
    for i in range(draw(st.integers(0, 3))):
        keys = draw(st.lists(st.sampled_from(sorted(_METADATA)), max_size=4, unique=True))
        aggregates.append(
            {
                "name": f"agg{i}",
                "availability_zone": draw(st.none() | st.sampled_from(_ZONES)),
                "metadata": {k: draw(_METADATA[k]) for k in keys},
            }
        )
    hosts = []
    for i in range(draw(st.integers(1, 6))):
        vcpus = draw(st.integers(1, 16))
        memory_mb = draw(st.sampled_from([1024, 4096, 8192, 16384]))
        local_gb = draw(st.integers(1, 200))
        h: dict[str, Any] = {
            "name": f"c{i}",
            "vcpus": vcpus,
            "memory_mb": memory_mb,
            "local_gb": local_gb,
            "enabled": draw(st.booleans()),
            "up": draw(st.booleans()),
            "hypervisor_type": draw(st.sampled_from(["QEMU", "KVM", "Xen", "docker", "LXC"])),
            "aggregates": draw(st.lists(st.sampled_from([a["name"] for a in aggregates]), unique=True))
            if aggregates
            else [],
        }
        if draw(st.booleans()):
            h["supported_instances"] = draw(
                st.lists(
                    st.tuples(st.sampled_from(_ARCHES), st.sampled_from(_HV_TYPES), st.sampled_from(_VM_MODES)).map(
                        list
                    ),
                    max_size=2,
                )
            )
        if draw(st.booleans()):
            h["ram_allocation_ratio"] = draw(st.sampled_from([0.5, 1.0, 1.5]))
        if draw(st.booleans()):  # a usage row, possibly far beyond the limits (over-committed)
            h["usage"] = {
                "vcpus_used": draw(st.integers(0, vcpus * 40)),
                "memory_mb_used": draw(st.integers(512, memory_mb * 3)),
                "local_gb_used": draw(st.integers(0, local_gb * 3)),
                "num_instances": draw(st.integers(0, 60)),
                "num_io_ops": draw(st.integers(0, 10)),
                "failed_builds": draw(st.integers(0, 3)),
            }
        else:
            h["instances"] = [
                {"flavor": draw(st.sampled_from(["tiny", "swappy"]))} for _ in range(draw(st.integers(0, 3)))
            ]
        hosts.append(h)
    images = [
        {"name": "plain"},
        {
            "name": "picky",
            "properties": {
                k: draw(st.sampled_from(v))
                for k, v in (("hw_architecture", _ARCHES), ("img_hv_type", _HV_TYPES), ("hw_vm_mode", _VM_MODES))
                if draw(st.booleans())
            }
            | ({"os_distro": "ubuntu"} if draw(st.booleans()) else {}),
        },
    ]
    zones = {a["availability_zone"] for a in aggregates if a["availability_zone"]}
    filters = draw(st.lists(st.sampled_from(_filters_of(era)), max_size=8, unique=True))
    weighers = draw(st.lists(st.sampled_from(list(WEIGHER_NAMES)), max_size=5, unique=True))
    requests = [
        {
            "flavor": draw(st.sampled_from([f["name"] for f in _FLAVORS])),
            "image": draw(st.sampled_from(["plain", "picky"])),
            "num_instances": draw(st.integers(1, 3)),
            # The API refuses a zone the cloud does not have: the aggregates' zones or the default.
            "availability_zone": draw(st.none() | st.sampled_from(sorted(zones | {"nova"}))),
        }
        for _ in range(draw(st.integers(1, 3)))
    ]
    return {
        "scheduler": {
            "era": era,
            "enabled_filters": filters,
            "weight_classes": weighers,
            "host_subset_size": draw(st.integers(1, 3)),
        },
        "aggregates": aggregates,
        "hosts": hosts,
        "flavors": _FLAVORS,
        "images": images,
        "requests": requests,
    }


def _every_host_has_a_verdict_at_every_stage_it_reached(trace: SchedulingTrace, hosts: list[str]) -> None:
    """Instance by instance: each stage that ran judged exactly the hosts the stage before kept
    (the first instance starts from every host, the next from the last one's survivors); the
    weighing, the subset and the claims see exactly the survivors; no survivors means NoValidHost."""
    expected = set(hosts)
    for entry in trace["instances"]:
        for stage in entry["filters"]:
            if not stage["ran"]:
                if stage["why_not"] == "no host left":
                    assert not expected, stage["name"]
                else:
                    assert stage["why_not"] == "runs once per request" and entry["index"] > 0
                    assert stage["hosts_in"] == stage["hosts_out"] == len(expected)
                continue
            assert set(stage["verdicts"]) == expected, stage["name"]
            assert stage["hosts_in"] == len(expected), stage["name"]
            expected = {h for h, v in stage["verdicts"].items() if v["passed"]}
            assert stage["hosts_out"] == len(expected), stage["name"]
        if not expected:
            assert entry["selected"] is None and trace["error"] is not None
            return
        assert {r["host"] for r in entry["ranking"]} == expected
        for w in entry["weighers"]:
            assert set(w["values"]) == expected, w["name"]
            for v in w["values"].values():
                assert 0.0 <= v["normalized"] <= 1.0, w["name"]
                if w["minval"] is not None:
                    assert v["clamped"] == max(v["raw"], w["minval"])
        assert {c["host"] for c in entry.get("claims", [])} <= expected
        assert entry["selected"] is None or entry["selected"] in expected


@given(scenarios())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_any_accepted_cloud_schedules_and_judges_every_host_at_every_stage(data: dict[str, Any]) -> None:
    try:
        scenario = parse_scenario(data)
    except ScenarioError:
        assume(False)
        return
    traces = run_scenario(scenario)
    assert len(traces) == len(scenario.requests)
    names = [h.name for h in scenario.hosts]
    for trace in traces:
        assert validate_trace(json.loads(json.dumps(trace))) == []
        _every_host_has_a_verdict_at_every_stage_it_reached(trace, names)


@st.composite
def over_committed_hosts(draw: st.DrawFn, era: str) -> list[HostState]:
    """HostStates no scenario needs to accept: usage far above the totals, negative free RAM and
    disk, counts that disagree with the instance list, aggregate values Nova falls back from."""
    out = []
    for i in range(draw(st.integers(1, 6))):
        memory_mb = draw(st.sampled_from([512, 2048, 8192]))
        local_gb = draw(st.integers(1, 50))
        vcpus = draw(st.integers(1, 8))
        metadata = draw(
            st.dictionaries(
                st.sampled_from(
                    ["ram_allocation_ratio", "max_io_ops_per_host", "cpu_weight_multiplier", "instance_type"]
                ),
                st.sampled_from(["XXX", "-1", "0", "2.5", "nan", "inf", "", "1e400"]),
                max_size=3,
            )
        )
        out.append(
            host(
                f"o{i}",
                era=era,  # type: ignore[arg-type]
                vcpus=vcpus,
                memory_mb=memory_mb,
                local_gb=local_gb,
                memory_mb_used=draw(st.integers(0, memory_mb * 5)),
                vcpus_used=draw(st.integers(0, vcpus * 100)),
                local_gb_used=draw(st.integers(0, local_gb * 5)),
                num_instances=draw(st.integers(0, 200)),
                num_io_ops=draw(st.integers(0, 50)),
                enabled=draw(st.booleans()),
                aggregates=(Aggregate(f"a{i}", draw(st.none() | st.sampled_from(_ZONES)), metadata),),
            )
        )
    return out


@pytest.mark.parametrize("era", ["classic", "placement"])
@given(data=st.data())
@settings(max_examples=150, deadline=None)
def test_over_committed_host_states_schedule_and_are_judged_everywhere(era: str, data: st.DataObject) -> None:
    hs = data.draw(over_committed_hosts(era))
    filters = data.draw(st.lists(st.sampled_from(_filters_of(era)), max_size=10, unique=True))
    cfg = config(era, enabled_filters=filters, weight_classes=list(WEIGHER_NAMES))  # type: ignore[arg-type]
    req = request(
        data.draw(st.sampled_from(FLAVORS)),
        num_instances=data.draw(st.integers(1, 3)),
        availability_zone=data.draw(st.none() | st.sampled_from(_ZONES)),
    )
    trace = schedule(hs, req, cfg)
    assert validate_trace(json.loads(json.dumps(trace, allow_nan=False))) == []
    _every_host_has_a_verdict_at_every_stage_it_reached(trace, [h.name for h in hs])
