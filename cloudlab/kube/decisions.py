"""A pod's scheduling decision in the scheduling view Nova's decisions use (issue 17 item 3).

The kube-scheduler's trace has the Nova trace's shape, so ``templates/dashboard/decision.html``
and its scripts draw it: the funnel of Filter plugins, each node's verdict with its numbers, the
Score plugins' chart (score × weight), replay and "why not node X?". What differs is data: the
page says ``kind: "pod"``, the node cards carry cpu / memory / pods (allocatable and requested, as
the cycle saw them: ``PodDecision.nodes``) instead of vCPUs / RAM / disk and ratios, and the
explanations are the Kubernetes ones (``engine.kubernetes.explain.why_not``). Nothing here
changes the cluster.
"""

from __future__ import annotations

import copy
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cloudlab.dashboard.clock import clock
from cloudlab.engine.i18n import N_
from cloudlab.engine.i18n import render as render_sentence
from cloudlab.engine.kubernetes.explain import why_not
from cloudlab.engine.pacing import funnel_stage_seconds
from cloudlab.engine.scheduler import replay_stages
from cloudlab.live.events import current_seqs, project_stream

from .access import cluster_or_404
from .models import Cluster, PodDecision
from .nav import nav_context

#: Decisions the list shows at most (a cluster keeps ``PodDecision.KEEP``).
MAX_LISTED = PodDecision.KEEP

_OUTCOME_KINDS = {PodDecision.Outcome.SCHEDULED: "ok", PodDecision.Outcome.FAILED: "error"}

#: A node's verdict in one decision, by the codes ``explain.why_not`` gives it.
_VERDICTS = {
    "filtered": N_("rejected by a Filter plugin"),
    "lost": N_("feasible, lost on score"),
    "passed": N_("passed every Filter plugin"),
    "chosen": N_("chosen"),
    "not_seen": N_("not examined"),
}


def pod_labels() -> dict[str, Any]:
    """The words of the view's codes: the two outcomes (Kubernetes' event reasons, untranslated)
    and each verdict on a node."""
    return {
        "outcomes": {code: {"label": code, "kind": kind} for code, kind in _OUTCOME_KINDS.items()},
        "verdicts": {code: _(label) for code, label in _VERDICTS.items()},
    }


def _translated(trace: dict[str, Any]) -> dict[str, Any]:
    """The trace in the reader's language: a passing verdict's sentence is CloudLab's template
    (rendered again here); a rejection's is Kubernetes' reason and stays as the scheduler printed it."""
    out = copy.deepcopy(trace)
    for entry in out.get("instances") or []:
        for stage in entry.get("filters") or []:
            for verdict in (stage.get("verdicts") or {}).values():
                if verdict.get("passed") and verdict.get("message"):
                    try:
                        verdict["reason"] = render_sentence(verdict["message"], verdict.get("numbers") or {}, _)
                    except (KeyError, IndexError, ValueError):  # a template of another engine: its stored words
                        pass
        if entry.get("weighers_skipped"):
            entry["weighers_skipped"] = _(entry["weighers_skipped"])
    error = out.get("error")
    if error and error.get("explanation"):
        error["explanation"] = _(error["explanation"])
    return out


def _request(trace: dict[str, Any]) -> dict[str, Any]:
    """What the pod asks: cpu in millicores and memory in Mi (the filter's), and the scoring's
    non-zero amounts (100m / 200Mi for a container that asks none)."""
    req = trace.get("request") or {}
    real, non_zero = req.get("requests") or {}, req.get("non_zero_requests") or {}
    return {
        "pod": {
            "name": req.get("pod", ""),
            "namespace": req.get("namespace", ""),
            "cpu": real.get("cpu", 0),
            "memory_mi": real.get("memory", 0) // 2**20,
            "non_zero_cpu": non_zero.get("cpu", 0),
            "non_zero_memory_mi": non_zero.get("memory", 0) // 2**20,
            "priority": req.get("priority", 0),
        },
        "num_instances": 1,
    }


def pod_decision_data(decision: PodDecision) -> dict[str, Any]:
    """What the scheduling view shows for one pod's decision (``decision_data``'s shape)."""
    cluster = decision.cluster
    names = [n["name"] for n in decision.nodes]
    why = {}
    for name in names:
        try:
            why[name] = why_not(decision.trace, name, translate=_, nodes=names)
        except ValueError:
            continue
    stages = replay_stages(decision.trace)  # type: ignore[arg-type]
    for stage in stages:
        if stage["kind"] == "no_valid_host" and stage.get("explanation"):
            stage["explanation"] = _(stage["explanation"])
    return {
        "record": {
            "id": decision.pk,
            "kind": "pod",
            "era": decision.trace.get("era", ""),
            "driver": decision.trace.get("driver", "kube-scheduler"),
            "created_at": decision.created_at.isoformat(),
            "outcome": decision.outcome,
            "outcome_label": decision.outcome,
            "outcome_kind": _OUTCOME_KINDS.get(decision.outcome, "error"),
            "message": decision.message,
            "node": decision.node,
            "pod": {"name": decision.pod, "namespace": decision.namespace, "uid": decision.pod_uid},
            "cluster": {"id": cluster.pk, "name": cluster.name},
            "list_url": reverse("kube:pod-decisions", args=[cluster.pk]),
            "latest_url": reverse("kube:pod-decision-latest", args=[cluster.pk, decision.namespace, decision.pod]),
        },
        "pace": funnel_stage_seconds(cluster.cloud.pace),
        "live": {"started_at": None, "finished": True},  # a cycle is decided at once: nothing to follow
        "request": _request(decision.trace),
        "hosts": decision.nodes,
        "architectures": {},
        "excluded": [],
        "trace": _translated(decision.trace),
        "stages": stages,
        "why": why,
    }


def _decision_or_404(request: HttpRequest, cluster_id: int, decision_id: int) -> PodDecision:
    cluster = cluster_or_404(request, cluster_id)
    decision = get_object_or_404(PodDecision.objects.filter(cluster=cluster), pk=decision_id)
    decision.cluster = cluster  # with its cloud and project loaded
    return decision


@login_required
@require_GET
def pod_decision(request: HttpRequest, cluster_id: int, decision_id: int) -> HttpResponse:
    decision = _decision_or_404(request, cluster_id, decision_id)
    cluster = decision.cluster
    stream = project_stream(cluster.project_id)
    stage = request.GET.get("stage", "")
    newer = cluster.pod_decisions.of_pod(decision.namespace, decision.pod).filter(id__gt=decision.pk).exists()
    return render(
        request,
        "dashboard/decision.html",
        {
            **nav_context(cluster, "workloads"),
            "pod_view": True,
            "page": {
                "kind": "pod",
                "data_url": reverse("kube:pod-decision-data", args=[cluster.pk, decision.pk]),
                "whatif_url": None,
                "streams": [stream],
                "snapshot_seqs": current_seqs([stream]),
                "stage_param": int(stage) if stage.isdigit() else None,
                "from_start": request.GET.get("from") == "start",
                "decision": pod_decision_data(decision),
                "labels": pod_labels(),
                "cluster": cluster.pk,
                "newer": newer,
                "decision_url": reverse("kube:pod-decision", args=[cluster.pk, 0]),
            },
        },
    )


@login_required
@require_GET
def pod_decision_json(request: HttpRequest, cluster_id: int, decision_id: int) -> JsonResponse:
    decision = _decision_or_404(request, cluster_id, decision_id)
    stream = project_stream(decision.cluster.project_id)
    return JsonResponse({**pod_decision_data(decision), "streams": current_seqs([stream])})


@login_required
@require_GET
def pod_decision_latest(request: HttpRequest, cluster_id: int, namespace: str, name: str) -> HttpResponse:
    """The pod's latest decision; a page that says so (404) when the scheduler has not decided yet."""
    cluster = cluster_or_404(request, cluster_id)
    latest = cluster.pod_decisions.of_pod(namespace, name).newest_first().first()
    if latest is not None:
        return redirect(reverse("kube:pod-decision", args=[cluster.pk, latest.pk]))
    return render(
        request,
        "kube/decision_none.html",
        {**nav_context(cluster, "workloads"), "namespace": namespace, "pod": name},
        status=404,
    )


def _rows(cluster: Cluster) -> list[dict[str, Any]]:
    listed = cluster.pod_decisions.defer("trace", "nodes").newest_first()[:MAX_LISTED]
    return [
        {
            "id": d.pk,
            "created_at": d.created_at.isoformat(),
            "time": clock(d.created_at),
            "namespace": d.namespace,
            "pod": d.pod,
            "outcome": d.outcome,
            "outcome_kind": _OUTCOME_KINDS.get(d.outcome, "error"),
            "node": d.node,
            "message": d.message,
            "url": reverse("kube:pod-decision", args=[cluster.pk, d.pk]),
        }
        for d in listed
    ]


@login_required
@require_GET
def pod_decisions(request: HttpRequest, cluster_id: int) -> HttpResponse:
    """The cluster's decisions, newest first; as JSON (the live page's snapshot) for ``Accept: application/json``."""
    cluster = cluster_or_404(request, cluster_id)
    stream = project_stream(cluster.project_id)
    rows = _rows(cluster)
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"rows": rows, "streams": current_seqs([stream])})
    return render(
        request,
        "kube/decisions.html",
        {
            **nav_context(cluster, "workloads"),
            "rows": rows,
            "page": {
                "cluster": cluster.pk,
                "streams": [stream],
                "snapshot_seqs": current_seqs([stream]),
                "self_url": request.path,
                "decision_url": reverse("kube:pod-decision", args=[cluster.pk, 0]),
            },
        },
    )
