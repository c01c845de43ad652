"""The sections of a scenario file, each parsed and checked by path (see scenario.py).

Each ``parse_*`` takes a ``Checker``, the path of the section and its raw data; it returns the
plain object, or None after recording every problem it found.
"""

from __future__ import annotations

import ipaddress
import re
import uuid as uuidlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from ..architectures import ARCHITECTURE_CODES, default_architecture
from ..launch import ImageRequirements, flavor_image_problems
from ..lifecycle import TaskState, VmState
from ..resources import (
    DEFAULT_RESERVED_HOST_CPUS,
    DEFAULT_RESERVED_HOST_DISK_MB,
    DEFAULT_RESERVED_HOST_MEMORY_MB,
    ERAS,
    Era,
    Shortfall,
    claim_shortfalls,
    counts_toward_usage,
    is_io_workload,
    usage_of,
)
from .checks import Checker, did_you_mean, get, join, or_default, show
from .config import ERA_DEFAULT_FILTERS, SchedulerConfig
from .defaults import CLOUDLAB_NAMESPACE
from .drivers import DRIVER_NAMES
from .filters import CLASSIC_ONLY_FILTERS, FILTER_NAMES
from .model import (
    CPU_ARCHES,
    HV_TYPES,
    SERVER_GROUP_POLICIES,
    Aggregate,
    Flavor,
    HostState,
    Image,
    Instance,
    ScheduleRequest,
    SchedulerHints,
    ServerGroup,
    default_supported_instances,
    host_resources,
)
from .weighers import ERA_DEFAULT_WEIGHERS, WEIGHER_NAMES, WEIGHERS

T = TypeVar("T")

DISK_FORMATS = ("ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop")

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_CIDR = re.compile(r"^/(\d{1,3})$")

TOP_KEYS = (
    "name",
    "description",
    "scheduler",
    "aggregates",
    "hosts",
    "flavors",
    "images",
    "server_groups",
    "requests",
)
SCHEDULER_KEYS = tuple(SchedulerConfig.__dataclass_fields__)
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
FLAVOR_KEYS = ("id", "name", "vcpus", "memory_mb", "root_gb", "ephemeral_gb", "swap", "extra_specs")
IMAGE_KEYS = ("id", "name", "disk_format", "size_mb", "min_ram", "min_disk", "properties")
GROUP_KEYS = ("name", "uuid", "policy", "rules", "members")
REQUEST_KEYS = ("flavor", "image", "num_instances", "availability_zone", "scheduler_hints")
HINT_KEYS = ("same_host", "different_host", "build_near_host_ip", "cidr", "group")


def derived_uuid(*parts: object) -> str:
    return str(uuidlib.uuid5(CLOUDLAB_NAMESPACE, "/".join(str(p) for p in parts)))


def scheduler_section(
    c: Checker,
    data: Any,
    path: str,
    host_names: Iterable[str] | None,
    image_ids: Iterable[str] | None,
) -> SchedulerConfig | None:
    m = c.mapping(path, {} if data is None else data, SCHEDULER_KEYS)
    if m is None:
        return None

    def p(key: str) -> str:
        return join(path, key)

    era_value = get(m, "era", "classic")
    era: Era = c.choice(p("era"), era_value, ERAS) or "classic"  # type: ignore[assignment]
    driver = c.choice(p("driver"), get(m, "driver", "filter_scheduler"), DRIVER_NAMES)

    def names(key: str, known: Sequence[str], default: tuple[str, ...], what: str) -> tuple[str, ...]:
        seen: list[str] = []
        if key not in m or m[key] is None:
            return default
        for item_path, name in c.items(p(key), m[key]):
            if not isinstance(name, str) or name not in known:
                c.add(
                    item_path,
                    f"unknown {what} {show(name)}" + (did_you_mean(name, known) if isinstance(name, str) else ""),
                )
            elif name in seen:
                c.add(item_path, f"{name} is listed twice")
            else:
                seen.append(name)
        return tuple(seen)

    filters = names("enabled_filters", FILTER_NAMES, ERA_DEFAULT_FILTERS[era], "filter")
    if era == "placement":
        for i, name in enumerate(filters):
            if name in CLASSIC_ONLY_FILTERS:
                c.add(
                    f"{p('enabled_filters')}[{i}]",
                    f"{name} was removed from Nova (Train/Victoria); in the placement era "
                    "Placement checks capacity and alternates replace retries",
                )
    weighers = names("weight_classes", WEIGHER_NAMES, ERA_DEFAULT_WEIGHERS[era], "weigher")

    values: dict[str, Any] = {"era": era, "driver": driver or "filter_scheduler"}
    values["enabled_filters"] = filters
    values["weight_classes"] = weighers
    defaults = SchedulerConfig()
    for weigher in WEIGHERS.values():
        key = weigher.multiplier_option
        if get(m, key, None) is None:
            continue
        v = c.number(p(key), m[key])
        minimum = weigher.multiplier_minimum
        if v is not None and minimum is not None and v < minimum:
            c.add(p(key), f"must be ≥ {minimum:g} (Nova's minimum for this option)")
        values[key] = or_default(v, getattr(defaults, key))
    for key, minimum in (
        ("host_subset_size", 1),
        ("max_attempts", 1),
        ("max_instances_per_host", 1),
        ("max_io_ops_per_host", 0),
        ("max_cores", 1),
        ("seed", None),
    ):
        if get(m, key, None) is not None:
            values[key] = or_default(c.integer(p(key), m[key], minimum), getattr(defaults, key))
    for key in ("default_availability_zone", "image_properties_default_architecture"):
        if get(m, key, None) is not None:
            values[key] = c.string(p(key), m[key])
    if values.get("image_properties_default_architecture"):
        c.choice(
            p("image_properties_default_architecture"),
            values["image_properties_default_architecture"],
            CPU_ARCHES,
        )
    if get(m, "restrict_isolated_hosts_to_isolated_images", None) is not None:
        values["restrict_isolated_hosts_to_isolated_images"] = or_default(
            c.boolean(
                p("restrict_isolated_hosts_to_isolated_images"),
                m["restrict_isolated_hosts_to_isolated_images"],
            ),
            True,
        )
    known_hosts = None if host_names is None else list(host_names)
    known_images = None if image_ids is None else list(image_ids)
    for key, known, what in (
        ("isolated_hosts", known_hosts, "host"),
        ("isolated_images", known_images, "image id"),
    ):
        listed: list[str] = []
        for item_path, v in c.items(p(key), get(m, key, [])):
            s = c.string(item_path, v)
            if s is None:
                continue
            if known is not None and s not in known:
                c.add(item_path, f"unknown {what} {s!r}" + did_you_mean(s, known))
            listed.append(s)
        values[key] = tuple(listed)
    values = {k: v for k, v in values.items() if v is not None}
    return SchedulerConfig(**values)


def parse_flavor(c: Checker, path: str, data: Any) -> Flavor | None:
    m = c.mapping(path, data, FLAVOR_KEYS)
    if m is None:
        return None
    before = len(c.problems)
    fid = get(m, "id", None)
    if isinstance(fid, int) and not isinstance(fid, bool):
        fid = str(fid)
    name = c.string(join(path, "name"), get(m, "name", None))
    if fid is None:
        fid = name
    fid = c.string(join(path, "id"), fid)
    vcpus = c.integer(join(path, "vcpus"), get(m, "vcpus", None), 1)
    ram = c.integer(join(path, "memory_mb"), get(m, "memory_mb", None), 1)
    root = c.integer(join(path, "root_gb"), get(m, "root_gb", 0), 0)
    eph = c.integer(join(path, "ephemeral_gb"), get(m, "ephemeral_gb", 0), 0)
    swap = c.integer(join(path, "swap"), get(m, "swap", 0), 0)
    specs = c.str_map(join(path, "extra_specs"), get(m, "extra_specs", {}))
    if (
        len(c.problems) > before
        or fid is None
        or name is None
        or vcpus is None
        or ram is None
        or root is None
        or eph is None
        or swap is None
        or specs is None
    ):
        return None
    return Flavor(fid, name, vcpus, ram, root, eph, swap, specs)


def parse_image(c: Checker, path: str, data: Any) -> Image | None:
    m = c.mapping(path, data, IMAGE_KEYS)
    if m is None:
        return None
    before = len(c.problems)
    name = c.string(join(path, "name"), get(m, "name", None))
    iid = get(m, "id", None)
    image_id = c.uuid(join(path, "id"), iid) if iid is not None else derived_uuid("image", name)
    fmt = c.choice(join(path, "disk_format"), get(m, "disk_format", "qcow2"), DISK_FORMATS)
    size = c.integer(join(path, "size_mb"), get(m, "size_mb", 0), 0)
    min_ram = c.integer(join(path, "min_ram"), get(m, "min_ram", 0), 0)
    min_disk = c.integer(join(path, "min_disk"), get(m, "min_disk", 0), 0)
    props = c.str_map(join(path, "properties"), get(m, "properties", {}))
    if (
        len(c.problems) > before
        or name is None
        or image_id is None
        or fmt is None
        or size is None
        or min_ram is None
        or min_disk is None
        or props is None
    ):
        return None
    return Image(image_id, name, fmt, size, min_ram, min_disk, props)


class Refs:
    """Finds flavors and images by id or name."""

    def __init__(self, flavors: Sequence[Flavor], images: Sequence[Image]) -> None:
        self.flavors = flavors
        self.images = images

    def flavor(self, c: Checker, path: str, ref: Any) -> Flavor | None:
        if isinstance(ref, Mapping):
            return parse_flavor(c, path, ref)
        if isinstance(ref, int) and not isinstance(ref, bool):
            ref = str(ref)
        if not isinstance(ref, str):
            c.add(path, f"must name a flavor (name or id) or be an inline flavor, not {show(ref)}")
            return None
        for f in self.flavors:
            if ref in (f.name, f.id):
                return f
        c.add(path, f"unknown flavor {ref!r}" + did_you_mean(ref, [f.name for f in self.flavors]))
        return None

    def image(self, c: Checker, path: str, ref: Any) -> Image | None:
        if not isinstance(ref, str):
            c.add(path, f"must name an image (name or id), not {show(ref)}")
            return None
        for i in self.images:
            if ref in (i.name, i.id):
                return i
        c.add(path, f"unknown image {ref!r}" + did_you_mean(ref, [i.name for i in self.images]))
        return None


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
) -> HostState | None:
    m = c.mapping(path, raw, HOST_KEYS)
    if m is None:
        return None
    before = len(c.problems)

    def p(key: str) -> str:
        return join(path, key)

    name = c.string(p("name"), get(m, "name", None))
    host_aggs: list[Aggregate] = []
    for item_path, ref in c.items(p("aggregates"), get(m, "aggregates", [])):
        if isinstance(ref, str) and ref in aggregates:
            host_aggs.append(aggregates[ref])
        else:
            c.add(
                item_path,
                f"unknown aggregate {show(ref)}"
                + (did_you_mean(ref, list(aggregates)) if isinstance(ref, str) else ""),
            )
    default_ip = str(ipaddress.ip_address("10.0.0.0") + 11 + index)
    host_ip = c.ip(p("host_ip"), get(m, "host_ip", default_ip))
    hv_type = c.choice(p("hypervisor_type"), get(m, "hypervisor_type", "QEMU"), tuple(HV_TYPES))
    hv_version = c.integer(p("hypervisor_version"), get(m, "hypervisor_version", 6002000), 0)
    arch_class = c.choice(
        p("architecture"),
        get(m, "architecture", default_architecture(hv_type or "QEMU")),
        ARCHITECTURE_CODES,
    )
    cpu_arch = c.choice(p("cpu_arch"), get(m, "cpu_arch", "x86_64"), CPU_ARCHES)
    triples: list[tuple[str, str, str]] = []
    for item_path, t in c.items(p("supported_instances"), get(m, "supported_instances", [])):
        if isinstance(t, list) and len(t) == 3 and all(isinstance(x, str) and x for x in t):
            triples.append((t[0], t[1], t[2]))
        else:
            c.add(
                item_path,
                "must be a triple [architecture, hypervisor type, vm mode], e.g. [x86_64, qemu, hvm]",
            )
    enabled = c.boolean(p("enabled"), get(m, "enabled", True))
    up = c.boolean(p("up"), get(m, "up", True))
    vcpus = c.integer(p("vcpus"), get(m, "vcpus", None), 1)
    memory_mb = c.integer(p("memory_mb"), get(m, "memory_mb", None), 1)
    local_gb = c.integer(p("local_gb"), get(m, "local_gb", None), 1)
    ratios: dict[str, float | None] = {}
    for key in ("cpu_allocation_ratio", "ram_allocation_ratio", "disk_allocation_ratio"):
        v = get(m, key, None)
        ratios[key] = None if v is None else c.number(p(key), v, positive=True)
    reserved = {
        "reserved_host_memory_mb": c.integer(
            p("reserved_host_memory_mb"),
            get(m, "reserved_host_memory_mb", DEFAULT_RESERVED_HOST_MEMORY_MB),
            0,
        ),
        "reserved_host_disk_mb": c.integer(
            p("reserved_host_disk_mb"), get(m, "reserved_host_disk_mb", DEFAULT_RESERVED_HOST_DISK_MB), 0
        ),
        "reserved_host_cpus": c.integer(
            p("reserved_host_cpus"), get(m, "reserved_host_cpus", DEFAULT_RESERVED_HOST_CPUS), 0
        ),
    }
    for key, total, unit in (
        ("reserved_host_memory_mb", memory_mb, 1),
        ("reserved_host_disk_mb", local_gb, 1024),
        ("reserved_host_cpus", vcpus, 1),
    ):
        r = reserved[key]
        if r is not None and total is not None and r >= total * unit:
            c.add(p(key), f"{r} leaves nothing for instances (the host has {total * unit})")

    # instances on the host
    host_instances: list[Instance] = []
    for item_path, iraw in c.items(p("instances"), get(m, "instances", [])):
        inst = parse_instance(c, item_path, iraw, name or f"host{index}", len(host_instances), refs)
        if inst is None:
            continue
        if inst.uuid in seen_uuids:
            c.add(
                join(item_path, "uuid"),
                f"duplicate instance uuid {inst.uuid} (first at {seen_uuids[inst.uuid]})",
            )
            continue
        seen_uuids[inst.uuid] = item_path
        host_instances.append(inst)

    usage_raw = get(m, "usage", None)
    usage_override: dict[str, int] = {}
    if usage_raw is not None:
        um = c.mapping(p("usage"), usage_raw, USAGE_KEYS)
        for key in USAGE_KEYS:
            if um is not None and get(um, key, None) is not None:
                v = c.integer(p(f"usage.{key}"), um[key], 0)
                if v is not None:
                    usage_override[key] = v
        mem_reserved = reserved["reserved_host_memory_mb"]
        if (
            "memory_mb_used" in usage_override
            and mem_reserved is not None
            and usage_override["memory_mb_used"] < mem_reserved
        ):
            c.add(
                p("usage.memory_mb_used"),
                f"includes the reserved memory, so it must be at least {mem_reserved}",
            )

    if (
        len(c.problems) > before
        or name is None
        or host_ip is None
        or hv_type is None
        or hv_version is None
        or arch_class is None
        or cpu_arch is None
        or enabled is None
        or up is None
        or vcpus is None
        or memory_mb is None
        or local_gb is None
    ):
        return None
    res_kwargs = {k: v for k, v in reserved.items() if v is not None}
    base = host_resources(era, vcpus=vcpus, memory_mb=memory_mb, local_gb=local_gb, **ratios, **res_kwargs)  # type: ignore[arg-type]
    counted = [i for i in host_instances if counts_toward_usage(i.vm_state)]
    resources = base.with_usage(
        usage_of(
            [i.flavor.size for i in counted],
            base.reserved_host_memory_mb,
            base.reserved_host_disk_mb,
            base.reserved_host_cpus,
        )
    )
    if usage_override:
        resources = replace(
            resources,
            **{k: v for k, v in usage_override.items() if k in ("vcpus_used", "memory_mb_used", "local_gb_used")},
        )
    else:
        # every instance must have fitted when it was claimed, one after the other
        fill = base.with_usage(
            usage_of([], base.reserved_host_memory_mb, base.reserved_host_disk_mb, base.reserved_host_cpus)
        )
        for inst in counted:
            short = claim_shortfalls(fill, inst.flavor.size, era)
            if short:
                lacks = "; ".join(_shortfall_text(s, era) for s in short)
                c.add(
                    p(f"instances[{host_instances.index(inst)}]"),
                    f"{inst.name} ({inst.flavor.name}) does not fit on {name}: {lacks}",
                )
                break
            fill = fill.consume(inst.flavor.size)
    num_instances = usage_override.get("num_instances", len(counted))
    num_io_ops = usage_override.get("num_io_ops", sum(1 for i in counted if is_io_workload(i.vm_state, i.task_state)))
    instances_out.extend(host_instances)
    return HostState(
        name=name,
        resources=resources,
        aggregates=tuple(host_aggs),
        host_ip=host_ip,
        hypervisor_type=hv_type,
        hypervisor_version=hv_version,
        architecture=arch_class,
        cpu_arch=cpu_arch,
        supported_instances=(
            tuple(triples)
            if get(m, "supported_instances", None) is not None
            else default_supported_instances(cpu_arch, hv_type)
        ),
        enabled=enabled,
        up=up,
        num_instances=num_instances,
        num_io_ops=num_io_ops,
        failed_builds=usage_override.get("failed_builds", 0),
        instance_uuids=frozenset(i.uuid for i in counted),
    )


def _shortfall_text(s: Shortfall, era: Era) -> str:
    unit = {
        "memory_mb": "MB of RAM",
        "vcpus": "vCPUs",
        "disk": "GB of disk" if era == "placement" else "MB of disk",
    }[s.resource]
    if s.requested > s.free:
        return f"{s.requested:g} {unit} requested, {max(s.free, 0):g} free"
    return f"{s.requested:g} {unit} requested, more than the host has"


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


def parse_server_group(c: Checker, path: str, raw: Any, instance_uuids: set[str]) -> ServerGroup | None:
    m = c.mapping(path, raw, GROUP_KEYS)
    if m is None:
        return None
    before = len(c.problems)
    name = c.string(join(path, "name"), get(m, "name", None))
    guuid_raw = get(m, "uuid", None)
    guuid = c.uuid(join(path, "uuid"), guuid_raw) if guuid_raw is not None else derived_uuid("group", name)
    policy = c.choice(join(path, "policy"), get(m, "policy", None), SERVER_GROUP_POLICIES)
    rules: dict[str, int] = {}
    rm = c.mapping(join(path, "rules"), get(m, "rules", {}), ("max_server_per_host",))
    if rm and get(rm, "max_server_per_host", None) is not None:
        v = c.integer(join(path, "rules.max_server_per_host"), rm["max_server_per_host"], 1)
        if v is not None:
            rules["max_server_per_host"] = v
        if policy is not None and policy != "anti-affinity":
            c.add(join(path, "rules"), "only the anti-affinity policy takes rules (max_server_per_host)")
    members: list[str] = []
    for item_path, mem in c.items(join(path, "members"), get(m, "members", [])):
        u = c.uuid(item_path, mem)
        if u is None:
            continue
        if u not in instance_uuids:
            c.add(item_path, f"{u} is not an instance of this scenario (members are instance uuids)")
        elif u in members:
            c.add(item_path, f"{u} is listed twice")
        else:
            members.append(u)
    if len(c.problems) > before or name is None or guuid is None or policy is None:
        return None
    return ServerGroup(name, policy, tuple(members), rules, guuid)


def _uuid_list(c: Checker, path: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]  # Nova accepts one uuid or a list
    out = [c.uuid(p, v) for p, v in c.items(path, value)]
    return tuple(u for u in out if u)


def parse_request(
    c: Checker,
    path: str,
    raw: Any,
    index: int,
    refs: Refs,
    groups: Mapping[str, ServerGroup],
    zones: set[str],
    scenario: str,
) -> ScheduleRequest | None:
    m = c.mapping(path, raw, REQUEST_KEYS)
    if m is None:
        return None
    before = len(c.problems)

    def p(key: str) -> str:
        return join(path, key)

    flavor = refs.flavor(c, p("flavor"), m["flavor"]) if "flavor" in m else None
    if "flavor" not in m:
        c.add(p("flavor"), "is required")
    image_ref = get(m, "image", refs.images[0].name if refs.images else None)
    image = refs.image(c, p("image"), image_ref) if image_ref is not None else None
    count = c.integer(p("num_instances"), get(m, "num_instances", 1), 1)
    az = get(m, "availability_zone", None)
    if az is not None and c.string(p("availability_zone"), az) is not None and az not in zones:
        c.add(p("availability_zone"), f"unknown availability zone {az!r} (zones: {', '.join(sorted(zones))})")
    if flavor and image:
        # The compute API refuses these before anything is scheduled.
        requirements = ImageRequirements(image.name, image.min_ram, image.min_disk, image.size_mb)
        for problem in flavor_image_problems(flavor.name, flavor.size, requirements):
            c.add(p("flavor"), problem.render())
    hm = c.mapping(p("scheduler_hints"), get(m, "scheduler_hints", {}), HINT_KEYS)
    hints = SchedulerHints()
    group: ServerGroup | None = None
    if hm is not None:

        def hp(key: str) -> str:
            return join(p("scheduler_hints"), key)

        near = get(hm, "build_near_host_ip", None)
        near_ip = c.ip(hp("build_near_host_ip"), near) if near is not None else None
        cidr = get(hm, "cidr", "/24")
        cm = _CIDR.match(cidr) if isinstance(cidr, str) else None
        max_bits = 128 if near_ip and ":" in near_ip else 32
        if cm is None or int(cm.group(1)) > max_bits:
            c.add(hp("cidr"), f"{show(cidr)} is not a prefix length like /24 (0 to {max_bits})")
        gname = get(hm, "group", None)
        if gname is not None:
            if isinstance(gname, str) and gname in groups:
                group = groups[gname]
            else:
                c.add(
                    hp("group"),
                    f"unknown server group {show(gname)}"
                    + (did_you_mean(gname, list(groups)) if isinstance(gname, str) else ""),
                )
        hints = SchedulerHints(
            same_host=_uuid_list(c, hp("same_host"), get(hm, "same_host", None)),
            different_host=_uuid_list(c, hp("different_host"), get(hm, "different_host", None)),
            build_near_host_ip=near_ip,
            cidr=cidr if isinstance(cidr, str) else "/24",
            group=gname if isinstance(gname, str) else None,
        )
    if len(c.problems) > before or flavor is None or count is None:
        return None
    uuids = tuple(derived_uuid(scenario, "request", index, k) for k in range(count))
    return ScheduleRequest(
        flavor=flavor,
        image=image,
        num_instances=count,
        availability_zone=az,
        scheduler_hints=hints,
        server_group=group,
        instance_uuids=uuids,
    )
