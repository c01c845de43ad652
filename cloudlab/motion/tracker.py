"""The Resource Tracker on the deployment view (issue 15 item 4): each nova-compute's periodic tasks
with Nova's intervals and the simulation's, the power-state sync's rule table, and the instructors'
two controls: run the periodic tasks now, and make a guest power itself off (the hypervisor then
reports SHUTDOWN while the database says RUNNING, which the sync resolves as Nova does).

What a student sees: the tasks, their intervals and the rules (the course's material), and the sync
of her own instances as it happens. The hosts' numbers and the periodic runs are the instructors'
(the cloud stream), as Admin → Hypervisors is.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from cloudlab.compute.actions.errors import ActionError
from cloudlab.compute.models import Instance
from cloudlab.compute.periodic import INTERVALS, do_guest_powers_off, run_periodic_tasks, scaled
from cloudlab.dashboard.access import instructor_project_or_404
from cloudlab.engine import resource_tracker as rt
from cloudlab.engine.flow.tracker import TASKS
from cloudlab.engine.lifecycle import PowerState, VmState
from cloudlab.identity.models import Project, is_instructor


def tracker_context(request: HttpRequest, project: Project) -> dict[str, Any]:
    """The Resource Tracker panel: the periodic tasks and the sync's rules; the instructors'
    controls (the guests that could power themselves off) when the user teaches the cloud."""
    cloud = project.cloud
    tasks = [
        {
            "name": name,
            "nova": interval,
            "here": f"{round(scaled(cloud, interval), 1):g}" if interval else None,
            "text": gettext(text),
        }
        for name, (interval, text) in TASKS.items()
        if name != "os-services"
    ]
    context: dict[str, Any] = {
        "tasks": tasks,
        "lifecycle_delay": rt.LIFECYCLE_EVENT_DELAY,
        "lifecycle_delay_here": f"{round(scaled(cloud, rt.LIFECYCLE_EVENT_DELAY), 1):g}",
        "rules": [_rule(r) for r in rt.SYNC_RULES],
        "instructor": False,
    }
    if is_instructor(request.user, cloud.pk):
        guests = (
            Instance.objects.filter(cloud=cloud, vm_state=VmState.ACTIVE, power_state=PowerState.RUNNING,
                                    task_state__isnull=True, host__up=True)
            .select_related("host").order_by("name")[:200]
        )  # fmt: skip
        context.update(
            instructor=True,
            guests=[{"uuid": str(i.uuid), "name": i.name, "host": i.host.name if i.host else ""} for i in guests],
        )
    return context


def _rule(rule: rt.SyncRule) -> dict[str, Any]:
    return {"key": rule.key, "vm_states": gettext(rule.vm_states), "driver": gettext(rule.driver),
            "action": rule.action, "text": gettext(rule.text)}  # fmt: skip


@login_required
@require_POST
def guest_power_off(request: HttpRequest) -> HttpResponse:
    """An instructor makes a guest of the cloud power itself off (a fault to watch the sync fix)."""
    project = instructor_project_or_404(request)
    raw = request.POST.get("instance", "")
    try:
        wanted = uuid.UUID(str(raw))
    except ValueError:
        messages.error(request, gettext("Choose an instance: '%(value)s' is not an instance ID.") % {"value": raw[:64]})
        return redirect(reverse("motion:deployment"))
    instance = Instance.objects.filter(cloud=project.cloud, uuid=wanted).select_related("cloud", "host").first()
    if instance is None:
        raise Http404("No such instance in this cloud.")
    try:
        delay = do_guest_powers_off(request.user, instance)  # type: ignore[arg-type]
    except ActionError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, gettext(
            "The guest of %(name)s powered itself off. libvirt reports it to nova-compute in %(delay)s s "
            "(Nova: %(nova)s s); watch the power-state sync below."
        ) % {"name": instance.name, "delay": f"{delay:g}", "nova": rt.LIFECYCLE_EVENT_DELAY})  # fmt: skip
    return redirect(reverse("motion:deployment"))


@login_required
@require_POST
def run_now(request: HttpRequest) -> HttpResponse:
    """An instructor runs every compute node's periodic tasks now (instead of waiting for them)."""
    project = instructor_project_or_404(request)
    lines = run_periodic_tasks(force=True, cloud_id=project.cloud_id)
    messages.success(request, gettext("The periodic tasks ran on %(count)d compute node(s).")
                     % {"count": len(lines) // max(1, len(INTERVALS))})  # fmt: skip
    return redirect(reverse("motion:deployment"))


urlpatterns = [
    path("learn/openstack/deployment/guest-power-off/", guest_power_off, name="guest-power-off"),
    path("learn/openstack/deployment/periodic-tasks/", run_now, name="periodic-tasks"),
]
