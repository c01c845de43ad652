from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from cloudlab.identity.models import Project, is_instructor

from .current import current_project


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The header's project picker and whether to show the Admin panels."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    project = current_project(request)
    return {
        "current_project": project,
        "user_projects": Project.objects.for_user(request.user).select_related("cloud").order_by("cloud__name", "name"),
        "is_instructor": bool(project and is_instructor(request.user, project.cloud_id)),
    }
