"""Today's Nova before any filter runs: Placement's capacity check (the ``Placement`` stage).

In the placement era the scheduler asks Placement for allocation candidates, after the request
filters (``request_filters``) narrowed the request. A host is not a candidate when its compute
service is disabled (the COMPUTE_STATUS_DISABLED trait), or when a resource does not fit by
``used + requested ≤ (total − reserved) × ratio`` or exceeds ``max_unit`` (the host's total).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..i18n import N_
from ..resources import FlavorSize, claim_shortfalls, placement_inventories
from .filters import Verdict
from .model import HostState, ScheduleRequest

STAGE_NAME = "Placement"

_RC_OF = {"memory_mb": "MEMORY_MB", "vcpus": "VCPU", "disk": "DISK_GB"}
_PREFIX = {"MEMORY_MB": "memory", "VCPU": "vcpu", "DISK_GB": "disk"}

_OVER_CAPACITY = {
    "MEMORY_MB": N_(
        "MEMORY_MB: {memory_used} used + {memory_requested} requested > "
        "({memory_total} − {memory_reserved}) × {memory_ratio} = {memory_capacity} MB"
    ),
    "VCPU": N_(
        "VCPU: {vcpu_used} used + {vcpu_requested} requested > "
        "({vcpu_total} − {vcpu_reserved}) × {vcpu_ratio} = {vcpu_capacity}"
    ),
    "DISK_GB": N_(
        "DISK_GB: {disk_used} used + {disk_requested} requested > "
        "({disk_total} − {disk_reserved}) × {disk_ratio} = {disk_capacity} GB"
    ),
}
_OVER_MAX_UNIT = {
    "MEMORY_MB": N_("MEMORY_MB: {memory_requested} MB requested > {memory_total} MB on the host (max_unit)"),
    "VCPU": N_("VCPU: {vcpu_requested} requested > {vcpu_total} on the host (max_unit)"),
    "DISK_GB": N_("DISK_GB: {disk_requested} GB requested > {disk_total} GB on the host (max_unit)"),
}
_FITS = N_(
    "fits: MEMORY_MB {memory_used} + {memory_requested} ≤ {memory_capacity}, "
    "VCPU {vcpu_used} + {vcpu_requested} ≤ {vcpu_capacity}, "
    "DISK_GB {disk_used} + {disk_requested} ≤ {disk_capacity}"
)


def placement_size(request: ScheduleRequest) -> FlavorSize:
    """What the scheduler asks Placement for (``ScheduleRequest.placement_size``)."""
    return request.placement_size


def capacity_verdict(host: HostState, size: FlavorSize) -> Verdict:
    """Placement's capacity rule for one host, with every number behind it."""
    inventories = placement_inventories(host.resources)
    requested = {"MEMORY_MB": size.memory_mb, "VCPU": size.vcpus, "DISK_GB": size.disk_gb}
    numbers: dict[str, Any] = {}
    for rc, inv in inventories.items():
        p = _PREFIX[rc]
        numbers[f"{p}_used"] = inv.used
        numbers[f"{p}_requested"] = requested[rc]
        numbers[f"{p}_total"] = inv.total
        numbers[f"{p}_reserved"] = inv.reserved
        numbers[f"{p}_ratio"] = inv.allocation_ratio
        numbers[f"{p}_capacity"] = inv.capacity
    shortfalls = claim_shortfalls(host.resources, size, "placement")
    if not shortfalls:
        return Verdict(True, _FITS, numbers)
    first = shortfalls[0]
    rc = _RC_OF[first.resource]
    numbers["short"] = ", ".join(_RC_OF[s.resource] for s in shortfalls)
    if first.requested > first.free:
        return Verdict(False, _OVER_CAPACITY[rc], numbers)
    return Verdict(False, _OVER_MAX_UNIT[rc], numbers)


def placement_verdicts(hosts: Sequence[HostState], request: ScheduleRequest) -> list[tuple[HostState, Verdict]]:
    """The Placement stage's verdict for every host, in order."""
    size = placement_size(request)
    out: list[tuple[HostState, Verdict]] = []
    for host in hosts:
        if not host.enabled:
            verdict = Verdict(False, N_("the compute service is disabled (trait COMPUTE_STATUS_DISABLED)"), {})
        else:
            verdict = capacity_verdict(host, size)
        out.append((host, verdict))
    return out
