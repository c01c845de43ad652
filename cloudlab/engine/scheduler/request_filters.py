"""Today's Nova request filters that narrow the hosts before Placement is asked (placement era).

Nova runs its request filters (``nova/scheduler/request_filter.py``) on the RequestSpec before it
asks Placement for allocation candidates; each can turn the request into a Placement constraint.
CloudLab traces the one that removes hosts by aggregate as a stage of its own, before the
``Placement`` stage:

* ``map_az_to_placement_aggregate`` (always on since 2023.2): a requested availability zone that
  some aggregate declares makes Placement return only hosts of those aggregates. It holds even
  when none of them is left to schedule on (the zone's aggregate is empty, its hosts were
  excluded): then Placement has no candidate and the result is NoValidHost, never a host of
  another zone. A zone no aggregate declares adds no constraint.

The disabled-compute trait (``compute_status_filter``) is part of the ``Placement`` stage.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..i18n import N_
from .filters import Verdict
from .model import Aggregate, HostState, ScheduleRequest

AZ_STAGE = "map_az_to_placement_aggregate"

_ZONE_UNDECLARED = N_("no aggregate declares availability zone {requested_zone}, so Placement is not restricted")
_IN_ZONE = N_("in aggregate {aggregates} of availability zone {requested_zone}")
_NOT_IN_ZONE = N_("not in an aggregate of availability zone {requested_zone}")


def cloud_aggregates(hosts: Sequence[HostState], aggregates: Iterable[Aggregate] = ()) -> tuple[Aggregate, ...]:
    """The aggregates Nova's ``AggregateList`` would hold: ``aggregates`` (the cloud's, which may
    include aggregates without hosts) and every aggregate a host is in, each name once."""
    found: dict[str, Aggregate] = {}
    for agg in aggregates:
        found.setdefault(agg.name, agg)
    for host in hosts:
        for agg in host.aggregates:
            found.setdefault(agg.name, agg)
    return tuple(found.values())


def map_az_to_placement_aggregate(
    hosts: Sequence[HostState], request: ScheduleRequest, aggregates: Sequence[Aggregate]
) -> list[tuple[HostState, Verdict]] | None:
    """The verdict for each host, or None when no zone is requested (the filter does nothing).

    Steps, as Nova's: no zone → nothing; find the aggregates whose ``availability_zone`` is the
    requested zone (``AggregateList.get_by_metadata``); none → every host stays; else a host
    stays only if it is in one of them (Placement's ``member_of``).
    """
    zone = request.availability_zone
    if not zone:
        return None
    declaring = sorted(a.name for a in aggregates if a.availability_zone == zone)
    if not declaring:
        everyone = Verdict(True, _ZONE_UNDECLARED, {"requested_zone": zone})
        return [(h, everyone) for h in hosts]
    zone_aggregates = ", ".join(declaring)
    out: list[tuple[HostState, Verdict]] = []
    for host in hosts:
        mine = [a.name for a in host.aggregates if a.availability_zone == zone]
        numbers = {
            "requested_zone": zone,
            "zone_aggregates": zone_aggregates,
            "host_zones": ", ".join(sorted(host.availability_zones)),
        }
        if mine:
            out.append((host, Verdict(True, _IN_ZONE, {**numbers, "aggregates": ", ".join(mine)})))
        else:
            out.append((host, Verdict(False, _NOT_IN_ZONE, numbers)))
    return out
