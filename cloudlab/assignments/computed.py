"""Answers the engine works out from the scenario (``computed:`` in a question; pure).

``resolve(raw, scenario) -> (recipe, value)`` runs the engine's own code on the scenario as
loaded (no instance launched yet), so an answer always equals what the pages show:

* ``usable_ram: HOST``: RamFilter's usable RAM, ``memory_mb × ram_allocation_ratio − used``
  (classic era, where RamFilter exists);
* ``free_ram_mb: HOST`` (RAMWeigher's raw value), ``free_vcpus: HOST`` (CoreFilter),
  ``usable_disk_mb: HOST`` (DiskFilter);
* ``normalised_weight: {weigher, host, request}``: that weigher's normalised value for the host
  in a real ``schedule()`` of the request (a host the filters removed has none);
* ``weight: {host, request}``: the host's total weight in the ranking;
* ``selected_host: {request}``: the host the scheduler selects (a multiple-choice answer);
* ``hosts_after: {filter, request}``: how many hosts are left after that filter.

From the cited architecture model (``cloudlab/engine/architectures.py``, what the VM vs Container
experiment shows):

* ``start_seconds: KIND``: the model's boot or start time of a kind (container, microvm, type1,
  type2; no instructor override: the published or stand-in figure);
* ``memory_overhead_mb: KIND``: what a host spends on one instance beyond the guest's RAM;
* ``density: {host, flavor}``: how many instances of the flavor fit on the host, by the model
  (the host's architecture class gives the kind; the RAM for instances is the host's RAM limit
  less its reserved memory, as the experiment page counts it).

``request`` is a scenario request (``{flavor: m1.small, image: cirros, …}``, scenario-format.md).
``ComputeError.problems`` are ``(sub-path, message)`` pairs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudlab.engine import architectures
from cloudlab.engine.resources import limits
from cloudlab.engine.scheduler import Scenario, ScheduleRequest, schedule
from cloudlab.engine.scheduler.checks import Checker, did_you_mean, show
from cloudlab.engine.scheduler.schema import SchedulingTrace
from cloudlab.engine.scheduler.sections import Refs, parse_request

HOST_NUMBERS = ("usable_ram", "free_ram_mb", "free_vcpus", "usable_disk_mb")
DECISIONS = ("normalised_weight", "weight", "selected_host", "hosts_after")
ARCHITECTURE_FIGURES = ("start_seconds", "memory_overhead_mb", "density")
KINDS = (*HOST_NUMBERS, *DECISIONS, *ARCHITECTURE_FIGURES)
_DECISION_KEYS = {
    "normalised_weight": ("weigher", "host", "request"),
    "weight": ("host", "request"),
    "selected_host": ("request",),
    "hosts_after": ("filter", "request"),
}


class ComputeError(ValueError):
    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"computed{p}: {m}" for p, m in problems))


def resolve(raw: Any, scenario: Scenario) -> tuple[dict[str, Any], Any]:
    """The normalised recipe and its value; ``ComputeError`` naming what is wrong."""
    if isinstance(raw, Mapping) and "normalized_weight" in raw:  # both spellings
        raw = {("normalised_weight" if k == "normalized_weight" else k): v for k, v in raw.items()}
    if not isinstance(raw, Mapping) or len(raw) != 1:
        raise ComputeError(
            [("", f"must be one of {', '.join(KINDS)} with its arguments, like {{usable_ram: compute2}}")]
        )
    ((what, args),) = raw.items()
    if what not in KINDS:
        raise ComputeError([(f".{what}", f"unknown computed answer {show(what)}" + did_you_mean(str(what), KINDS))])
    hosts = [h.name for h in scenario.hosts]
    if what in ARCHITECTURE_FIGURES:
        return _architecture(what, args, scenario)
    if what in HOST_NUMBERS:
        if args not in hosts:
            raise ComputeError(
                [
                    (
                        f".{what}",
                        f"unknown host {show(args)}"
                        + did_you_mean(str(args), hosts)
                        + f" (the scenario has {', '.join(hosts)})",
                    )
                ]
            )
        if what == "usable_ram" and scenario.scheduler.era != "classic":
            raise ComputeError(
                [(f".{what}", "RamFilter's usable RAM exists in the classic era only; this scenario is placement-era")]
            )
        r = scenario.host(args).resources
        value = {
            "usable_ram": r.usable_ram_mb,
            "free_ram_mb": r.free_ram_mb,
            "free_vcpus": r.free_vcpus,
            "usable_disk_mb": r.usable_disk_mb,
        }[what]
        return {what: args}, float(value)
    keys = _DECISION_KEYS[what]
    if not isinstance(args, Mapping):
        raise ComputeError([(f".{what}", f"must be a mapping of {', '.join(keys)}, not {show(args)}")])
    problems = [(f".{what}.{k}", "unknown key" + did_you_mean(str(k), keys)) for k in args if k not in keys]
    problems += [(f".{what}", f"{k}: is required") for k in keys if k not in args]
    if problems:
        raise ComputeError(problems)
    if "host" in args and args["host"] not in hosts:
        problems.append(
            (f".{what}.host", f"unknown host {show(args['host'])}" + did_you_mean(str(args["host"]), hosts))
        )
    config = scenario.scheduler
    if "weigher" in args and args["weigher"] not in config.weight_classes:
        problems.append(
            (
                f".{what}.weigher",
                f"{show(args['weigher'])} is not one of the scenario's weighers ({', '.join(config.weight_classes)})"
                + did_you_mean(str(args["weigher"]), config.weight_classes),
            )
        )
    if "filter" in args and args["filter"] not in config.enabled_filters:
        problems.append(
            (
                f".{what}.filter",
                f"{show(args['filter'])} is not one of the scenario's enabled filters "
                f"({', '.join(config.enabled_filters)})" + did_you_mean(str(args["filter"]), config.enabled_filters),
            )
        )
    request = _request(problems, f".{what}.request", args["request"], scenario)
    if problems or request is None:
        raise ComputeError(problems)
    trace = decide(scenario, request)
    recipe = {what: dict(args)}
    if trace["error"] is not None or not trace["instances"]:
        raise ComputeError(
            [
                (
                    f".{what}.request",
                    "the scheduler finds no valid host for this request, so there is no decision to ask about",
                )
            ]
        )
    result = trace["instances"][0]
    if what == "selected_host":
        return recipe, result["selected"]
    if what == "hosts_after":
        stage = next((s for s in result["filters"] if s["name"] == args["filter"]), None)
        if stage is None:
            raise ComputeError(
                [(f".{what}.filter", f"{args['filter']} did not run for this request (the hosts were gone before it)")]
            )
        return recipe, float(stage["hosts_out"])
    if what == "weight":
        entry = next((e for e in result["ranking"] if e["host"] == args["host"]), None)
        if entry is None:
            raise ComputeError(
                [(f".{what}.host", f"{args['host']} does not pass the filters for this request, so it has no weight")]
            )
        return recipe, float(entry["weight"])
    weigher = next((w for w in result["weighers"] if w["name"] == args["weigher"]), None)
    values = weigher["values"] if weigher is not None else {}
    if args["host"] not in values:
        raise ComputeError(
            [(f".{what}.host", f"{args['host']} does not pass the filters for this request, so it is not weighed")]
        )
    return recipe, float(values[args["host"]]["normalized"])


def _architecture(what: str, args: Any, scenario: Scenario) -> tuple[dict[str, Any], float]:
    """A figure of the architecture model, for a kind or (density) a host and a flavor."""
    if what in ("start_seconds", "memory_overhead_mb"):
        if args not in architectures.KINDS:
            raise ComputeError(
                [
                    (
                        f".{what}",
                        f"unknown kind {show(args)}"
                        + did_you_mean(str(args), architectures.KINDS)
                        + f" (kinds: {', '.join(architectures.KINDS)})",
                    )
                ]
            )
        if what == "start_seconds":
            return {what: args}, float(architectures.start_seconds(args))
        return {what: args}, float(architectures.memory_overhead(args).mb)
    keys = ("host", "flavor")
    if not isinstance(args, Mapping):
        raise ComputeError([(f".{what}", f"must be a mapping of host and flavor, not {show(args)}")])
    problems = [(f".{what}.{k}", "unknown key" + did_you_mean(str(k), keys)) for k in args if k not in keys]
    problems += [(f".{what}", f"{k}: is required") for k in keys if k not in args]
    if problems:
        raise ComputeError(problems)
    hosts = [h.name for h in scenario.hosts]
    flavors = {f.name: f for f in scenario.flavors} | {f.id: f for f in scenario.flavors}
    if args["host"] not in hosts:
        problems.append(
            (f".{what}.host", f"unknown host {show(args['host'])}" + did_you_mean(str(args["host"]), hosts))
        )
    if args["flavor"] not in flavors:
        names = [f.name for f in scenario.flavors]
        problems.append(
            (f".{what}.flavor", f"unknown flavor {show(args['flavor'])}" + did_you_mean(str(args["flavor"]), names))
        )
    if problems:
        raise ComputeError(problems)
    host = scenario.host(args["host"])
    r = host.resources
    ram_for_instances = int(limits(r, scenario.scheduler.era)["memory_mb"]) - r.reserved_host_memory_mb
    kind = architectures.kind_of(host.architecture)
    value = architectures.density(kind, max(ram_for_instances, 0), flavors[args["flavor"]].memory_mb)
    return {what: dict(args)}, float(value)


def _request(problems: list[tuple[str, str]], path: str, raw: Any, scenario: Scenario) -> ScheduleRequest | None:
    c = Checker()
    zones = {a.availability_zone for a in scenario.aggregates if a.availability_zone}
    zones.add(scenario.scheduler.default_availability_zone)
    groups = {g.name: g for g in scenario.server_groups}
    request = parse_request(c, "", raw, 0, Refs(scenario.flavors, scenario.images), groups, zones, scenario.name)
    for problem in c.problems:
        sub, _, message = problem.partition(": ")
        problems.append((f"{path}{'.' + sub.lstrip('.') if sub else ''}", message))
    return request


def decide(scenario: Scenario, request: ScheduleRequest) -> SchedulingTrace:
    """One real scheduler pass of ``request`` on the scenario's hosts as loaded."""
    return schedule(list(scenario.hosts), request, scenario.scheduler, aggregates=scenario.aggregates)
