"""Admin → Compute → Instances: every instance of the cloud, with its project and host."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from cloudlab.compute.models import Host, Instance
from cloudlab.compute.rows import instance_row
from cloudlab.identity.models import Project
from cloudlab.live.events import cloud_stream, current_seqs

from .access import instructor_project_or_404
from .instances import action_choices
from .labels import instance_columns, state_labels

# -- Admin → Compute → Instances (instructors) ------------------------------------------------------


def cloud_action_choices(project: Project) -> dict[str, Any]:
    """The row-action dialogs' choices for every instance of the cloud: each instance's resize
    reasons computed against its own project (its quota, its usage), not the instructor's, and
    the compute hosts a live migration or an evacuation can name (Horizon's "New Host" list:
    every compute host, the instance's own left out by the dialog)."""
    choices = action_choices(project)
    projects = Project.objects.filter(
        cloud_id=project.cloud_id, pk__in=Instance.objects.filter(cloud_id=project.cloud_id).live().values("project")
    ).exclude(pk=project.pk)
    for other in projects:
        choices["resize"].update(action_choices(other)["resize"])
    hosts = Host.objects.filter(cloud_id=project.cloud_id).order_by("name")
    choices["hosts"] = list(hosts.values_list("name", flat=True))
    return choices


def _cloud_snapshot(project: Project) -> dict[str, Any]:
    stream = cloud_stream(project.cloud_id)
    seqs = current_seqs([stream])
    rows = [
        instance_row(i, for_instructor=True)
        for i in Instance.objects.filter(cloud_id=project.cloud_id).live().for_table()
    ]
    return {"streams": seqs, "rows": rows}


@login_required
@require_GET
def admin_instances(request: HttpRequest) -> HttpResponse:
    project = instructor_project_or_404(request)
    return render(
        request,
        "dashboard/admin_instances.html",
        {
            "page": {
                "scope": "cloud",
                "streams": [cloud_stream(project.cloud_id)],
                "snapshot_url": reverse("dashboard:admin-instances-rows"),
                "detail_url": reverse("dashboard:instance", args=["00000000-0000-0000-0000-000000000000"]),
                "columns": instance_columns(show_project=True, show_host=True),
                "action_url": reverse("dashboard:instance-action", args=["00000000-0000-0000-0000-000000000000"]),
                "batch_url": reverse("dashboard:batch-action"),
                "choices": cloud_action_choices(project),
                "snapshot": _cloud_snapshot(project),
                "labels": state_labels(),
            },
            "cloud": project.cloud,
        },
    )


@login_required
@require_GET
def admin_instances_rows(request: HttpRequest) -> JsonResponse:
    return JsonResponse(_cloud_snapshot(instructor_project_or_404(request)))
