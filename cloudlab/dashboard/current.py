"""The project a user is working in, as Horizon's project picker keeps it (in the session)."""

from __future__ import annotations

from django.http import HttpRequest

from cloudlab.identity.models import Membership, Project

SESSION_KEY = "cloudlab_project_id"


def current_project(request: HttpRequest) -> Project | None:
    if not request.user.is_authenticated:
        return None
    projects = Project.objects.for_user(request.user).select_related("cloud")
    chosen = request.session.get(SESSION_KEY)
    project = projects.filter(pk=chosen).first() if chosen else None
    if project is None:
        # The project the user was given first (their course's), not the first by name: the
        # sandboxes and experiment clouds made for them later come after it.
        first = Membership.objects.filter(user=request.user).select_related("project__cloud").order_by("pk").first()
        project = first.project if first is not None else None
        if project is not None:
            request.session[SESSION_KEY] = project.pk
    return project


def set_current_project(request: HttpRequest, project: Project) -> None:
    request.session[SESSION_KEY] = project.pk
