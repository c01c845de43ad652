"""Horizon's project picker and the landing redirect."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from cloudlab.identity.models import Project

from .current import set_current_project

# -- project picker -------------------------------------------------------------------------------


@login_required
@require_POST
def switch_project(request: HttpRequest) -> HttpResponse:
    chosen = request.POST.get("project", "")
    project = Project.objects.for_user(request.user).filter(pk=int(chosen)).first() if chosen.isdigit() else None
    if project is None:
        raise Http404("No such project of yours.")
    set_current_project(request, project)
    return redirect("dashboard:instances")


def home(request: HttpRequest) -> HttpResponse:
    return redirect("dashboard:instances" if request.user.is_authenticated else "login")
