"""The instance page: overview, lifecycle diagram, action log and scheduling tab."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cloudlab.compute.action_log import open_action
from cloudlab.compute.models import Instance
from cloudlab.compute.rows import gate_state, instance_row, shown_host
from cloudlab.compute.runner import plan_of
from cloudlab.engine import lifecycle
from cloudlab.identity.models import is_instructor
from cloudlab.live.events import current_seqs, project_stream

from .access import visible_instance_or_404
from .instances import action_choices
from .labels import state_labels
from .traces import summarise

# -- instance detail ----------------------------------------------------------------------------


def _instance_detail(instance: Instance, *, for_instructor: bool) -> dict[str, Any]:
    actions_log = []
    for action in instance.actions.select_related("user").prefetch_related("events"):
        actions_log.append(
            {
                "request_id": action.request_id,
                "action": action.action,
                "start_time": action.start_time.isoformat(),
                "finish_time": action.finish_time.isoformat() if action.finish_time else None,
                "user": action.user.get_username() if action.user else None,
                "message": action.message,
                "events": [event.as_dict() for event in action.events.all()],
            }
        )
    return {
        "row": instance_row(instance, for_instructor=for_instructor),
        "flavor": {
            "name": instance.flavor.name,
            "id": instance.flavor.flavorid,
            "vcpus": instance.flavor.vcpus,
            "ram": instance.flavor.memory_mb,
            "disk": instance.flavor.disk_gb,
        },
        "image": {"name": instance.image.name, "id": str(instance.image.uuid)},
        "availability_zone": instance.availability_zone,
        "node": instance.node if for_instructor and shown_host(instance) else None,
        "launched_at": instance.launched_at.isoformat() if instance.launched_at else None,
        "addresses": instance.addresses,
        "fault": instance.fault,
        "project": instance.project.name,
        "actions": actions_log,
        "scheduling": [summarise(r) for r in instance.scheduling_records.order_by("attempt")],
        "lifecycle": _lifecycle_view(instance, for_instructor=for_instructor),
    }


def _lifecycle_view(instance: Instance, *, for_instructor: bool) -> dict[str, Any]:
    """For the state diagram: the edge being travelled now, and every action with whether the
    engine's gate accepts it here, or why not (in the reader's language)."""
    gate = gate_state(instance, is_admin=for_instructor)
    answers = []
    for name, rule in lifecycle.ACTIONS.items():
        refusal = lifecycle.refusal(
            name,
            instance_id=str(instance.uuid),
            host_name=instance.host.name if instance.host else "",
            **gate,
        )
        answers.append(
            {
                "name": name,
                "label": _(rule.label),
                "allowed": refusal is None,
                "reason": refusal.render(_) if refusal else "",
            }
        )
    host_down = instance.host is not None and not instance.host.up
    action, target = _running(instance) if instance.task_state is not None else (None, None)
    moving = lifecycle.STATE_DIAGRAM.in_progress(instance.vm_state, instance.task_state, action=action, target=target)
    return {
        "in_progress": [{"source": e.source, "action": e.action, "target": e.target} for e in moving],
        "gate": answers,
        "host_down": host_down,
        "host_down_explanation": _(lifecycle.HOST_DOWN_EXPLANATION) if host_down else "",
    }


def _running(instance: Instance) -> tuple[str | None, str | None]:
    """The action the instance's open log entry runs, as the diagram names it, and the vm_state
    its plan ends in (None where the log does not say: a boot may end active or in error)."""
    record = open_action(instance)
    action = record.context.get("action") if record is not None else None
    if action == lifecycle.BUILD:
        return lifecycle.LAUNCH, None
    if record is None or action not in lifecycle.ACTIONS:
        return None, None  # no log entry, or a start-up settlement
    final = plan_of(record).final
    return action, final.vm_state if final is not None else None


def _diagram() -> dict[str, Any]:
    """The engine's diagram, with the words its nodes and the launch edges read in."""
    diagram = lifecycle.STATE_DIAGRAM
    return {
        **diagram.as_dict(),
        "launch_label": _("Launch Instance"),
        "node_status": {vm_state: lifecycle.status_from_state(vm_state) for vm_state in diagram.nodes},
    }


@login_required
@require_GET
def instance_detail(request: HttpRequest, instance_id: str) -> HttpResponse:
    instance = visible_instance_or_404(request, instance_id)
    instructor = is_instructor(request.user, instance.cloud_id)
    stream = project_stream(instance.project_id)
    return render(
        request,
        "dashboard/instance_detail.html",
        {
            "instance": instance,
            "page": {
                "streams": [stream],
                "detail_url": reverse("dashboard:instance-json", args=[instance.uuid]),
                "instance_id": str(instance.uuid),
                "show_host": instructor,
                "labels": state_labels(),
                "diagram": _diagram(),
                "action_url": reverse("dashboard:instance-action", args=["00000000-0000-0000-0000-000000000000"]),
                "choices": action_choices(instance.project),
                "snapshot": {
                    "streams": current_seqs([stream]),
                    "detail": _instance_detail(instance, for_instructor=instructor),
                },
            },
        },
    )


@login_required
@require_GET
def instance_json(request: HttpRequest, instance_id: str) -> JsonResponse:
    instance = visible_instance_or_404(request, instance_id)
    stream = project_stream(instance.project_id)
    seqs = current_seqs([stream])
    detail = _instance_detail(instance, for_instructor=is_instructor(request.user, instance.cloud_id))
    return JsonResponse({"streams": seqs, "detail": detail})
