"""The plain data the scheduler reads: flavors, images, aggregates, hosts, requests.

Everything is a frozen dataclass built from plain values, so the Django layer can build a
``HostState`` straight from its rows (no scenario needed) and the scenario loader can build the
same objects from a file. ``to_dict()`` gives JSON-ready data.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, NamedTuple

from ..architectures import DEFAULT_ARCHITECTURE
from ..resources import ERA_DEFAULT_RATIOS, Era, FlavorSize, HostResources
from .schema import FlavorDict, ImageDict, RequestDict, SchedulerHintsDict, ServerGroupDict

SERVER_GROUP_POLICIES: tuple[str, ...] = (
    "affinity",
    "anti-affinity",
    "soft-affinity",
    "soft-anti-affinity",
)


# -- flavors, images, aggregates, instances, server groups ---------------------------------------


@dataclass(frozen=True)
class Flavor:
    id: str
    name: str
    vcpus: int
    memory_mb: int
    root_gb: int
    ephemeral_gb: int = 0
    swap: int = 0
    extra_specs: Mapping[str, str] = field(default_factory=dict)

    @property
    def size(self) -> FlavorSize:
        return FlavorSize(self.vcpus, self.memory_mb, self.root_gb, self.ephemeral_gb, self.swap)

    def to_dict(self) -> FlavorDict:
        return {
            "id": self.id,
            "name": self.name,
            "vcpus": self.vcpus,
            "memory_mb": self.memory_mb,
            "root_gb": self.root_gb,
            "ephemeral_gb": self.ephemeral_gb,
            "swap": self.swap,
            "extra_specs": dict(self.extra_specs),
        }


@dataclass(frozen=True)
class Image:
    id: str
    name: str
    disk_format: str = "qcow2"
    size_mb: int = 0
    min_ram: int = 0
    min_disk: int = 0
    properties: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> ImageDict:
        return {
            "id": self.id,
            "name": self.name,
            "disk_format": self.disk_format,
            "size_mb": self.size_mb,
            "min_ram": self.min_ram,
            "min_disk": self.min_disk,
            "properties": dict(self.properties),
        }


@dataclass(frozen=True)
class Aggregate:
    name: str
    availability_zone: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "availability_zone": self.availability_zone,
            "metadata": dict(self.metadata),
        }


@dataclass(frozen=True)
class Instance:
    """An instance already on a host (scenario input; the Django layer has its own rows)."""

    uuid: str
    name: str
    flavor: Flavor
    host: str
    image: Image | None = None
    vm_state: str = "active"
    task_state: str | None = None
    project: str = "demo"

    def to_dict(self) -> dict[str, Any]:
        return {
            "uuid": self.uuid,
            "name": self.name,
            "flavor": self.flavor.name,
            "host": self.host,
            "image": self.image.name if self.image else None,
            "vm_state": self.vm_state,
            "task_state": self.task_state,
            "project": self.project,
        }


@dataclass(frozen=True)
class ServerGroup:
    name: str
    policy: str
    members: tuple[str, ...] = ()
    rules: Mapping[str, int] = field(default_factory=dict)
    uuid: str = ""
    #: The hosts the members run on as the cloud's database knows them (Nova's
    #: InstanceGroup.get_hosts()), a move's source included; empty: taken from the hosts given.
    hosts: tuple[str, ...] = ()
    #: The project that owns the group in a scenario ("": its first member's, as the loader
    #: reads it); the scheduler never reads it.
    project: str = ""

    @property
    def max_server_per_host(self) -> int:
        return int(self.rules.get("max_server_per_host", 1))

    def to_dict(self) -> ServerGroupDict:
        out: ServerGroupDict = {
            "name": self.name,
            "uuid": self.uuid,
            "policy": self.policy,
            "rules": dict(self.rules),
            "members": list(self.members),
        }
        if self.hosts:
            out["hosts"] = list(self.hosts)
        return out


# -- the host as the scheduler sees it -----------------------------------------------------------

#: Nova's canonical hv_type for each hypervisor_type a compute node reports.
HV_TYPES: dict[str, str] = {
    "QEMU": "qemu",
    "KVM": "kvm",
    "Xen": "xen",
    "VMware": "vmware",
    "Hyper-V": "hyperv",
    "VirtualBox": "vbox",
    "LXC": "lxc",
    "docker": "docker",
    "Ironic": "ironic",
}

CPU_ARCHES: tuple[str, ...] = (
    "x86_64",
    "i686",
    "aarch64",
    "armv7l",
    "ppc64",
    "ppc64le",
    "s390x",
    "riscv64",
)


# -- canonical names (nova/objects/fields.py Architecture, HVType, VMMode .canonicalize) -----------
#
# Nova canonicalises both sides of ImagePropertiesFilter: the image's properties when it reads
# them, and the compute node's supported_instances when it stores them (each HVSpec field is an
# enum field that canonicalises on assignment). A name Nova does not know would be refused
# there; CloudLab keeps it, lower-cased, so it simply matches nothing.

#: Architecture.canonicalize: the 32-bit x86 spellings are i686 (x86_32 / x86_32p were a Xen
#: mistake of Icehouse and earlier), amd64 is x86_64. No other alias: arm64 is not aarch64.
_ARCH_ALIASES: dict[str, str] = {
    "i386": "i686",
    "i486": "i686",
    "i586": "i686",
    "x86_32": "i686",
    "x86_32p": "i686",
    "amd64": "x86_64",
}
#: HVType.canonicalize: XenAPI's name is xen.
_HV_TYPE_ALIASES: dict[str, str] = {"xapi": "xen"}
#: VMMode.canonicalize: pre-Folsom pv / hv, and baremetal, which runs native (hvm) guests.
_VM_MODE_ALIASES: dict[str, str] = {"pv": "xen", "hv": "hvm", "baremetal": "hvm"}


def canonical_arch(name: str) -> str:
    lowered = name.lower()
    return _ARCH_ALIASES.get(lowered, lowered)


def canonical_hv_type(name: str) -> str:
    lowered = name.lower()
    return _HV_TYPE_ALIASES.get(lowered, lowered)


def canonical_vm_mode(name: str) -> str:
    lowered = name.lower()
    return _VM_MODE_ALIASES.get(lowered, lowered)


def canonical_triple(triple: tuple[str, str, str]) -> tuple[str, str, str]:
    """A supported_instances entry as Nova's HVSpec stores it: ``(amd64, QEMU, hv)`` → ``(x86_64, qemu, hvm)``."""
    arch, hv_type, vm_mode = triple
    return (canonical_arch(arch), canonical_hv_type(hv_type), canonical_vm_mode(vm_mode))


def default_supported_instances(cpu_arch: str, hypervisor_type: str) -> tuple[tuple[str, str, str], ...]:
    """The (arch, hv_type, vm_mode) triples a compute node of this kind reports.

    libvirt on KVM offers both ``kvm`` and plain ``qemu`` guests; Xen offers paravirtual
    (``xen``) and ``hvm``; container hosts run ``exe`` guests; the rest run ``hvm``.
    """
    hv = HV_TYPES.get(hypervisor_type, hypervisor_type.lower())
    if hv == "kvm":
        return ((cpu_arch, "kvm", "hvm"), (cpu_arch, "qemu", "hvm"))
    if hv == "xen":
        return ((cpu_arch, "xen", "xen"), (cpu_arch, "xen", "hvm"))
    if hv in ("lxc", "docker"):
        return ((cpu_arch, hv, "exe"),)
    if hv == "ironic":
        return ((cpu_arch, "baremetal", "baremetal"),)
    return ((cpu_arch, hv, "hvm"),)


@dataclass(frozen=True)
class HostState:
    """One compute node as the scheduler sees it (Nova's ``HostState``), plain data.

    ``aggregates`` carries the availability zone and metadata of every aggregate the host is in.
    ``instance_uuids`` are the instances on the host (server-group filters and weighers, the
    same/different-host hints). ``supported_instances`` None means "what a host of this
    hypervisor_type and cpu_arch reports" (``advertised_triples``); an empty tuple means the host
    advertises nothing. ``instance_triples`` are those triples canonicalised, as Nova stores them.
    """

    name: str
    resources: HostResources
    aggregates: tuple[Aggregate, ...] = ()
    host_ip: str | None = None
    hypervisor_type: str = "QEMU"
    hypervisor_version: int = 6002000
    architecture: str = DEFAULT_ARCHITECTURE
    cpu_arch: str = "x86_64"
    supported_instances: tuple[tuple[str, str, str], ...] | None = None
    enabled: bool = True
    up: bool = True
    #: Why the operator disabled the service (``openstack compute service set --disable-reason``).
    disabled_reason: str = ""
    num_instances: int = 0
    num_io_ops: int = 0
    failed_builds: int = 0
    instance_uuids: frozenset[str] = frozenset()
    stats: Mapping[str, str] = field(default_factory=dict)
    cpu_info: Mapping[str, Any] = field(default_factory=dict)

    # -- Nova HostState attribute names (also what `capabilities:` extra specs name) -----------
    @property
    def host(self) -> str:
        return self.name

    @property
    def hypervisor_hostname(self) -> str:
        return self.name

    @property
    def free_ram_mb(self) -> int:
        return self.resources.free_ram_mb

    @property
    def free_disk_mb(self) -> int:
        return self.resources.free_disk_mb

    @property
    def total_usable_ram_mb(self) -> int:
        return self.resources.memory_mb

    @property
    def total_usable_disk_gb(self) -> int:
        return self.resources.local_gb

    @property
    def vcpus_total(self) -> int:
        return self.resources.vcpus

    @property
    def vcpus_used(self) -> int:
        return self.resources.vcpus_used

    @cached_property
    def advertised_triples(self) -> tuple[tuple[str, str, str], ...]:
        """The (arch, hv_type, vm_mode) triples as the host states them."""
        if self.supported_instances is not None:
            return self.supported_instances
        return default_supported_instances(self.cpu_arch, self.hypervisor_type)

    @cached_property
    def instance_triples(self) -> tuple[tuple[str, str, str], ...]:
        """The advertised triples with Nova's canonical names (what ImagePropertiesFilter compares)."""
        return tuple(canonical_triple(t) for t in self.advertised_triples)

    @cached_property
    def availability_zones(self) -> frozenset[str]:
        return frozenset(a.availability_zone for a in self.aggregates if a.availability_zone)

    @cached_property
    def aggregate_metadata(self) -> Mapping[str, frozenset[str]]:
        """Values per key across the host's aggregates, as Nova collects them (a set per key,
        ``filters/utils.aggregate_values_from_key``).

        The availability zone is aggregate metadata in Nova too (key ``availability_zone``).
        """
        values: dict[str, set[str]] = {}
        for agg in self.aggregates:
            for key, value in agg.metadata.items():
                values.setdefault(key, set()).add(value)
            if agg.availability_zone:
                values.setdefault("availability_zone", set()).add(agg.availability_zone)
        return {k: frozenset(v) for k, v in values.items()}

    @cached_property
    def aggregate_metadata_items(self) -> Mapping[str, frozenset[str]]:
        """Like ``aggregate_metadata``, each value split at commas and stripped
        (``filters/utils.aggregate_metadata_get_by_host``): ``"a, b"`` counts as ``a`` and ``b``.
        Keys keep the order of the host's aggregates."""
        return {
            key: frozenset(part.strip() for value in values for part in value.split(","))
            for key, values in self.aggregate_metadata.items()
        }

    def consume(self, flavor: Flavor, instance_uuid: str | None = None) -> HostState:
        """The host after one more instance of ``flavor`` was built on it (the next request sees
        this): usage grows by the flavor as the compute node counts it (swap included),
        ``num_instances`` and ``num_io_ops`` by one, and the instance is on the host."""
        uuids = self.instance_uuids | {instance_uuid} if instance_uuid else self.instance_uuids
        return replace(
            self,
            resources=self.resources.consume(flavor.size),
            num_instances=self.num_instances + 1,
            num_io_ops=self.num_io_ops + 1,
            instance_uuids=uuids,
        )

    def consume_from_request(self, request: ScheduleRequest, instance_uuid: str) -> HostState:
        """The host as the next instance of ``request`` sees it, after this one was placed here.

        Nova's ``HostState._locked_consume_from_request`` (via ``_consume_selected_host``):
        vCPUs and RAM of the flavor, ``free_disk_mb`` down by (root + ephemeral) × 1024 without
        the swap, ``num_instances`` and ``num_io_ops`` up by one (every scheduled instance is an
        I/O operation), the instance on the host for the server-group filters. Placement's
        usage grows by the claim, swap included (``HostResources.consume_from_request``).
        """
        return replace(
            self,
            resources=self.resources.consume_from_request(request.flavor.size, request.placement_size.disk_gb),
            num_instances=self.num_instances + 1,
            num_io_ops=self.num_io_ops + 1,
            instance_uuids=self.instance_uuids | {instance_uuid},
        )

    def to_dict(self) -> dict[str, Any]:
        r = self.resources
        return {
            "name": self.name,
            "aggregates": [a.name for a in self.aggregates],
            "availability_zones": sorted(self.availability_zones),
            "host_ip": self.host_ip,
            "hypervisor_type": self.hypervisor_type,
            "hypervisor_version": self.hypervisor_version,
            "architecture": self.architecture,
            "cpu_arch": self.cpu_arch,
            "supported_instances": [list(t) for t in self.instance_triples],
            "enabled": self.enabled,
            "disabled_reason": self.disabled_reason,
            "up": self.up,
            "vcpus": r.vcpus,
            "memory_mb": r.memory_mb,
            "local_gb": r.local_gb,
            "cpu_allocation_ratio": r.cpu_allocation_ratio,
            "ram_allocation_ratio": r.ram_allocation_ratio,
            "disk_allocation_ratio": r.disk_allocation_ratio,
            "reserved_host_memory_mb": r.reserved_host_memory_mb,
            "reserved_host_disk_mb": r.reserved_host_disk_mb,
            "reserved_host_cpus": r.reserved_host_cpus,
            "usage": {
                "vcpus_used": r.vcpus_used,
                "memory_mb_used": r.memory_mb_used,
                "local_gb_used": r.local_gb_used,
                "num_instances": self.num_instances,
                "num_io_ops": self.num_io_ops,
                "failed_builds": self.failed_builds,
            },
            "instance_uuids": sorted(self.instance_uuids),
        }


def host_resources(
    era: Era,
    *,
    vcpus: int,
    memory_mb: int,
    local_gb: int,
    cpu_allocation_ratio: float | None = None,
    ram_allocation_ratio: float | None = None,
    disk_allocation_ratio: float | None = None,
    **usage_and_reserved: int,
) -> HostResources:
    """``HostResources`` with the era's default ratio wherever a ratio is None (not set)."""
    defaults = ERA_DEFAULT_RATIOS[era]
    return HostResources(
        vcpus=vcpus,
        memory_mb=memory_mb,
        local_gb=local_gb,
        cpu_allocation_ratio=defaults.cpu if cpu_allocation_ratio is None else cpu_allocation_ratio,
        ram_allocation_ratio=defaults.ram if ram_allocation_ratio is None else ram_allocation_ratio,
        disk_allocation_ratio=defaults.disk if disk_allocation_ratio is None else disk_allocation_ratio,
        **usage_and_reserved,
    )


# -- numbers from aggregate metadata (nova/scheduler/filters/utils.py validate_num_values) --------


class AggregateNumber(NamedTuple):
    """A number a filter or weigher reads from the host's aggregates, or its default.

    ``values`` are the aggregates' values for the key, sorted; ``value`` is their smallest once
    each is cast (``int`` or ``float``), and ``default`` (``from_aggregates`` False) when there is
    none or any one does not cast, as Nova's ``validate_num_values`` falls back on ValueError.
    An infinite or NaN float counts as not a number (Nova would take it; no trace can hold it).
    """

    value: float
    default: float
    values: tuple[str, ...]
    from_aggregates: bool

    @property
    def listed(self) -> str:
        """The aggregates' values as a verdict shows them: ``[1.5, 2.0]``, ``[]``."""
        return "[" + ", ".join(self.values) + "]"


def aggregate_number(host: HostState, key: str, default: float, cast: Callable[[str], float]) -> AggregateNumber:
    """``validate_num_values(aggregate_values_from_key(host, key), default, cast_to=cast)``."""
    values = tuple(sorted(host.aggregate_metadata.get(key, ())))
    if not values:
        return AggregateNumber(default, default, values, False)
    try:
        numbers = [cast(v) for v in values]
    except ValueError:
        return AggregateNumber(default, default, values, False)
    if not all(math.isfinite(n) for n in numbers):
        return AggregateNumber(default, default, values, False)
    return AggregateNumber(min(numbers), default, values, True)


# -- a request ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SchedulerHints:
    same_host: tuple[str, ...] = ()
    different_host: tuple[str, ...] = ()
    build_near_host_ip: str | None = None
    cidr: str = "/24"
    group: str | None = None

    def to_dict(self) -> SchedulerHintsDict:
        return {
            "same_host": list(self.same_host),
            "different_host": list(self.different_host),
            "build_near_host_ip": self.build_near_host_ip,
            "cidr": self.cidr,
            "group": self.group,
        }


@dataclass(frozen=True)
class ScheduleRequest:
    """Nova's RequestSpec, reduced to what the filters and weighers read.

    ``instance_uuids`` names the instances being built (one per ``num_instances``); when the
    request joins ``server_group`` they count as its members, as the API adds them before
    scheduling. ``image`` None means boot from volume (no image properties, root disk not
    counted by Placement). ``requested_destination`` is the host a move named without forcing
    it (``RequestSpec.requested_destination``, Newton+): the filter scheduler considers only
    that host, and the filters still run on it.
    """

    flavor: Flavor
    image: Image | None = None
    num_instances: int = 1
    availability_zone: str | None = None
    scheduler_hints: SchedulerHints = SchedulerHints()
    server_group: ServerGroup | None = None
    instance_uuids: tuple[str, ...] = ()
    project: str = "demo"
    requested_destination: str | None = None

    @property
    def placement_size(self) -> FlavorSize:
        """What the scheduler asks Placement for: the flavor, without the root disk for a boot
        from volume (``resources_from_request_spec``)."""
        size = self.flavor.size
        if self.image is None:
            return FlavorSize(size.vcpus, size.memory_mb, 0, size.ephemeral_gb, size.swap)
        return size

    def uuid_of(self, index: int) -> str:
        if index < len(self.instance_uuids):
            return self.instance_uuids[index]
        return f"request-instance-{index}"

    def to_dict(self) -> RequestDict:
        out: RequestDict = {
            "flavor": self.flavor.to_dict(),
            "image": self.image.to_dict() if self.image else None,
            "num_instances": self.num_instances,
            "availability_zone": self.availability_zone,
            "scheduler_hints": self.scheduler_hints.to_dict(),
            "server_group": self.server_group.to_dict() if self.server_group else None,
            "instance_uuids": list(self.instance_uuids),
            "project": self.project,
        }
        if self.requested_destination:
            out["requested_destination"] = self.requested_destination
        return out
