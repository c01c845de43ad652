"""Scenario files: parse and validate a simulated cloud (scenario-format.md), all or nothing.

``parse_scenario(data)`` checks every field, collects every problem with its path
(``hosts[2].memory_mb: must be a positive integer``) and raises ``ScenarioError`` with all of
them, or returns a complete ``Scenario`` with every default filled in. ``load_scenario_file``
reads YAML or JSON first. ``parse_scheduler_config`` validates a ``scheduler:`` section alone
(the settings page validates ``nova.conf`` options with it).
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
import uuid as uuidlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

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
from .model import (
    ARCHITECTURE_CLASSES,
    CLASSIC_ONLY_FILTERS,
    CPU_ARCHES,
    DRIVERS,
    ERA_DEFAULT_FILTERS,
    ERA_DEFAULT_WEIGHERS,
    FILTER_NAMES,
    HV_TYPES,
    SERVER_GROUP_POLICIES,
    WEIGHER_NAMES,
    Aggregate,
    Flavor,
    HostState,
    Image,
    Instance,
    SchedulerConfig,
    ScheduleRequest,
    SchedulerHints,
    ServerGroup,
    default_architecture,
    default_supported_instances,
    host_resources,
)

T = TypeVar("T")

#: Namespace for the uuids CloudLab derives when a scenario leaves them out (stable across runs).
CLOUDLAB_NAMESPACE = uuidlib.UUID("6c0ad1ab-5c4e-4d0e-9f1a-c10d1ab00000")

#: Nova's default flavors (seeded by Nova up to Mitaka; ids 42 and 84 from devstack's tempest
#: setup, 451 m1.heat from Heat's functional tests).
DEFAULT_FLAVORS: tuple[Flavor, ...] = (
    Flavor("1", "m1.tiny", 1, 512, 1),
    Flavor("2", "m1.small", 1, 2048, 20),
    Flavor("3", "m1.medium", 2, 4096, 40),
    Flavor("4", "m1.large", 4, 8192, 80),
    Flavor("5", "m1.xlarge", 8, 16384, 160),
    Flavor("42", "m1.nano", 1, 64, 0),
    Flavor("84", "m1.micro", 1, 128, 0),
    Flavor("451", "m1.heat", 1, 512, 0),
)

#: Default images. cirros 0.6.2 x86_64 is a 21 MB qcow2 whose virtual disk is 112 MB, so it
#: needs no minimum (devstack uploads it with min_ram/min_disk 0). The Ubuntu 22.04 (jammy)
#: cloud image is a ~660 MB qcow2 with a 2.2 GB virtual disk: min_disk 3 GB is the smallest
#: root disk that holds it, min_ram 512 MB what cloud-init and the kernel need to boot.
DEFAULT_IMAGES: tuple[Image, ...] = (
    Image(
        id="0b7f5c3e-8d6a-4c1f-9e2b-3a4d5e6f7a01",
        name="cirros",
        disk_format="qcow2",
        size_mb=21,
        min_ram=0,
        min_disk=0,
        properties={"hw_architecture": "x86_64", "img_hv_type": "qemu"},
    ),
    Image(
        id="7c1e2d3f-4a5b-4c6d-8e7f-9a0b1c2d3e02",
        name="ubuntu",
        disk_format="qcow2",
        size_mb=660,
        min_ram=512,
        min_disk=3,
        properties={"hw_architecture": "x86_64", "os_distro": "ubuntu", "os_version": "22.04"},
    ),
)

DISK_FORMATS = ("ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop")

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
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


class ScenarioError(ValueError):
    """A scenario (or scheduler config) with problems; ``problems`` lists every one by path."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid scenario:\n" + "\n".join(f"  {p}" for p in self.problems))


@dataclass(frozen=True)
class Scenario:
    name: str
    description: Mapping[str, str]
    scheduler: SchedulerConfig
    aggregates: tuple[Aggregate, ...]
    hosts: tuple[HostState, ...]
    flavors: tuple[Flavor, ...]
    images: tuple[Image, ...]
    server_groups: tuple[ServerGroup, ...]
    requests: tuple[ScheduleRequest, ...]
    instances: tuple[Instance, ...] = field(default=())

    def host(self, name: str) -> HostState:
        return next(h for h in self.hosts if h.name == name)

    def flavor(self, ref: str) -> Flavor:
        return next(f for f in self.flavors if ref in (f.id, f.name))

    def image(self, ref: str) -> Image:
        return next(i for i in self.images if ref in (i.id, i.name))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": dict(self.description),
            "scheduler": self.scheduler.to_dict(),
            "aggregates": [a.to_dict() for a in self.aggregates],
            "hosts": [
                {**h.to_dict(), "instances": [i.to_dict() for i in self.instances if i.host == h.name]}
                for h in self.hosts
            ],
            "flavors": [f.to_dict() for f in self.flavors],
            "images": [i.to_dict() for i in self.images],
            "server_groups": [g.to_dict() for g in self.server_groups],
            "requests": [r.to_dict() for r in self.requests],
        }


# -- the checker: every helper records a problem and returns None instead of raising -----------


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def mapping(self, path: str, value: Any, keys: Sequence[str]) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.add(path, f"must be a mapping, not {_kind(value)}")
            return None
        for key in value:
            if not isinstance(key, str) or key not in keys:
                self.add(_join(path, str(key)), "unknown key" + _did_you_mean(str(key), keys))
        return value

    def items(self, path: str, value: Any) -> list[tuple[str, Any]]:
        """The elements of a list with their paths (a problem if it is not a list)."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.add(path, f"must be a list, not {_kind(value)}")
            return []
        return [(f"{path}[{i}]", v) for i, v in enumerate(value)]

    def integer(self, path: str, value: Any, minimum: int | None = None, what: str = "") -> int | None:
        ok = isinstance(value, int) and not isinstance(value, bool)
        if ok and (minimum is None or value >= minimum):
            return int(value)
        if not what:
            what = {0: "a non-negative integer", 1: "a positive integer"}.get(
                minimum if minimum is not None else -1,
                "an integer" if minimum is None else f"an integer ≥ {minimum}",
            )
        self.add(path, f"must be {what}" + ("" if ok else f", not {_show(value)}"))
        return None

    def number(self, path: str, value: Any, *, positive: bool = False) -> float | None:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and (not positive or value > 0):
            return float(value)
        what = "a positive number" if positive else "a number"
        self.add(path, f"must be {what}" + ("" if ok else f", not {_show(value)}"))
        return None

    def string(self, path: str, value: Any, *, allow_empty: bool = False) -> str | None:
        if isinstance(value, str) and (allow_empty or value.strip()):
            return value
        self.add(path, "must be a non-empty string" + ("" if isinstance(value, str) else f", not {_show(value)}"))
        return None

    def boolean(self, path: str, value: Any) -> bool | None:
        if isinstance(value, bool):
            return value
        self.add(path, f"must be true or false, not {_show(value)}")
        return None

    def choice(self, path: str, value: Any, choices: Sequence[str]) -> str | None:
        if isinstance(value, str) and value in choices:
            return value
        shown = _show(value)
        self.add(
            path,
            f"{shown} is not one of {', '.join(choices)}"
            + (_did_you_mean(value, choices) if isinstance(value, str) else ""),
        )
        return None

    def uuid(self, path: str, value: Any) -> str | None:
        if isinstance(value, str) and _UUID.match(value):
            return value.lower()
        self.add(path, f"{_show(value)} is not a UUID (like 6d2d1c7e-0000-4000-8000-000000000001)")
        return None

    def ip(self, path: str, value: Any) -> str | None:
        if isinstance(value, str):
            try:
                return str(ipaddress.ip_address(value))
            except ValueError:
                pass
        self.add(path, f"{_show(value)} is not an IP address")
        return None

    def str_map(self, path: str, value: Any) -> dict[str, str] | None:
        """Metadata, extra specs, properties: string keys, scalar values kept as strings."""
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.add(path, f"must be a mapping, not {_kind(value)}")
            return None
        out: dict[str, str] = {}
        for k, v in value.items():
            if not isinstance(k, str) or not k:
                self.add(path, f"key {_show(k)} must be a non-empty string")
            elif isinstance(v, bool):
                out[k] = "true" if v else "false"  # YAML `ssd: true` means the string "true"
            elif isinstance(v, str | int | float):
                out[k] = str(v)
            else:
                self.add(_join(path, k), f"must be a string, not {_kind(v)}")
        return out


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict | list):
        return _kind(value)
    return json.dumps(value) if value is None or isinstance(value, bool | int | float) else repr(value)


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    options = list(choices)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in options}
        if word.lower() in lowered:
            close = [lowered[word.lower()]]
    if not close and word:
        starting = [c for c in options if c.lower().startswith(word.lower())]
        close = starting if len(starting) == 1 else []
    return f"; did you mean {close[0]!r}?" if close else ""


def _get(m: Mapping[str, Any] | None, key: str, default: Any) -> Any:
    if m is None or key not in m or m[key] is None:
        return default
    return m[key]


def _derived_uuid(*parts: object) -> str:
    return str(uuidlib.uuid5(CLOUDLAB_NAMESPACE, "/".join(str(p) for p in parts)))


def _or(value: T | None, default: T) -> T:
    return default if value is None else value


# -- sections -----------------------------------------------------------------------------------


def parse_scheduler_config(
    data: Mapping[str, Any] | None,
    *,
    path: str = "scheduler",
    host_names: Iterable[str] | None = None,
    image_ids: Iterable[str] | None = None,
) -> SchedulerConfig:
    """Validate a ``scheduler:`` section (nova.conf options) and fill the era's defaults.

    ``host_names`` / ``image_ids``, when given, are what ``isolated_hosts`` / ``isolated_images``
    may name. Raises ``ScenarioError`` listing every problem.
    """
    c = _Checker()
    config = _scheduler_section(c, data, path, host_names, image_ids)
    if c.problems or config is None:
        raise ScenarioError(c.problems)
    return config


def _scheduler_section(
    c: _Checker,
    data: Any,
    path: str,
    host_names: Iterable[str] | None,
    image_ids: Iterable[str] | None,
) -> SchedulerConfig | None:
    m = c.mapping(path, {} if data is None else data, SCHEDULER_KEYS)
    if m is None:
        return None

    def p(key: str) -> str:
        return _join(path, key)

    era_value = _get(m, "era", "classic")
    era: Era = c.choice(p("era"), era_value, ERAS) or "classic"  # type: ignore[assignment]
    driver = c.choice(p("driver"), _get(m, "driver", "filter_scheduler"), DRIVERS)

    def names(key: str, known: Sequence[str], default: tuple[str, ...], what: str) -> tuple[str, ...]:
        seen: list[str] = []
        if key not in m or m[key] is None:
            return default
        for item_path, name in c.items(p(key), m[key]):
            if not isinstance(name, str) or name not in known:
                c.add(
                    item_path,
                    f"unknown {what} {_show(name)}" + (_did_you_mean(name, known) if isinstance(name, str) else ""),
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
    for key in (
        "ram_weight_multiplier",
        "cpu_weight_multiplier",
        "disk_weight_multiplier",
        "io_ops_weight_multiplier",
        "num_instances_weight_multiplier",
        "build_failure_weight_multiplier",
        "hypervisor_version_weight_multiplier",
    ):
        values[key] = _or(c.number(p(key), m[key]) if _get(m, key, None) is not None else None, getattr(defaults, key))
    for key in ("soft_affinity_weight_multiplier", "soft_anti_affinity_weight_multiplier"):
        # Nova declares these with min=0.0.
        if _get(m, key, None) is not None:
            v = c.number(p(key), m[key])
            if v is not None and v < 0:
                c.add(p(key), "must be ≥ 0 (Nova's minimum for this option)")
            values[key] = _or(v, 1.0)
    for key, minimum in (
        ("host_subset_size", 1),
        ("max_attempts", 1),
        ("max_instances_per_host", 1),
        ("max_io_ops_per_host", 0),
        ("max_cores", 1),
        ("seed", None),
    ):
        if _get(m, key, None) is not None:
            values[key] = _or(c.integer(p(key), m[key], minimum), getattr(defaults, key))
    for key in ("default_availability_zone", "image_properties_default_architecture"):
        if _get(m, key, None) is not None:
            values[key] = c.string(p(key), m[key])
    if values.get("image_properties_default_architecture"):
        c.choice(
            p("image_properties_default_architecture"),
            values["image_properties_default_architecture"],
            CPU_ARCHES,
        )
    if _get(m, "restrict_isolated_hosts_to_isolated_images", None) is not None:
        values["restrict_isolated_hosts_to_isolated_images"] = _or(
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
        for item_path, v in c.items(p(key), _get(m, key, [])):
            s = c.string(item_path, v)
            if s is None:
                continue
            if known is not None and s not in known:
                c.add(item_path, f"unknown {what} {s!r}" + _did_you_mean(s, known))
            listed.append(s)
        values[key] = tuple(listed)
    values = {k: v for k, v in values.items() if v is not None}
    return SchedulerConfig(**values)


def _flavor(c: _Checker, path: str, data: Any) -> Flavor | None:
    m = c.mapping(path, data, FLAVOR_KEYS)
    if m is None:
        return None
    before = len(c.problems)
    fid = _get(m, "id", None)
    if isinstance(fid, int) and not isinstance(fid, bool):
        fid = str(fid)
    name = c.string(_join(path, "name"), _get(m, "name", None))
    if fid is None:
        fid = name
    fid = c.string(_join(path, "id"), fid)
    vcpus = c.integer(_join(path, "vcpus"), _get(m, "vcpus", None), 1)
    ram = c.integer(_join(path, "memory_mb"), _get(m, "memory_mb", None), 1)
    root = c.integer(_join(path, "root_gb"), _get(m, "root_gb", 0), 0)
    eph = c.integer(_join(path, "ephemeral_gb"), _get(m, "ephemeral_gb", 0), 0)
    swap = c.integer(_join(path, "swap"), _get(m, "swap", 0), 0)
    specs = c.str_map(_join(path, "extra_specs"), _get(m, "extra_specs", {}))
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


def _image(c: _Checker, path: str, data: Any) -> Image | None:
    m = c.mapping(path, data, IMAGE_KEYS)
    if m is None:
        return None
    before = len(c.problems)
    name = c.string(_join(path, "name"), _get(m, "name", None))
    iid = _get(m, "id", None)
    image_id = c.uuid(_join(path, "id"), iid) if iid is not None else _derived_uuid("image", name)
    fmt = c.choice(_join(path, "disk_format"), _get(m, "disk_format", "qcow2"), DISK_FORMATS)
    size = c.integer(_join(path, "size_mb"), _get(m, "size_mb", 0), 0)
    min_ram = c.integer(_join(path, "min_ram"), _get(m, "min_ram", 0), 0)
    min_disk = c.integer(_join(path, "min_disk"), _get(m, "min_disk", 0), 0)
    props = c.str_map(_join(path, "properties"), _get(m, "properties", {}))
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


def _unique(c: _Checker, path: str, items: list[tuple[str, T | None]], key: Callable[[T], str], what: str) -> None:
    seen: dict[str, str] = {}
    for item_path, item in items:
        if item is None:
            continue
        k = key(item)
        if k in seen:
            c.add(item_path, f"duplicate {what} {k!r} (first at {seen[k]})")
        else:
            seen[k] = item_path


class _Refs:
    """Finds flavors and images by id or name."""

    def __init__(self, flavors: Sequence[Flavor], images: Sequence[Image]) -> None:
        self.flavors = flavors
        self.images = images

    def flavor(self, c: _Checker, path: str, ref: Any) -> Flavor | None:
        if isinstance(ref, Mapping):
            return _flavor(c, path, ref)
        if isinstance(ref, int) and not isinstance(ref, bool):
            ref = str(ref)
        if not isinstance(ref, str):
            c.add(path, f"must name a flavor (name or id) or be an inline flavor, not {_show(ref)}")
            return None
        for f in self.flavors:
            if ref in (f.name, f.id):
                return f
        c.add(path, f"unknown flavor {ref!r}" + _did_you_mean(ref, [f.name for f in self.flavors]))
        return None

    def image(self, c: _Checker, path: str, ref: Any) -> Image | None:
        if not isinstance(ref, str):
            c.add(path, f"must name an image (name or id), not {_show(ref)}")
            return None
        for i in self.images:
            if ref in (i.name, i.id):
                return i
        c.add(path, f"unknown image {ref!r}" + _did_you_mean(ref, [i.name for i in self.images]))
        return None


# -- the whole scenario -------------------------------------------------------------------------


def parse_scenario(data: Any) -> Scenario:
    """Validate a scenario (already read from YAML/JSON) and fill every default.

    Steps: the top-level keys; flavors and images (references need them); the scheduler
    section; aggregates; hosts with their instances and usage; server groups; requests. Every
    problem is collected; if there is any, ``ScenarioError`` lists them all.
    """
    c = _Checker()
    top = c.mapping("", data, TOP_KEYS) if isinstance(data, Mapping) else None
    if top is None:
        if not isinstance(data, Mapping):
            c.problems = [f"(top): a scenario must be a mapping, not {_kind(data)}"]
        raise ScenarioError(c.problems)

    name = c.string("name", _get(top, "name", "scenario"))
    if name is not None and not _SLUG.match(name):
        c.add("name", f"{name!r} must be a slug: lower-case letters, digits, '-' and '_'")
    description: dict[str, str] = {"en": "", "zh-hans": ""}
    d = _get(top, "description", {})
    if isinstance(d, str):
        description["en"] = d
    else:
        dm = c.mapping("description", d, ("en", "zh-hans"))
        for lang in ("en", "zh-hans"):
            if dm is not None and _get(dm, lang, None) is not None:
                description[lang] = c.string(f"description.{lang}", dm[lang], allow_empty=True) or ""

    # flavors and images
    flavors: list[Flavor] = list(DEFAULT_FLAVORS)
    if _get(top, "flavors", None) is not None:
        parsed_f = [(p, _flavor(c, p, v)) for p, v in c.items("flavors", top["flavors"])]
        _unique(c, "flavors", parsed_f, lambda f: f.id, "flavor id")
        _unique(c, "flavors", parsed_f, lambda f: f.name, "flavor name")
        flavors = [f for _, f in parsed_f if f is not None]
        if not parsed_f:
            c.add("flavors", "must list at least one flavor (leave it out for Nova's default eight)")
    images: list[Image] = list(DEFAULT_IMAGES)
    if _get(top, "images", None) is not None:
        parsed_i = [(p, _image(c, p, v)) for p, v in c.items("images", top["images"])]
        _unique(c, "images", parsed_i, lambda i: i.id, "image id")
        _unique(c, "images", parsed_i, lambda i: i.name, "image name")
        images = [i for _, i in parsed_i if i is not None]
    refs = _Refs(flavors, images)

    # host names first: the scheduler section's isolated_hosts may name them
    raw_hosts = c.items("hosts", _get(top, "hosts", []))
    host_names = [h["name"] for _, h in raw_hosts if isinstance(h, Mapping) and isinstance(h.get("name"), str)]
    config = _scheduler_section(c, _get(top, "scheduler", {}), "scheduler", host_names, [i.id for i in images])
    era: Era = config.era if config else "classic"

    # aggregates
    aggregates: dict[str, Aggregate] = {}
    for path, raw in c.items("aggregates", _get(top, "aggregates", [])):
        m = c.mapping(path, raw, AGGREGATE_KEYS)
        if m is None:
            continue
        aname = c.string(_join(path, "name"), _get(m, "name", None))
        az = _get(m, "availability_zone", None)
        if az is not None:
            az = c.string(_join(path, "availability_zone"), az)
        meta = c.str_map(_join(path, "metadata"), _get(m, "metadata", {}))
        if meta and "availability_zone" in meta:
            c.add(
                _join(path, "metadata.availability_zone"),
                "set the zone with the aggregate's availability_zone field",
            )
        if aname is None or meta is None:
            continue
        if aname in aggregates:
            c.add(_join(path, "name"), f"duplicate aggregate name {aname!r}")
            continue
        aggregates[aname] = Aggregate(aname, az, meta)

    # hosts and their instances
    hosts: list[HostState] = []
    instances: list[Instance] = []
    seen_hosts: dict[str, str] = {}
    seen_uuids: dict[str, str] = {}
    for index, (path, raw) in enumerate(raw_hosts):
        hname = raw.get("name") if isinstance(raw, Mapping) else None
        if isinstance(hname, str) and hname in seen_hosts:
            c.add(_join(path, "name"), f"duplicate host name {hname!r} (first at {seen_hosts[hname]})")
            continue
        if isinstance(hname, str):
            seen_hosts[hname] = path
        host = _host(c, path, raw, index, era, aggregates, refs, instances, seen_uuids)
        if host is not None:
            hosts.append(host)
    if not raw_hosts:
        c.add("hosts", "a scenario needs at least one host")

    # server groups
    instance_uuids = {i.uuid for i in instances}
    groups: dict[str, ServerGroup] = {}
    for path, raw in c.items("server_groups", _get(top, "server_groups", [])):
        group = _server_group(c, path, raw, instance_uuids)
        if group is None:
            continue
        if group.name in groups:
            c.add(_join(path, "name"), f"duplicate server group name {group.name!r}")
            continue
        groups[group.name] = group

    # requests
    zones = {a.availability_zone for a in aggregates.values() if a.availability_zone}
    zones.add(config.default_availability_zone if config else "nova")
    requests: list[ScheduleRequest] = []
    for rindex, (path, raw) in enumerate(c.items("requests", _get(top, "requests", []))):
        request = _request(c, path, raw, rindex, refs, groups, zones, name or "scenario")
        if request is not None:
            requests.append(request)

    if c.problems or name is None or config is None:
        raise ScenarioError(c.problems)
    return Scenario(
        name=name,
        description=description,
        scheduler=config,
        aggregates=tuple(aggregates.values()),
        hosts=tuple(hosts),
        flavors=tuple(flavors),
        images=tuple(images),
        server_groups=tuple(groups.values()),
        requests=tuple(requests),
        instances=tuple(instances),
    )


def _host(
    c: _Checker,
    path: str,
    raw: Any,
    index: int,
    era: Era,
    aggregates: Mapping[str, Aggregate],
    refs: _Refs,
    instances_out: list[Instance],
    seen_uuids: dict[str, str],
) -> HostState | None:
    m = c.mapping(path, raw, HOST_KEYS)
    if m is None:
        return None
    before = len(c.problems)

    def p(key: str) -> str:
        return _join(path, key)

    name = c.string(p("name"), _get(m, "name", None))
    host_aggs: list[Aggregate] = []
    for item_path, ref in c.items(p("aggregates"), _get(m, "aggregates", [])):
        if isinstance(ref, str) and ref in aggregates:
            host_aggs.append(aggregates[ref])
        else:
            c.add(
                item_path,
                f"unknown aggregate {_show(ref)}"
                + (_did_you_mean(ref, list(aggregates)) if isinstance(ref, str) else ""),
            )
    default_ip = str(ipaddress.ip_address("10.0.0.0") + 11 + index)
    host_ip = c.ip(p("host_ip"), _get(m, "host_ip", default_ip))
    hv_type = c.choice(p("hypervisor_type"), _get(m, "hypervisor_type", "QEMU"), tuple(HV_TYPES))
    hv_version = c.integer(p("hypervisor_version"), _get(m, "hypervisor_version", 6002000), 0)
    arch_class = c.choice(
        p("architecture"),
        _get(m, "architecture", default_architecture(hv_type or "QEMU")),
        ARCHITECTURE_CLASSES,
    )
    cpu_arch = c.choice(p("cpu_arch"), _get(m, "cpu_arch", "x86_64"), CPU_ARCHES)
    triples: list[tuple[str, str, str]] = []
    for item_path, t in c.items(p("supported_instances"), _get(m, "supported_instances", [])):
        if isinstance(t, list) and len(t) == 3 and all(isinstance(x, str) and x for x in t):
            triples.append((t[0], t[1], t[2]))
        else:
            c.add(
                item_path,
                "must be a triple [architecture, hypervisor type, vm mode], e.g. [x86_64, qemu, hvm]",
            )
    enabled = c.boolean(p("enabled"), _get(m, "enabled", True))
    up = c.boolean(p("up"), _get(m, "up", True))
    vcpus = c.integer(p("vcpus"), _get(m, "vcpus", None), 1)
    memory_mb = c.integer(p("memory_mb"), _get(m, "memory_mb", None), 1)
    local_gb = c.integer(p("local_gb"), _get(m, "local_gb", None), 1)
    ratios: dict[str, float | None] = {}
    for key in ("cpu_allocation_ratio", "ram_allocation_ratio", "disk_allocation_ratio"):
        v = _get(m, key, None)
        ratios[key] = None if v is None else c.number(p(key), v, positive=True)
    reserved = {
        "reserved_host_memory_mb": c.integer(
            p("reserved_host_memory_mb"),
            _get(m, "reserved_host_memory_mb", DEFAULT_RESERVED_HOST_MEMORY_MB),
            0,
        ),
        "reserved_host_disk_mb": c.integer(
            p("reserved_host_disk_mb"), _get(m, "reserved_host_disk_mb", DEFAULT_RESERVED_HOST_DISK_MB), 0
        ),
        "reserved_host_cpus": c.integer(
            p("reserved_host_cpus"), _get(m, "reserved_host_cpus", DEFAULT_RESERVED_HOST_CPUS), 0
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
    for item_path, iraw in c.items(p("instances"), _get(m, "instances", [])):
        inst = _instance(c, item_path, iraw, name or f"host{index}", len(host_instances), refs)
        if inst is None:
            continue
        if inst.uuid in seen_uuids:
            c.add(
                _join(item_path, "uuid"),
                f"duplicate instance uuid {inst.uuid} (first at {seen_uuids[inst.uuid]})",
            )
            continue
        seen_uuids[inst.uuid] = item_path
        host_instances.append(inst)

    usage_raw = _get(m, "usage", None)
    usage_override: dict[str, int] = {}
    if usage_raw is not None:
        um = c.mapping(p("usage"), usage_raw, USAGE_KEYS)
        for key in USAGE_KEYS:
            if um is not None and _get(um, key, None) is not None:
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
            if _get(m, "supported_instances", None) is not None
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


def _instance(c: _Checker, path: str, raw: Any, host: str, index: int, refs: _Refs) -> Instance | None:
    m = c.mapping(path, raw, INSTANCE_KEYS)
    if m is None:
        return None
    before = len(c.problems)
    raw_uuid = _get(m, "uuid", None)
    uuid = c.uuid(_join(path, "uuid"), raw_uuid) if raw_uuid is not None else _derived_uuid("instance", host, index)
    name = c.string(_join(path, "name"), _get(m, "name", f"{host}-vm{index + 1}"))
    if "flavor" not in m:
        c.add(_join(path, "flavor"), "is required")
        flavor = None
    else:
        flavor = refs.flavor(c, _join(path, "flavor"), m["flavor"])
    image = refs.image(c, _join(path, "image"), m["image"]) if _get(m, "image", None) is not None else None
    vm_state = c.choice(_join(path, "vm_state"), _get(m, "vm_state", VmState.ACTIVE), VmState.ALL)
    task_state = _get(m, "task_state", None)
    if task_state is not None:
        task_state = c.choice(_join(path, "task_state"), task_state, TaskState.ALL)
    project = c.string(_join(path, "project"), _get(m, "project", "demo"))
    if project is not None and not _SLUG.match(project):
        c.add(
            _join(path, "project"),
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


def _server_group(c: _Checker, path: str, raw: Any, instance_uuids: set[str]) -> ServerGroup | None:
    m = c.mapping(path, raw, GROUP_KEYS)
    if m is None:
        return None
    before = len(c.problems)
    name = c.string(_join(path, "name"), _get(m, "name", None))
    guuid_raw = _get(m, "uuid", None)
    guuid = c.uuid(_join(path, "uuid"), guuid_raw) if guuid_raw is not None else _derived_uuid("group", name)
    policy = c.choice(_join(path, "policy"), _get(m, "policy", None), SERVER_GROUP_POLICIES)
    rules: dict[str, int] = {}
    rm = c.mapping(_join(path, "rules"), _get(m, "rules", {}), ("max_server_per_host",))
    if rm and _get(rm, "max_server_per_host", None) is not None:
        v = c.integer(_join(path, "rules.max_server_per_host"), rm["max_server_per_host"], 1)
        if v is not None:
            rules["max_server_per_host"] = v
        if policy is not None and policy != "anti-affinity":
            c.add(_join(path, "rules"), "only the anti-affinity policy takes rules (max_server_per_host)")
    members: list[str] = []
    for item_path, mem in c.items(_join(path, "members"), _get(m, "members", [])):
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


def _uuid_list(c: _Checker, path: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]  # Nova accepts one uuid or a list
    out = [c.uuid(p, v) for p, v in c.items(path, value)]
    return tuple(u for u in out if u)


def _request(
    c: _Checker,
    path: str,
    raw: Any,
    index: int,
    refs: _Refs,
    groups: Mapping[str, ServerGroup],
    zones: set[str],
    scenario: str,
) -> ScheduleRequest | None:
    m = c.mapping(path, raw, REQUEST_KEYS)
    if m is None:
        return None
    before = len(c.problems)

    def p(key: str) -> str:
        return _join(path, key)

    flavor = refs.flavor(c, p("flavor"), m["flavor"]) if "flavor" in m else None
    if "flavor" not in m:
        c.add(p("flavor"), "is required")
    image_ref = _get(m, "image", refs.images[0].name if refs.images else None)
    image = refs.image(c, p("image"), image_ref) if image_ref is not None else None
    count = c.integer(p("num_instances"), _get(m, "num_instances", 1), 1)
    az = _get(m, "availability_zone", None)
    if az is not None and c.string(p("availability_zone"), az) is not None and az not in zones:
        c.add(p("availability_zone"), f"unknown availability zone {az!r} (zones: {', '.join(sorted(zones))})")
    if flavor and image:
        # The compute API refuses these before anything is scheduled.
        requirements = ImageRequirements(image.name, image.min_ram, image.min_disk, image.size_mb)
        for problem in flavor_image_problems(flavor.name, flavor.size, requirements):
            c.add(p("flavor"), problem.render())
    hm = c.mapping(p("scheduler_hints"), _get(m, "scheduler_hints", {}), HINT_KEYS)
    hints = SchedulerHints()
    group: ServerGroup | None = None
    if hm is not None:

        def hp(key: str) -> str:
            return _join(p("scheduler_hints"), key)

        near = _get(hm, "build_near_host_ip", None)
        near_ip = c.ip(hp("build_near_host_ip"), near) if near is not None else None
        cidr = _get(hm, "cidr", "/24")
        cm = _CIDR.match(cidr) if isinstance(cidr, str) else None
        max_bits = 128 if near_ip and ":" in near_ip else 32
        if cm is None or int(cm.group(1)) > max_bits:
            c.add(hp("cidr"), f"{_show(cidr)} is not a prefix length like /24 (0 to {max_bits})")
        gname = _get(hm, "group", None)
        if gname is not None:
            if isinstance(gname, str) and gname in groups:
                group = groups[gname]
            else:
                c.add(
                    hp("group"),
                    f"unknown server group {_show(gname)}"
                    + (_did_you_mean(gname, list(groups)) if isinstance(gname, str) else ""),
                )
        hints = SchedulerHints(
            same_host=_uuid_list(c, hp("same_host"), _get(hm, "same_host", None)),
            different_host=_uuid_list(c, hp("different_host"), _get(hm, "different_host", None)),
            build_near_host_ip=near_ip,
            cidr=cidr if isinstance(cidr, str) else "/24",
            group=gname if isinstance(gname, str) else None,
        )
    if len(c.problems) > before or flavor is None or count is None:
        return None
    uuids = tuple(_derived_uuid(scenario, "request", index, k) for k in range(count))
    return ScheduleRequest(
        flavor=flavor,
        image=image,
        num_instances=count,
        availability_zone=az,
        scheduler_hints=hints,
        server_group=group,
        instance_uuids=uuids,
    )


def load_scenario_file(path: str | Path) -> Scenario:
    """Read a YAML or JSON scenario file and ``parse_scenario`` it.

    ``.json`` files are read as JSON, anything else as YAML (which also reads JSON). A file that
    cannot be read or parsed raises ``ScenarioError`` with one problem naming the file.
    """
    import yaml  # type: ignore[import-untyped]  # only the file reader needs it

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([f"{p}: cannot read the file ({exc})"]) from exc
    try:
        data = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError([f"{p}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"]) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ScenarioError([f"{p}: not valid YAML{where}: {getattr(exc, 'problem', exc)}"]) from exc
    return parse_scenario(data)
