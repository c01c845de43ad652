"""Aggregates, and the hosts of a scenario with the instances on them.

A host is read concern by concern, each by its own parser naming the field it checks:
aggregates, hypervisor (type, version, architecture class, CPU architecture, supported
instances), service state, capacity, allocation ratios, reserved amounts, the instances on it,
and its usage. ``parse_host`` then builds the ``HostState``; a host that holds more than its
limits allow is a state Nova runs with, so it is a warning (``overcommit``), not a problem.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, NamedTuple

from ...architectures import ARCHITECTURE_CODES, EXTRA_HYPERVISOR_TYPES, default_architecture
from ...lifecycle import TaskState, VmState
from ...resources import (
    DEFAULT_RESERVED_HOST_CPUS,
    DEFAULT_RESERVED_HOST_DISK_MB,
    DEFAULT_RESERVED_HOST_MEMORY_MB,
    Era,
    counts_toward_usage,
    is_io_workload,
    usage_of,
)
from ..checks import Checker, did_you_mean, get, join, show
from ..filters import aggregate_metadata_problem
from ..model import (
    CPU_ARCHES,
    HV_TYPES,
    Aggregate,
    HostState,
    Instance,
    default_supported_instances,
    host_resources,
)
from .catalog import Refs
from .overcommit import ScenarioWarning, host_warnings
from .slugs import SLUG, derived_uuid

AGGREGATE_KEYS = ("name", "availability_zone", "metadata")
HOST_KEYS = (
    "name",
    "aggregates",
    "host_ip",
    "hypervisor_type",
    "hypervisor_version",
    "architecture",
    "cpu_arch",
    "supported_instances",
    "enabled",
    "up",
    "vcpus",
    "memory_mb",
    "local_gb",
    "cpu_allocation_ratio",
    "ram_allocation_ratio",
    "disk_allocation_ratio",
    "reserved_host_memory_mb",
    "reserved_host_disk_mb",
    "reserved_host_cpus",
    "usage",
    "instances",
)
USAGE_KEYS = (
    "vcpus_used",
    "memory_mb_used",
    "local_gb_used",
    "num_instances",
    "num_io_ops",
    "failed_builds",
)
INSTANCE_KEYS = ("uuid", "name", "flavor", "image", "vm_state", "task_state", "project")
RATIO_KEYS = ("cpu_allocation_ratio", "ram_allocation_ratio", "disk_allocation_ratio")

#: The usage fields that are resource counters (the others count instances and I/O).
_RESOURCE_USAGE = ("vcpus_used", "memory_mb_used", "local_gb_used")


# -- aggregates ---------------------------------------------------------------------------------


def parse_aggregate(c: Checker, path: str, raw: Any) -> Aggregate | None:
    """One host aggregate: a name, an optional availability zone and string metadata."""
    m = c.mapping(path, raw, AGGREGATE_KEYS)
    if m is None:
        return None
    name = c.string(join(path, "name"), get(m, "name", None))
    zone = get(m, "availability_zone", None)
    if zone is not None:
        zone = c.string(join(path, "availability_zone"), zone)
    metadata = c.str_map(join(path, "metadata"), get(m, "metadata", {}))
    if metadata and "availability_zone" in metadata:
        c.add(
            join(path, "metadata.availability_zone"),
            "set the zone with the aggregate's availability_zone field",
        )
    for key, value in (metadata or {}).items():
        problem = aggregate_metadata_problem(key, value)
        if problem:
            c.add(join(join(path, "metadata"), key), problem)
    if name is None or metadata is None:
        return None
    return Aggregate(name, zone, metadata)


# -- a host, concern by concern -----------------------------------------------------------------


class _Hypervisor(NamedTuple):
    hypervisor_type: str | None
    hypervisor_version: int | None
    architecture: str | None
    cpu_arch: str | None
    #: None: the host leaves them out (it reports what its hypervisor type offers).
    supported_instances: tuple[tuple[str, str, str], ...] | None


class _Capacity(NamedTuple):
    vcpus: int | None
    memory_mb: int | None
    local_gb: int | None


def _host_aggregates(c: Checker, path: str, raw: Any, aggregates: Mapping[str, Aggregate]) -> list[Aggregate]:
    """The aggregates the host is in, each named by an aggregate of the scenario."""
    found: list[Aggregate] = []
    for item_path, ref in c.items(path, raw):
        if isinstance(ref, str) and ref in aggregates:
            found.append(aggregates[ref])
        else:
            c.add(
                item_path,
                f"unknown aggregate {show(ref)}"
                + (did_you_mean(ref, list(aggregates)) if isinstance(ref, str) else ""),
            )
    return found


def _hypervisor(c: Checker, path: str, m: Mapping[str, Any]) -> _Hypervisor:
    """What the compute node reports about its hypervisor; the architecture class and the
    supported instances default to what its hypervisor type implies."""
    hv_type = c.choice(
        join(path, "hypervisor_type"), get(m, "hypervisor_type", "QEMU"), (*HV_TYPES, *EXTRA_HYPERVISOR_TYPES)
    )
    hv_version = c.integer(join(path, "hypervisor_version"), get(m, "hypervisor_version", 6002000), 0)
    architecture = c.choice(
        join(path, "architecture"),
        get(m, "architecture", default_architecture(hv_type or "QEMU")),
        ARCHITECTURE_CODES,
    )
    cpu_arch = c.choice(join(path, "cpu_arch"), get(m, "cpu_arch", "x86_64"), CPU_ARCHES)
    triples: list[tuple[str, str, str]] = []
    for item_path, t in c.items(join(path, "supported_instances"), get(m, "supported_instances", [])):
        if isinstance(t, list) and len(t) == 3 and all(isinstance(x, str) and x for x in t):
            triples.append((t[0], t[1], t[2]))
        else:
            c.add(
                item_path,
                "must be a triple [architecture, hypervisor type, vm mode], e.g. [x86_64, qemu, hvm]",
            )
    supported = tuple(triples) if get(m, "supported_instances", None) is not None else None
    return _Hypervisor(hv_type, hv_version, architecture, cpu_arch, supported)


def _service_state(c: Checker, path: str, m: Mapping[str, Any]) -> tuple[bool | None, bool | None]:
    """The nova-compute service: enabled (by the operator) and up (heartbeating)."""
    enabled = c.boolean(join(path, "enabled"), get(m, "enabled", True))
    up = c.boolean(join(path, "up"), get(m, "up", True))
    return enabled, up


def _capacity(c: Checker, path: str, m: Mapping[str, Any]) -> _Capacity:
    """The physical totals, all required: vCPUs, RAM in MB, local disk in GB."""
    return _Capacity(
        vcpus=c.integer(join(path, "vcpus"), get(m, "vcpus", None), 1),
        memory_mb=c.integer(join(path, "memory_mb"), get(m, "memory_mb", None), 1),
        local_gb=c.integer(join(path, "local_gb"), get(m, "local_gb", None), 1),
    )


def _ratios(c: Checker, path: str, m: Mapping[str, Any]) -> dict[str, float | None]:
    """The allocation ratios the host sets, positive numbers; None takes the era's default."""
    ratios: dict[str, float | None] = {}
    for key in RATIO_KEYS:
        v = get(m, key, None)
        ratios[key] = None if v is None else c.number(join(path, key), v, positive=True)
    return ratios


def _reserved(c: Checker, path: str, m: Mapping[str, Any]) -> dict[str, int | None]:
    """What the host keeps for itself (nova.conf defaults when left out). A reservation that
    leaves instances nothing is a warning (``overcommit``): nova-compute starts with it."""
    return {
        "reserved_host_memory_mb": c.integer(
            join(path, "reserved_host_memory_mb"),
            get(m, "reserved_host_memory_mb", DEFAULT_RESERVED_HOST_MEMORY_MB),
            0,
        ),
        "reserved_host_disk_mb": c.integer(
            join(path, "reserved_host_disk_mb"),
            get(m, "reserved_host_disk_mb", DEFAULT_RESERVED_HOST_DISK_MB),
            0,
        ),
        "reserved_host_cpus": c.integer(
            join(path, "reserved_host_cpus"), get(m, "reserved_host_cpus", DEFAULT_RESERVED_HOST_CPUS), 0
        ),
    }


def _host_instances(
    c: Checker, path: str, raw: Any, host: str, refs: Refs, seen_uuids: dict[str, str]
) -> list[Instance]:
    """The instances on the host, each uuid once across the scenario."""
    found: list[Instance] = []
    for item_path, iraw in c.items(path, raw):
        inst = parse_instance(c, item_path, iraw, host, len(found), refs)
        if inst is None:
            continue
        if inst.uuid in seen_uuids:
            c.add(
                join(item_path, "uuid"),
                f"duplicate instance uuid {inst.uuid} (first at {seen_uuids[inst.uuid]})",
            )
            continue
        seen_uuids[inst.uuid] = item_path
        found.append(inst)
    return found


def _usage(c: Checker, path: str, raw: Any, reserved_memory_mb: int | None) -> dict[str, int]:
    """The usage the host states instead of the sum of its instances (Nova's compute_nodes row).

    Its ``memory_mb_used`` includes the reserved memory, as Nova's does.
    """
    if raw is None:
        return {}
    usage: dict[str, int] = {}
    um = c.mapping(path, raw, USAGE_KEYS)
    for key in USAGE_KEYS:
        if um is not None and get(um, key, None) is not None:
            v = c.integer(join(path, key), um[key], 0)
            if v is not None:
                usage[key] = v
    if "memory_mb_used" in usage and reserved_memory_mb is not None and usage["memory_mb_used"] < reserved_memory_mb:
        c.add(
            join(path, "memory_mb_used"),
            f"includes the reserved memory, so it must be at least {reserved_memory_mb}",
        )
    return usage


def parse_host(
    c: Checker,
    path: str,
    raw: Any,
    index: int,
    era: Era,
    aggregates: Mapping[str, Aggregate],
    refs: Refs,
    instances_out: list[Instance],
    seen_uuids: dict[str, str],
    warnings_out: list[ScenarioWarning],
) -> HostState | None:
    """One host (``hosts[index]``) with its instances, which are added to ``instances_out``.

    Steps: each concern's parser, in the order of the file format; nothing more when any found
    a problem; the resources with the era's default ratios and the usage (the stated one, or
    the sum of the instances that count); the warnings about a host over its limits (added to
    ``warnings_out``); the host's instance and I/O counts.
    """
    m = c.mapping(path, raw, HOST_KEYS)
    if m is None:
        return None
    before = len(c.problems)

    def p(key: str) -> str:
        return join(path, key)

    name = c.string(p("name"), get(m, "name", None))
    host_aggs = _host_aggregates(c, p("aggregates"), get(m, "aggregates", []), aggregates)
    default_ip = str(ipaddress.ip_address("10.0.0.0") + 11 + index)
    host_ip = c.ip(p("host_ip"), get(m, "host_ip", default_ip))
    hv = _hypervisor(c, path, m)
    enabled, up = _service_state(c, path, m)
    capacity = _capacity(c, path, m)
    ratios = _ratios(c, path, m)
    reserved = _reserved(c, path, m)
    host_instances = _host_instances(
        c, p("instances"), get(m, "instances", []), name or f"host{index}", refs, seen_uuids
    )
    usage_override = _usage(c, p("usage"), get(m, "usage", None), reserved["reserved_host_memory_mb"])

    if (
        len(c.problems) > before
        or name is None
        or host_ip is None
        or hv.hypervisor_type is None
        or hv.hypervisor_version is None
        or hv.architecture is None
        or hv.cpu_arch is None
        or enabled is None
        or up is None
        or capacity.vcpus is None
        or capacity.memory_mb is None
        or capacity.local_gb is None
    ):
        return None
    res_kwargs = {k: v for k, v in reserved.items() if v is not None}
    base = host_resources(
        era,
        vcpus=capacity.vcpus,
        memory_mb=capacity.memory_mb,
        local_gb=capacity.local_gb,
        **ratios,  # type: ignore[arg-type]
        **res_kwargs,
    )
    counted_at = [(k, i) for k, i in enumerate(host_instances) if counts_toward_usage(i.vm_state)]
    counted = [i for _, i in counted_at]
    resources = base.with_usage(
        usage_of(
            [i.flavor.size for i in counted],
            base.reserved_host_memory_mb,
            base.reserved_host_disk_mb,
            base.reserved_host_cpus,
        )
    )
    if usage_override:
        resources = replace(resources, **{k: v for k, v in usage_override.items() if k in _RESOURCE_USAGE})
    warnings_out.extend(host_warnings(path, name, resources, era, res_kwargs, counted_at))
    num_instances = usage_override.get("num_instances", len(counted))
    num_io_ops = usage_override.get("num_io_ops", sum(1 for i in counted if is_io_workload(i.vm_state, i.task_state)))
    instances_out.extend(host_instances)
    return HostState(
        name=name,
        resources=resources,
        aggregates=tuple(host_aggs),
        host_ip=host_ip,
        hypervisor_type=hv.hypervisor_type,
        hypervisor_version=hv.hypervisor_version,
        architecture=hv.architecture,
        cpu_arch=hv.cpu_arch,
        supported_instances=(
            hv.supported_instances
            if hv.supported_instances is not None
            else default_supported_instances(hv.cpu_arch, hv.hypervisor_type)
        ),
        enabled=enabled,
        up=up,
        num_instances=num_instances,
        num_io_ops=num_io_ops,
        failed_builds=usage_override.get("failed_builds", 0),
        instance_uuids=frozenset(i.uuid for i in counted),
    )


# -- the instances on a host --------------------------------------------------------------------


def parse_instance(c: Checker, path: str, raw: Any, host: str, index: int, refs: Refs) -> Instance | None:
    m = c.mapping(path, raw, INSTANCE_KEYS)
    if m is None:
        return None
    before = len(c.problems)
    raw_uuid = get(m, "uuid", None)
    uuid = c.uuid(join(path, "uuid"), raw_uuid) if raw_uuid is not None else derived_uuid("instance", host, index)
    name = c.string(join(path, "name"), get(m, "name", f"{host}-vm{index + 1}"))
    if "flavor" not in m:
        c.add(join(path, "flavor"), "is required")
        flavor = None
    elif isinstance(m["flavor"], Mapping):
        # A running instance's flavor is one of the cloud's (its row points at it); only a
        # request may describe one inline.
        c.add(join(path, "flavor"), "must name a flavor of the scenario (name or id), not describe one inline")
        flavor = None
    else:
        flavor = refs.flavor(c, join(path, "flavor"), m["flavor"])
    image = refs.image(c, join(path, "image"), m["image"]) if get(m, "image", None) is not None else None
    vm_state = c.choice(join(path, "vm_state"), get(m, "vm_state", VmState.ACTIVE), VmState.ALL)
    task_state = get(m, "task_state", None)
    if task_state is not None:
        task_state = c.choice(join(path, "task_state"), task_state, TaskState.ALL)
    project = c.string(join(path, "project"), get(m, "project", "demo"))
    if project is not None and not SLUG.match(project):
        c.add(
            join(path, "project"),
            f"{project!r} must be a project slug (lower-case letters, digits, '-', '_')",
        )
    if (
        len(c.problems) > before
        or uuid is None
        or name is None
        or flavor is None
        or vm_state is None
        or project is None
    ):
        return None
    return Instance(uuid, name, flavor, host, image, vm_state, task_state, project)
