"""Builders for the scheduler engine tests: hosts, requests and configs in one line each."""

from __future__ import annotations

from typing import Any

from cloudlab.engine.resources import Era
from cloudlab.engine.scheduler import (
    DEFAULT_FLAVORS,
    DEFAULT_IMAGES,
    Aggregate,
    FilterContext,
    Flavor,
    HostState,
    Image,
    SchedulerConfig,
    ScheduleRequest,
    SchedulerHints,
    ServerGroup,
    host_resources,
)

CIRROS = DEFAULT_IMAGES[0]
UBUNTU = DEFAULT_IMAGES[1]


def flavor(name: str = "m1.small", **extra_specs: str) -> Flavor:
    f = next(f for f in DEFAULT_FLAVORS if f.name == name)
    if extra_specs:
        return Flavor(f.id, f.name, f.vcpus, f.memory_mb, f.root_gb, extra_specs=extra_specs)
    return f


def host(
    name: str = "h1",
    *,
    era: Era = "classic",
    vcpus: int = 8,
    memory_mb: int = 8192,
    local_gb: int = 100,
    memory_mb_used: int | None = None,
    vcpus_used: int = 0,
    local_gb_used: int = 0,
    reserved_host_memory_mb: int = 512,
    cpu_allocation_ratio: float | None = None,
    ram_allocation_ratio: float | None = None,
    disk_allocation_ratio: float | None = None,
    **kwargs: Any,
) -> HostState:
    """A host; ``memory_mb_used`` defaults to the reservation alone (an empty host)."""
    resources = host_resources(
        era,
        vcpus=vcpus,
        memory_mb=memory_mb,
        local_gb=local_gb,
        cpu_allocation_ratio=cpu_allocation_ratio,
        ram_allocation_ratio=ram_allocation_ratio,
        disk_allocation_ratio=disk_allocation_ratio,
        reserved_host_memory_mb=reserved_host_memory_mb,
        memory_mb_used=reserved_host_memory_mb if memory_mb_used is None else memory_mb_used,
        vcpus_used=vcpus_used,
        local_gb_used=local_gb_used,
    )
    return HostState(name=name, resources=resources, **kwargs)


def request(
    flavor_name: str | Flavor = "m1.small",
    image: Image | None = CIRROS,
    *,
    num_instances: int = 1,
    hints: SchedulerHints | None = None,
    group: ServerGroup | None = None,
    **kwargs: Any,
) -> ScheduleRequest:
    f = flavor(flavor_name) if isinstance(flavor_name, str) else flavor_name
    uuids = tuple(f"00000000-0000-4000-8000-{i:012d}" for i in range(num_instances))
    return ScheduleRequest(
        flavor=f,
        image=image,
        num_instances=num_instances,
        scheduler_hints=hints or SchedulerHints(),
        server_group=group,
        instance_uuids=uuids,
        **kwargs,
    )


def config(era: Era = "classic", **overrides: Any) -> SchedulerConfig:
    for key in ("enabled_filters", "weight_classes", "isolated_hosts", "isolated_images"):
        if key in overrides:
            overrides[key] = tuple(overrides[key])
    return SchedulerConfig.for_era(era, **overrides)


def ctx(req: ScheduleRequest | None = None, cfg: SchedulerConfig | None = None, **kwargs: Any) -> FilterContext:
    r = req or request()
    return FilterContext(r, cfg or config(), instance_uuid=r.uuid_of(0), **kwargs)


def aggregate(name: str, zone: str | None = None, **metadata: str) -> Aggregate:
    return Aggregate(name, zone, metadata)


def uuid(n: int) -> str:
    return f"6d2d1c7e-0000-4000-8000-{n:012d}"
