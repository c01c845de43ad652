"""The scheduler drivers and the trace they return (scenario-format.md, "The trace").

``schedule()`` is the entry point: it runs the cloud's configured driver (only one driver runs at
a time, as with Nova's ``scheduler_driver``) on plain ``HostState`` objects and returns the
whole decision as plain, JSON-ready data.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Callable, Iterable, Sequence
from typing import cast

from ..i18n import N_, Translate, identity
from ..resources import Era
from .config import SchedulerConfig
from .filters import FilterContext, HostFilter, Verdict, make_filters
from .historic import chance_scheduler, simple_scheduler
from .model import Aggregate, HostState, ScheduleRequest
from .placement import STAGE_NAME, capacity_verdict, placement_size, placement_verdicts
from .request_filters import AZ_STAGE, cloud_aggregates, map_az_to_placement_aggregate
from .schema import (
    ClaimEntry,
    FilterStage,
    InstanceResult,
    RemovedBy,
    SchedulingError,
    SchedulingTrace,
    VerdictEntry,
    WeigherValue,
)
from .trace import NO_CANDIDATES, NO_VALID_HOST, NOT_ENOUGH_HOSTS, Renderer, no_valid_host, stage_entry
from .weighers import HostWeigher, clamp, make_weighers, normalize


def schedule(
    hosts: Sequence[HostState],
    request: ScheduleRequest,
    config: SchedulerConfig,
    *,
    translate: Translate = identity,
    retry_hosts: Iterable[str] = (),
    rng: random.Random | None = None,
    aggregates: Iterable[Aggregate] = (),
) -> SchedulingTrace:
    """Schedule ``request`` on ``hosts`` with ``config``'s driver and return the trace.

    ``retry_hosts`` are the hosts already tried for this request (classic RetryFilter).
    ``rng`` makes random choices (``host_subset_size`` > 1, chance_scheduler); by default a
    ``random.Random(config.seed)``, so the same inputs give the same answer.
    ``aggregates`` are the cloud's host aggregates besides those of ``hosts`` (an aggregate
    without hosts, or whose hosts are not offered): the placement era's availability-zone
    request filter reads every aggregate that declares the requested zone.
    """
    # A decision allocates a dict per verdict and nothing cyclic; pausing the cyclic garbage
    # collector meanwhile keeps 10,000 hosts linear (it would rescan the growing trace).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _schedule(hosts, request, config, Renderer(translate), tuple(retry_hosts), rng, tuple(aggregates))
    finally:
        if gc_was_enabled:
            gc.enable()


def _schedule(
    hosts: Sequence[HostState],
    request: ScheduleRequest,
    config: SchedulerConfig,
    render: Renderer,
    tried: tuple[str, ...],
    rng: random.Random | None,
    aggregates: tuple[Aggregate, ...],
) -> SchedulingTrace:
    rng = rng if rng is not None else random.Random(config.seed)  # noqa: S311 - not cryptographic
    trace: SchedulingTrace = {
        "era": config.era,
        "driver": config.driver,
        "request": request.to_dict(),
        "retry": {"num_attempts": len(tried) + 1, "hosts": list(tried), "max_attempts": config.max_attempts},
        "instances": [],
        "selected_hosts": [],
        "error": None,
    }
    if config.era == "classic" and config.driver == "filter_scheduler" and len(tried) >= config.max_attempts:
        # The conductor's populate_retry refuses a pass beyond max_attempts before scheduling.
        trace["error"] = max_retries_exceeded(config, request.uuid_of(0))
    else:
        driver = DRIVERS.get(config.driver, filter_scheduler)
        driver(trace, hosts, request, config, render, tried, rng, aggregates)
    if trace["error"] is None:
        trace["selected_hosts"] = [i["selected"] for i in trace["instances"] if i["selected"] is not None]
    return trace


def max_retries_exceeded(config: SchedulerConfig, instance_uuid: str, last_reason: str = "") -> SchedulingError:
    """The fault when an instance ran out of attempts, in the era's wording (nova/exception.py).

    Classic (Liberty to Pike): the conductor refuses attempt ``max_attempts + 1``. Placement
    (Queens+): the conductor used up the alternates.
    """
    if config.era == "classic":
        message = (
            f"{NO_VALID_HOST} Exceeded max scheduling attempts {config.max_attempts} for instance {instance_uuid}."
        )
        if last_reason:
            message += f" Last exception: {last_reason}"
    else:
        message = (
            "Exceeded maximum number of retries. Exhausted all hosts available for retrying build "
            f"failures for instance {instance_uuid}."
        )
    return {"type": "MaxRetriesExceeded", "message": message, "reason": last_reason, "instance_index": 0}


# -- filter_scheduler ---------------------------------------------------------------------------


def filter_scheduler(
    trace: SchedulingTrace,
    hosts: Sequence[HostState],
    request: ScheduleRequest,
    config: SchedulerConfig,
    render: Renderer,
    retry_hosts: tuple[str, ...],
    rng: random.Random,
    aggregates: tuple[Aggregate, ...] = (),
) -> None:
    """Nova's FilterScheduler, one instance at a time.

    0. a request that names a destination (a move to a chosen host, not forced) keeps only that
       host, before anything else (host_manager ``_get_hosts_matching_request``; in the
       placement era Placement is asked ``in_tree`` that host too);
    1. (placement era) once per request, the availability-zone request filter and the Placement
       stage keep the allocation candidates (none: NoValidHost with Nova's empty reason);
    2. the enabled filters in order (run-once filters only for the first instance), stopping
       when no host is left;
    3. the weighers, unless only one host is left; a stable sort, highest weight first;
    4. a random pick among the first ``host_subset_size`` hosts, moved to the front;
    5. classic: that host is selected and gets the filters' limits for its claim; placement:
       walk the list and select the first host whose Placement claim fits;
    6. the selected host consumes the instance, so the next instance sees it fuller; the next
       instance starts from this instance's hosts (classic: in filtered order, as in Newton;
       placement: in weighed order, as today).
    """
    era: Era = config.era
    filters = make_filters(config.enabled_filters)
    weighers = make_weighers(config.weight_classes)
    group = request.server_group
    ctx = FilterContext(request, config, retry_hosts=retry_hosts)
    members = ctx.group_members
    if group is not None:
        # The members' hosts (a move's excluded source too, as Nova's group.get_hosts()).
        ctx.group_hosts = list(dict.fromkeys([*group.hosts, *(h.name for h in hosts if h.instance_uuids & members)]))

    candidates = list(hosts)
    prefilter_stages: list[FilterStage] = []
    if request.requested_destination:
        candidates, stage = _requested_destination(candidates, request.requested_destination, render)
        prefilter_stages.append(stage)
    if era == "placement" and (candidates or not prefilter_stages):
        candidates, stages = _prefilter(candidates, request, aggregates, render)
        prefilter_stages += stages
    elif era == "placement":
        prefilter_stages.append(_not_run(STAGE_NAME, "no host left"))

    for index in range(request.num_instances):
        ctx.index = index
        ctx.instance_uuid = request.uuid_of(index)
        # Built step by step; "selected" is set on every way out of this iteration.
        entry = cast(InstanceResult, {"index": index, "instance_uuid": ctx.instance_uuid, "filters": []})
        trace["instances"].append(entry)
        removed_by: list[RemovedBy] = []
        survivors = candidates
        if index == 0:
            for stage in prefilter_stages:
                entry["filters"].append(stage)
                _note_removed(removed_by, stage)
        limits: dict[str, dict[str, float]] = {}
        for f in filters:
            if not survivors:
                entry["filters"].append(_not_run(f.name, "no host left"))
                continue
            if f.run_filter_once_per_request and index > 0:
                entry["filters"].append(_not_run(f.name, "runs once per request", len(survivors)))
                continue
            survivors = _run_filter(f, survivors, ctx, render, entry, limits)
            _note_removed(removed_by, entry["filters"][-1])
        if not survivors:
            # Placement without a candidate is Nova's NoValidHost with an empty reason, raised
            # before any filter; filters that leave too few hosts give "not enough hosts".
            reason = NO_CANDIDATES if era == "placement" and not candidates else NOT_ENOUGH_HOSTS
            last = removed_by[-1]["filter"] if removed_by else None
            trace["error"] = _filters_failed(index, removed_by, last, _explain(removed_by, render), reason)
            entry["selected"] = None
            return

        ordered = _weigh(survivors, weighers, request, config, members, entry)
        ordered = _pick_from_subset(ordered, config.host_subset_size, rng, entry)

        if era == "placement":
            chosen = _claim_walk(ordered, request, render, entry)
            if chosen is None:
                trace["error"] = _filters_failed(
                    index, removed_by, "Placement claim", render(N_("no host left whose Placement claim fits"), {})
                )
                entry["selected"] = None
                return
        else:
            chosen = ordered[0]
            entry["limits"] = limits.get(chosen.name, {})
        entry["selected"] = chosen.name

        consumed = chosen.consume_from_request(request, ctx.instance_uuid)
        next_order = ordered if era == "placement" else survivors
        candidates = [consumed if h is chosen else h for h in next_order]
        if group is not None:
            ctx.group_hosts.append(chosen.name)

    if era == "placement":
        # Queens+: up to max_attempts − 1 unclaimed hosts the conductor tries if a build fails,
        # taken from the last weighed list, never a host selected for this request.
        selected = {i["selected"] for i in trace["instances"]}
        trace["alternates"] = [h.name for h in candidates if h.name not in selected][: config.max_attempts - 1]


#: The stage that keeps only the host a request names (RequestSpec.requested_destination).
REQUESTED_DESTINATION_STAGE = "requested_destination"
_IS_REQUESTED = N_("the requested destination {requested_host}: the only host the request considers")
_NOT_REQUESTED = N_("not the requested destination {requested_host}")


def _requested_destination(
    hosts: list[HostState], requested: str, render: Renderer
) -> tuple[list[HostState], FilterStage]:
    """The hosts a request that names ``requested`` keeps (that one, if offered), and its stage.
    Nova compares host names exactly here (``x.host == host``)."""
    verdicts = [(h, Verdict(h.name == requested, _IS_REQUESTED if h.name == requested else _NOT_REQUESTED,
                            {"requested_host": requested})) for h in hosts]  # fmt: skip
    kept = [h for h, v in verdicts if v.passed]
    return kept, stage_entry(REQUESTED_DESTINATION_STAGE, len(hosts), kept, verdicts, render)


def _prefilter(
    hosts: list[HostState], request: ScheduleRequest, aggregates: tuple[Aggregate, ...], render: Renderer
) -> tuple[list[HostState], list[FilterStage]]:
    """Placement era, once per request: the request filters' stages, then Placement's.

    1. ``map_az_to_placement_aggregate`` when a zone is requested (its own stage);
    2. the ``Placement`` stage (disabled trait, capacity) on the hosts left; not run when none is.
    Returns the allocation candidates and the stages.
    """
    stages: list[FilterStage] = []
    zone_verdicts = map_az_to_placement_aggregate(hosts, request, cloud_aggregates(hosts, aggregates))
    if zone_verdicts is not None:
        kept = [h for h, v in zone_verdicts if v.passed]
        stages.append(stage_entry(AZ_STAGE, len(hosts), kept, zone_verdicts, render))
        if not kept:
            stages.append(_not_run(STAGE_NAME, "no host left"))
            return kept, stages
        hosts = kept
    verdicts = placement_verdicts(hosts, request)
    candidates = [h for h, v in verdicts if v.passed]
    stages.append(stage_entry(STAGE_NAME, len(verdicts), candidates, verdicts, render))
    return candidates, stages


def _filters_failed(
    index: int,
    removed_by: list[RemovedBy],
    last_filter: str | None,
    explanation: str,
    reason: str = NOT_ENOUGH_HOSTS,
) -> SchedulingError:
    """NoValidHost for instance ``index``, with which stages removed which hosts and why."""
    error = no_valid_host(reason, index)
    error["removed_by"] = removed_by
    error["last_filter"] = last_filter
    error["explanation"] = explanation
    return error


def _run_filter(
    f: HostFilter,
    hosts: list[HostState],
    ctx: FilterContext,
    render: Renderer,
    entry: InstanceResult,
    limits: dict[str, dict[str, float]],
) -> list[HostState]:
    out: list[HostState] = []
    verdicts: dict[str, VerdictEntry] = {}
    check = f.host_passes
    # Hosts often get the very same verdict (a filter that memoises returns the same numbers
    # object): render each distinct sentence once.
    rendered: dict[tuple[str, int], tuple[dict[str, object], str]] = {}
    for h in hosts:
        passed, message, numbers, host_limits = check(h, ctx)
        key = (message, id(numbers))
        hit = rendered.get(key)
        if hit is None or hit[0] is not numbers:
            hit = rendered[key] = (numbers, render(message, numbers))
        verdicts[h.name] = {"passed": passed, "reason": hit[1], "message": message, "numbers": numbers}
        if passed:
            out.append(h)
            if host_limits:
                limits.setdefault(h.name, {}).update(host_limits)
    entry["filters"].append(
        {
            "name": f.name,
            "ran": True,
            "hosts_in": len(hosts),
            "hosts_out": len(out),
            "run_filter_once_per_request": f.run_filter_once_per_request,
            "verdicts": verdicts,
        }
    )
    return out


def _not_run(name: str, why: str, hosts: int = 0) -> FilterStage:
    return {"name": name, "ran": False, "why_not": why, "hosts_in": hosts, "hosts_out": hosts, "verdicts": {}}


def _note_removed(removed_by: list[RemovedBy], stage: FilterStage) -> None:
    gone = [h for h, v in stage["verdicts"].items() if not v["passed"]]
    if gone:
        removed_by.append({"filter": stage["name"], "hosts": gone})


def _explain(removed_by: list[RemovedBy], render: Renderer) -> str:
    if not removed_by:
        return render(N_("there are no hosts to choose from"), {})
    last = removed_by[-1]
    return render(
        N_("{filter} removed the last hosts: {hosts}"),
        {"filter": last["filter"], "hosts": ", ".join(last["hosts"])},
    )


def _weigh(
    hosts: list[HostState],
    weighers: list[HostWeigher],
    request: ScheduleRequest,
    config: SchedulerConfig,
    members: frozenset[str],
    entry: InstanceResult,
) -> list[HostState]:
    """Nova's weighing: per weigher, clamp the raw values into its declared range, normalise,
    add multiplier × normalised to each host; then sort highest first (stable)."""
    entry["weighers"] = []
    if len(hosts) == 1:
        entry["weighers_skipped"] = "only one host left"
        entry["ranking"] = [{"host": hosts[0].name, "weight": 0.0}]
        return list(hosts)
    totals = [0.0] * len(hosts)
    for w in weighers:
        raw = w.raw
        raws = [raw(h, request, members) for h in hosts]
        clamped = clamp(raws, w.minval, w.maxval)
        norms = normalize(clamped, w.minval, w.maxval)
        configured: float = getattr(config, w.multiplier_option)
        default = -configured if w.negate_multiplier else configured
        option = w.multiplier_option
        values: dict[str, WeigherValue] = {}
        for i, h in enumerate(hosts):
            # Only a host whose aggregates set the option has a multiplier of its own.
            m = w.multiplier(h, configured) if h.aggregates and option in h.aggregate_metadata else default
            weighted = m * norms[i]
            totals[i] += weighted
            values[h.name] = {
                "raw": raws[i],
                "clamped": clamped[i],
                "normalized": norms[i],
                "multiplier": m,
                "weighted": weighted,
            }
        entry["weighers"].append(
            {
                "name": w.name,
                "multiplier": -configured if w.negate_multiplier else configured,
                "minval": w.minval,
                "values": values,
            }
        )
    order = sorted(range(len(hosts)), key=lambda i: totals[i], reverse=True)  # stable
    entry["ranking"] = [{"host": hosts[i].name, "weight": totals[i]} for i in order]
    return [hosts[i] for i in order]


def _pick_from_subset(
    ordered: list[HostState], subset_size: int, rng: random.Random, entry: InstanceResult
) -> list[HostState]:
    """``_get_sorted_hosts``: choose at random among the best ``host_subset_size``, move it first."""
    subset = ordered[:subset_size] if subset_size < len(ordered) else ordered
    chosen = rng.choice(subset)
    entry["subset"] = {
        "host_subset_size": subset_size,
        "candidates": [h.name for h in subset],
        "chosen": chosen.name,
    }
    rest = [h for h in ordered if h is not chosen]
    return [chosen, *rest]


def _claim_walk(
    ordered: list[HostState], request: ScheduleRequest, render: Renderer, entry: InstanceResult
) -> HostState | None:
    """Placement era: claim on each host in order; the first claim that fits wins."""
    size = placement_size(request)
    claims: list[ClaimEntry] = []
    entry["claims"] = claims
    for h in ordered:
        v = capacity_verdict(h, size)
        claims.append({"host": h.name, **render.verdict(v)})
        if v.passed:
            return h
    return None


# -- the registry -------------------------------------------------------------------------------

#: A driver fills ``trace`` for one request: (trace, hosts, request, config, render, hosts
#: already tried, random generator, the cloud's aggregates).
Driver = Callable[
    [
        SchedulingTrace,
        Sequence[HostState],
        ScheduleRequest,
        SchedulerConfig,
        Renderer,
        tuple[str, ...],
        random.Random,
        tuple[Aggregate, ...],
    ],
    None,
]

#: Nova's ``scheduler_driver`` values, by name (an unknown name runs filter_scheduler).
DRIVERS: dict[str, Driver] = {
    "filter_scheduler": filter_scheduler,
    "chance_scheduler": chance_scheduler,
    "simple_scheduler": simple_scheduler,
}

DRIVER_NAMES: tuple[str, ...] = tuple(DRIVERS)
