"""What a scenario may state that Nova lives with, reported as warnings rather than problems.

A host can hold more than its limit allows: an operator lowered an allocation ratio or raised a
reservation after instances landed, an admin forced the host (classic era: filters skipped, so
the claim had no limits), an evacuation landed guests on a tight host. Nova keeps such a host;
RamFilter / CoreFilter / DiskFilter see a negative headroom and Placement a usage above its
capacity, so it takes no new instance until usage falls back under the limit. A scenario may
describe that state; each such fact is a ``ScenarioWarning`` with its numbers:

* a resource used beyond its era's limit (over-committed);
* a reservation that leaves instances no room at all;
* an instance larger than the host (no filter would have placed it; a forced host can).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from ...i18n import fmt_number
from ...resources import RESOURCE_KEYS, Capacity, Era, HostResources, ResourceKey, capacities
from ..model import Instance

WarningKind = Literal["overcommitted", "reserved", "larger_than_host"]

_UNIT: dict[ResourceKey, str] = {"vcpus": "", "memory_mb": " MB", "local_gb": " GB"}
_RESERVED_OPTION: dict[ResourceKey, str] = {
    "vcpus": "reserved_host_cpus",
    "memory_mb": "reserved_host_memory_mb",
    "local_gb": "reserved_host_disk_mb",
}
_AMOUNT: dict[ResourceKey, str] = {
    "vcpus": "{} vCPUs > {}",
    "memory_mb": "{} MB of RAM > {} MB",
    "local_gb": "{} GB of disk > {} GB",
}
_NOVA_KEEPS: dict[Era, str] = {
    "classic": "Nova keeps such hosts and its filters skip them",
    "placement": "Nova keeps such hosts and Placement skips them",
}


@dataclass(frozen=True)
class ScenarioWarning:
    """A state Nova runs with that the scenario describes, as one English sentence with numbers."""

    path: str
    host: str
    kind: WarningKind
    resource: ResourceKey
    message: str
    numbers: Mapping[str, float] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


def _n(value: float) -> str:
    return str(fmt_number(float(value)))


def _ratio(cap: Capacity) -> str:
    """A ratio as nova.conf writes it: 1.0, 1.5, 16.0."""
    return str(round(cap.ratio, 4))


def host_warnings(
    path: str,
    name: str,
    resources: HostResources,
    era: Era,
    reserved_option_values: Mapping[str, int],
    instances: Sequence[tuple[int, Instance]],
) -> list[ScenarioWarning]:
    """The warnings of one host (``hosts[i]`` at ``path``), resource by resource, then instance by
    instance.

    Steps: for each resource, a reservation that leaves instances no room is said first (it is
    the cause); otherwise usage beyond the limit is; then every counted instance (``(index in the
    host's list, instance)``) larger than the host, per resource.
    """
    out: list[ScenarioWarning] = []
    for cap in capacities(resources, era):
        if cap.room <= 0:
            out.append(_reserved_warning(path, name, cap, reserved_option_values[_RESERVED_OPTION[cap.resource]]))
        elif cap.over:
            out.append(_over_warning(path, name, cap))
    totals: dict[ResourceKey, int] = {
        "vcpus": resources.vcpus,
        "memory_mb": resources.memory_mb,
        "local_gb": resources.local_gb,
    }
    for index, inst in instances:
        size = inst.flavor.size
        asked: dict[ResourceKey, int] = {"vcpus": size.vcpus, "memory_mb": size.memory_mb, "local_gb": size.disk_gb}
        larger = [r for r in RESOURCE_KEYS if asked[r] > totals[r]]
        if larger:
            sizes = ", ".join(_AMOUNT[r].format(asked[r], totals[r]) for r in larger)
            out.append(
                ScenarioWarning(
                    f"{path}.instances[{index}]",
                    name,
                    "larger_than_host",
                    larger[0],
                    f"{name}: {inst.name} ({inst.flavor.name}) is larger than the host ({sizes}) — an instance "
                    "cannot overcommit against itself, so no filter would have placed it (a forced host or an "
                    "evacuation can)",
                    {**{f"requested_{r}": asked[r] for r in larger}, **{f"total_{r}": totals[r] for r in larger}},
                )
            )
    return out


def _over_warning(path: str, name: str, cap: Capacity) -> ScenarioWarning:
    unit = _UNIT[cap.resource]
    if cap.era == "classic":
        includes = f"; used includes {cap.reserved}{unit} reserved" if cap.reserved else ""
        formula = f"{cap.total} × ratio {_ratio(cap)}{includes}"
    elif cap.reserved:
        formula = f"({cap.total} − reserved {cap.reserved}) × ratio {_ratio(cap)}"
    else:
        formula = f"{cap.total} × ratio {_ratio(cap)}"
    return ScenarioWarning(
        path,
        name,
        "overcommitted",
        cap.resource,
        f"{name}: {cap.resource} used {cap.used}{unit} > limit {_n(cap.limit)}{unit} ({formula}) — "
        f"over-committed; {_NOVA_KEEPS[cap.era]}",
        _numbers(cap),
    )


def _reserved_warning(path: str, name: str, cap: Capacity, option_value: int) -> ScenarioWarning:
    unit = _UNIT[cap.resource]
    option = _RESERVED_OPTION[cap.resource]
    if cap.era == "classic":
        formula = (
            f"limit {_n(cap.limit)}{unit} ({cap.total} × ratio {_ratio(cap)}) − reserved {cap.reserved}{unit} "
            f"= {_n(cap.room)}{unit}"
        )
    else:
        formula = f"({cap.total} − reserved {cap.reserved}) × ratio {_ratio(cap)} = {_n(cap.room)}{unit}"
    return ScenarioWarning(
        f"{path}.{option}",
        name,
        "reserved",
        cap.resource,
        f"{name}: {option} {option_value} leaves nothing for instances: {formula} — {_NOVA_KEEPS[cap.era]}",
        _numbers(cap),
    )


def _numbers(cap: Capacity) -> dict[str, float]:
    return {
        "total": cap.total,
        "ratio": cap.ratio,
        "reserved": cap.reserved,
        "used": cap.used,
        "limit": cap.limit,
        "room": cap.room,
    }
