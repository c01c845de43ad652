"""The scheduler's ``nova.conf``: ``SchedulerConfig`` and the era defaults it starts from.

Which filters, weighers and drivers exist, and which multiplier option each weigher reads, the
registries say (``filters.FILTERS``, ``weighers.WEIGHERS``, ``drivers.DRIVERS``); this module holds
the option values. A weigher's multiplier option is a field here of the same name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from ..resources import Era
from .weighers import ERA_DEFAULT_WEIGHERS

#: Nova's default ``scheduler_driver`` (the drivers are ``drivers.DRIVERS``).
DEFAULT_DRIVER: Final = "filter_scheduler"

#: Default ``enabled_filters`` per era, in Nova's order (the order filters run in). Classic: the
#: course's list (Grizzly to Newton defaults with RetryFilter and RamFilter). Placement: Nova's
#: default since Xena (24). Every name is a filter of ``filters.FILTERS`` that exists in the era.
ERA_DEFAULT_FILTERS: dict[Era, tuple[str, ...]] = {
    "classic": (
        "RetryFilter",
        "AvailabilityZoneFilter",
        "RamFilter",
        "ComputeFilter",
        "ImagePropertiesFilter",
        "ServerGroupAntiAffinityFilter",
        "ServerGroupAffinityFilter",
    ),
    "placement": (
        "ComputeFilter",
        "ComputeCapabilitiesFilter",
        "ImagePropertiesFilter",
        "ServerGroupAntiAffinityFilter",
        "ServerGroupAffinityFilter",
    ),
}


@dataclass(frozen=True)
class SchedulerConfig:
    """``nova.conf`` [scheduler] / [filter_scheduler] for one cloud (see scenario-format.md).

    Build it with ``SchedulerConfig.for_era(era, **overrides)`` to get the era's defaults. The
    ``*_weight_multiplier`` fields are the ``multiplier_option`` of each weigher in ``WEIGHERS``
    (their defaults are Nova's); ``MULTIPLIER_OPTIONS`` lists them.
    """

    era: Era = "classic"
    driver: str = DEFAULT_DRIVER
    enabled_filters: tuple[str, ...] = ERA_DEFAULT_FILTERS["classic"]
    weight_classes: tuple[str, ...] = ERA_DEFAULT_WEIGHERS["classic"]
    ram_weight_multiplier: float = 1.0
    cpu_weight_multiplier: float = 1.0
    disk_weight_multiplier: float = 1.0
    io_ops_weight_multiplier: float = -1.0
    metrics_weight_multiplier: float = 1.0
    num_instances_weight_multiplier: float = 0.0
    build_failure_weight_multiplier: float = 1000000.0
    hypervisor_version_weight_multiplier: float = 1.0
    soft_affinity_weight_multiplier: float = 1.0
    soft_anti_affinity_weight_multiplier: float = 1.0
    host_subset_size: int = 1
    max_attempts: int = 3
    max_instances_per_host: int = 50
    max_io_ops_per_host: int = 8
    isolated_hosts: tuple[str, ...] = ()
    isolated_images: tuple[str, ...] = ()
    restrict_isolated_hosts_to_isolated_images: bool = True
    default_availability_zone: str = "nova"
    image_properties_default_architecture: str | None = None
    #: AggregateImagePropertiesIsolation: compare only the aggregate keys that start with
    #: ``namespace + separator`` (None: every key).
    aggregate_image_properties_isolation_namespace: str | None = None
    aggregate_image_properties_isolation_separator: str = "."
    max_cores: int = 16
    seed: int = 0

    @classmethod
    def for_era(cls, era: Era = "classic", **overrides: Any) -> SchedulerConfig:
        overrides.setdefault("enabled_filters", ERA_DEFAULT_FILTERS[era])
        overrides.setdefault("weight_classes", ERA_DEFAULT_WEIGHERS[era])
        return cls(era=era, **overrides)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            out[name] = list(value) if isinstance(value, tuple) else value
        return out
