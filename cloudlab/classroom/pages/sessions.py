"""Classroom → Class Sessions: the instructor's sessions, the start form, the lobby (the join code
in huge type, the link and its QR code, the participants arriving live) and the state buttons."""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cloudlab.compute.models import Cloud

from ..models import TRANSITIONS, ClassSession, State
from ..sessions import (
    SessionError,
    SessionQuota,
    available_scenarios,
    may_start_sessions,
    set_state,
    start_session,
    taught_clouds,
)
from ._common import live_page, session_for_instructor


def _sources(user: Any) -> list[dict[str, str]]:
    clouds = [
        {"value": f"cloud:{c.pk}", "label": _("Existing cloud: %(name)s") % {"name": c.name}}
        for c in taught_clouds(user)
    ]
    scenarios = [
        {"value": f"scenario:{name}", "label": _("Fresh copy of the scenario: %(name)s") % {"name": name}}
        for name in available_scenarios()
    ]
    return clouds + scenarios


def _start(request: HttpRequest) -> ClassSession:
    source = request.POST.get("source", "")
    kind, _sep, value = source.partition(":")
    cloud, scenario = None, None
    if kind == "cloud" and value.isdigit():
        cloud = Cloud.objects.filter(pk=int(value)).first()
        if cloud is None:
            raise SessionError(_("That cloud does not exist any more."), field="source")
    elif kind == "scenario" and value:
        scenario = value
    else:
        raise SessionError(_("Choose a cloud or a scenario for the session."), field="source")
    return start_session(
        request.user,
        cloud=cloud,
        scenario=scenario,
        name=request.POST.get("name", ""),
        quota={
            "instances": request.POST.get("quota_instances", ""),
            "cores": request.POST.get("quota_cores", ""),
            "ram": request.POST.get("quota_ram", ""),
        },
        pace=request.POST.get("pace") or None,
        show_scores=request.POST.get("show_scores") == "on",
    )


@login_required
@require_http_methods(["GET", "POST"])
def sessions(request: HttpRequest) -> HttpResponse:
    if not may_start_sessions(request.user):
        return render(request, "classroom/not_instructor.html", status=403)
    error: SessionError | None = None
    if request.method == "POST":
        try:
            session = _start(request)
        except SessionError as refused:
            error = refused
        else:
            messages.success(
                request,
                _("Session “%(name)s” started: its join code is %(code)s.")
                % {"name": session.name, "code": session.code},
            )
            return redirect("classroom:lobby", session.pk)
    defaults = SessionQuota()
    form = {
        "name": request.POST.get("name", ""),
        "source": request.POST.get("source", ""),
        "quota_instances": request.POST.get("quota_instances", defaults.instances),
        "quota_cores": request.POST.get("quota_cores", defaults.cores),
        "quota_ram": request.POST.get("quota_ram", defaults.ram),
        "pace": request.POST.get("pace", ""),
        "show_scores": request.POST.get("show_scores") == "on",
    }
    mine = ClassSession.objects.taught_by(request.user).select_related("cloud").order_by("-created_at")
    return render(
        request,
        "classroom/sessions.html",
        {"form": form, "error": error, "sources": _sources(request.user), "sessions": mine},
        status=error.status if error else 200,
    )


def _qr_svg(link: str) -> str:
    """The join link as a QR code, drawn here as SVG (no image from elsewhere)."""
    code = segno.make(link, error="m")
    return mark_safe(code.svg_inline(scale=1, omitsize=True, svgclass="cl-qr", title=_("QR code of the join link")))  # noqa: S308 - segno's own markup


@login_required
def lobby(request: HttpRequest, session_id: int) -> HttpResponse:
    session = session_for_instructor(request, session_id)
    link = request.build_absolute_uri(reverse("classroom:join-code", args=[session.code]))
    actions = [
        {"state": state, "label": _button(session.state, state), "confirm": state == State.ENDED}
        for state in (State.RUNNING, State.FROZEN, State.ENDED)
        if state in TRANSITIONS[session.state]
    ]
    return render(
        request,
        "classroom/lobby.html",
        {
            "session": session,
            "link": link,
            "qr": _qr_svg(link),
            "actions": actions,
            "page": live_page(session, staff=True),
        },
    )


def _button(current: str, state: str) -> str:
    if state == State.RUNNING:
        return _("Unfreeze") if current == State.FROZEN else _("Start the session")
    if state == State.FROZEN:
        return _("Freeze")
    return _("End the session")


@login_required
@require_POST
def change_state(request: HttpRequest, session_id: int) -> HttpResponse:
    session = session_for_instructor(request, session_id)
    try:
        set_state(session, request.POST.get("state", ""), request.user)
    except SessionError as refused:
        messages.error(request, refused.message)
    return redirect("classroom:lobby", session.pk)


urlpatterns = [
    path("classroom/", sessions, name="sessions"),
    path("classroom/<int:session_id>/", lobby, name="lobby"),
    path("classroom/<int:session_id>/state/", change_state, name="set-state"),
]
