"""Who may open which page: the dashboard's access helpers, one place for every panel.

Anything a user may not see answers 404, never 403 (the instances of other projects, the Admin
panels for a student). The rule behind "may see" is ``cloudlab.identity.access``; these helpers
only turn it into the current request's project or a 404.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from cloudlab.compute.models import Instance
from cloudlab.identity.models import Project, is_instructor

from .current import current_project


def project_or_404(request: HttpRequest) -> Project:
    """The project the user is working in (Horizon's project picker)."""
    project = current_project(request)
    if project is None:
        raise Http404("You are not a member of any project.")
    return project


def instructor_project_or_404(request: HttpRequest) -> Project:
    """The current project, when the user teaches its cloud (the Admin panels)."""
    project = project_or_404(request)
    if not is_instructor(request.user, project.cloud_id):
        raise Http404("Only instructors see the Admin panels.")
    return project


def visible_instance_or_404(request: HttpRequest, instance_id: str) -> Instance:
    return get_object_or_404(Instance.objects.visible_to(request.user).for_table(), uuid=instance_id)
