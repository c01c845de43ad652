"""The books must balance: every host's usage equals what its instances and moves hold.

Nova's ResourceTracker audit (nova-semantics.md section e): reserved amounts, plus the flavor of
every instance on the host (CloudLab clears ``host`` when an instance stops holding resources: at
shelve-offload and at deletion, so an instance holds its flavor exactly while it has a host; an
unshelving instance holds its new host from the claim on), plus the
moves in progress: an incoming move holds the new flavor on the destination until the instance
arrives, an outgoing one keeps the old flavor on the source until it is confirmed or reverted.

Usage beyond a host's limits (over-committed: a ratio lowered or a reservation raised after the
instances landed, a forced host) is not an imbalance: the books compare what is recorded with
what is held, and an over-committed host holds exactly what it records.
"""

from __future__ import annotations

from dataclasses import dataclass

from cloudlab.engine.resources import FlavorSize, Usage, usage_of

from .models import Cloud, Host, Instance, Migration


@dataclass(frozen=True)
class Imbalance:
    cloud: str
    host: str
    recorded: Usage
    expected: Usage

    def __str__(self) -> str:
        diffs = [
            f"{field} recorded {getattr(self.recorded, field)} expected {getattr(self.expected, field)}"
            for field in ("vcpus_used", "memory_mb_used", "local_gb_used")
            if getattr(self.recorded, field) != getattr(self.expected, field)
        ]
        return f"{self.cloud}/{self.host}: " + "; ".join(diffs)


def held_flavors(host: Host) -> list[FlavorSize]:
    flavors = [i.flavor.size for i in Instance.objects.filter(host=host).select_related("flavor")]
    moves = Migration.objects.filter(status__in=Migration.IN_PROGRESS).select_related(
        "instance", "old_flavor", "new_flavor"
    )
    for move in moves.filter(dest_host=host).exclude(instance__host=host):
        flavors.append(move.new_flavor.size)
    for move in moves.filter(source_host=host).exclude(instance__host=host):
        flavors.append(move.old_flavor.size)
    return flavors


def expected_usage(host: Host) -> Usage:
    """Reserved amounts plus every held flavor, each with the driver's memory overhead."""
    return usage_of(
        held_flavors(host),
        host.reserved_host_memory_mb,
        host.reserved_host_disk_mb,
        host.reserved_host_cpus,
        host.instance_overhead_mb,
    )


def audit(clouds: list[Cloud] | None = None) -> list[Imbalance]:
    """Every host whose recorded usage differs from what it holds."""
    hosts = Host.objects.select_related("cloud").order_by("cloud__name", "name")
    if clouds is not None:
        hosts = hosts.filter(cloud__in=clouds)
    problems = []
    for host in hosts:
        recorded = Usage(host.vcpus_used, host.memory_mb_used, host.local_gb_used)
        expected = expected_usage(host)
        if recorded != expected:
            problems.append(Imbalance(host.cloud.name, host.name, recorded, expected))
    return problems
