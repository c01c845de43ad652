"""The historic drivers: ChanceScheduler and Essex's SimpleScheduler (nova-semantics.md a, i).

Neither filters nor weighs the way FilterScheduler does; they are here so a class can see why
filters were invented. They fill the same trace as ``drivers.schedule`` and take the same
arguments as every driver (``drivers.Driver``), using only the ones they need.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, cast

from ..i18n import N_
from .config import SchedulerConfig
from .filters import Verdict
from .model import Aggregate, HostState, ScheduleRequest
from .schema import InstanceResult, SchedulingTrace
from .trace import Renderer, no_valid_host, stage_entry

# -- chance_scheduler ---------------------------------------------------------------------------


def chance_scheduler(
    trace: SchedulingTrace,
    hosts: Sequence[HostState],
    request: ScheduleRequest,
    config: SchedulerConfig,
    render: Renderer,
    retry_hosts: tuple[str, ...],
    rng: random.Random,
    aggregates: tuple[Aggregate, ...] = (),
) -> None:
    """ChanceScheduler: every host whose nova-compute is up (disabled is not checked), at random.

    Distinct hosts for a multi-instance request when there are enough, else repeats. No
    filters, weighers or claims, which is why it could place an instance on a full host.
    """
    verdicts = []
    for h in hosts:
        if h.up:
            verdicts.append((h, Verdict(True, N_("nova-compute is up"), {})))
        else:
            verdicts.append((h, Verdict(False, N_("nova-compute is down (no heartbeat within 60 s)"), {})))
    up = [h for h, v in verdicts if v.passed]
    stage = stage_entry("hosts_up", len(hosts), up, verdicts, render)
    count = request.num_instances
    if not up:
        trace["instances"].append({"index": 0, "filters": [stage], "selected": None})
        trace["error"] = no_valid_host("Is the appropriate service running?", 0)
        return
    chosen = rng.sample(up, count) if len(up) >= count else [rng.choice(up) for _ in range(count)]
    for index, h in enumerate(chosen):
        trace["instances"].append(
            {
                "index": index,
                "instance_uuid": request.uuid_of(index),
                "filters": [stage] if index == 0 else [],
                "weighers": [],
                "ranking": [{"host": x.name, "weight": 0.0} for x in up],
                "selected": h.name,
            }
        )


# -- simple_scheduler (Essex) --------------------------------------------------------------------


def simple_scheduler(
    trace: SchedulingTrace,
    hosts: Sequence[HostState],
    request: ScheduleRequest,
    config: SchedulerConfig,
    render: Renderer,
    retry_hosts: tuple[str, ...],
    rng: random.Random,
    aggregates: tuple[Aggregate, ...] = (),
) -> None:
    """SimpleScheduler ("least loaded"), nova-semantics.md section i.

    1. sort the hosts by the vCPUs of their instances, ascending (stable);
    2. keep the requested availability zone, if any;
    3. walk them: skip hosts on the wrong side of image isolation; at the first remaining host,
       fail the whole request if its instance cores + the request's vCPUs exceed ``max_cores``;
       choose the first host that is up and enabled.
    No RAM or disk check at all. Each instance of a multi-instance request sees the previous
    ones placed.
    """
    current = list(hosts)
    vcpus = request.flavor.vcpus
    image_isolated = request.image is not None and request.image.id in config.isolated_images
    zone = request.availability_zone
    for index in range(request.num_instances):
        # Built step by step; "selected" is set on both ways out of this iteration.
        entry = cast(InstanceResult, {"index": index, "instance_uuid": request.uuid_of(index), "filters": []})
        trace["instances"].append(entry)
        ranked = sorted(current, key=lambda h: h.resources.instance_vcpus)
        entry["ranking"] = [{"host": h.name, "weight": h.resources.instance_vcpus} for h in ranked]
        entry["weighers"] = []
        if zone:
            verdicts = []
            for h in ranked:
                h_zones = h.availability_zones or frozenset({config.default_availability_zone})
                zone_numbers = {"requested_zone": zone, "host_zones": ", ".join(sorted(h_zones))}
                if zone in h_zones:
                    verdicts.append((h, Verdict(True, N_("host is in zone {host_zones}, as requested"), zone_numbers)))
                else:
                    verdicts.append(
                        (h, Verdict(False, N_("host is in zone {host_zones}, not {requested_zone}"), zone_numbers))
                    )
            ranked = [h for h, v in verdicts if v.passed]
            entry["filters"].append(stage_entry("availability_zone", len(verdicts), ranked, verdicts, render))
        walk: list[tuple[HostState, Verdict]] = []
        chosen: HostState | None = None
        error: str | None = None
        for h in ranked:
            host_isolated = h.name in config.isolated_hosts
            if image_isolated and not host_isolated:
                walk.append((h, Verdict(False, N_("isolated image, and this host is not isolated"), {})))
                continue
            if host_isolated and not image_isolated:
                walk.append((h, Verdict(False, N_("isolated host, and the image is not isolated"), {})))
                continue
            numbers: dict[str, Any] = {
                "instance_cores": h.resources.instance_vcpus,
                "requested_vcpus": vcpus,
                "max_cores": config.max_cores,
            }
            # Essex skipped the core check for isolated images (skip_isolated_core_check = True).
            if not image_isolated and h.resources.instance_vcpus + vcpus > config.max_cores:
                walk.append(
                    (
                        h,
                        Verdict(
                            False,
                            N_("{instance_cores} cores in use + {requested_vcpus} requested > max_cores {max_cores}"),
                            numbers,
                        ),
                    )
                )
                error = "Not enough allocatable CPU cores remaining"
                break
            if h.up and h.enabled:
                walk.append(
                    (
                        h,
                        Verdict(
                            True,
                            N_("least loaded host that is up and enabled ({instance_cores} cores in use)"),
                            numbers,
                        ),
                    )
                )
                chosen = h
                break
            walk.append((h, Verdict(False, N_("nova-compute is down or disabled"), numbers)))
        entry["filters"].append(stage_entry("least_loaded_walk", len(ranked), [chosen] if chosen else [], walk, render))
        if chosen is None:
            entry["selected"] = None
            trace["error"] = no_valid_host(error or "Is the appropriate service running?", index)
            return
        entry["selected"] = chosen.name
        consumed = chosen.consume(request.flavor, request.uuid_of(index))
        current = [consumed if h is chosen else h for h in current]
