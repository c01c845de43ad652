"""Scheduling a scenario's requests in order, each one seeing the previous ones placed."""

from __future__ import annotations

import random
from dataclasses import replace

from ..i18n import Translate, identity
from .drivers import schedule
from .model import HostState, ScheduleRequest
from .scenario import Scenario
from .schema import SchedulingTrace


def run_scenario(
    scenario: Scenario, *, translate: Translate = identity, only: int | None = None
) -> list[SchedulingTrace]:
    """The traces of the scenario's requests (or of request ``only``, after the earlier ones).

    A placed request consumes its hosts and its instances join its server group, so the next
    request sees them; one random generator seeded from the scenario serves all requests.
    """
    rng = random.Random(scenario.scheduler.seed)  # noqa: S311 - reproducible teaching choices
    hosts: list[HostState] = list(scenario.hosts)
    joined: dict[str, tuple[str, ...]] = {}
    traces: list[SchedulingTrace] = []
    last = len(scenario.requests) - 1 if only is None else only
    for index, request in enumerate(scenario.requests[: last + 1]):
        request = _with_members(request, joined)
        trace = schedule(
            hosts, request, scenario.scheduler, translate=translate, rng=rng, aggregates=scenario.aggregates
        )
        trace["request_index"] = index
        if only is None or index == only:
            traces.append(trace)
        if trace["error"] is None:
            for k, name in enumerate(trace["selected_hosts"]):
                hosts = [h.consume(request.flavor, request.uuid_of(k)) if h.name == name else h for h in hosts]
            group = request.server_group
            if group is not None:
                joined[group.name] = joined.get(group.name, ()) + request.instance_uuids
    return traces


def _with_members(request: ScheduleRequest, joined: dict[str, tuple[str, ...]]) -> ScheduleRequest:
    group = request.server_group
    if group is None or group.name not in joined:
        return request
    return replace(request, server_group=replace(group, members=group.members + joined[group.name]))
