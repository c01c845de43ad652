"""Learn → OpenStack → the flow of one past action: the deployment and the sequence diagram of
``flow_of(action)``, replayed at the cloud's pace (FlowReplay: Play, Pause, Step).

An action is named as the instance page's action log names it: the instance and the request ID
(a multi-create shares one request ID between its instances, each with its own action). Who may
open it: the instance's project members and the cloud's instructors (``Instance.visible_to``);
anyone else gets 404.

While the action is still in progress the page follows the project's stream: each
``flow.messages`` event of this action refetches the page's data, whose steps are re-derived
from the action log (``flow_of``) with every label in the reader's language, and the new
messages are played on from where the replay stands.

Steps:
1. find the instance (404 unless visible) and its action by request ID;
2. derive the flow's steps; translate each message's note (the engine marks them with ``N_``);
3. link the scheduler's messages to the decision of the matching attempt (``dashboard:decision``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from cloudlab.compute.flow_log import flow_of
from cloudlab.compute.models import Instance, InstanceAction, SchedulingRecord
from cloudlab.engine import lifecycle
from cloudlab.live.events import current_seqs, project_stream

from .deployment import deployment_of, lifelines


def _action_or_404(request: HttpRequest, instance_id: str, request_id: str) -> InstanceAction:
    instance = get_object_or_404(
        Instance.objects.visible_to(request.user).select_related("cloud", "project"), uuid=instance_id
    )
    return get_object_or_404(
        InstanceAction.objects.select_related("instance__cloud", "instance__project").prefetch_related("events"),
        instance=instance,
        request_id=request_id,
    )


def _decision_urls(action: InstanceAction) -> dict[int, str]:
    """The scheduling view of each attempt of the action (a reschedule has two)."""
    records = SchedulingRecord.objects.filter(action=action).order_by("attempt", "pk")
    urls: dict[int, str] = {}
    for record in records:
        urls.setdefault(record.attempt, reverse("dashboard:decision", args=[record.pk]))
    return urls


def replay_steps(action: InstanceAction) -> list[dict[str, Any]]:
    """``flow_of(action)`` for the page: notes in the reader's language, the scheduler's messages
    with the URL of their decision's funnel."""
    urls = _decision_urls(action)
    first = next(iter(urls.values()), "")
    steps = []
    for step in flow_of(action):
        messages = []
        for m in step["messages"]:
            shown = {**m, "note": gettext(m["note"]) if m.get("note") else ""}
            if "scheduler" in (m.get("src", "") + m.get("dst", "")):
                shown["decision_url"] = urls.get(int(m.get("attempt") or 1), first)
            messages.append(shown)
        steps.append({**step, "messages": messages})
    return steps


def _data(action: InstanceAction) -> dict[str, Any]:
    stream = project_stream(action.instance.project_id)
    seqs = current_seqs([stream])  # before the read: an event after it refetches, none is lost
    return {
        "streams": seqs,
        "in_progress": action.finish_time is None,
        "result": action.message or "",
        "steps": replay_steps(action),
    }


@login_required
@require_GET
def flow_replay(request: HttpRequest, instance_id: str, request_id: str) -> HttpResponse:
    action = _action_or_404(request, str(instance_id), request_id)
    instance = action.instance
    cloud = instance.cloud
    era = action.context.get("flow", {}).get("era", cloud.era)
    return render(
        request,
        "motion/flow_replay.html",
        {
            "cloud": cloud,
            "instance": instance,
            "action": action,
            "page": {
                "action": action.pk,
                "streams": [project_stream(instance.project_id)],
                "data_url": reverse("motion:flow-data", args=[instance.uuid, action.request_id]),
                "pace": cloud.pace,
                "services": lifelines(era),
                "task_states": {(task or ""): gettext(label) for task, label in lifecycle.TASK_LABELS.items()},
                "deployment": deployment_of(cloud),
                "data": _data(action),
            },
        },
    )


@login_required
@require_GET
def flow_replay_data(request: HttpRequest, instance_id: str, request_id: str) -> JsonResponse:
    return JsonResponse(_data(_action_or_404(request, str(instance_id), request_id)))


urlpatterns = [
    path("learn/openstack/flow/<uuid:instance_id>/<str:request_id>/", flow_replay, name="flow"),
    path("learn/openstack/flow/<uuid:instance_id>/<str:request_id>/data.json", flow_replay_data, name="flow-data"),
]
