"""Nova's host weighers (nova-semantics.md section c) and its normalisation (nova/weights.py).

Each weigher gives a raw value per host. Nova then, per weigher (``BaseWeigher.weigh_objects``
and ``normalize``):

1. clamps every raw value into the range the weigher declares: RAM, CPU, Disk and IoOps declare
   ``minval = 0``, so an over-committed host's negative free RAM counts as 0 (since Victoria 22;
   before, a value below ``minval`` lowered the bottom of the scale for every host);
2. normalises the clamped list to [0, 1] with ``(x − lo) / (hi − lo)``, where ``lo`` is the
   declared ``minval`` (else the smallest value) and ``hi`` the declared ``maxval`` (else the
   largest): free RAM 512 / 1024 / 3072 / 8192 gives 0.0625 / 0.125 / 0.375 / 1.0 rather than
   0 … 1; if ``lo == hi`` every host gets 0;
3. adds ``multiplier × normalised`` to each host's score, the multiplier coming from the config,
   overridden by the host's aggregate metadata under the option's name (the minimum across
   aggregates; any unparsable value means the config value).

No weigher declares a ``maxval`` in Nova; ``minval`` is declared by exactly the four above.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

from ..resources import ERAS, Era
from .model import HostState, ScheduleRequest, aggregate_number

_CLASSIC_AND_PLACEMENT: frozenset[Era] = frozenset(ERAS)
_PLACEMENT: frozenset[Era] = frozenset({"placement"})


class HostWeigher:
    """A weigher: ``raw`` measures one host; the registry entry declares the rest.

    Its name is its class name; ``multiplier_option`` is the ``nova.conf`` option (a field of
    ``SchedulerConfig``, and the aggregate metadata key) holding its multiplier, with Nova's
    minimum for that option; ``eras`` are the eras whose default ``weight_classes`` (Nova's
    "all weighers") include it. A cloud may still list it in another era.
    """

    name: ClassVar[str]
    multiplier_option: ClassVar[str]
    multiplier_minimum: ClassVar[float | None] = None
    eras: ClassVar[frozenset[Era]] = _CLASSIC_AND_PLACEMENT
    #: The range Nova's weigher declares: raw values are clamped into it, then it is the scale.
    minval: ClassVar[float | None] = None
    maxval: ClassVar[float | None] = None
    #: BuildFailureWeigher applies its multiplier negated.
    negate_multiplier: ClassVar[bool] = False

    def raw(self, host: HostState, request: ScheduleRequest, members: frozenset[str]) -> float:
        raise NotImplementedError

    def multiplier(self, host: HostState, configured: float) -> float:
        """The multiplier for ``host``: its aggregates' value, else ``configured`` (nova.conf)."""
        value = aggregate_multiplier(host, self.multiplier_option, configured)
        return -value if self.negate_multiplier else value


#: Every weigher by name, in the order the settings page and the era defaults list them.
WEIGHERS: dict[str, type[HostWeigher]] = {}


def _register(cls: type[HostWeigher]) -> type[HostWeigher]:
    cls.name = cls.__name__
    WEIGHERS[cls.__name__] = cls
    return cls


def aggregate_multiplier(host: HostState, option: str, configured: float) -> float:
    """Nova's ``get_weight_multiplier``: the minimum aggregate value, else the config value."""
    return aggregate_number(host, option, configured, float).value


def clamp(raws: Sequence[float], minval: float | None, maxval: float | None) -> list[float]:
    """``weigh_objects``: each raw value moved into ``[minval, maxval]`` (a bound left None is open)."""
    if minval is None and maxval is None:
        return list(raws)
    lo = -math.inf if minval is None else minval
    hi = math.inf if maxval is None else maxval
    return [lo if x < lo else hi if x > hi else x for x in raws]


def normalize(values: Sequence[float], minval: float | None = None, maxval: float | None = None) -> list[float]:
    """Nova's ``normalize``: ``(x − lo) / (hi − lo)``, ``lo`` = ``minval`` or the smallest value,
    ``hi`` = ``maxval`` or the largest; all 0 when ``lo == hi``. Clamp first (``clamp``)."""
    if not values:
        return []
    hi = float(max(values) if maxval is None else maxval)
    lo = float(min(values) if minval is None else minval)
    if lo == hi:
        return [0.0] * len(values)
    span = hi - lo
    return [(x - lo) / span for x in values]


@_register
class RAMWeigher(HostWeigher):
    multiplier_option = "ram_weight_multiplier"
    minval = 0

    def raw(self, host: HostState, request: ScheduleRequest, members: frozenset[str]) -> float:
        return host.free_ram_mb


@_register
class CPUWeigher(HostWeigher):
    eras = _PLACEMENT  # Rocky 18
    multiplier_option = "cpu_weight_multiplier"
    minval = 0

    def raw(self, host: HostState, request: ScheduleRequest, members: frozenset[str]) -> float:
        return host.resources.free_vcpus


@_register
class DiskWeigher(HostWeigher):
    eras = _PLACEMENT  # Mitaka 13
    multiplier_option = "disk_weight_multiplier"
    minval = 0

    def raw(self, host: HostState, request: ScheduleRequest, members: frozenset[str]) -> float:
        return host.free_disk_mb


@_register
class IoOpsWeigher(HostWeigher):
    multiplier_option = "io_ops_weight_multiplier"
    minval = 0

    def raw(self, host: HostState, request: ScheduleRequest, members: frozenset[str]) -> float:
        return host.num_io_ops


@_register
class MetricsWeigher(HostWeigher):
    """Σ metric × ratio over ``[metrics] weight_setting`` (Icehouse; nova/scheduler/weights/
    metrics.py). The setting is empty by default and CloudLab's hosts report no metrics, so the
    raw value is 0 on every host: the weigher is listed, as in Nova's "all weighers", and never
    changes an order. Its multiplier is ``[metrics] weight_multiplier``, named as the aggregate
    metadata key Nova reads (``metrics_weight_multiplier``)."""

    multiplier_option = "metrics_weight_multiplier"

    def raw(self, host: HostState, request: ScheduleRequest, members: frozenset[str]) -> float:
        return 0.0


@_register
class NumInstancesWeigher(HostWeigher):
    eras = _PLACEMENT
    multiplier_option = "num_instances_weight_multiplier"

    def raw(self, host: HostState, request: ScheduleRequest, members: frozenset[str]) -> float:
        return host.num_instances


@_register
class BuildFailureWeigher(HostWeigher):
    eras = _PLACEMENT
    multiplier_option = "build_failure_weight_multiplier"
    negate_multiplier = True

    def raw(self, host: HostState, request: ScheduleRequest, members: frozenset[str]) -> float:
        return host.failed_builds


@_register
class HypervisorVersionWeigher(HostWeigher):
    eras = _PLACEMENT
    multiplier_option = "hypervisor_version_weight_multiplier"

    def raw(self, host: HostState, request: ScheduleRequest, members: frozenset[str]) -> float:
        return host.hypervisor_version or 0


@_register
class ServerGroupSoftAffinityWeigher(HostWeigher):
    eras = _PLACEMENT  # Mitaka 13, with the soft-(anti-)affinity policies
    multiplier_option = "soft_affinity_weight_multiplier"
    multiplier_minimum = 0.0
    policy = "soft-affinity"

    def raw(self, host: HostState, request: ScheduleRequest, members: frozenset[str]) -> float:
        group = request.server_group
        if group is None or group.policy != self.policy:
            return 0
        return len(host.instance_uuids & members)


@_register
class ServerGroupSoftAntiAffinityWeigher(ServerGroupSoftAffinityWeigher):
    multiplier_option = "soft_anti_affinity_weight_multiplier"
    policy = "soft-anti-affinity"

    def raw(self, host: HostState, request: ScheduleRequest, members: frozenset[str]) -> float:
        return -super().raw(host, request, members)


def make_weighers(names: Sequence[str]) -> list[HostWeigher]:
    return [WEIGHERS[n]() for n in names]


# -- the lists derived from the registry ---------------------------------------------------------

WEIGHER_NAMES: tuple[str, ...] = tuple(WEIGHERS)

#: The ``nova.conf`` multiplier options, one per weigher, in the registry's order.
MULTIPLIER_OPTIONS: tuple[str, ...] = tuple(w.multiplier_option for w in WEIGHERS.values())

#: Default ``weight_classes`` per era: every weigher of the era (Nova's default is "all
#: weighers", the modules of nova/scheduler/weights/). Classic: RAMWeigher, MetricsWeigher and
#: IoOpsWeigher, Nova's weighers from Juno to Liberty (Icehouse had RAM and Metrics; Mitaka added
#: Disk and the soft-affinity pair, Rocky CPU), so a negative ram_weight_multiplier packs as the
#: course says. Placement: today's.
ERA_DEFAULT_WEIGHERS: dict[Era, tuple[str, ...]] = {
    era: tuple(name for name, w in WEIGHERS.items() if era in w.eras) for era in ERAS
}
