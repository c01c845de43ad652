"""Resource arithmetic of a compute host: usage, allocation ratios, limits and claims.

One source for every capacity formula (the scheduler's filters and Placement stage, the claim that
re-checks a host under its row lock, the audit, the capacity bars on the pages). Semantics follow
Nova's ResourceTracker and compute_nodes rows (nova-semantics.md sections b and e):

* ``memory_mb_used`` / ``vcpus_used`` / ``local_gb_used`` include the host's reserved amounts, as
  compute_nodes rows do; instances add their flavor on top.
* classic era (RamFilter / CoreFilter / DiskFilter and the compute claim): the limit is
  ``total × ratio``, the reserved amount counts as used *after* the ratio.
* placement era: ``used + request ≤ (total − reserved) × ratio`` and ``request ≤ total``
  (Placement's ``max_unit``), the reserved amount is taken off *before* the ratio.
* per-instance overhead (classic era): the compute claim asks for ``flavor.memory_mb`` plus the
  driver's ``estimate_instance_overhead`` and the ResourceTracker adds the same overhead to
  ``memory_mb_used`` (nova/compute/claims.py, resource_tracker.py ``_update_usage``, Havana to
  Stein). The scheduler's HostState reads that row, so RamFilter sees the overhead of the
  instances already on a host but not of the one it places (``consume_from_request`` adds the
  flavor only): a host can pass RamFilter and fail the claim. Train removed the estimate
  (Placement never counted it), so a placement-era host counts none. CloudLab's estimate is 0
  (libvirt's) unless the cloud models it: then the host kind's memory overhead from the cited
  model (``instance_overhead_mb``, ``architectures.memory_overhead_mb``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal, NamedTuple

from .architectures import kind_of, memory_overhead

Era = Literal["classic", "placement"]
ERAS: tuple[Era, ...] = ("classic", "placement")


@dataclass(frozen=True)
class Ratios:
    cpu: float
    ram: float
    disk: float


#: Default allocation ratios per era: 16.0 / 1.5 / 1.0 until Zed; 4.0 / 1.0 / 1.0 since 2023.1.
ERA_DEFAULT_RATIOS: dict[Era, Ratios] = {
    "classic": Ratios(cpu=16.0, ram=1.5, disk=1.0),
    "placement": Ratios(cpu=4.0, ram=1.0, disk=1.0),
}

#: nova.conf defaults, the same in every era.
DEFAULT_RESERVED_HOST_MEMORY_MB = 512
DEFAULT_RESERVED_HOST_DISK_MB = 0
DEFAULT_RESERVED_HOST_CPUS = 0


@dataclass(frozen=True)
class FlavorSize:
    """What one instance of a flavor takes from a host."""

    vcpus: int
    memory_mb: int
    root_gb: int
    ephemeral_gb: int = 0
    swap: int = 0  # MB, as Nova's flavor field

    @property
    def disk_gb(self) -> int:
        """DISK_GB as Placement counts it: root + ephemeral + ceil(swap MB / 1024)."""
        return self.root_gb + self.ephemeral_gb + math.ceil(self.swap / 1024)

    @property
    def disk_mb(self) -> int:
        """The request DiskFilter checks: 1024 × (root + ephemeral) + swap MB."""
        return 1024 * (self.root_gb + self.ephemeral_gb) + self.swap

    @property
    def consumed_disk_mb(self) -> int:
        """What the scheduler's HostState takes off ``free_disk_mb`` for one more instance of a
        request: 1024 × (root + ephemeral), no swap (``HostState._locked_consume_from_request``)."""
        return 1024 * (self.root_gb + self.ephemeral_gb)


@dataclass(frozen=True)
class HostResources:
    """A compute node's totals, ratios, reservations and current usage (compute_nodes semantics)."""

    vcpus: int
    memory_mb: int
    local_gb: int
    cpu_allocation_ratio: float
    ram_allocation_ratio: float
    disk_allocation_ratio: float
    vcpus_used: int = 0
    memory_mb_used: int = DEFAULT_RESERVED_HOST_MEMORY_MB
    local_gb_used: int = 0
    reserved_host_memory_mb: int = DEFAULT_RESERVED_HOST_MEMORY_MB
    reserved_host_disk_mb: int = DEFAULT_RESERVED_HOST_DISK_MB
    reserved_host_cpus: int = DEFAULT_RESERVED_HOST_CPUS
    #: GB by which Placement's DISK_GB usage is ahead of ``local_gb_used`` while one request is
    #: scheduled: Placement's claims for the instances already placed count their swap (and no
    #: root disk for a volume boot), the scheduler's HostState did not (``consume_from_request``).
    #: Always 0 on a compute node's row.
    placement_disk_offset_gb: int = 0
    #: MB the host's driver adds to each instance's claim and usage (``estimate_instance_overhead``);
    #: 0 in the placement era, where Nova no longer counts it.
    instance_overhead_mb: int = 0

    # -- what Nova's HostState derives from the row -------------------------------------------
    @property
    def free_ram_mb(self) -> int:
        return self.memory_mb - self.memory_mb_used

    @property
    def free_disk_mb(self) -> int:
        return (self.local_gb - self.local_gb_used) * 1024

    # -- classic limits (what RamFilter / CoreFilter / DiskFilter hand to the claim) -----------
    @property
    def memory_mb_limit(self) -> float:
        return self.memory_mb * self.ram_allocation_ratio

    @property
    def vcpus_limit(self) -> float:
        return self.vcpus * self.cpu_allocation_ratio

    @property
    def disk_mb_limit(self) -> float:
        return self.local_gb * 1024 * self.disk_allocation_ratio

    # -- classic headroom: what RamFilter / CoreFilter / DiskFilter compare with the request -----
    @property
    def usable_ram_mb(self) -> float:
        """RamFilter: ``memory_mb × ratio − used`` (the reserved memory is part of ``used``)."""
        return self.memory_mb_limit - self.memory_mb_used

    @property
    def free_vcpus(self) -> float:
        """CoreFilter's headroom and CPUWeigher's raw value: ``vcpus × ratio − vcpus_used``."""
        return self.vcpus_limit - self.vcpus_used

    @property
    def used_disk_mb(self) -> int:
        """DiskFilter's ``used = total − free_disk_mb``."""
        return self.local_gb * 1024 - self.free_disk_mb

    @property
    def usable_disk_mb(self) -> float:
        """DiskFilter: ``local_gb × 1024 × ratio − used``."""
        return self.disk_mb_limit - self.used_disk_mb

    # -- placement capacities: (total − reserved) × ratio, and usage without the reservation ---
    @property
    def placement_memory_capacity(self) -> float:
        return (self.memory_mb - self.reserved_host_memory_mb) * self.ram_allocation_ratio

    @property
    def placement_vcpu_capacity(self) -> float:
        return (self.vcpus - self.reserved_host_cpus) * self.cpu_allocation_ratio

    @property
    def placement_disk_capacity(self) -> float:
        reserved_gb = self.reserved_host_disk_mb // 1024
        return (self.local_gb - reserved_gb) * self.disk_allocation_ratio

    @property
    def placement_memory_used(self) -> int:
        return self.memory_mb_used - self.reserved_host_memory_mb

    @property
    def instance_vcpus(self) -> int:
        """vCPUs of the instances on the host (SimpleScheduler's "instance cores"), no reservation."""
        return self.vcpus_used - self.reserved_host_cpus

    @property
    def placement_vcpus_used(self) -> int:
        return self.vcpus_used - self.reserved_host_cpus

    @property
    def placement_disk_used(self) -> int:
        return self.local_gb_used - self.reserved_host_disk_mb // 1024 + self.placement_disk_offset_gb

    # -- changing usage --------------------------------------------------------------------------
    def claimed_memory_mb(self, flavor: FlavorSize) -> int:
        """What one instance of ``flavor`` holds of this host's memory: the flavor's RAM plus the
        driver's overhead (Nova's ``Claim.memory_mb``)."""
        return flavor.memory_mb + self.instance_overhead_mb

    def consume(self, flavor: FlavorSize, count: int = 1) -> HostResources:
        """The host after ``count`` more instances of ``flavor`` were built on it, as its
        compute_nodes row and Placement count them (swap included; the ResourceTracker's view,
        the driver's per-instance overhead included)."""
        return replace(
            self,
            vcpus_used=self.vcpus_used + count * flavor.vcpus,
            memory_mb_used=self.memory_mb_used + count * self.claimed_memory_mb(flavor),
            local_gb_used=self.local_gb_used + count * flavor.disk_gb,
        )

    def consume_from_request(self, flavor: FlavorSize, placement_disk_gb: int) -> HostResources:
        """The host as the next instance of the same request sees it, one instance later.

        Nova keeps two views apart. The scheduler's HostState (``_locked_consume_from_request``)
        takes the flavor's vCPUs and RAM and ``consumed_disk_mb`` (root + ephemeral, no swap)
        off ``free_disk_mb``; DiskFilter and DiskWeigher read that. Placement holds the claim,
        ``placement_disk_gb`` (``disk_gb`` with swap, without the root disk of a volume boot);
        the next claim reads that.
        """
        host_disk_gb = flavor.consumed_disk_mb // 1024
        return replace(
            self,
            vcpus_used=self.vcpus_used + flavor.vcpus,
            memory_mb_used=self.memory_mb_used + flavor.memory_mb,
            local_gb_used=self.local_gb_used + host_disk_gb,
            placement_disk_offset_gb=self.placement_disk_offset_gb + placement_disk_gb - host_disk_gb,
        )

    def release(self, flavor: FlavorSize, count: int = 1) -> HostResources:
        return self.consume(flavor, -count)

    def with_usage(self, usage: Usage) -> HostResources:
        return replace(
            self,
            vcpus_used=usage.vcpus_used,
            memory_mb_used=usage.memory_mb_used,
            local_gb_used=usage.local_gb_used,
        )


def instance_overhead_mb(era: Era, architecture: str, modelled: bool = True) -> int:
    """What a host's driver adds to each instance's memory claim (``estimate_instance_overhead``).

    ``modelled``: the cloud's drivers estimate the memory overhead of the host's kind in the cited
    model (``Cloud.model_instance_overhead``). Otherwise they estimate 0, as Nova's libvirt
    driver did for memory (only XenAPI's grew with RAM; Hyper-V's was disk). None in the
    placement era either way: Train removed the estimate, Placement never counted it.
    """
    if era != "classic" or not modelled:
        return 0
    return memory_overhead(kind_of(architecture)).mb


@dataclass(frozen=True)
class Usage:
    vcpus_used: int
    memory_mb_used: int
    local_gb_used: int


def usage_of(
    flavors: list[FlavorSize],
    reserved_host_memory_mb: int = DEFAULT_RESERVED_HOST_MEMORY_MB,
    reserved_host_disk_mb: int = DEFAULT_RESERVED_HOST_DISK_MB,
    reserved_host_cpus: int = DEFAULT_RESERVED_HOST_CPUS,
    instance_overhead_mb: int = 0,
) -> Usage:
    """The usage a compute node reports for these instances (ResourceTracker audit, steps 2–3),
    each instance's memory with the driver's overhead (``HostResources.instance_overhead_mb``)."""
    return Usage(
        vcpus_used=reserved_host_cpus + sum(f.vcpus for f in flavors),
        memory_mb_used=reserved_host_memory_mb + sum(f.memory_mb + instance_overhead_mb for f in flavors),
        local_gb_used=reserved_host_disk_mb // 1024 + sum(f.disk_gb for f in flavors),
    )


class PlacementInventory(NamedTuple):
    """One resource class of a host as Placement sees it (its inventory and usage)."""

    resource_class: Literal["MEMORY_MB", "VCPU", "DISK_GB"]
    total: int
    reserved: int
    allocation_ratio: float
    used: int
    capacity: float  # (total − reserved) × allocation_ratio, from HostResources

    @property
    def max_unit(self) -> int:
        """Nova reports ``max_unit = total``: one instance never exceeds the physical amount."""
        return self.total


def placement_inventories(host: HostResources) -> dict[str, PlacementInventory]:
    """MEMORY_MB, VCPU and DISK_GB of ``host`` as nova-compute reports them to Placement."""
    return {
        "MEMORY_MB": PlacementInventory(
            "MEMORY_MB",
            host.memory_mb,
            host.reserved_host_memory_mb,
            host.ram_allocation_ratio,
            host.placement_memory_used,
            host.placement_memory_capacity,
        ),
        "VCPU": PlacementInventory(
            "VCPU",
            host.vcpus,
            host.reserved_host_cpus,
            host.cpu_allocation_ratio,
            host.placement_vcpus_used,
            host.placement_vcpu_capacity,
        ),
        "DISK_GB": PlacementInventory(
            "DISK_GB",
            host.local_gb,
            host.reserved_host_disk_mb // 1024,
            host.disk_allocation_ratio,
            host.placement_disk_used,
            host.placement_disk_capacity,
        ),
    }


#: vm_states whose instances no longer hold resources on their host (ResourceTracker step 3).
NOT_COUNTED_VM_STATES = frozenset({"deleted", "shelved_offloaded"})

#: task_states that make an instance count as I/O work (nova/compute/stats.py io_workload);
#: an instance in vm_state ``building`` counts too.
IO_WORKLOAD_TASK_STATES = frozenset(
    {
        "resize_migrating",
        "rebuilding",
        "resize_prep",
        "image_snapshot",
        "image_backup",
        "rescuing",
        "unshelving",
    }
)


def counts_toward_usage(vm_state: str) -> bool:
    """Whether an instance in ``vm_state`` holds its flavor's resources on its host."""
    return vm_state not in NOT_COUNTED_VM_STATES


def is_io_workload(vm_state: str, task_state: str | None) -> bool:
    """Whether the instance counts in the host's ``num_io_ops`` (IoOpsFilter, IoOpsWeigher)."""
    return vm_state == "building" or task_state in IO_WORKLOAD_TASK_STATES


@dataclass(frozen=True)
class Shortfall:
    """One resource a claim cannot get, with the numbers a student needs to see why."""

    resource: Literal["memory_mb", "vcpus", "disk"]
    requested: float
    free: float
    limit: float
    used: float

    @property
    def over_committed(self) -> bool:
        """The host already uses more than the limit (``free`` is negative): no claim fits."""
        return self.used > self.limit


def claim_shortfalls(host: HostResources, flavor: FlavorSize, era: Era) -> list[Shortfall]:
    """What a claim of ``flavor`` on ``host`` would lack, by the era's rule (empty list: it fits).

    Classic: the compute claim tests ``requested ≤ limit − used`` for each limit the filters set,
    plus the filters' "no overcommit against itself" (request ≤ physical total); the memory it
    requests is the flavor's plus the driver's overhead (``claimed_memory_mb``). CloudLab always
    passes all three limits, so the claim guards every resource the capacity bars show.
    Placement: ``used + requested ≤ (total − reserved) × ratio`` and ``requested ≤ total``; a
    resource the flavor asks none of is not asked of Placement.
    On an over-committed resource (used beyond the limit, so ``free`` is negative) both rules
    refuse every claim, as Nova's do: the host keeps its instances and takes no new one.
    """
    short: list[Shortfall] = []
    if era == "classic":
        checks = [
            ("memory_mb", host.claimed_memory_mb(flavor), host.memory_mb_limit, host.memory_mb_used, host.memory_mb),
            ("vcpus", flavor.vcpus, host.vcpus_limit, host.vcpus_used, host.vcpus),
            (
                "disk",
                flavor.disk_mb,
                host.disk_mb_limit,
                host.local_gb * 1024 - host.free_disk_mb,
                host.local_gb * 1024,
            ),
        ]
    else:
        checks = [
            (
                "memory_mb",
                flavor.memory_mb,
                host.placement_memory_capacity,
                host.placement_memory_used,
                host.memory_mb,
            ),
            ("vcpus", flavor.vcpus, host.placement_vcpu_capacity, host.placement_vcpus_used, host.vcpus),
            ("disk", flavor.disk_gb, host.placement_disk_capacity, host.placement_disk_used, host.local_gb),
        ]
    for resource, requested, limit, used, total in checks:
        if era == "placement" and requested == 0:
            continue  # Placement is never asked for a zero amount (e.g. DISK_GB of a 0 GB flavor)
        free = limit - used
        if requested > free or requested > total:
            short.append(Shortfall(resource, requested, free, limit, used))  # type: ignore[arg-type]
    return short


ResourceKey = Literal["vcpus", "memory_mb", "local_gb"]
RESOURCE_KEYS: tuple[ResourceKey, ...] = ("vcpus", "memory_mb", "local_gb")


@dataclass(frozen=True)
class Capacity:
    """One resource of a host as its era's rule counts it (disk in GB).

    classic: ``used`` includes the reserved amount and ``limit = total × ratio``;
    placement: ``used`` leaves the reserved amount out and ``limit = (total − reserved) × ratio``.
    """

    resource: ResourceKey
    era: Era
    total: int
    ratio: float
    reserved: int
    used: int
    limit: float

    @property
    def room(self) -> float:
        """What instances may hold at most: the limit, less the reservation in the classic era."""
        return self.limit - self.reserved if self.era == "classic" else self.limit

    @property
    def over(self) -> bool:
        """Used beyond the limit: over-committed. Nova keeps such a host (a ratio lowered or a
        reservation raised after instances landed, a forced host, an evacuation); its filters and
        Placement refuse it any new instance until usage falls back under the limit."""
        return self.used > self.limit

    @property
    def bar_limit(self) -> float:
        """The limit on the scale of a compute_nodes row's usage (reserved amount included)."""
        return self.limit if self.era == "classic" else self.limit + self.reserved


def capacities(host: HostResources, era: Era) -> tuple[Capacity, ...]:
    """vCPUs, memory and disk of ``host`` by ``era``'s rule, in ``RESOURCE_KEYS`` order."""
    reserved_gb = host.reserved_host_disk_mb // 1024
    if era == "placement":
        return (
            Capacity(
                "vcpus",
                era,
                host.vcpus,
                host.cpu_allocation_ratio,
                host.reserved_host_cpus,
                host.placement_vcpus_used,
                host.placement_vcpu_capacity,
            ),
            Capacity(
                "memory_mb",
                era,
                host.memory_mb,
                host.ram_allocation_ratio,
                host.reserved_host_memory_mb,
                host.placement_memory_used,
                host.placement_memory_capacity,
            ),
            Capacity(
                "local_gb",
                era,
                host.local_gb,
                host.disk_allocation_ratio,
                reserved_gb,
                host.placement_disk_used,
                host.placement_disk_capacity,
            ),
        )
    return (
        Capacity(
            "vcpus",
            era,
            host.vcpus,
            host.cpu_allocation_ratio,
            host.reserved_host_cpus,
            host.vcpus_used,
            host.vcpus_limit,
        ),
        Capacity(
            "memory_mb",
            era,
            host.memory_mb,
            host.ram_allocation_ratio,
            host.reserved_host_memory_mb,
            host.memory_mb_used,
            host.memory_mb_limit,
        ),
        Capacity(
            "local_gb",
            era,
            host.local_gb,
            host.disk_allocation_ratio,
            reserved_gb,
            host.local_gb_used,
            host.disk_mb_limit / 1024,
        ),
    )


def overcommitted(host: HostResources, era: Era) -> list[Capacity]:
    """The resources of ``host`` used beyond their limit in ``era`` (empty: none)."""
    return [c for c in capacities(host, era) if c.over]


def limits(host: HostResources, era: Era) -> dict[str, float]:
    """The most each resource may reach on ``host`` in ``era``, reserved amounts included, for the
    capacity bars: classic ``total × ratio``; placement ``(total − reserved) × ratio + reserved``."""
    return {c.resource: c.bar_limit for c in capacities(host, era)}


def over_limits(host: HostResources, era: Era) -> dict[str, bool]:
    """For each resource of ``limits``, whether its usage is beyond the limit (over-committed)."""
    return {c.resource: c.over for c in capacities(host, era)}
