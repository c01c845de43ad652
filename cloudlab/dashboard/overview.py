"""Project → Compute → Overview: the project's quota usage as Horizon's Limit Summary shows it
(three small SVG donuts drawn by ``overview.js``; no chart library)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cloudlab.compute.actions.launch import quota_limits, quota_usage
from cloudlab.identity.models import Project
from cloudlab.live.events import current_seqs, project_stream

from .access import project_or_404


def _snapshot(project: Project) -> dict[str, Any]:
    stream = project_stream(project.pk)
    seqs = current_seqs([stream])
    limits = quota_limits(project)
    usage = quota_usage(project)
    return {
        "streams": seqs,
        "limits": [
            {
                "key": "instances",
                "title": _("Instances"),
                "used": usage.instances,
                "limit": limits.instances,
                "unit": "",
            },
            {"key": "cores", "title": _("VCPUs"), "used": usage.cores, "limit": limits.cores, "unit": ""},
            {"key": "ram", "title": _("RAM"), "used": usage.ram, "limit": limits.ram, "unit": "MB"},
        ],
    }


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    project = project_or_404(request)
    stream = project_stream(project.pk)
    return render(
        request,
        "dashboard/overview.html",
        {
            "project": project,
            "page": {
                "streams": [stream],
                "snapshot_url": reverse("dashboard:overview-data"),
                "snapshot": _snapshot(project),
            },
        },
    )


@login_required
@require_GET
def overview_data(request: HttpRequest) -> JsonResponse:
    return JsonResponse(_snapshot(project_or_404(request)))
