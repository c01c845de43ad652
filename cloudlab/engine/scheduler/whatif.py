"""What-if: change one thing in a frozen moment, rerun the same request, compare the decisions.

``what_if(moment, change)`` returns a new ``Moment`` (the live cloud is never involved);
``rerun`` schedules it; ``compare(before_trace, after_trace)`` says which hosts changed verdict
and why; ``describe_change`` is the one-line label of the change for the page.

The five kinds of change (``WHAT_IF_KINDS``)::

    {"kind": "host", "host": "compute2", "field": "memory_mb_used", "value": 1024}
    {"kind": "filter", "name": "RamFilter", "enabled": False}            # "position": n when enabling
    {"kind": "multiplier", "name": "ram_weight_multiplier", "value": -1.0}
    {"kind": "flavor", "flavor": {"memory_mb": 4096}}                     # unset fields keep the request's
    {"kind": "era", "era": "placement"}

An era switch keeps every host's allocation ratios as they are (a moment holds the ratios the
hosts had, not whether they were defaults), switches the capacity rule (RamFilter/CoreFilter/
DiskFilter vs the Placement stage) and sets ``enabled_filters`` to the new era's default list;
``weight_classes`` become the new era's defaults only if they were the old era's defaults.

A change may leave a host over-committed (``ram_allocation_ratio`` lowered below what its
instances hold, usage raised past the limit, the stricter Placement rule): that is a state Nova
runs with, so the change is accepted, the rerun shows the filters and claims refusing the host,
and ``describe_change`` says which hosts it over-commits, with the numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..i18n import N_, Translate, identity, render
from ..resources import ERAS, Capacity, Era, overcommitted
from .checks import magnitude_problem, show
from .config import ERA_DEFAULT_FILTERS, SchedulerConfig
from .filters import CLASSIC_ONLY_FILTERS, FILTER_NAMES
from .model import Flavor
from .moment import Moment
from .replay import CLAIM_STAGE, known_hosts, reason_of
from .schema import SchedulingTrace
from .trace import Renderer
from .weighers import ERA_DEFAULT_WEIGHERS, MULTIPLIER_OPTIONS

WHAT_IF_KINDS: tuple[str, ...] = ("host", "filter", "multiplier", "flavor", "era")

#: Host fields a what-if may change, by what they hold.
HOST_CAPACITY_FIELDS: tuple[str, ...] = ("vcpus", "memory_mb", "local_gb")
HOST_USAGE_FIELDS: tuple[str, ...] = ("vcpus_used", "memory_mb_used", "local_gb_used")
HOST_SERVICE_FIELDS: tuple[str, ...] = ("enabled", "up")
HOST_RATIO_FIELDS: tuple[str, ...] = ("cpu_allocation_ratio", "ram_allocation_ratio", "disk_allocation_ratio")
HOST_FIELDS: tuple[str, ...] = HOST_CAPACITY_FIELDS + HOST_USAGE_FIELDS + HOST_SERVICE_FIELDS + HOST_RATIO_FIELDS

_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "host": (("host", "field", "value"), ()),
    "filter": (("name", "enabled"), ("position",)),
    "multiplier": (("name", "value"), ()),
    "flavor": (("flavor",), ()),
    "era": (("era",), ()),
}
_FLAVOR_KEYS = ("id", "name", "vcpus", "memory_mb", "root_gb", "ephemeral_gb", "swap", "extra_specs")


# -- applying a change --------------------------------------------------------------------------


def what_if(m: Moment, change: Mapping[str, Any]) -> Moment:
    """``m`` with one change applied; ``ValueError`` naming the problem if the change is invalid."""
    kind = _kind(change)
    if kind == "host":
        return _change_host(m, change)
    if kind == "filter":
        return replace(m, config=replace(m.config, enabled_filters=_new_filters(m.config, change)))
    if kind == "multiplier":
        name = change["name"]
        if name not in MULTIPLIER_OPTIONS:
            raise ValueError(f"unknown multiplier {show(name)} (one of {', '.join(MULTIPLIER_OPTIONS)})")
        options: dict[str, Any] = {name: _number(f"{name}", change["value"])}
        return replace(m, config=replace(m.config, **options))
    if kind == "flavor":
        return replace(m, request=replace(m.request, flavor=_new_flavor(m.request.flavor, change["flavor"])))
    return replace(m, config=_new_era(m.config, change["era"]))


def _kind(change: Mapping[str, Any]) -> str:
    if not isinstance(change, Mapping):
        raise ValueError(f"a change must be a mapping, not {show(change)}")
    kind = change.get("kind")
    if kind not in WHAT_IF_KINDS:
        raise ValueError(f"unknown kind of change {show(kind)} (one of {', '.join(WHAT_IF_KINDS)})")
    required, optional = _KEYS[kind]
    article = "an" if kind[0] in "aeiou" else "a"
    for key in required:
        if key not in change:
            raise ValueError(f"{article} {kind} change needs {key!r}")
    for key in change:
        if key != "kind" and key not in required and key not in optional:
            raise ValueError(f"{article} {kind} change has no {key!r}")
    return str(kind)


def _change_host(m: Moment, change: Mapping[str, Any]) -> Moment:
    name = change["host"]
    if not isinstance(name, str) or name not in m.host_names:
        raise ValueError(f"unknown host {show(name)}")
    field = change["field"]
    if field not in HOST_FIELDS:
        raise ValueError(f"a host change cannot set {show(field)} (one of {', '.join(HOST_FIELDS)})")
    value = change["value"]
    h = m.host(name)
    if field in HOST_SERVICE_FIELDS:
        if not isinstance(value, bool):
            raise ValueError(f"{field} must be true or false, not {show(value)}")
        service: dict[str, Any] = {field: value}
        new = replace(h, **service)
    else:
        amount: dict[str, Any] = {}
        if field in HOST_RATIO_FIELDS:
            amount[field] = _number(field, value)
            if amount[field] <= 0:
                raise ValueError(f"{field} must be a positive number, not {show(value)}")
        else:
            amount[field] = _integer(field, value, 1 if field in HOST_CAPACITY_FIELDS else 0)
        new = replace(h, resources=replace(h.resources, **amount))
    return replace(m, hosts=tuple(new if x.name == name else x for x in m.hosts))


def _new_filters(config: SchedulerConfig, change: Mapping[str, Any]) -> tuple[str, ...]:
    name = change["name"]
    if name not in FILTER_NAMES:
        raise ValueError(f"unknown filter {show(name)}")
    enabled = change["enabled"]
    if not isinstance(enabled, bool):
        raise ValueError(f"enabled must be true or false, not {show(enabled)}")
    current = list(config.enabled_filters)
    if not enabled:
        if "position" in change:
            raise ValueError("position only applies when a filter is enabled")
        if name not in current:
            raise ValueError(f"{name} is not enabled")
        return tuple(f for f in current if f != name)
    if config.era == "placement" and name in CLASSIC_ONLY_FILTERS:
        raise ValueError(f"{name} does not exist in the placement era")
    if name in current and "position" not in change:
        raise ValueError(f"{name} is already enabled")
    rest = [f for f in current if f != name]
    position = change.get("position", len(rest))
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= len(rest):
        raise ValueError(f"position must be an integer from 0 to {len(rest)}, not {show(position)}")
    if name in current and current.index(name) == position:
        raise ValueError(f"{name} is already enabled at position {position}")
    rest.insert(position, name)
    return tuple(rest)


def _new_flavor(old: Flavor, value: Any) -> Flavor:
    if not isinstance(value, Mapping):
        raise ValueError(f"flavor must be a mapping, not {show(value)}")
    for key in value:
        if key not in _FLAVOR_KEYS:
            raise ValueError(f"a flavor has no {key!r} (one of {', '.join(_FLAVOR_KEYS)})")
    d = {**old.to_dict(), **value}
    for key in ("id", "name"):
        if not isinstance(d[key], str) or not d[key].strip():
            raise ValueError(f"flavor {key} must be a non-empty string, not {show(d[key])}")
    specs = d["extra_specs"]
    if not isinstance(specs, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in specs.items()):
        raise ValueError("flavor extra_specs must map strings to strings")
    new = Flavor(
        id=d["id"],
        name=d["name"],
        vcpus=_integer("vcpus", d["vcpus"], 1),
        memory_mb=_integer("memory_mb", d["memory_mb"], 1),
        root_gb=_integer("root_gb", d["root_gb"], 0),
        ephemeral_gb=_integer("ephemeral_gb", d["ephemeral_gb"], 0),
        swap=_integer("swap", d["swap"], 0),
        extra_specs=dict(specs),
    )
    if new == old:
        raise ValueError("the flavor is unchanged")
    return new


def _new_era(config: SchedulerConfig, value: Any) -> SchedulerConfig:
    era: Era | None = next((e for e in ERAS if e == value), None)
    if era is None:
        raise ValueError(f"unknown era {show(value)} (one of {', '.join(ERAS)})")
    if era == config.era:
        raise ValueError(f"the era is already {era}")
    weighers = config.weight_classes
    if weighers == ERA_DEFAULT_WEIGHERS[config.era]:
        weighers = ERA_DEFAULT_WEIGHERS[era]
    return replace(config, era=era, enabled_filters=ERA_DEFAULT_FILTERS[era], weight_classes=weighers)


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, not {show(value)}")
    problem = magnitude_problem(value)  # before float(): a 400-digit integer overflows it
    if problem:
        raise ValueError(f"{name} {problem}")
    return float(value)


def _integer(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        what = "a positive integer" if minimum == 1 else "a non-negative integer"
        raise ValueError(f"{name} must be {what}, not {show(value)}")
    problem = magnitude_problem(value)
    if problem:
        raise ValueError(f"{name} {problem}")
    return value


# -- describing a change ------------------------------------------------------------------------


def describe_change(change: Mapping[str, Any], translate: Translate = identity, *, moment: Moment | None = None) -> str:
    """The change as a short label ("RamFilter off", "compute2 memory_mb_used 4608 → 1024").

    With ``moment`` the change is validated against it and the old value is shown.
    """
    kind = _kind(change)
    label = _label(kind, change, translate, moment)
    if moment is None:
        return label
    newly = newly_overcommitted(moment, what_if(moment, change))  # what_if raises on an invalid change
    for host, caps in newly.items():
        resources = ", ".join(
            render(_OVER_RESOURCE, {"resource": c.resource, "used": c.used, "limit": c.limit}, translate) for c in caps
        )
        label = render(_NOW_OVER, {"change": label, "host": host, "resources": resources}, translate)
    return label


_NOW_OVER = N_("{change}; {host} is now over-committed: {resources}")
_OVER_RESOURCE = N_("{resource} used {used} > limit {limit}")


def newly_overcommitted(before: Moment, after: Moment) -> dict[str, list[Capacity]]:
    """The hosts ``after`` over-commits that ``before`` did not (or not on those resources),
    each with the resources now used beyond their limit, by ``after``'s era."""
    out: dict[str, list[Capacity]] = {}
    was = {h.name: {c.resource for c in overcommitted(h.resources, before.config.era)} for h in before.hosts}
    for h in after.hosts:
        caps = [c for c in overcommitted(h.resources, after.config.era) if c.resource not in was.get(h.name, set())]
        if caps:
            out[h.name] = caps
    return out


def _label(kind: str, change: Mapping[str, Any], translate: Translate, moment: Moment | None) -> str:
    def say(template: str, **values: Any) -> str:
        return render(template, {k: _shown(v) for k, v in values.items()}, translate)

    if kind == "host":
        host, field, value = change["host"], change["field"], change["value"]
        if moment is None:
            return say(N_("{host} {field} → {new}"), host=host, field=field, new=value)
        h = moment.host(host)
        old = getattr(h, field) if field in HOST_SERVICE_FIELDS else getattr(h.resources, field)
        return say(N_("{host} {field} {old} → {new}"), host=host, field=field, old=old, new=value)
    if kind == "filter":
        name = change["name"]
        if not change["enabled"]:
            return say(N_("{filter} off"), filter=name)
        if "position" in change:
            return say(N_("{filter} on at position {position}"), filter=name, position=change["position"])
        return say(N_("{filter} on"), filter=name)
    if kind == "multiplier":
        name, value = change["name"], change["value"]
        if moment is None:
            return say(N_("{name} → {new}"), name=name, new=value)
        return say(N_("{name} {old} → {new}"), name=name, old=getattr(moment.config, name), new=value)
    if kind == "flavor":
        new_flavor = change["flavor"] if isinstance(change["flavor"], Mapping) else {}
        if moment is not None:
            f = _new_flavor(moment.request.flavor, new_flavor)
            return say(
                N_("flavor {old} → {name} ({vcpus} vCPU, {memory_mb} MB RAM, {root_gb} GB disk)"),
                old=moment.request.flavor.name,  # its sizes are in the host cards; a label would not translate
                name=f.name,
                vcpus=f.vcpus,
                memory_mb=f.memory_mb,
                root_gb=f.root_gb,
            )
        parts = ", ".join(f"{k} {_shown(v)}" for k, v in new_flavor.items() if k != "extra_specs")
        return say(N_("flavor → {flavor}"), flavor=parts)
    if moment is None:
        return say(N_("era → {new}"), new=change["era"])
    return say(N_("era {old} → {new}"), old=moment.config.era, new=change["era"])


def _shown(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


# -- comparing two decisions --------------------------------------------------------------------

#: The comparison's sentences. A request for one instance needs no number; a multi-create names
#: its first instance (sentences count instances from 1).

SAME_ONE = N_("Both decisions choose {host}.")
MOVED_ONE = N_("The choice moves from {before} to {after}.")
SAME_FIRST = N_("Both decisions place instance 1 on {host}.")
MOVED_FIRST = N_("Instance 1 moves from {before} to {after}.")
CHANGED_HOSTS = N_("Hosts that changed verdict: {hosts}.")
NO_CHANGED_HOST = N_("No host changed verdict.")
BOTH_FAIL = N_("Both decisions end in NoValidHost.")
NO_HOST = N_("NoValidHost")
#: Two sentences in a row (Chinese puts no space after its full stop).
TWO_SENTENCES = N_("{first} {second}")


def host_verdicts(trace: SchedulingTrace, translate: Translate = identity) -> dict[str, dict[str, Any]]:
    """Each host's verdict over the whole request, in the trace's host order.

    ``chosen`` if any instance was placed on it (``instances`` lists which), else ``filtered``
    by the first stage that removed it (a failed Placement claim counts), else ``passed``.
    """
    r = Renderer(translate)
    out: dict[str, dict[str, Any]] = {
        h: {"outcome": "passed", "filter": None, "reason": None} for h in known_hosts(trace)
    }
    for entry in trace.get("instances") or []:
        stages = [(s["name"], v) for s in entry.get("filters") or [] for v in [s.get("verdicts") or {}]]
        stages.append((CLAIM_STAGE, {c["host"]: c for c in entry.get("claims") or []}))
        for name, verdicts in stages:
            for host, verdict in verdicts.items():
                if not verdict["passed"] and out[host]["outcome"] == "passed":
                    out[host] = {"outcome": "filtered", "filter": name, "reason": reason_of(verdict, r)}
    for entry in trace.get("instances") or []:
        selected = entry.get("selected")
        if selected:
            previous = out.get(selected, {})
            placed = previous.get("instances", []) if previous.get("outcome") == "chosen" else []
            out[selected] = {
                "outcome": "chosen",
                "filter": None,
                "reason": None,
                "instances": [*placed, int(entry["index"])],
            }
    return out


def compare(before: SchedulingTrace, after: SchedulingTrace, *, translate: Translate = identity) -> dict[str, Any]:
    """Two traces of the same request side by side: the choices and every host's verdict.

    A host ``changed`` when its outcome or the filter that removed it differs; a host that only
    one decision saw is ``not_seen`` in the other.
    """
    b = host_verdicts(before, translate)
    a = host_verdicts(after, translate)
    unseen = {"outcome": "not_seen", "filter": None, "reason": None}
    rows = []
    for host in list(dict.fromkeys([*b, *a])):
        vb, va = b.get(host, unseen), a.get(host, unseen)
        changed = vb["outcome"] != va["outcome"] or vb["filter"] != va["filter"]
        rows.append({"host": host, "before": vb, "after": va, "changed": changed})

    first_before, first_after = _first_selected(before), _first_selected(after)
    changed_hosts = [row["host"] for row in rows if row["changed"]]
    summary = _summary(first_before, first_after, changed_hosts, _num_instances(after), translate)
    return {
        "selected": [first_before, first_after],
        "selected_hosts": [list(before.get("selected_hosts") or []), list(after.get("selected_hosts") or [])],
        "errors": [before.get("error"), after.get("error")],
        "hosts": rows,
        "changed": changed_hosts,
        "summary": summary,
    }


def _summary(
    before: str | None, after: str | None, changed: list[str], num_instances: int, translate: Translate
) -> str:
    """Where the (first) instance goes in each decision, then which hosts changed verdict."""
    one = num_instances <= 1
    if before == after and before is not None:
        choice = render(SAME_ONE if one else SAME_FIRST, {"host": before}, translate)
    elif before == after:
        choice = render(BOTH_FAIL, {}, translate)
    else:
        no_host = translate(NO_HOST)
        values = {"before": before or no_host, "after": after or no_host}
        choice = render(MOVED_ONE if one else MOVED_FIRST, values, translate)
    if changed:
        verdicts = render(CHANGED_HOSTS, {"hosts": ", ".join(changed)}, translate)
    else:
        verdicts = render(NO_CHANGED_HOST, {}, translate)
    return render(TWO_SENTENCES, {"first": choice, "second": verdicts}, translate)


def _num_instances(trace: SchedulingTrace) -> int:
    return max(int((trace.get("request") or {}).get("num_instances") or 1), len(trace.get("instances") or []), 1)


def _first_selected(trace: SchedulingTrace) -> str | None:
    instances = trace.get("instances") or []
    if not instances:
        return None
    selected = instances[0].get("selected")
    return str(selected) if selected else None
