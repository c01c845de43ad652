"""A moment: the frozen inputs of one scheduling decision, to store, replay and rerun.

The trace says what the scheduler decided; the moment says what it decided *on*: the hosts as
they were, the request, the cloud's ``nova.conf`` and the hosts already tried. Stored next to the
trace (as plain JSON, ``moment_to_dict``), it lets a what-if change one thing and schedule the
same request again (``rerun``) without touching the live cloud.

``moment_from_dict(moment_to_dict(m)) == m`` for every moment; malformed data raises
``ValueError`` naming the path of the first problem (``hosts[2].resources.vcpus: must be an
integer, not 'x'``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from ..architectures import DEFAULT_ARCHITECTURE
from ..i18n import Translate, identity
from ..resources import ERAS, Era, HostResources
from .checks import show
from .config import SchedulerConfig
from .drivers import DRIVER_NAMES, schedule
from .model import (
    Aggregate,
    Flavor,
    HostState,
    Image,
    ScheduleRequest,
    SchedulerHints,
    ServerGroup,
)
from .schema import SchedulingTrace

#: Bumped when the stored shape changes incompatibly; ``moment_from_dict`` refuses other versions.
MOMENT_VERSION = 1


@dataclass(frozen=True)
class Moment:
    """The frozen inputs of one decision: enough to replay it and to run it again."""

    hosts: tuple[HostState, ...]
    request: ScheduleRequest
    config: SchedulerConfig
    retry_hosts: tuple[str, ...] = ()
    #: The cloud's other aggregates (those no offered host is in): the placement era's
    #: availability-zone request filter reads every aggregate that declares the zone.
    aggregates: tuple[Aggregate, ...] = ()

    def __post_init__(self) -> None:
        # Callers often hold lists; a moment compares equal whatever sequence it was built from.
        object.__setattr__(self, "hosts", tuple(self.hosts))
        object.__setattr__(self, "retry_hosts", tuple(self.retry_hosts))
        object.__setattr__(self, "aggregates", tuple(self.aggregates))

    def host(self, name: str) -> HostState:
        for h in self.hosts:
            if h.name == name:
                return h
        raise ValueError(f"unknown host {name!r}")

    @property
    def host_names(self) -> tuple[str, ...]:
        return tuple(h.name for h in self.hosts)


def rerun(m: Moment, *, translate: Translate = identity) -> SchedulingTrace:
    """Schedule the moment's request again on its frozen hosts; the trace ``schedule`` returns.

    The random generator is a fresh ``random.Random(config.seed)``, as for any single decision.
    """
    return schedule(
        m.hosts, m.request, m.config, retry_hosts=m.retry_hosts, translate=translate, aggregates=m.aggregates
    )


# -- to plain data ------------------------------------------------------------------------------


def moment_to_dict(m: Moment) -> dict[str, Any]:
    """The moment as JSON-ready data (lists, dicts, strings, numbers, booleans, None)."""
    return {
        "version": MOMENT_VERSION,
        "hosts": [_host_to_dict(h) for h in m.hosts],
        "request": _request_to_dict(m.request),
        "config": m.config.to_dict(),
        "retry_hosts": list(m.retry_hosts),
        "aggregates": [a.to_dict() for a in m.aggregates],
    }


def _host_to_dict(h: HostState) -> dict[str, Any]:
    # Not HostState.to_dict(): that one is for display (aggregate names only, derived triples).
    r = h.resources
    return {
        "name": h.name,
        "resources": {f.name: getattr(r, f.name) for f in fields(HostResources)},
        "aggregates": [a.to_dict() for a in h.aggregates],
        "host_ip": h.host_ip,
        "hypervisor_type": h.hypervisor_type,
        "hypervisor_version": h.hypervisor_version,
        "architecture": h.architecture,
        "cpu_arch": h.cpu_arch,
        "supported_instances": None if h.supported_instances is None else [list(t) for t in h.supported_instances],
        "enabled": h.enabled,
        "disabled_reason": h.disabled_reason,
        "up": h.up,
        "num_instances": h.num_instances,
        "num_io_ops": h.num_io_ops,
        "failed_builds": h.failed_builds,
        "instance_uuids": sorted(h.instance_uuids),
        "stats": dict(h.stats),
        "cpu_info": _plain(h.cpu_info),
    }


def _request_to_dict(r: ScheduleRequest) -> dict[str, Any]:
    return {
        "flavor": r.flavor.to_dict(),
        "image": r.image.to_dict() if r.image else None,
        "num_instances": r.num_instances,
        "availability_zone": r.availability_zone,
        "scheduler_hints": r.scheduler_hints.to_dict(),
        "server_group": r.server_group.to_dict() if r.server_group else None,
        "instance_uuids": list(r.instance_uuids),
        "project": r.project,
        **({"requested_destination": r.requested_destination} if r.requested_destination else {}),
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


# -- from plain data ----------------------------------------------------------------------------


def moment_from_dict(d: Mapping[str, Any]) -> Moment:
    """The moment ``moment_to_dict`` stored; ``ValueError`` naming the first malformed path."""
    data = _mapping(
        "moment", d, required=("hosts", "request", "config"), optional=("version", "retry_hosts", "aggregates")
    )
    version = data.get("version", MOMENT_VERSION)
    if version != MOMENT_VERSION:
        raise ValueError(f"moment.version: unsupported version {show(version)} (this code reads {MOMENT_VERSION})")
    hosts = tuple(_host(f"hosts[{i}]", h) for i, h in enumerate(_list("hosts", data["hosts"])))
    names = [h.name for h in hosts]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise ValueError(f"hosts[{i}].name: duplicate host {name!r}")
    return Moment(
        hosts=hosts,
        request=_request("request", data["request"]),
        config=_config("config", data["config"]),
        retry_hosts=_strings("retry_hosts", data.get("retry_hosts", [])),
        aggregates=tuple(
            _aggregate(f"aggregates[{i}]", a) for i, a in enumerate(_list("aggregates", data.get("aggregates", [])))
        ),
    )


_HOST_KEYS = (
    "aggregates",
    "host_ip",
    "hypervisor_type",
    "hypervisor_version",
    "architecture",
    "cpu_arch",
    "supported_instances",
    "enabled",
    "disabled_reason",
    "up",
    "num_instances",
    "num_io_ops",
    "failed_builds",
    "instance_uuids",
    "stats",
    "cpu_info",
)
_RATIO_FIELDS = ("cpu_allocation_ratio", "ram_allocation_ratio", "disk_allocation_ratio")


def _host(path: str, value: Any) -> HostState:
    d = _mapping(path, value, required=("name", "resources"), optional=_HOST_KEYS)
    res_fields = tuple(f.name for f in fields(HostResources))
    rd = _mapping(f"{path}.resources", d["resources"], required=res_fields[:6], optional=res_fields[6:])
    amounts: dict[str, Any] = {}
    for name, v in rd.items():
        p = f"{path}.resources.{name}"
        amounts[name] = _number(p, v) if name in _RATIO_FIELDS else _int(p, v)
    resources = HostResources(**amounts)
    triples_value = d.get("supported_instances")
    triples: tuple[tuple[str, str, str], ...] | None = None
    if triples_value is not None:
        triples = tuple(
            _triple(f"{path}.supported_instances[{i}]", t)
            for i, t in enumerate(_list(f"{path}.supported_instances", triples_value))
        )
    cpu_info = d.get("cpu_info", {})
    if not isinstance(cpu_info, Mapping):
        raise ValueError(f"{path}.cpu_info: must be a mapping, not {show(cpu_info)}")
    return HostState(
        name=_str(f"{path}.name", d["name"]),
        resources=resources,
        aggregates=tuple(
            _aggregate(f"{path}.aggregates[{i}]", a)
            for i, a in enumerate(_list(f"{path}.aggregates", d.get("aggregates", [])))
        ),
        host_ip=_opt_str(f"{path}.host_ip", d.get("host_ip")),
        hypervisor_type=_str(f"{path}.hypervisor_type", d.get("hypervisor_type", "QEMU")),
        hypervisor_version=_int(f"{path}.hypervisor_version", d.get("hypervisor_version", 6002000)),
        architecture=_str(f"{path}.architecture", d.get("architecture", DEFAULT_ARCHITECTURE)),
        cpu_arch=_str(f"{path}.cpu_arch", d.get("cpu_arch", "x86_64")),
        supported_instances=triples,
        enabled=_bool(f"{path}.enabled", d.get("enabled", True)),
        disabled_reason=_str(f"{path}.disabled_reason", d.get("disabled_reason", "")),
        up=_bool(f"{path}.up", d.get("up", True)),
        num_instances=_int(f"{path}.num_instances", d.get("num_instances", 0)),
        num_io_ops=_int(f"{path}.num_io_ops", d.get("num_io_ops", 0)),
        failed_builds=_int(f"{path}.failed_builds", d.get("failed_builds", 0)),
        instance_uuids=frozenset(_strings(f"{path}.instance_uuids", d.get("instance_uuids", []))),
        stats=_str_map(f"{path}.stats", d.get("stats", {})),
        cpu_info=dict(_plain(cpu_info)),
    )


def _triple(path: str, value: Any) -> tuple[str, str, str]:
    items = _strings(path, value)
    if len(items) != 3:
        raise ValueError(f"{path}: must be [arch, hv_type, vm_mode], not {show(value)}")
    return (items[0], items[1], items[2])


def _aggregate(path: str, value: Any) -> Aggregate:
    d = _mapping(path, value, required=("name",), optional=("availability_zone", "metadata"))
    return Aggregate(
        name=_str(f"{path}.name", d["name"]),
        availability_zone=_opt_str(f"{path}.availability_zone", d.get("availability_zone")),
        metadata=_str_map(f"{path}.metadata", d.get("metadata", {})),
    )


def flavor_from_dict(path: str, value: Any) -> Flavor:
    """A flavor as ``Flavor.to_dict`` wrote it (every size field required)."""
    d = _mapping(
        path,
        value,
        required=("id", "name", "vcpus", "memory_mb", "root_gb"),
        optional=("ephemeral_gb", "swap", "extra_specs"),
    )
    return Flavor(
        id=_str(f"{path}.id", d["id"]),
        name=_str(f"{path}.name", d["name"]),
        vcpus=_int(f"{path}.vcpus", d["vcpus"]),
        memory_mb=_int(f"{path}.memory_mb", d["memory_mb"]),
        root_gb=_int(f"{path}.root_gb", d["root_gb"]),
        ephemeral_gb=_int(f"{path}.ephemeral_gb", d.get("ephemeral_gb", 0)),
        swap=_int(f"{path}.swap", d.get("swap", 0)),
        extra_specs=_str_map(f"{path}.extra_specs", d.get("extra_specs", {})),
    )


def _image(path: str, value: Any) -> Image:
    d = _mapping(
        path,
        value,
        required=("id", "name"),
        optional=("disk_format", "size_mb", "min_ram", "min_disk", "properties"),
    )
    return Image(
        id=_str(f"{path}.id", d["id"]),
        name=_str(f"{path}.name", d["name"]),
        disk_format=_str(f"{path}.disk_format", d.get("disk_format", "qcow2")),
        size_mb=_int(f"{path}.size_mb", d.get("size_mb", 0)),
        min_ram=_int(f"{path}.min_ram", d.get("min_ram", 0)),
        min_disk=_int(f"{path}.min_disk", d.get("min_disk", 0)),
        properties=_str_map(f"{path}.properties", d.get("properties", {})),
    )


def _server_group(path: str, value: Any) -> ServerGroup:
    d = _mapping(path, value, required=("name", "policy"), optional=("uuid", "rules", "members", "hosts"))
    rules = _mapping(f"{path}.rules", d.get("rules", {}))
    return ServerGroup(
        name=_str(f"{path}.name", d["name"]),
        policy=_str(f"{path}.policy", d["policy"]),
        members=_strings(f"{path}.members", d.get("members", [])),
        rules={_str(f"{path}.rules", k): _int(f"{path}.rules.{k}", v) for k, v in rules.items()},
        uuid=_str(f"{path}.uuid", d.get("uuid", "")),
        hosts=_strings(f"{path}.hosts", d.get("hosts", [])),
    )


def _hints(path: str, value: Any) -> SchedulerHints:
    d = _mapping(path, value, optional=("same_host", "different_host", "build_near_host_ip", "cidr", "group"))
    return SchedulerHints(
        same_host=_strings(f"{path}.same_host", d.get("same_host", [])),
        different_host=_strings(f"{path}.different_host", d.get("different_host", [])),
        build_near_host_ip=_opt_str(f"{path}.build_near_host_ip", d.get("build_near_host_ip")),
        cidr=_str(f"{path}.cidr", d.get("cidr", "/24")),
        group=_opt_str(f"{path}.group", d.get("group")),
    )


def _request(path: str, value: Any) -> ScheduleRequest:
    d = _mapping(
        path,
        value,
        required=("flavor",),
        optional=(
            "image",
            "num_instances",
            "availability_zone",
            "scheduler_hints",
            "server_group",
            "instance_uuids",
            "project",
            "requested_destination",
        ),
    )
    image = d.get("image")
    group = d.get("server_group")
    num = _int(f"{path}.num_instances", d.get("num_instances", 1))
    if num < 1:
        raise ValueError(f"{path}.num_instances: must be a positive integer, not {num}")
    return ScheduleRequest(
        flavor=flavor_from_dict(f"{path}.flavor", d["flavor"]),
        image=None if image is None else _image(f"{path}.image", image),
        num_instances=num,
        availability_zone=_opt_str(f"{path}.availability_zone", d.get("availability_zone")),
        scheduler_hints=_hints(f"{path}.scheduler_hints", d.get("scheduler_hints", {})),
        server_group=None if group is None else _server_group(f"{path}.server_group", group),
        instance_uuids=_strings(f"{path}.instance_uuids", d.get("instance_uuids", [])),
        project=_str(f"{path}.project", d.get("project", "demo")),
        requested_destination=_opt_str(f"{path}.requested_destination", d.get("requested_destination")),
    )


def _config(path: str, value: Any) -> SchedulerConfig:
    """Every ``nova.conf`` option by its declared type; a missing option takes its default."""
    names = tuple(f.name for f in fields(SchedulerConfig))
    d = _mapping(path, value, optional=names)
    types = {f.name: str(f.type) for f in fields(SchedulerConfig)}
    kwargs: dict[str, Any] = {}
    for name, v in d.items():
        p = f"{path}.{name}"
        t = types[name]
        if name == "era":
            kwargs[name] = _era(p, v)
        elif name == "driver":
            if v not in DRIVER_NAMES:
                raise ValueError(f"{p}: must be one of {', '.join(DRIVER_NAMES)}, not {show(v)}")
            kwargs[name] = v
        elif t == "float":
            kwargs[name] = _number(p, v)
        elif t == "int":
            kwargs[name] = _int(p, v)
        elif t == "bool":
            kwargs[name] = _bool(p, v)
        elif t == "str":
            kwargs[name] = _str(p, v)
        elif t == "str | None":
            kwargs[name] = _opt_str(p, v)
        elif t == "tuple[str, ...]":
            kwargs[name] = _strings(p, v)
        else:  # pragma: no cover - a new option type needs a reader here
            raise ValueError(f"{p}: cannot read an option of type {t}")
    return SchedulerConfig(**kwargs)


def _era(path: str, value: Any) -> Era:
    for era in ERAS:
        if value == era:
            return era
    raise ValueError(f"{path}: must be one of {', '.join(ERAS)}, not {show(value)}")


# -- strict readers: each names the path and what it wanted -----------------------------------


def _mapping(
    path: str, value: Any, *, required: Iterable[str] = (), optional: Iterable[str] | None = None
) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{path}: must be a mapping, not {show(value)}")
    required = tuple(required)
    for key in required:
        if key not in value:
            raise ValueError(f"{path}.{key}: missing")
    if optional is not None:
        allowed = set(required) | set(optional)
        for key in value:
            if key not in allowed:
                raise ValueError(f"{path}.{key}: unknown key")
    return value


def _list(path: str, value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise ValueError(f"{path}: must be a list, not {show(value)}")
    return list(value)


def _str(path: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{path}: must be a string, not {show(value)}")
    return value


def _opt_str(path: str, value: Any) -> str | None:
    return None if value is None else _str(path, value)


def _strings(path: str, value: Any) -> tuple[str, ...]:
    return tuple(_str(f"{path}[{i}]", v) for i, v in enumerate(_list(path, value)))


def _str_map(path: str, value: Any) -> dict[str, str]:
    d = _mapping(path, value)
    return {_str(path, k): _str(f"{path}.{k}", v) for k, v in d.items()}


def _bool(path: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{path}: must be true or false, not {show(value)}")
    return value


def _int(path: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{path}: must be an integer, not {show(value)}")
    if isinstance(value, float):
        # JSON stores may hand back 4.0 for 4; anything else is not a count.
        if not value.is_integer():
            raise ValueError(f"{path}: must be an integer, not {show(value)}")
        return int(value)
    return value


def _number(path: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{path}: must be a number, not {show(value)}")
    return float(value)
