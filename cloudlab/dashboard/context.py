from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from cloudlab.identity.models import Project, is_instructor

from .clock import zone_label
from .current import current_project


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The header's project picker, whether to show the Admin panels, and the course's clock."""
    clock = {"time_zone": settings.TIME_ZONE, "time_zone_label": zone_label()}
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return clock
    project = current_project(request)
    return {
        **clock,
        "current_project": project,
        "user_projects": Project.objects.for_user(request.user).select_related("cloud").order_by("cloud__name", "name"),
        "is_instructor": bool(project and is_instructor(request.user, project.cloud_id)),
    }
