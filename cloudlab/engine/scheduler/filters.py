"""Nova's host filters (nova-semantics.md section b), each explaining its verdict.

Every filter returns a ``Verdict``: passed or not, the English template of the sentence a
student reads (marked with ``N_`` for translation) and the numbers that fill it. The rules follow
Nova's ``host_passes`` methods; capacity arithmetic comes from ``cloudlab.engine.resources``.
"""

from __future__ import annotations

import ipaddress
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, ClassVar, Literal, NamedTuple

from ..i18n import N_
from ..resources import ERAS, Era
from .config import SchedulerConfig
from .extra_specs import match
from .image_meta import IMAGE_META_PROPS, image_meta_props
from .model import (
    HostState,
    ScheduleRequest,
    aggregate_number,
    canonical_arch,
    canonical_hv_type,
    canonical_vm_mode,
)
from .weighers import WEIGHERS


class Verdict(NamedTuple):
    """A filter's answer for one host (a tuple: thousands are made per decision)."""

    passed: bool
    message: str
    numbers: dict[str, Any]
    #: Limits a passing capacity filter hands to the compute claim (``limits.memory_mb`` …).
    limits: dict[str, float] | None = None


@dataclass
class FilterContext:
    """What the filters read besides the host: the request and the state of this pass.

    ``group_hosts`` are the hosts the request's server group already has instances on (Nova's
    ``instance_group.hosts``), grown as a multi-instance request places its instances.
    """

    request: ScheduleRequest
    config: SchedulerConfig
    index: int = 0
    instance_uuid: str = ""
    retry_hosts: tuple[str, ...] = ()
    group_hosts: list[str] = field(default_factory=list)
    #: Per-filter memo for filters whose verdict depends on a few host properties only.
    memo: dict[str, dict[Any, Verdict]] = field(default_factory=dict)

    @cached_property
    def group_members(self) -> frozenset[str]:
        group = self.request.server_group
        if group is None:
            return frozenset()
        return frozenset(group.members) | frozenset(self.request.instance_uuids)

    @cached_property
    def retry_set(self) -> frozenset[str]:
        return frozenset(self.retry_hosts)

    @cached_property
    def image_props(self) -> tuple[str | None, str | None, str | None]:
        """(architecture, hv_type, vm_mode) the image asks for, canonicalised as Nova does."""
        props = self.request.image.properties if self.request.image else {}
        arch = props.get("hw_architecture") or self.config.image_properties_default_architecture
        hv = props.get("img_hv_type")
        mode = props.get("hw_vm_mode")
        return (
            canonical_arch(arch) if arch else None,
            canonical_hv_type(hv) if hv else None,
            canonical_vm_mode(mode) if mode else None,
        )

    @cached_property
    def cidr_network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
        hints = self.request.scheduler_hints
        if not hints.build_near_host_ip:
            return None
        return ipaddress.ip_network(f"{hints.build_near_host_ip}{hints.cidr or '/24'}", strict=False)


# Verdicts without numbers: one object each, shared by every host that gets it.
_ALL_PASS = Verdict(True, N_("every host passes"), {})
_FIRST_ATTEMPT = Verdict(True, N_("first attempt: no host tried yet"), {})
_NO_ZONE_REQUESTED = Verdict(True, N_("no availability zone requested"), {})
_SERVICE_DISABLED = Verdict(False, N_("the nova-compute service is disabled"), {})
_SERVICE_DISABLED_BECAUSE = N_("the nova-compute service is disabled, reason: {disabled_reason}")
_SERVICE_DOWN = Verdict(False, N_("nova-compute is down (no heartbeat within 60 s)"), {})
_SERVICE_UP = Verdict(True, N_("nova-compute is enabled and up"), {})
_NO_VCPU_COUNT = Verdict(True, N_("the host reports no vCPU count, so it passes (fail-safe)"), {})
_NO_IMAGE_PROPERTIES = Verdict(True, N_("the image sets no architecture, hypervisor type or VM mode"), {})
_ISOLATED_HOST_NO_ISOLATED_IMAGES = Verdict(False, N_("an isolated host, and no image is isolated"), {})
_NO_ISOLATION = Verdict(True, N_("no image is isolated and the host may take any image"), {})
_NO_CIDR_HINT = Verdict(True, N_("no build_near_host_ip hint"), {})
_NO_DIFFERENT_HOST_HINT = Verdict(True, N_("no different_host hint"), {})
_NO_SAME_HOST_HINT = Verdict(True, N_("no same_host hint"), {})
_NO_ANTI_AFFINITY_GROUP = Verdict(True, N_("the request is in no anti-affinity group"), {})
_ALREADY_ON_HOST = Verdict(True, N_("the instance is already on this host"), {})
_NO_AFFINITY_GROUP = Verdict(True, N_("the request is in no affinity group"), {})
_NO_EXTRA_SPECS = Verdict(True, N_("the flavor has no extra specs"), {})
_NO_AGGREGATE_SPECS = Verdict(True, N_("no extra spec is about aggregates"), {})
_NO_CAPABILITY_SPECS = Verdict(True, N_("no extra spec names a host capability"), {})


_CLASSIC_AND_PLACEMENT: frozenset[Era] = frozenset(ERAS)
#: Filters today's Nova no longer has: RamFilter/CoreFilter/DiskFilter were removed in Train
#: (20), RetryFilter and the Aggregate{Ram,Core,Disk}Filter in Victoria (22),
#: AvailabilityZoneFilter in 2023.2 Bobcat (28). Each says when (``removed_in``) and what does
#: its work in the placement era (``replaced_by``).
_CLASSIC: frozenset[Era] = frozenset({"classic"})
_TRAIN, _VICTORIA, _BOBCAT = "Train (20)", "Victoria (22)", "2023.2 Bobcat (28)"
_PLACEMENT_CHECKS_CAPACITY = N_("Placement checks capacity")


#: What an aggregate metadata value must be: a positive number (an allocation ratio), a
#: non-negative integer (a per-host maximum), a comma-separated list of names.
MetadataKind = Literal["ratio", "count", "list"]


class HostFilter:
    """A filter: ``host_passes`` gives the verdict for one host; the registry entry declares the rest.

    Its name is its class name; ``eras`` are the eras whose Nova has it (a placement-era cloud
    cannot enable a classic-only filter).
    """

    name: ClassVar[str]
    eras: ClassVar[frozenset[Era]] = _CLASSIC_AND_PLACEMENT
    #: Nova's flag: the answer cannot change between the instances of one request, so the
    #: filter runs for the first instance only.
    run_filter_once_per_request: ClassVar[bool] = False
    #: The aggregate metadata key the filter reads and what its value must be, for scenario
    #: files to check (``aggregate_metadata_problem``); None for filters that read no fixed key.
    metadata_key: ClassVar[str | None] = None
    metadata_kind: ClassVar[MetadataKind | None] = None
    #: A classic-only filter: the Nova release that removed it, and (an ``N_`` phrase) what does
    #: its work in the placement era.
    removed_in: ClassVar[str] = ""
    replaced_by: ClassVar[str] = ""

    def host_passes(self, host: HostState, ctx: FilterContext) -> Verdict:
        raise NotImplementedError


#: Every filter by name, in the order the settings page lists them.
FILTERS: dict[str, type[HostFilter]] = {}


def _register(cls: type[HostFilter]) -> type[HostFilter]:
    cls.name = cls.__name__
    FILTERS[cls.__name__] = cls
    return cls


def _version_str(version: int) -> str:
    """Nova stores 6.2.0 as 6002000 (major × 1 000 000 + minor × 1000 + micro)."""
    return f"{version // 1000000}.{version // 1000 % 1000}.{version % 1000}"


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.strip().split("."))


def version_satisfies(version: int, predicate: str) -> bool:
    """``img_hv_requested_version`` such as ``">=6.0,<6.2"`` against a hypervisor version."""
    have = _version_tuple(_version_str(version))
    ops = {">=": tuple.__ge__, "<=": tuple.__le__, "==": tuple.__eq__, "!=": tuple.__ne__}
    for part in predicate.split(","):
        part = part.strip()
        for op in (">=", "<=", "==", "!=", ">", "<"):
            if part.startswith(op):
                want = _version_tuple(part[len(op) :])
                size = max(len(have), len(want))
                h = have + (0,) * (size - len(have))
                w = want + (0,) * (size - len(want))
                ok = {">": h > w, "<": h < w}.get(op) if op in (">", "<") else ops[op](h, w)
                if not ok:
                    return False
                break
    return True


# -- the filters --------------------------------------------------------------------------------


@_register
class AllHostsFilter(HostFilter):
    run_filter_once_per_request = True

    def host_passes(self, host: HostState, ctx: FilterContext) -> Verdict:
        return _ALL_PASS


@_register
class RetryFilter(HostFilter):
    """Classic rescheduling: a host already tried for this request fails."""

    eras = _CLASSIC
    removed_in = _VICTORIA
    replaced_by = N_("alternates replace retries")

    def host_passes(self, host: HostState, ctx: FilterContext) -> Verdict:
        if not ctx.retry_hosts:
            return _FIRST_ATTEMPT
        numbers = {"tried": ", ".join(ctx.retry_hosts), "attempt": len(ctx.retry_hosts) + 1}
        if host.name in ctx.retry_set:
            return Verdict(False, N_("already tried for this request (tried: {tried})"), numbers)
        return Verdict(True, N_("not tried yet (tried: {tried})"), numbers)


@_register
class AvailabilityZoneFilter(HostFilter):
    """Classic: the host's aggregates' zone (or default_availability_zone) is the one requested.

    Deprecated in Xena (24), removed in 2023.2 (commit 5edd805fe2, with the
    ``query_placement_for_availability_zone`` option): the ``map_az_to_placement_aggregate``
    request filter (``request_filters.py``), always on since then, does its work.
    """

    eras = _CLASSIC
    removed_in = _BOBCAT
    replaced_by = N_("the map_az_to_placement_aggregate request filter keeps the requested zone")
    run_filter_once_per_request = True

    def host_passes(self, host: HostState, ctx: FilterContext) -> Verdict:
        wanted = ctx.request.availability_zone
        if not wanted:
            return _NO_ZONE_REQUESTED
        zones = host.availability_zones
        if zones:
            numbers = {"requested_zone": wanted, "host_zones": ", ".join(sorted(zones))}
            if wanted in zones:
                return Verdict(True, N_("host is in zone {host_zones}, as requested"), numbers)
            return Verdict(False, N_("host is in zone {host_zones}, not {requested_zone}"), numbers)
        default = ctx.config.default_availability_zone
        numbers = {"requested_zone": wanted, "default_zone": default}
        if wanted == default:
            return Verdict(True, N_("host is in the default zone {default_zone}, as requested"), numbers)
        return Verdict(False, N_("host is in the default zone {default_zone}, not {requested_zone}"), numbers)


@_register
class ComputeFilter(HostFilter):
    run_filter_once_per_request = True

    def host_passes(self, host: HostState, ctx: FilterContext) -> Verdict:
        if not host.enabled:
            # nova/scheduler/filters/compute_filter.py logs the operator's reason with it
            if host.disabled_reason:
                return Verdict(False, _SERVICE_DISABLED_BECAUSE, {"disabled_reason": host.disabled_reason})
            return _SERVICE_DISABLED
        if not host.up:
            return _SERVICE_DOWN
        return _SERVICE_UP


_RAM_FITS = N_(
    "usable RAM = {memory_mb} × {ram_allocation_ratio} − {used_ram_mb} = {usable_ram_mb} MB ≥ {requested_ram_mb} MB "
    "requested"
)
_RAM_SHORT = N_(
    "usable RAM = {memory_mb} × {ram_allocation_ratio} − {used_ram_mb} = {usable_ram_mb} MB < {requested_ram_mb} MB "
    "requested"
)
_CPU_FITS = N_(
    "free vCPUs = {vcpus} × {cpu_allocation_ratio} − {vcpus_used} = {free_vcpus} ≥ {requested_vcpus} requested"
)
_CPU_SHORT = N_(
    "free vCPUs = {vcpus} × {cpu_allocation_ratio} − {vcpus_used} = {free_vcpus} < {requested_vcpus} requested"
)
_DISK_FITS = N_(
    "usable disk = {total_disk_mb} × {disk_allocation_ratio} − {used_disk_mb} = {usable_disk_mb} MB "
    "≥ {requested_disk_mb} MB requested"
)
_DISK_SHORT = N_(
    "usable disk = {total_disk_mb} × {disk_allocation_ratio} − {used_disk_mb} = {usable_disk_mb} MB "
    "< {requested_disk_mb} MB requested"
)

#: RamFilter / CoreFilter / DiskFilter on an over-committed host (used beyond total × ratio, after a
#: ratio was lowered or a reservation raised, a forced host, an evacuation): the headroom is
#: negative, so Nova's filter fails it whatever the request.
_RAM_OVERCOMMITTED = N_(
    "usable RAM = {memory_mb} × {ram_allocation_ratio} − {used_ram_mb} = {usable_ram_mb} MB, below zero: "
    "the host is over-committed and takes no new instance ({requested_ram_mb} MB requested)"
)
_CPU_OVERCOMMITTED = N_(
    "free vCPUs = {vcpus} × {cpu_allocation_ratio} − {vcpus_used} = {free_vcpus}, below zero: "
    "the host is over-committed and takes no new instance ({requested_vcpus} requested)"
)
_DISK_OVERCOMMITTED = N_(
    "usable disk = {total_disk_mb} × {disk_allocation_ratio} − {used_disk_mb} = {usable_disk_mb} MB, below zero: "
    "the host is over-committed and takes no new instance ({requested_disk_mb} MB requested)"
)


@_register
class RamFilter(HostFilter):
    """Classic: ``memory_mb × ram_allocation_ratio − used ≥ requested`` (reserved counts as used)."""

    eras = _CLASSIC
    removed_in = _TRAIN
    replaced_by = _PLACEMENT_CHECKS_CAPACITY

    def host_passes(self, host: HostState, ctx: FilterContext) -> Verdict:
        r = host.resources
        requested = ctx.request.flavor.memory_mb
        numbers: dict[str, Any] = {"memory_mb": r.memory_mb, "requested_ram_mb": requested}
        if requested > r.memory_mb:
            return Verdict(
                False,
                N_(
                    "{requested_ram_mb} MB requested > {memory_mb} MB of physical RAM "
                    "(an instance cannot overcommit against itself)"
                ),
                numbers,
            )
        numbers.update(
            ram_allocation_ratio=r.ram_allocation_ratio,
            used_ram_mb=r.memory_mb_used,
            usable_ram_mb=r.usable_ram_mb,
            memory_mb_limit=r.memory_mb_limit,
        )
        if r.usable_ram_mb >= requested:
            return Verdict(
                True,
                _RAM_FITS,
                numbers,
                {"memory_mb": r.memory_mb_limit},
            )
        if r.usable_ram_mb < 0:
            return Verdict(False, _RAM_OVERCOMMITTED, numbers)
        return Verdict(
            False,
            _RAM_SHORT,
            numbers,
        )


@_register
class CoreFilter(HostFilter):
    """Classic: ``vcpus × cpu_allocation_ratio − vcpus_used ≥ requested``."""

    eras = _CLASSIC
    removed_in = _TRAIN
    replaced_by = _PLACEMENT_CHECKS_CAPACITY

    def host_passes(self, host: HostState, ctx: FilterContext) -> Verdict:
        r = host.resources
        requested = ctx.request.flavor.vcpus
        if not r.vcpus:
            return _NO_VCPU_COUNT
        numbers: dict[str, Any] = {
            "vcpus": r.vcpus,
            "cpu_allocation_ratio": r.cpu_allocation_ratio,
            "vcpus_used": r.vcpus_used,
            "free_vcpus": r.free_vcpus,
            "requested_vcpus": requested,
            "vcpus_limit": r.vcpus_limit,
        }
        if requested > r.vcpus:
            return Verdict(
                False,
                N_(
                    "{requested_vcpus} vCPUs requested > {vcpus} physical vCPUs "
                    "(an instance cannot overcommit against itself)"
                ),
                numbers,
            )
        if r.free_vcpus >= requested:
            return Verdict(
                True,
                _CPU_FITS,
                numbers,
                {"vcpu": r.vcpus_limit},
            )
        if r.free_vcpus < 0:
            return Verdict(False, _CPU_OVERCOMMITTED, numbers)
        return Verdict(
            False,
            _CPU_SHORT,
            numbers,
        )


@_register
class DiskFilter(HostFilter):
    """Classic: ``local_gb × 1024 × disk_allocation_ratio − used ≥ requested`` in MB.

    Like Nova's, it counts the root disk even for a boot from volume.
    """

    eras = _CLASSIC
    removed_in = _TRAIN
    replaced_by = _PLACEMENT_CHECKS_CAPACITY

    def host_passes(self, host: HostState, ctx: FilterContext) -> Verdict:
        r = host.resources
        requested = ctx.request.flavor.size.disk_mb
        total = r.local_gb * 1024
        numbers: dict[str, Any] = {"total_disk_mb": total, "requested_disk_mb": requested}
        if requested > total:
            return Verdict(
                False,
                N_(
                    "{requested_disk_mb} MB requested > {total_disk_mb} MB of local disk "
                    "(an instance cannot overcommit against itself)"
                ),
                numbers,
            )
        numbers.update(
            disk_allocation_ratio=r.disk_allocation_ratio,
            used_disk_mb=r.used_disk_mb,
            usable_disk_mb=r.usable_disk_mb,
            disk_gb_limit=r.disk_mb_limit / 1024,
        )
        if r.usable_disk_mb >= requested:
            return Verdict(
                True,
                _DISK_FITS,
                numbers,
                {"disk_gb": r.disk_mb_limit / 1024},
            )
        if r.usable_disk_mb < 0:
            return Verdict(False, _DISK_OVERCOMMITTED, numbers)
        return Verdict(
            False,
            _DISK_SHORT,
            numbers,
        )


# -- the per-aggregate capacity filters (classic; nova/scheduler/filters/{ram,core,disk}_filter.py) --
#
# AggregateRamFilter, AggregateCoreFilter and AggregateDiskFilter are their base filter with the
# allocation ratio taken from the host's aggregates (the smallest value of the ratio's key; the
# host's own ratio when no aggregate sets one or any value is not a number). Deprecated in Train
# (20), removed in Victoria (22), so classic only. Their sentences are the base filter's with
# where the ratio came from.

#: Base sentence → the same sentence saying where the ratio came from. Sentences not listed
#: (larger than the host, no vCPU count) do not depend on the ratio.
_AGGREGATE_RATIO_SENTENCES: dict[str, str] = {
    _RAM_FITS: N_(
        "usable RAM = {memory_mb} × {ram_allocation_ratio} − {used_ram_mb} = {usable_ram_mb} MB "
        "≥ {requested_ram_mb} MB requested (ram_allocation_ratio: the smallest of the aggregates' "
        "{aggregate_values}, or the host's {host_ratio} if there is none or one is not a number)"
    ),
    _RAM_SHORT: N_(
        "usable RAM = {memory_mb} × {ram_allocation_ratio} − {used_ram_mb} = {usable_ram_mb} MB "
        "< {requested_ram_mb} MB requested (ram_allocation_ratio: the smallest of the aggregates' "
        "{aggregate_values}, or the host's {host_ratio} if there is none or one is not a number)"
    ),
    _RAM_OVERCOMMITTED: N_(
        "usable RAM = {memory_mb} × {ram_allocation_ratio} − {used_ram_mb} = {usable_ram_mb} MB, below zero: "
        "the host is over-committed and takes no new instance ({requested_ram_mb} MB requested; "
        "ram_allocation_ratio: the smallest of the aggregates' {aggregate_values}, or the host's {host_ratio} "
        "if there is none or one is not a number)"
    ),
    _CPU_FITS: N_(
        "free vCPUs = {vcpus} × {cpu_allocation_ratio} − {vcpus_used} = {free_vcpus} ≥ {requested_vcpus} requested "
        "(cpu_allocation_ratio: the smallest of the aggregates' {aggregate_values}, or the host's {host_ratio} "
        "if there is none or one is not a number)"
    ),
    _CPU_SHORT: N_(
        "free vCPUs = {vcpus} × {cpu_allocation_ratio} − {vcpus_used} = {free_vcpus} < {requested_vcpus} requested "
        "(cpu_allocation_ratio: the smallest of the aggregates' {aggregate_values}, or the host's {host_ratio} "
        "if there is none or one is not a number)"
    ),
    _CPU_OVERCOMMITTED: N_(
        "free vCPUs = {vcpus} × {cpu_allocation_ratio} − {vcpus_used} = {free_vcpus}, below zero: "
        "the host is over-committed and takes no new instance ({requested_vcpus} requested; "
        "cpu_allocation_ratio: the smallest of the aggregates' {aggregate_values}, or the host's {host_ratio} "
        "if there is none or one is not a number)"
    ),
    _DISK_FITS: N_(
        "usable disk = {total_disk_mb} × {disk_allocation_ratio} − {used_disk_mb} = {usable_disk_mb} MB "
        "≥ {requested_disk_mb} MB requested (disk_allocation_ratio: the smallest of the aggregates' "
        "{aggregate_values}, or the host's {host_ratio} if there is none or one is not a number)"
    ),
    _DISK_SHORT: N_(
        "usable disk = {total_disk_mb} × {disk_allocation_ratio} − {used_disk_mb} = {usable_disk_mb} MB "
        "< {requested_disk_mb} MB requested (disk_allocation_ratio: the smallest of the aggregates' "
        "{aggregate_values}, or the host's {host_ratio} if there is none or one is not a number)"
    ),
    _DISK_OVERCOMMITTED: N_(
        "usable disk = {total_disk_mb} × {disk_allocation_ratio} − {used_disk_mb} = {usable_disk_mb} MB, below zero: "
        "the host is over-committed and takes no new instance ({requested_disk_mb} MB requested; "
        "disk_allocation_ratio: the smallest of the aggregates' {aggregate_values}, or the host's {host_ratio} "
        "if there is none or one is not a number)"
    ),
}


class _AggregateRatioFilter(HostFilter):
    """The base filter ``base`` run with the host's ratio ``option`` replaced by its aggregates'."""

    eras = _CLASSIC
    removed_in = _VICTORIA
    replaced_by = _PLACEMENT_CHECKS_CAPACITY
    metadata_kind = "ratio"
    base: ClassVar[type[HostFilter]]
    #: The aggregate metadata key, also the HostResources field it replaces.
    option: ClassVar[str]

    def host_passes(self, host: HostState, ctx: FilterContext) -> Verdict:
        own: float = getattr(host.resources, self.option)
        ratio = aggregate_number(host, self.option, own, float)
        if ratio.value != own:
            changed: dict[str, Any] = {self.option: ratio.value}
            host = replace(host, resources=replace(host.resources, **changed))
        verdict = self.base().host_passes(host, ctx)
        numbers = {**verdict.numbers, "aggregate_values": ratio.listed, "host_ratio": ratio.default}
        message = _AGGREGATE_RATIO_SENTENCES.get(verdict.message, verdict.message)
        return Verdict(verdict.passed, message, numbers, verdict.limits)


@_register
class AggregateRamFilter(_AggregateRatioFilter):
    base = RamFilter
    option = metadata_key = "ram_allocation_ratio"


@_register
class AggregateCoreFilter(_AggregateRatioFilter):
    base = CoreFilter
    option = metadata_key = "cpu_allocation_ratio"


@_register
class AggregateDiskFilter(_AggregateRatioFilter):
    base = DiskFilter
    option = metadata_key = "disk_allocation_ratio"


@_register
class ImagePropertiesFilter(HostFilter):
    """The host must offer a (architecture, hv_type, vm_mode) triple with every value the image sets."""

    run_filter_once_per_request = True

    def host_passes(self, host: HostState, ctx: FilterContext) -> Verdict:
        # The answer depends only on what the host advertises: hosts alike share one verdict.
        key = (host.advertised_triples, host.hypervisor_version)
        memo = ctx.memo.setdefault(self.name, {})
        verdict: Verdict | None = memo.get(key)
        if verdict is None:
            verdict = memo[key] = self._check(host, ctx)
        return verdict

    def _check(self, host: HostState, ctx: FilterContext) -> Verdict:
        # Both sides in Nova's canonical names (nova/objects/fields.py): the image's values here,
        # the host's triples as its HVSpec stores them; ``advertised`` is what the host stated.
        wanted = ctx.image_props
        if not any(wanted):
            return _NO_IMAGE_PROPERTIES
        needed = "/".join(w or "*" for w in wanted)
        triples = host.instance_triples
        numbers: dict[str, Any] = {
            "needed": needed,
            "supported": ", ".join("/".join(t) for t in triples),
            "advertised": ", ".join("/".join(t) for t in host.advertised_triples),
        }
        if not triples:
            return Verdict(False, N_("the image needs {needed}, the host advertises no supported instances"), numbers)
        props = ctx.request.image.properties if ctx.request.image else {}
        required_version = props.get("img_hv_requested_version")
        version_failed = False
        for triple in triples:
            if all(w is None or w in triple for w in wanted):
                if (
                    required_version
                    and host.hypervisor_version
                    and not version_satisfies(host.hypervisor_version, required_version)
                ):
                    version_failed = True
                    continue
                numbers["match"] = "/".join(triple)
                return Verdict(True, N_("the image needs {needed}, the host supports {match}"), numbers)
        if version_failed:
            numbers.update(required_version=required_version, host_version=_version_str(host.hypervisor_version))
            return Verdict(
                False,
                N_("the image needs hypervisor version {required_version}, the host runs {host_version}"),
                numbers,
            )
        return Verdict(False, N_("the image needs {needed}, the host supports only {supported}"), numbers)


@_register
class IsolatedHostsFilter(HostFilter):
    run_filter_once_per_request = True

    def host_passes(self, host: HostState, ctx: FilterContext) -> Verdict:
        cfg = ctx.config
        host_isolated = host.name in cfg.isolated_hosts
        restrict = cfg.restrict_isolated_hosts_to_isolated_images
        if not cfg.isolated_images:
            if restrict and host_isolated:
                return _ISOLATED_HOST_NO_ISOLATED_IMAGES
            return _NO_ISOLATION
        image = ctx.request.image
        image_isolated = image is not None and image.id in cfg.isolated_images
        if restrict:
            passed = image_isolated == host_isolated
        else:
            passed = (not image_isolated) or host_isolated
        message = {
            (True, True): N_("isolated image on an isolated host"),
            (True, False): N_("isolated image on a host that is not isolated"),
            (False, True): N_("image that is not isolated on an isolated host"),
            (False, False): N_("image that is not isolated on a host that is not isolated"),
        }[(image_isolated, host_isolated)]
        return Verdict(passed, message, {})


@_register
class SimpleCIDRAffinityFilter(HostFilter):
    run_filter_once_per_request = True

    def host_passes(self, host: HostState, ctx: FilterContext) -> Verdict:
        network = ctx.cidr_network
        if network is None:
            return _NO_CIDR_HINT
        numbers = {"host_ip": host.host_ip or "-", "network": str(network)}
        inside = host.host_ip is not None and ipaddress.ip_address(host.host_ip) in network
        if inside:
            return Verdict(True, N_("{host_ip} is in {network}"), numbers)
        return Verdict(False, N_("{host_ip} is not in {network}"), numbers)


@_register
class DifferentHostFilter(HostFilter):
    run_filter_once_per_request = True

    def host_passes(self, host: HostState, ctx: FilterContext) -> Verdict:
        listed = ctx.request.scheduler_hints.different_host
        if not listed:
            return _NO_DIFFERENT_HOST_HINT
        overlap = [u for u in listed if u in host.instance_uuids]
        if overlap:
            return Verdict(False, N_("instance {instance} is on this host"), {"instance": overlap[0]})
        return Verdict(True, N_("none of the {count} listed instances is on this host"), {"count": len(listed)})


@_register
class SameHostFilter(HostFilter):
    run_filter_once_per_request = True

    def host_passes(self, host: HostState, ctx: FilterContext) -> Verdict:
        listed = ctx.request.scheduler_hints.same_host
        if not listed:
            return _NO_SAME_HOST_HINT
        overlap = [u for u in listed if u in host.instance_uuids]
        if overlap:
            return Verdict(True, N_("instance {instance} is on this host"), {"instance": overlap[0]})
        return Verdict(False, N_("none of the {count} listed instances is on this host"), {"count": len(listed)})


class _CountFilter(HostFilter):
    """``count < limit``: the host's ``count`` attribute against the ``option`` of nova.conf."""

    #: The HostState counter and the nova.conf option (also the aggregate metadata key).
    count: ClassVar[str]
    option: ClassVar[str]
    #: (passes, fails) sentences.
    sentences: ClassVar[tuple[str, str]]

    def host_passes(self, host: HostState, ctx: FilterContext) -> Verdict:
        configured: int = getattr(ctx.config, self.option)
        return self._verdict(host, configured, {})

    def _verdict(self, host: HostState, limit: float, extra: dict[str, Any]) -> Verdict:
        count: int = getattr(host, self.count)
        numbers = {self.count: count, self.option: limit, **extra}
        passes, fails = self.sentences
        return Verdict(True, passes, numbers) if count < limit else Verdict(False, fails, numbers)


class _AggregateCountFilter(_CountFilter):
    """The count filter with its limit from the host's aggregates (the smallest integer), falling
    back to nova.conf when none sets it or a value is not an integer."""

    metadata_kind = "count"

    def host_passes(self, host: HostState, ctx: FilterContext) -> Verdict:
        configured: int = getattr(ctx.config, self.option)
        limit = aggregate_number(host, self.option, configured, int)
        return self._verdict(host, limit.value, {"aggregate_values": limit.listed, "configured": configured})


@_register
class NumInstancesFilter(_CountFilter):
    count = "num_instances"
    option = "max_instances_per_host"
    sentences = (
        N_("{num_instances} instances < max_instances_per_host {max_instances_per_host}"),
        N_("{num_instances} instances ≥ max_instances_per_host {max_instances_per_host}"),
    )


@_register
class AggregateNumInstancesFilter(_AggregateCountFilter):
    """NumInstancesFilter with ``max_instances_per_host`` from aggregate metadata (Juno 2014.2+)."""

    count = "num_instances"
    option = metadata_key = "max_instances_per_host"
    sentences = (
        N_(
            "{num_instances} instances < max_instances_per_host {max_instances_per_host} (the smallest of the "
            "aggregates' {aggregate_values}, or nova.conf's {configured} if there is none or one is not an integer)"
        ),
        N_(
            "{num_instances} instances ≥ max_instances_per_host {max_instances_per_host} (the smallest of the "
            "aggregates' {aggregate_values}, or nova.conf's {configured} if there is none or one is not an integer)"
        ),
    )


@_register
class IoOpsFilter(_CountFilter):
    count = "num_io_ops"
    option = "max_io_ops_per_host"
    sentences = (
        N_("{num_io_ops} I/O operations < max_io_ops_per_host {max_io_ops_per_host}"),
        N_("{num_io_ops} I/O operations ≥ max_io_ops_per_host {max_io_ops_per_host}"),
    )


@_register
class AggregateIoOpsFilter(_AggregateCountFilter):
    """IoOpsFilter with ``max_io_ops_per_host`` from aggregate metadata (Juno 2014.2+)."""

    count = "num_io_ops"
    option = metadata_key = "max_io_ops_per_host"
    sentences = (
        N_(
            "{num_io_ops} I/O operations < max_io_ops_per_host {max_io_ops_per_host} (the smallest of the "
            "aggregates' {aggregate_values}, or nova.conf's {configured} if there is none or one is not an integer)"
        ),
        N_(
            "{num_io_ops} I/O operations ≥ max_io_ops_per_host {max_io_ops_per_host} (the smallest of the "
            "aggregates' {aggregate_values}, or nova.conf's {configured} if there is none or one is not an integer)"
        ),
    )


@_register
class ServerGroupAntiAffinityFilter(HostFilter):
    def host_passes(self, host: HostState, ctx: FilterContext) -> Verdict:
        group = ctx.request.server_group
        if group is None or group.policy != "anti-affinity":
            return _NO_ANTI_AFFINITY_GROUP
        if ctx.instance_uuid and ctx.instance_uuid in host.instance_uuids:
            return _ALREADY_ON_HOST
        on_host = len(host.instance_uuids & ctx.group_members)
        numbers = {
            "group": group.name,
            "members_on_host": on_host,
            "max_server_per_host": group.max_server_per_host,
        }
        if on_host < group.max_server_per_host:
            return Verdict(
                True,
                N_("{members_on_host} members of {group} here < max_server_per_host {max_server_per_host}"),
                numbers,
            )
        return Verdict(
            False,
            N_("{members_on_host} members of {group} here ≥ max_server_per_host {max_server_per_host}"),
            numbers,
        )


@_register
class ServerGroupAffinityFilter(HostFilter):
    def host_passes(self, host: HostState, ctx: FilterContext) -> Verdict:
        group = ctx.request.server_group
        if group is None or group.policy != "affinity":
            return _NO_AFFINITY_GROUP
        if not ctx.group_hosts:
            return Verdict(True, N_("group {group} has no host yet"), {"group": group.name})
        numbers = {"group": group.name, "group_hosts": ", ".join(dict.fromkeys(ctx.group_hosts))}
        if host.name in ctx.group_hosts:
            return Verdict(True, N_("group {group} is on this host"), numbers)
        return Verdict(False, N_("group {group} is on {group_hosts}, not here"), numbers)


_AGG_SCOPE = "aggregate_instance_extra_specs"


@_register
class AggregateInstanceExtraSpecsFilter(HostFilter):
    """Unscoped and ``aggregate_instance_extra_specs:`` keys must match the host's aggregates."""

    run_filter_once_per_request = True

    def host_passes(self, host: HostState, ctx: FilterContext) -> Verdict:
        specs = ctx.request.flavor.extra_specs
        if not specs:
            return _NO_EXTRA_SPECS
        metadata = host.aggregate_metadata
        checked = 0
        for full_key, requirement in specs.items():
            scope = full_key.split(":", 1)
            if len(scope) > 1:
                if scope[0] != _AGG_SCOPE:
                    continue
                scope = scope[1:]
            key = scope[0]
            values = metadata.get(key)
            numbers: dict[str, Any] = {"key": key, "requirement": requirement}
            if not values:
                return Verdict(False, N_("extra spec {key}: no aggregate of this host sets {key}"), numbers)
            if not any(match(v, requirement) for v in values):
                numbers["values"] = ", ".join(sorted(values))
                return Verdict(
                    False,
                    N_("extra spec {key} = {requirement}: the host's aggregates have {values}"),
                    numbers,
                )
            checked += 1
        if not checked:
            return _NO_AGGREGATE_SPECS
        return Verdict(True, N_("the host's aggregates match all {count} extra specs"), {"count": checked})


def _listed(values: frozenset[str] | set[str]) -> str:
    return "[" + ", ".join(sorted(values)) + "]"


_NO_INSTANCE_TYPE = Verdict(True, N_("no aggregate of this host sets instance_type"), {})
_NO_TENANT_RESTRICTION = Verdict(True, N_("no aggregate of this host restricts projects (filter_tenant_id)"), {})


@_register
class AggregateTypeAffinityFilter(HostFilter):
    """A host whose aggregates set ``instance_type`` (a comma list) takes only those flavors.

    nova/scheduler/filters/type_filter.py: each aggregate value is split at commas; the flavor's
    name must be among them; no value at all → every flavor.
    """

    run_filter_once_per_request = True
    metadata_key = "instance_type"
    metadata_kind = "list"

    def host_passes(self, host: HostState, ctx: FilterContext) -> Verdict:
        values = host.aggregate_metadata.get("instance_type")
        if not values:
            return _NO_INSTANCE_TYPE
        names = {part.strip() for value in values for part in value.split(",")}
        numbers = {"flavor": ctx.request.flavor.name, "instance_types": _listed(names)}
        if ctx.request.flavor.name in names:
            return Verdict(
                True, N_("flavor {flavor} is listed in the aggregates' instance_type {instance_types}"), numbers
            )
        return Verdict(
            False, N_("flavor {flavor} is not listed in the aggregates' instance_type {instance_types}"), numbers
        )


@_register
class AggregateImagePropertiesIsolation(HostFilter):
    """Every aggregate key that is an image property Nova knows, and that the image sets, must
    list the image's value.

    nova/scheduler/filters/aggregate_image_properties_isolation.py, step by step: the host's
    aggregate metadata, values split at commas; only the keys starting with
    ``namespace + separator`` when ``aggregate_image_properties_isolation_namespace`` is set;
    the image's properties as ``ImageMetaProps`` holds them (``image_meta``: legacy names mapped,
    every other property dropped, so an aggregate key like ``ssd_class`` is never compared); a key
    the image does not set (or sets empty or false) is skipped; the first key whose options lack
    ``str(value)`` fails the host.
    """

    run_filter_once_per_request = True

    def host_passes(self, host: HostState, ctx: FilterContext) -> Verdict:
        namespace = ctx.config.aggregate_image_properties_isolation_namespace
        prefix = f"{namespace}{ctx.config.aggregate_image_properties_isolation_separator}" if namespace else ""
        raw = ctx.request.image.properties if ctx.request.image else {}
        props = image_meta_props(raw)
        checked = 0
        ignored: list[str] = []
        for key, options in host.aggregate_metadata_items.items():
            if not key.startswith(prefix):
                continue
            value = props.get(key)
            if not value:
                if raw.get(key) and key not in IMAGE_META_PROPS:
                    ignored.append(key)
                continue
            if str(value) not in options:
                numbers = {"key": key, "value": str(value), "allowed": _listed(options)}
                return Verdict(
                    False, N_("image property {key} = {value}, the host's aggregates allow {allowed}"), numbers
                )
            checked += 1
        if not checked and ignored:
            return Verdict(
                True,
                N_(
                    "{ignored}: Nova's ImageMetaProps has no such image property, so the aggregates' value is "
                    "not compared"
                ),
                {"ignored": ", ".join(ignored)},
            )
        if not checked:
            return Verdict(True, N_("the image sets none of the properties the host's aggregates name"), {})
        return Verdict(
            True, N_("the {checked} image properties the host's aggregates name all match"), {"checked": checked}
        )


_TENANT_KEY = "filter_tenant_id"


@_register
class AggregateMultiTenancyIsolation(HostFilter):
    """A host whose aggregates set ``filter_tenant_id`` takes only those projects' instances.

    nova/scheduler/filters/aggregate_multitenancy_isolation.py: values split at commas; since
    2024.2 (30) every key starting with ``filter_tenant_id`` counts (``filter_tenant_id_2`` …),
    so the placement era reads those too, the classic era the one key only.
    """

    run_filter_once_per_request = True
    metadata_key = _TENANT_KEY
    metadata_kind = "list"

    def host_passes(self, host: HostState, ctx: FilterContext) -> Verdict:
        metadata = host.aggregate_metadata_items
        if ctx.config.era == "placement":
            tenants = {t for key, values in metadata.items() if key.startswith(_TENANT_KEY) for t in values}
        else:
            tenants = set(metadata.get(_TENANT_KEY, ()))
        if not tenants:
            return _NO_TENANT_RESTRICTION
        numbers = {"project": ctx.request.project, "tenants": _listed(tenants)}
        if ctx.request.project in tenants:
            return Verdict(True, N_("project {project} is among the aggregates' filter_tenant_id {tenants}"), numbers)
        return Verdict(False, N_("project {project} is not among the aggregates' filter_tenant_id {tenants}"), numbers)


#: HostState attributes a ``capabilities:`` extra spec can name, as Nova calls them.
HOST_CAPABILITIES: dict[str, Callable[[HostState], Any]] = {
    "host": lambda h: h.name,
    "hypervisor_hostname": lambda h: h.name,
    "host_ip": lambda h: h.host_ip,
    "vcpus_total": lambda h: h.vcpus_total,
    "vcpus_used": lambda h: h.vcpus_used,
    "free_ram_mb": lambda h: h.free_ram_mb,
    "free_disk_mb": lambda h: h.free_disk_mb,
    "total_usable_ram_mb": lambda h: h.total_usable_ram_mb,
    "total_usable_disk_gb": lambda h: h.total_usable_disk_gb,
    "num_instances": lambda h: h.num_instances,
    "num_io_ops": lambda h: h.num_io_ops,
    "failed_builds": lambda h: h.failed_builds,
    "hypervisor_type": lambda h: h.hypervisor_type,
    "hypervisor_version": lambda h: h.hypervisor_version,
    "cpu_info": lambda h: dict(h.cpu_info) if h.cpu_info else None,
    "cpu_allocation_ratio": lambda h: h.resources.cpu_allocation_ratio,
    "ram_allocation_ratio": lambda h: h.resources.ram_allocation_ratio,
    "disk_allocation_ratio": lambda h: h.resources.disk_allocation_ratio,
}


def host_capability(host: HostState, scope: list[str]) -> Any:
    """Walk ``scope`` through the host's attributes, then dicts (or JSON strings), as Nova does."""
    cap: Any = host
    for index, part in enumerate(scope):
        if isinstance(cap, str):
            try:
                cap = json.loads(cap)
            except ValueError:
                return None
        if index == 0:
            getter = HOST_CAPABILITIES.get(part)
            cap = getter(host) if getter else None
            if cap is None:
                cap = host.stats.get(part)
        elif isinstance(cap, Mapping):
            cap = cap.get(part)
        else:
            return None
        if cap is None:
            return None
    return cap


@_register
class ComputeCapabilitiesFilter(HostFilter):
    """``capabilities:`` keys (and unscoped keys naming a host attribute or stat) must match."""

    run_filter_once_per_request = True

    def host_passes(self, host: HostState, ctx: FilterContext) -> Verdict:
        specs = ctx.request.flavor.extra_specs
        if not specs:
            return _NO_EXTRA_SPECS
        checked = 0
        for key, requirement in specs.items():
            scope = key.split(":")
            if len(scope) == 1:
                if key not in HOST_CAPABILITIES and key not in host.stats:
                    continue
            elif scope[0] != "capabilities":
                continue
            else:
                scope = scope[1:]
            value = host_capability(host, scope)
            numbers: dict[str, Any] = {"key": ":".join(scope), "requirement": requirement}
            if value is None:
                return Verdict(False, N_("capability {key} is unknown on this host"), numbers)
            numbers["value"] = str(value)
            if not match(str(value), requirement):
                return Verdict(False, N_("capability {key} is {value}, the flavor requires {requirement}"), numbers)
            checked += 1
        if not checked:
            return _NO_CAPABILITY_SPECS
        return Verdict(True, N_("the host matches all {count} capability extra specs"), {"count": checked})


def make_filters(names: tuple[str, ...]) -> list[HostFilter]:
    return [FILTERS[n]() for n in names]


# -- the lists derived from the registry ---------------------------------------------------------

FILTER_NAMES: tuple[str, ...] = tuple(FILTERS)

#: Filters a placement-era cloud cannot enable.
CLASSIC_ONLY_FILTERS: frozenset[str] = frozenset(n for n, f in FILTERS.items() if "placement" not in f.eras)


#: Aggregate metadata keys the filters read, with what the value must be and the filters that
#: read it (``filter_tenant_id`` stands for every key starting with it).
def _metadata_keys() -> dict[str, tuple[MetadataKind, tuple[str, ...]]]:
    keys: dict[str, tuple[MetadataKind, tuple[str, ...]]] = {}
    for name, f in FILTERS.items():
        if f.metadata_key and f.metadata_kind:
            kind, readers = keys.get(f.metadata_key, (f.metadata_kind, ()))
            keys[f.metadata_key] = (kind, (*readers, name))
    return keys


AGGREGATE_METADATA_KEYS: dict[str, tuple[MetadataKind, tuple[str, ...]]] = _metadata_keys()


def aggregate_metadata_problem(key: str, value: str) -> str | None:
    """What is wrong with aggregate metadata ``key: value`` for the filter or weigher that reads
    it, or None. Nova would log a warning and use nova.conf's value; a scenario says so instead.

    Ratios must be positive numbers, per-host maxima non-negative integers, lists name at least
    one item, weigher multipliers numbers at least the option's minimum.
    """
    rule = AGGREGATE_METADATA_KEYS.get(key)
    if rule is None and key.startswith(_TENANT_KEY):
        rule = AGGREGATE_METADATA_KEYS.get(_TENANT_KEY)
    if rule is not None:
        kind, readers = rule
        by = f" ({', '.join(readers)} reads it)"
        if kind == "ratio":
            number = _finite(value)
            return None if number is not None and number > 0 else f"must be a positive number{by}, not {value!r}"
        if kind == "count":
            try:
                ok = int(value) >= 0
            except ValueError:
                ok = False
            return None if ok else f"must be a non-negative integer{by}, not {value!r}"
        if not any(part.strip() for part in value.split(",")):
            return f"must list at least one name, comma-separated{by}"
        return None
    for weigher in WEIGHERS.values():
        if weigher.multiplier_option == key:
            number = _finite(value)
            by = f" ({weigher.name} reads it)"
            if number is None:
                return f"must be a number{by}, not {value!r}"
            minimum = weigher.multiplier_minimum
            if minimum is not None and number < minimum:
                return f"must be ≥ {minimum:g}{by}"
    return None


def _finite(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None
