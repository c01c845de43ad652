"""The ``scheduler:`` section: ``nova.conf`` options, checked against the registries.

The filter, weigher and driver names come from their registries, each multiplier option from
its weigher (with Nova's minimum); what is left out takes the era's default.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ...resources import ERAS, Era
from ..checks import Checker, did_you_mean, get, join, or_default, show
from ..config import DEFAULT_DRIVER, ERA_DEFAULT_FILTERS, SchedulerConfig
from ..drivers import DRIVER_NAMES
from ..filters import CLASSIC_ONLY_FILTERS, FILTER_NAMES, FILTERS
from ..model import CPU_ARCHES
from ..weighers import ERA_DEFAULT_WEIGHERS, WEIGHER_NAMES, WEIGHERS

SCHEDULER_KEYS = tuple(SchedulerConfig.__dataclass_fields__)

#: Integer options and Nova's minimum for each (None: any integer).
_INTEGER_OPTIONS: tuple[tuple[str, int | None], ...] = (
    ("host_subset_size", 1),
    ("max_attempts", 1),
    ("max_instances_per_host", 1),
    ("max_io_ops_per_host", 0),
    ("max_cores", 1),
    ("seed", None),
)


def scheduler_section(
    c: Checker,
    data: Any,
    path: str,
    host_names: Iterable[str] | None,
    image_ids: Iterable[str] | None,
) -> SchedulerConfig | None:
    """The section as a ``SchedulerConfig``.

    Steps: era and driver; ``enabled_filters`` and ``weight_classes`` (the era's defaults when
    left out; a classic-only filter is refused in the placement era); the multipliers; the
    integer options; zones and the default architecture; image isolation, whose hosts and
    images must exist when ``host_names`` / ``image_ids`` are given.
    """
    m = c.mapping(path, {} if data is None else data, SCHEDULER_KEYS)
    if m is None:
        return None

    def p(key: str) -> str:
        return join(path, key)

    era_value = get(m, "era", "classic")
    era: Era = c.choice(p("era"), era_value, ERAS) or "classic"  # type: ignore[assignment]
    driver = c.choice(p("driver"), get(m, "driver", DEFAULT_DRIVER), DRIVER_NAMES)

    filters = _names(c, m, path, "enabled_filters", FILTER_NAMES, ERA_DEFAULT_FILTERS[era], "filter")
    if era == "placement":
        for i, name in enumerate(filters):
            if name in CLASSIC_ONLY_FILTERS:
                gone = FILTERS[name]
                c.add(
                    f"{p('enabled_filters')}[{i}]",
                    f"{name} was removed from Nova in {gone.removed_in}; in the placement era {gone.replaced_by}",
                )
    weighers = _names(c, m, path, "weight_classes", WEIGHER_NAMES, ERA_DEFAULT_WEIGHERS[era], "weigher")

    values: dict[str, Any] = {"era": era, "driver": driver or DEFAULT_DRIVER}
    values["enabled_filters"] = filters
    values["weight_classes"] = weighers
    values.update(_multipliers(c, m, path))
    values.update(_integers(c, m, path))
    for key in (
        "default_availability_zone",
        "image_properties_default_architecture",
        "aggregate_image_properties_isolation_namespace",
        "aggregate_image_properties_isolation_separator",
    ):
        if get(m, key, None) is not None:
            values[key] = c.string(p(key), m[key])
    if values.get("image_properties_default_architecture"):
        c.choice(
            p("image_properties_default_architecture"),
            values["image_properties_default_architecture"],
            CPU_ARCHES,
        )
    values.update(_isolation(c, m, path, host_names, image_ids))
    values = {k: v for k, v in values.items() if v is not None}
    return SchedulerConfig(**values)


def _names(
    c: Checker,
    m: Mapping[str, Any],
    path: str,
    key: str,
    known: Sequence[str],
    default: tuple[str, ...],
    what: str,
) -> tuple[str, ...]:
    """A list of registered names (filters, weighers), each once; ``default`` when left out."""
    seen: list[str] = []
    if key not in m or m[key] is None:
        return default
    for item_path, name in c.items(join(path, key), m[key]):
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


def _multipliers(c: Checker, m: Mapping[str, Any], path: str) -> dict[str, float]:
    """Each weigher's multiplier option that the section sets: a number, at least Nova's minimum."""
    defaults = SchedulerConfig()
    values: dict[str, float] = {}
    for weigher in WEIGHERS.values():
        key = weigher.multiplier_option
        if get(m, key, None) is None:
            continue
        v = c.number(join(path, key), m[key])
        minimum = weigher.multiplier_minimum
        if v is not None and minimum is not None and v < minimum:
            c.add(join(path, key), f"must be ≥ {minimum:g} (Nova's minimum for this option)")
        values[key] = or_default(v, getattr(defaults, key))
    return values


def _integers(c: Checker, m: Mapping[str, Any], path: str) -> dict[str, int]:
    defaults = SchedulerConfig()
    values: dict[str, int] = {}
    for key, minimum in _INTEGER_OPTIONS:
        if get(m, key, None) is not None:
            values[key] = or_default(c.integer(join(path, key), m[key], minimum), getattr(defaults, key))
    return values


def _isolation(
    c: Checker,
    m: Mapping[str, Any],
    path: str,
    host_names: Iterable[str] | None,
    image_ids: Iterable[str] | None,
) -> dict[str, Any]:
    """IsolatedHostsFilter's options; the hosts and images listed must exist when known."""
    values: dict[str, Any] = {}
    key = "restrict_isolated_hosts_to_isolated_images"
    if get(m, key, None) is not None:
        values[key] = or_default(c.boolean(join(path, key), m[key]), True)
    known_hosts = None if host_names is None else list(host_names)
    known_images = None if image_ids is None else list(image_ids)
    for key, known, what in (
        ("isolated_hosts", known_hosts, "host"),
        ("isolated_images", known_images, "image id"),
    ):
        listed: list[str] = []
        for item_path, v in c.items(join(path, key), get(m, key, [])):
            s = c.string(item_path, v)
            if s is None:
                continue
            if known is not None and s not in known:
                c.add(item_path, f"unknown {what} {s!r}" + did_you_mean(s, known))
            listed.append(s)
        values[key] = tuple(listed)
    return values
