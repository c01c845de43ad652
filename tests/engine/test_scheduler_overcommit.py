"""Over-committed hosts behave as in Nova: kept, failed by the filters with their numbers, refused
by every claim, in both eras.

The filter cases follow Nova's unit tests of RamFilter, CoreFilter and DiskFilter (read at
stable/rocky, ``nova/tests/unit/scheduler/filters/test_{ram,core,disk}_filters.py``), where a
host state is ``total`` and ``free`` (``free`` negative when over-committed); here ``used =
total − free`` with no reservation, so the numbers are Nova's. The claim cases follow
``nova/compute/claims.py`` (``free = limit − used``, refused when ``requested > free``) and
Placement's ``used + requested ≤ (total − reserved) × ratio``.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from sched_helpers import config, ctx, flavor, host, request

from cloudlab.engine.i18n import render
from cloudlab.engine.resources import (
    FlavorSize,
    capacities,
    claim_shortfalls,
    limits,
    over_limits,
    overcommitted,
    usage_of,
)
from cloudlab.engine.scheduler import FILTERS, schedule


def run(name: str, h, c=None):  # type: ignore[no-untyped-def]
    return FILTERS[name]().host_passes(h, c or ctx())


def mb(memory_mb: int):  # type: ignore[no-untyped-def]
    return request(replace(flavor("m1.small"), memory_mb=memory_mb))


# -- RamFilter (classic) ------------------------------------------------------------------------


def test_ram_filter_nova_fails_on_memory() -> None:
    h = host(memory_mb=1024, memory_mb_used=1, reserved_host_memory_mb=0, ram_allocation_ratio=1.0)  # free 1023
    assert not run("RamFilter", h, ctx(mb(1024))).passed


def test_ram_filter_nova_passes() -> None:
    h = host(memory_mb=1024, memory_mb_used=0, reserved_host_memory_mb=0, ram_allocation_ratio=1.0)
    assert run("RamFilter", h, ctx(mb(1024))).passed


def test_ram_filter_nova_oversubscribe_passes_while_the_ratio_leaves_room() -> None:
    # free_ram_mb −1024 on 2048 MB with ratio 2.0: 4096 − 3072 = 1024 usable, the limit goes to the claim.
    h = host(memory_mb=2048, memory_mb_used=3072, reserved_host_memory_mb=0, ram_allocation_ratio=2.0)
    assert h.resources.free_ram_mb == -1024
    v = run("RamFilter", h, ctx(mb(1024)))
    assert v.passed and v.limits == {"memory_mb": 2048 * 2.0}


def test_ram_filter_nova_oversubscribe_single_instance_fails() -> None:
    h = host(memory_mb=512, memory_mb_used=0, reserved_host_memory_mb=0, ram_allocation_ratio=2.0)
    v = run("RamFilter", h, ctx(mb(1024)))
    assert not v.passed and "cannot overcommit against itself" in v.message


def test_ram_filter_fails_an_over_committed_host_with_its_negative_headroom() -> None:
    # The same host after the ratio went down to 1.0: 2048 × 1.0 − 3072 = −1024, nothing fits.
    h = host(memory_mb=2048, memory_mb_used=3072, reserved_host_memory_mb=0, ram_allocation_ratio=1.0)
    v = run("RamFilter", h, ctx(mb(1)))
    assert not v.passed
    assert v.numbers["usable_ram_mb"] == -1024
    assert render(v.message, v.numbers) == (
        "usable RAM = 2048 × 1 − 3072 = -1024 MB, below zero: the host is over-committed and takes no new "
        "instance (1 MB requested)"
    )


def test_ram_filter_with_no_headroom_left_is_not_called_over_committed() -> None:
    h = host(memory_mb=2048, memory_mb_used=2048, reserved_host_memory_mb=0, ram_allocation_ratio=1.0)
    v = run("RamFilter", h, ctx(mb(1)))
    assert not v.passed
    assert render(v.message, v.numbers) == "usable RAM = 2048 × 1 − 2048 = 0 MB < 1 MB requested"


# -- CoreFilter (classic) -----------------------------------------------------------------------


def test_core_filter_nova_passes_and_fails_at_the_limit() -> None:
    c = ctx(request("m1.tiny"))  # 1 vCPU
    assert run("CoreFilter", host(vcpus=4, vcpus_used=7, cpu_allocation_ratio=2.0), c).passed
    v = run("CoreFilter", host(vcpus=4, vcpus_used=8, cpu_allocation_ratio=2.0), c)
    assert not v.passed
    assert render(v.message, v.numbers) == "free vCPUs = 4 × 2 − 8 = 0 < 1 requested"


def test_core_filter_fails_an_over_committed_host_with_its_negative_headroom() -> None:
    v = run("CoreFilter", host(vcpus=4, vcpus_used=10, cpu_allocation_ratio=2.0), ctx(request("m1.tiny")))
    assert not v.passed
    assert v.numbers["free_vcpus"] == -2
    assert render(v.message, v.numbers) == (
        "free vCPUs = 4 × 2 − 10 = -2, below zero: the host is over-committed and takes no new instance (1 requested)"
    )


def test_core_filter_nova_fails_safe_without_a_vcpu_count() -> None:
    assert run("CoreFilter", host(vcpus=0, vcpus_used=10), ctx(request("m1.tiny"))).passed


# -- DiskFilter (classic) -----------------------------------------------------------------------


def disk(root_gb: int, ephemeral_gb: int, swap: int):  # type: ignore[no-untyped-def]
    return request(replace(flavor("m1.small"), root_gb=root_gb, ephemeral_gb=ephemeral_gb, swap=swap))


def test_disk_filter_nova_passes_and_fails() -> None:
    h = host(local_gb=13, local_gb_used=2, disk_allocation_ratio=1.0)  # free_disk_mb 11 × 1024
    assert run("DiskFilter", h, ctx(disk(1, 1, 512))).passed
    assert not run("DiskFilter", h, ctx(disk(10, 1, 1024))).passed


def test_disk_filter_nova_oversubscribe() -> None:
    # Only 1 GB left of 12, but with ratio 10 a 7 GB instance fits; a 13 GB one is bigger than the disk.
    h = host(local_gb=12, local_gb_used=11, disk_allocation_ratio=10.0)
    v = run("DiskFilter", h, ctx(disk(3, 3, 1024)))
    assert v.passed and v.limits == {"disk_gb": 12 * 10.0}
    assert not run(
        "DiskFilter", host(local_gb=12, local_gb_used=1, disk_allocation_ratio=10.0), ctx(disk(10, 2, 1024))
    ).passed


def test_disk_filter_fails_an_over_committed_host_with_its_negative_headroom() -> None:
    h = host(local_gb=12, local_gb_used=13, disk_allocation_ratio=1.0)  # free_disk_mb −1024
    v = run("DiskFilter", h, ctx(disk(1, 0, 0)))
    assert not v.passed
    assert render(v.message, v.numbers) == (
        "usable disk = 12288 × 1 − 13312 = -1024 MB, below zero: the host is over-committed and takes no new "
        "instance (1024 MB requested)"
    )


# -- the scheduler: the host is kept, and skipped ---------------------------------------------


@pytest.mark.parametrize("era", ["classic", "placement"])
def test_an_over_committed_host_stays_in_the_cloud_and_is_never_chosen(era: str) -> None:
    tight = host("tight", era=era, memory_mb=8192, memory_mb_used=512 + 12288, ram_allocation_ratio=1.0)
    roomy = host("roomy", era=era, memory_mb=4096)
    trace = schedule([tight, roomy], request("m1.tiny"), config(era))
    assert trace["selected_hosts"] == ["roomy"]
    first = trace["instances"][0]["filters"]
    removing = next(s for s in first if s["ran"] and not s["verdicts"].get("tight", {"passed": True})["passed"])
    assert removing["name"] == ("RamFilter" if era == "classic" else "Placement")
    if era == "placement":
        assert removing["verdicts"]["tight"]["reason"].startswith(
            "MEMORY_MB: 12288 used + 512 requested > (8192 − 512) × 1 = 7680 MB"
        )
    only = schedule([tight], request("m1.tiny"), config(era))
    assert only["error"]["type"] == "NoValidHost"


# -- claims: refused on an over-committed resource, with the numbers ---------------------------


TINY = FlavorSize(vcpus=1, memory_mb=512, root_gb=1)


def test_a_classic_claim_on_an_over_committed_host_is_refused_with_negative_free() -> None:
    # nova/compute/claims.py: free = limit − used = 8192 × 1.0 − 12800 = −4608 < 512 requested.
    r = host(memory_mb=8192, memory_mb_used=12800, ram_allocation_ratio=1.0).resources
    [short] = claim_shortfalls(r, TINY, "classic")
    assert (short.resource, short.requested, short.free, short.limit, short.used) == (
        "memory_mb",
        512,
        -4608,
        8192,
        12800,
    )
    assert short.over_committed


def test_a_placement_claim_on_an_over_committed_host_is_refused_by_the_capacity_rule() -> None:
    # (8192 − 512) × 1.0 = 7680 < 12288 used + 512 requested.
    r = host(era="placement", memory_mb=8192, memory_mb_used=512 + 12288).resources
    [short] = claim_shortfalls(r, TINY, "placement")
    assert (short.resource, short.limit, short.used, short.free) == ("memory_mb", 7680, 12288, -4608)
    assert short.over_committed


def test_a_claim_that_asks_nothing_of_the_over_committed_resource_differs_by_era() -> None:
    """Placement is never asked for zero DISK_GB; the classic claim still tests 0 ≤ limit − used."""
    no_disk = FlavorSize(vcpus=1, memory_mb=512, root_gb=0)
    classic = host(local_gb=10, local_gb_used=12).resources
    placement = host(era="placement", local_gb=10, local_gb_used=12).resources
    assert [s.resource for s in claim_shortfalls(classic, no_disk, "classic")] == ["disk"]
    assert claim_shortfalls(placement, no_disk, "placement") == []
    assert [s.resource for s in claim_shortfalls(placement, TINY, "placement")] == ["disk"]


def test_a_claim_that_fills_the_host_to_its_limit_fits_and_the_next_is_refused() -> None:
    r = host(memory_mb=8192, memory_mb_used=512 + 7168, ram_allocation_ratio=1.0).resources
    assert claim_shortfalls(r, TINY, "classic") == []
    full = r.consume(TINY)
    [short] = claim_shortfalls(full, TINY, "classic")
    assert short.free == 0 and not short.over_committed


# -- the resource tracker and the capacity bars -------------------------------------------------


def test_the_resource_tracker_lets_free_ram_go_negative() -> None:
    # nova-semantics.md section e, step 4: free_ram_mb = memory_mb − memory_mb_used may go negative.
    usage = usage_of([FlavorSize(4, 8192, 80), FlavorSize(2, 4096, 40)], reserved_host_memory_mb=512)
    r = host(memory_mb=8192, ram_allocation_ratio=1.0).resources.with_usage(usage)
    assert (r.memory_mb_used, r.free_ram_mb, r.usable_ram_mb) == (12800, -4608, -4608)


@pytest.mark.parametrize("era", ["classic", "placement"])
def test_over_flags_agree_with_the_limits_the_bars_show(era: str) -> None:
    r = host(
        era=era, vcpus=4, vcpus_used=20, memory_mb=8192, memory_mb_used=9000, ram_allocation_ratio=1.0, local_gb=100
    ).resources
    bars = limits(r, era)  # type: ignore[arg-type]
    used = {"vcpus": r.vcpus_used, "memory_mb": r.memory_mb_used, "local_gb": r.local_gb_used}
    flags = over_limits(r, era)  # type: ignore[arg-type]
    assert flags == {key: used[key] > bars[key] for key in bars}
    assert flags == {"vcpus": era == "placement", "memory_mb": True, "local_gb": False}
    assert [c.resource for c in overcommitted(r, era)] == [k for k, v in flags.items() if v]  # type: ignore[arg-type]
    memory = capacities(r, era)[1]  # type: ignore[arg-type]
    assert (memory.limit, memory.used) == ((8192, 9000) if era == "classic" else (7680, 8488))
