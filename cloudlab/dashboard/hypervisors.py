"""Admin → Compute → Hypervisors: every compute host with its capacity, usage and service, and
the instructor's service actions (what ComputeFilter reads). Live for every viewer."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_POST

from cloudlab.compute.actions.errors import ActionError
from cloudlab.compute.actions.host import do_host_action
from cloudlab.compute.models import Cloud, Host
from cloudlab.compute.rows import host_row
from cloudlab.live.events import cloud_stream, current_seqs

from .access import instructor_project_or_404
from .architecture_cards import cloud_architectures, sources_of
from .labels import host_action_labels


def _snapshot(cloud: Cloud) -> dict[str, Any]:
    stream = cloud_stream(cloud.pk)
    seqs = current_seqs([stream])
    hosts = Host.objects.filter(cloud=cloud).select_related("cloud").prefetch_related("aggregates")
    return {"streams": seqs, "era": cloud.era, "hosts": [host_row(h) for h in hosts]}


@login_required
@require_GET
def hypervisors(request: HttpRequest) -> HttpResponse:
    cloud = instructor_project_or_404(request).cloud
    architectures = cloud_architectures(cloud)
    return render(
        request,
        "dashboard/hypervisors.html",
        {
            "cloud": cloud,
            "architectures": architectures,
            "architecture_sources": sources_of(architectures),
            "page": {
                "streams": [cloud_stream(cloud.pk)],
                "snapshot_url": reverse("dashboard:hypervisors-rows"),
                "action_url": reverse("dashboard:host-action", args=["HOST"]),
                "host_actions": host_action_labels(),
                "snapshot": _snapshot(cloud),
            },
        },
    )


@login_required
@require_GET
def hypervisors_rows(request: HttpRequest) -> JsonResponse:
    return JsonResponse(_snapshot(instructor_project_or_404(request).cloud))


#: What the page says once a host action is done (the writer refuses unknown actions first).
DONE = {
    "disable": gettext_noop("The compute service of %(host)s is disabled: new instances will not be scheduled there."),
    "enable": gettext_noop("The compute service of %(host)s is enabled."),
    "mark_down": gettext_noop("%(host)s is down: its heartbeat has stopped."),
    "bring_up": gettext_noop("%(host)s is up again: its heartbeat is back."),
}


@login_required
@require_POST
def host_action(request: HttpRequest, host_name: str) -> HttpResponse:
    cloud = instructor_project_or_404(request).cloud
    host = get_object_or_404(Host, cloud=cloud, name=host_name)
    action = request.POST.get("action", "")
    try:
        do_host_action(request.user, host, action, request.POST.get("reason", ""))
    except ActionError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _(DONE[action]) % {"host": host.name})
    return redirect("dashboard:hypervisors")
