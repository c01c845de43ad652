"""Watch the scheduler think: a decision's funnel, replay, "why not host X?" and what-if.

Every view reads a SchedulingRecord (the trace and the frozen moment it was made from); nothing
here changes the live cloud. Students see their projects' decisions, instructors their clouds'.
"""

from __future__ import annotations

import copy
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cloudlab.compute.models import Flavor, Host, Instance, SchedulingRecord
from cloudlab.engine.pacing import funnel_stage_seconds
from cloudlab.engine.resources import FlavorSize, over_limits
from cloudlab.engine.resources import limits as resource_limits
from cloudlab.engine.scheduler import (
    FILTERS,
    WEIGHERS,
    HostState,
    compare,
    describe_change,
    moment_from_dict,
    replay_stages,
    rerun,
    what_if,
    why_not,
)
from cloudlab.identity.models import is_instructor
from cloudlab.live.events import current_seqs, project_stream

from .access import instructor_project_or_404, project_or_404
from .architecture_cards import architecture_summary
from .labels import EXCLUDED_SOURCE, decision_labels, outcome_kind, rerun_outcome, what_if_choices
from .operations import excluded_source, flavor_names, operation, request_attempt, with_request_attempts
from .traces import verdict_reason
from .values import typed

MAX_LISTED = 500


def _translated(trace: dict[str, Any]) -> dict[str, Any]:
    """The trace with every verdict's sentence rendered again in the reader's language."""
    out = copy.deepcopy(trace)
    for decision in out.get("instances", []):
        for stage in decision.get("filters", []):
            for verdict in stage.get("verdicts", {}).values():
                verdict["reason"] = verdict_reason(verdict)
    return out


def _disk_gb(flavor: dict[str, Any]) -> int:
    """DISK_GB of the request's flavor, by the engine's one rule."""
    if not flavor:
        return 0
    size = FlavorSize(
        flavor.get("vcpus", 0),
        flavor.get("memory_mb", 0),
        flavor.get("root_gb", 0),
        flavor.get("ephemeral_gb", 0),
        flavor.get("swap", 0),
    )
    return size.disk_gb


_ARCHITECTURES = dict(Host.Architecture.choices)


def _host_card(host: HostState, era: str) -> dict[str, Any]:
    r = host.resources
    return {
        "name": host.name,
        "architecture": host.architecture,
        "architecture_label": str(_ARCHITECTURES.get(host.architecture, host.architecture)),
        "hypervisor_type": host.hypervisor_type,
        "enabled": host.enabled,
        "up": host.up,
        "vcpus": r.vcpus,
        "vcpus_used": r.vcpus_used,
        "memory_mb": r.memory_mb,
        "memory_mb_used": r.memory_mb_used,
        "local_gb": r.local_gb,
        "local_gb_used": r.local_gb_used,
        "reserved_host_memory_mb": r.reserved_host_memory_mb,
        "reserved_host_cpus": r.reserved_host_cpus,
        "reserved_host_disk_gb": r.reserved_host_disk_mb // 1024,
        "cpu_allocation_ratio": r.cpu_allocation_ratio,
        "ram_allocation_ratio": r.ram_allocation_ratio,
        "disk_allocation_ratio": r.disk_allocation_ratio,
        "limits": resource_limits(r, era),  # type: ignore[arg-type]
        # Per resource of "limits": used beyond it (over-committed), by the engine's one rule.
        "over": over_limits(r, era),  # type: ignore[arg-type]
    }


def decision_data(record: SchedulingRecord, trace: dict[str, Any] | None = None, moment: Any = None) -> dict[str, Any]:
    """What the scheduling view shows for one decision (or a what-if rerun of it). A stored
    decision never changes, so its heavy part (hosts, stages, why-not per host, translated
    trace) is cached per language; only its live state is computed each time."""
    if trace is None and moment is None:
        # The creation time too: a key must never outlive its row (a reset database reuses ids).
        key = f"cloudlab:decision:{record.pk}:{record.created_at.timestamp()}:{get_language()}"
        data = cache.get(key)
        if data is None:
            data = _decision_data(record, record.trace, None)
            cache.set(key, data, DECISION_CACHE_SECONDS)
        return {**data, "live": live_status(record, len(data["stages"]))}
    return _decision_data(record, trace if trace is not None else record.trace, moment, rerun=trace is not None)


DECISION_CACHE_SECONDS = 600


def live_status(record: SchedulingRecord, stage_count: int) -> dict[str, Any]:
    """Whether the worker is still publishing the decision: it has ended once its last stage is
    out (stage k is published k stage-lengths after the start), so a page opened then shows the
    outcome and offers a replay rather than waiting for a stage that never comes."""
    pace = record.cloud.pace
    finished = True
    if record.live_started_at and pace > 0:
        elapsed = (timezone.now() - record.live_started_at).total_seconds()
        finished = elapsed >= funnel_stage_seconds(pace) * max(0, stage_count - 1)
    return {"started_at": record.live_started_at.isoformat() if record.live_started_at else None, "finished": finished}


def _excluded(record: SchedulingRecord) -> list[dict[str, Any]]:
    """A move's source host: not in the moment (the request ignored it), shown as left out, with
    the host's own description (its usage then is not known: the decision never read it)."""
    host = excluded_source(record)
    if host is None:
        return []
    return [
        {
            "name": host.name,
            "architecture": host.architecture,
            "architecture_label": str(_ARCHITECTURES.get(host.architecture, host.architecture)),
            "hypervisor_type": host.hypervisor_type,
            "reason": _(EXCLUDED_SOURCE) % {"host": host.name},
        }
    ]


def _request_of(record: SchedulingRecord, trace: dict[str, Any]) -> dict[str, Any]:
    """What the decision was for: the operation, the attempt within that request, and which
    instance of a multi-create the record is for."""
    request = trace.get("request", {})
    count = max(int(request.get("num_instances") or 1), len(trace.get("instances") or []), 1)
    return {
        "operation": operation(record, flavor_names(record.cloud_id)),
        "attempt": request_attempt(record),
        "instance_number": record.instance_index + 1,
        "instance_count": count,
    }


def _decision_data(
    record: SchedulingRecord, trace: dict[str, Any], moment: Any, *, rerun: bool = False
) -> dict[str, Any]:
    if moment is None and record.moment:
        moment = moment_from_dict(record.moment)
    hosts = list(moment.hosts) if moment is not None else []
    names = [h.name for h in hosts]
    request = trace.get("request", {})
    why = {}
    for name in names:
        try:
            why[name] = why_not(trace, name, translate=_, hosts=names)
        except ValueError:
            continue
    stages = replay_stages(trace)
    outcome = {
        "outcome": record.outcome,
        "outcome_label": str(record.get_outcome_display()),
        "outcome_kind": outcome_kind(record.outcome),
    }
    if rerun:  # a what-if: its own outcome, not the record's
        outcome = rerun_outcome(trace)
    return {
        "record": {
            "id": record.pk,
            **_request_of(record, trace),
            "era": trace.get("era", record.era),
            "driver": trace.get("driver", record.driver),
            "created_at": record.created_at.isoformat(),
            **outcome,
            "instance": {
                "name": record.instance.name,
                "id": str(record.instance.uuid),
                "url": reverse("dashboard:instance", args=[record.instance.uuid]),
            },
        },
        "pace": funnel_stage_seconds(record.cloud.pace),
        "live": live_status(record, len(stages)),
        "request": {
            "flavor": {**request.get("flavor", {}), "disk_gb": _disk_gb(request.get("flavor", {}))},
            "image": request.get("image") or {},
            "num_instances": request.get("num_instances", 1),
        },
        "hosts": [_host_card(h, trace.get("era", record.era)) for h in hosts],
        "architectures": {code: architecture_summary(code, record.cloud) for code in {h.architecture for h in hosts}},
        "excluded": _excluded(record),
        "trace": _translated(trace),
        "stages": stages,
        "why": why,
    }


def _visible_record(request: HttpRequest, record_id: int) -> SchedulingRecord:
    return get_object_or_404(
        SchedulingRecord.objects.visible_to(request.user).select_related("instance", "cloud"), pk=record_id
    )


def _may_what_if(request: HttpRequest, record: SchedulingRecord) -> bool:
    """Instructors may change one thing and rerun any decision of their clouds."""
    return bool(record.moment) and is_instructor(request.user, record.cloud_id)


@login_required
@require_GET
def decision(request: HttpRequest, record_id: int) -> HttpResponse:
    record = _visible_record(request, record_id)
    stream = project_stream(record.instance.project_id)
    stage = request.GET.get("stage", "")
    return render(
        request,
        "dashboard/decision.html",
        {
            "record": record,
            "page": {
                "data_url": reverse("dashboard:decision-data", args=[record.pk]),
                "whatif_url": reverse("dashboard:decision-whatif", args=[record.pk])
                if _may_what_if(request, record)
                else None,
                "streams": [stream],
                "snapshot_seqs": current_seqs([stream]),
                "stage_param": int(stage) if stage.isdigit() else None,
                # The launch notice's link: watch the decision from its first stage.
                "from_start": request.GET.get("from") == "start",
                "available_filters": list(FILTERS),
                "multiplier_options": {name: weigher.multiplier_option for name, weigher in WEIGHERS.items()},
                "flavors": [
                    {"id": f.flavorid, "name": f.name, "vcpus": f.vcpus, "memory_mb": f.memory_mb, "root_gb": f.root_gb}
                    for f in Flavor.objects.filter(cloud_id=record.cloud_id)
                ],
                "decision": decision_data(record),
                "labels": decision_labels(),
                "whatif": _what_if_form() if _may_what_if(request, record) else None,
            },
        },
    )


@login_required
@require_GET
def decision_json(request: HttpRequest, record_id: int) -> JsonResponse:
    record = _visible_record(request, record_id)
    stream = project_stream(record.instance.project_id)
    return JsonResponse({**decision_data(record), "streams": current_seqs([stream])})


#: The form's inputs each kind of change reads (``_change_from``); the form shows just those.
_WHAT_IF_INPUTS: dict[str, tuple[str, ...]] = {
    "host": ("host", "field", "value"),
    "filter": ("name", "enabled"),
    "multiplier": ("name", "value"),
    "flavor": ("flavor",),
    "era": ("era",),
}


def _what_if_form() -> dict[str, Any]:
    """The what-if form's choices, and for each input the kinds of change that read it."""
    inputs: dict[str, list[str]] = {}
    for kind, names in _WHAT_IF_INPUTS.items():
        for name in names:
            inputs.setdefault(name, []).append(kind)
    return {**what_if_choices(), "inputs": {name: " ".join(kinds) for name, kinds in inputs.items()}}


def _change_from(request: HttpRequest, record: SchedulingRecord) -> dict[str, Any]:
    """The one thing to change, from the form (values stay text: the engine names bad ones)."""
    kind = request.POST.get("kind", "")
    post = {name: request.POST.get(name, "") for name in _WHAT_IF_INPUTS.get(kind, ())}
    if kind == "host":
        return {
            "kind": "host",
            "host": post["host"],
            "field": post["field"],
            "value": typed(post["value"], booleans=True),
        }
    if kind == "filter":
        return {
            "kind": "filter",
            "name": post["name"],
            "enabled": post["enabled"] in ("1", "true", "on", "yes"),
        }
    if kind == "multiplier":
        return {
            "kind": "multiplier",
            "name": post["name"],
            "value": typed(post["value"], booleans=True),
        }
    if kind == "flavor":
        flavor = Flavor.objects.filter(cloud_id=record.cloud_id, flavorid=post["flavor"]).first()
        if flavor is None:
            raise ValueError(_("Choose a flavor of this cloud."))
        return {
            "kind": "flavor",
            "flavor": {
                "id": flavor.flavorid,
                "name": flavor.name,
                "vcpus": flavor.vcpus,
                "memory_mb": flavor.memory_mb,
                "root_gb": flavor.root_gb,
                "ephemeral_gb": flavor.ephemeral_gb,
                "swap": flavor.swap,
                "extra_specs": dict(flavor.extra_specs),
            },
        }
    if kind == "era":
        return {"kind": "era", "era": post["era"]}
    return {"kind": kind}  # the engine says which kinds exist


@login_required
@require_POST
def decision_what_if(request: HttpRequest, record_id: int) -> JsonResponse:
    """Rerun the same request on a frozen copy of that moment with one thing changed; the live
    cloud is not touched."""
    record = _visible_record(request, record_id)
    if not _may_what_if(request, record):
        raise Http404("What-if is for the cloud's instructors.")
    moment = moment_from_dict(record.moment or {})
    try:
        change = _change_from(request, record)
        changed = what_if(moment, change)
        label = describe_change(change, _, moment=moment)
    except ValueError as error:
        return JsonResponse({"ok": False, "message": str(error)}, status=400)
    # The same request rerun without the change, by the same engine: so a change that changes
    # nothing changes no verdict, even for a decision stored by an older engine.
    before = rerun(moment)
    after = rerun(changed)
    comparison = compare(before, after, translate=_)
    return JsonResponse(
        {
            "ok": True,
            "change": label,
            "decision": decision_data(record, trace=after, moment=changed),
            "compare": comparison,
        }
    )


# -- history: every decision of a project, or of the whole cloud for instructors -----------------


def _rows(records: Any, cloud_id: int) -> list[dict[str, Any]]:
    flavors = flavor_names(cloud_id)
    listed = (
        with_request_attempts(records)
        .select_related("instance", "instance__project", "action")
        .defer("trace", "moment")
        .order_by("-created_at", "-id")[:MAX_LISTED]
    )
    return [
        {
            "id": r.pk,
            "created_at": r.created_at,
            "instance": r.instance,
            "project": r.instance.project.name,
            "operation": operation(r, flavors),
            "attempt": r.request_attempt,
            "era": r.era,
            "driver": r.driver,
            "outcome": r.get_outcome_display(),
            "outcome_code": r.outcome,
            "outcome_kind": outcome_kind(r.outcome),
            "selected_host": r.selected_host,
            "url": reverse("dashboard:decision", args=[r.pk]),
        }
        for r in listed
    ]


@login_required
@require_GET
def project_decisions(request: HttpRequest) -> HttpResponse:
    project = project_or_404(request)
    records = SchedulingRecord.objects.filter(instance__project=project)
    return render(
        request,
        "dashboard/decisions.html",
        {"rows": _rows(records, project.cloud_id), "scope": "project", "show_project": False, "project": project},
    )


@login_required
@require_GET
def cloud_decisions(request: HttpRequest) -> HttpResponse:
    project = instructor_project_or_404(request)
    records = SchedulingRecord.objects.filter(cloud_id=project.cloud_id)
    return render(
        request,
        "dashboard/decisions.html",
        {"rows": _rows(records, project.cloud_id), "scope": "cloud", "show_project": True, "project": project},
    )


@login_required
@require_GET
def instance_decision(request: HttpRequest, instance_id: str) -> HttpResponse:
    """The latest decision of an instance (from the Launch dialog and the instance page), or a
    page that waits for the scheduler's ``scheduler.decision`` event and then opens it."""
    instance = get_object_or_404(Instance.objects.visible_to(request.user), uuid=instance_id)
    record = instance.scheduling_records.order_by("-attempt", "-id").first()
    stream = project_stream(instance.project_id)
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"record": record.pk if record else None, "streams": current_seqs([stream])})
    watch = "?from=start" if request.GET.get("from") == "start" else ""  # the launch notice's link
    if record is not None:
        return redirect(reverse("dashboard:decision", args=[record.pk]) + watch)
    return render(
        request,
        "dashboard/decision_waiting.html",
        {
            "instance": instance,
            "page": {
                "instance_id": str(instance.uuid),
                "streams": [stream],
                "snapshot_seqs": current_seqs([stream]),
                "self_url": request.path,
                "decision_url": reverse("dashboard:decision", args=[0]) + watch,
            },
        },
    )
