"""Property tests: what holds for every cloud, not just the worked examples."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st
from sched_helpers import config, host, request

from cloudlab.engine.scheduler import HostState, schedule
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
