"""Scenario files: parse and validate a simulated cloud (scenario-format.md), all or nothing.

``parse_scenario(data)`` checks every field, collects every problem with its path
(``hosts[2].memory_mb: must be a positive integer``) and raises ``ScenarioError`` with all of
them, or returns a complete ``Scenario`` with every default filled in. States Nova runs with
but a student should notice (a host over-committed, a reservation that leaves nothing) are not
problems: they are the scenario's ``warnings``, each a sentence with its numbers. ``load_scenario_file``
reads YAML or JSON first. ``parse_scheduler_config`` validates a ``scheduler:`` section alone
(the settings page validates ``nova.conf`` options with it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..resources import Era
from .checks import Checker, get, join, kind, unique
from .config import SchedulerConfig
from .defaults import DEFAULT_FLAVORS, DEFAULT_IMAGES
from .model import (
    Aggregate,
    Flavor,
    HostState,
    Image,
    Instance,
    ScheduleRequest,
    ServerGroup,
)
from .sections import (
    SLUG,
    Refs,
    ScenarioWarning,
    parse_aggregate,
    parse_flavor,
    parse_host,
    parse_image,
    parse_request,
    parse_server_group,
    scheduler_section,
)

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
    # Kubernetes clusters on the scenario's instances: read and checked by cloudlab.kube.scenario
    # when a cloud is made; the scheduler has nothing to do with them.
    "clusters",
)


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
    #: What Nova runs with that the scenario describes (over-committed hosts…), in file order.
    warnings: tuple[ScenarioWarning, ...] = field(default=())

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
    c = Checker()
    config = scheduler_section(c, data, path, host_names, image_ids)
    if c.problems or config is None:
        raise ScenarioError(c.problems)
    return config


# -- the whole scenario -------------------------------------------------------------------------


def parse_scenario(data: Any) -> Scenario:
    """Validate a scenario (already read from YAML/JSON) and fill every default.

    Steps: the top-level keys; flavors and images (references need them); the scheduler
    section; aggregates; hosts with their instances and usage (and the warnings about hosts
    over their limits); server groups; requests. Every problem is collected; if there is any,
    ``ScenarioError`` lists them all.
    """
    c = Checker()
    top = c.mapping("", data, TOP_KEYS) if isinstance(data, Mapping) else None
    if top is None:
        if not isinstance(data, Mapping):
            c.problems = [f"(top): a scenario must be a mapping, not {kind(data)}"]
        raise ScenarioError(c.problems)

    name = c.string("name", get(top, "name", "scenario"))
    if name is not None and not SLUG.match(name):
        c.add("name", f"{name!r} must be a slug: lower-case letters, digits, '-' and '_'")
    description: dict[str, str] = {"en": "", "zh-hans": ""}
    d = get(top, "description", {})
    if isinstance(d, str):
        description["en"] = c.string("description", d, allow_empty=True, newlines=True) or ""
    else:
        dm = c.mapping("description", d, ("en", "zh-hans"))
        for lang in ("en", "zh-hans"):
            if dm is not None and get(dm, lang, None) is not None:
                description[lang] = c.string(f"description.{lang}", dm[lang], allow_empty=True, newlines=True) or ""

    # flavors and images
    flavors: list[Flavor] = list(DEFAULT_FLAVORS)
    if get(top, "flavors", None) is not None:
        parsed_f = [(p, parse_flavor(c, p, v)) for p, v in c.items("flavors", top["flavors"])]
        unique(c, "flavors", parsed_f, lambda f: f.id, "flavor id")
        unique(c, "flavors", parsed_f, lambda f: f.name, "flavor name")
        flavors = [f for _, f in parsed_f if f is not None]
        if not parsed_f:
            c.add("flavors", "must list at least one flavor (leave it out for Nova's default eight)")
    images: list[Image] = list(DEFAULT_IMAGES)
    if get(top, "images", None) is not None:
        parsed_i = [(p, parse_image(c, p, v)) for p, v in c.items("images", top["images"])]
        unique(c, "images", parsed_i, lambda i: i.id, "image id")
        unique(c, "images", parsed_i, lambda i: i.name, "image name")
        images = [i for _, i in parsed_i if i is not None]
    refs = Refs(flavors, images)

    # host names first: the scheduler section's isolated_hosts may name them
    raw_hosts = c.items("hosts", get(top, "hosts", []))
    host_names = [h["name"] for _, h in raw_hosts if isinstance(h, Mapping) and isinstance(h.get("name"), str)]
    config = scheduler_section(c, get(top, "scheduler", {}), "scheduler", host_names, [i.id for i in images])
    era: Era = config.era if config else "classic"

    # aggregates
    aggregates: dict[str, Aggregate] = {}
    for path, raw in c.items("aggregates", get(top, "aggregates", [])):
        aggregate = parse_aggregate(c, path, raw)
        if aggregate is None:
            continue
        if aggregate.name in aggregates:
            c.add(join(path, "name"), f"duplicate aggregate name {aggregate.name!r}")
            continue
        aggregates[aggregate.name] = aggregate

    # hosts and their instances
    hosts: list[HostState] = []
    instances: list[Instance] = []
    seen_hosts: dict[str, str] = {}
    seen_uuids: dict[str, str] = {}
    warnings: list[ScenarioWarning] = []
    for index, (path, raw) in enumerate(raw_hosts):
        hname = raw.get("name") if isinstance(raw, Mapping) else None
        if isinstance(hname, str) and hname in seen_hosts:
            c.add(join(path, "name"), f"duplicate host name {hname!r} (first at {seen_hosts[hname]})")
            continue
        if isinstance(hname, str):
            seen_hosts[hname] = path
        host = parse_host(c, path, raw, index, era, aggregates, refs, instances, seen_uuids, warnings)
        if host is not None:
            hosts.append(host)
    if not raw_hosts:
        c.add("hosts", "a scenario needs at least one host")

    # server groups
    instance_uuids = {i.uuid for i in instances}
    groups: dict[str, ServerGroup] = {}
    for path, raw in c.items("server_groups", get(top, "server_groups", [])):
        group = parse_server_group(c, path, raw, instance_uuids)
        if group is None:
            continue
        if group.name in groups:
            c.add(join(path, "name"), f"duplicate server group name {group.name!r}")
            continue
        groups[group.name] = group

    # requests
    zones = {a.availability_zone for a in aggregates.values() if a.availability_zone}
    zones.add(config.default_availability_zone if config else "nova")
    requests: list[ScheduleRequest] = []
    for rindex, (path, raw) in enumerate(c.items("requests", get(top, "requests", []))):
        request = parse_request(c, path, raw, rindex, refs, groups, zones, name or "scenario")
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
        warnings=tuple(warnings),
    )


def load_scenario_file(path: str | Path) -> Scenario:
    """Read a YAML or JSON scenario file and ``parse_scenario`` it.

    ``.json`` files are read as JSON, anything else as YAML (which also reads JSON). A file that
    cannot be read or parsed raises ``ScenarioError`` with one problem naming the file.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([f"{p}: cannot read the file ({exc})"]) from exc
    return parse_scenario(read_data(p, text))


def read_data(p: Path, text: str) -> Any:
    """A file's text as data: JSON for ``.json``, YAML otherwise; ``ScenarioError`` with the
    line and column when it is neither, or holds a number no file should (an integer of
    thousands of digits, which Python refuses to convert; JSON's NaN and Infinity)."""
    try:
        if p.suffix.lower() == ".json":
            return json.loads(text, parse_constant=_refuse_constant)
        return yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError([f"{p}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"]) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ScenarioError([f"{p}: not valid YAML{where}: {getattr(exc, 'problem', exc)}"]) from exc
    except ValueError as exc:  # int(): "Exceeds the limit (4300 digits) for integer string conversion"
        raise ScenarioError([f"{p}: holds a number that cannot be read ({exc})"]) from exc


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")
