"""Joining a session: ``/join/`` (type the code) and ``/join/<CODE>/`` (the link and QR code).

A logged-in user joins as themselves (one click); a visitor picks a nickname and becomes a guest,
logged in here, whose access ends with the session. A code that names no open session is a 404
page that says so, in the reader's language."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cloudlab.dashboard.current import set_current_project

from ..models import ClassSession, State
from ..sessions import (
    SessionError,
    find_open_session,
    guest_session_of,
    is_session_instructor,
    join,
    normalize_code,
    participant_for,
    record_guest_login,
)


def _not_open(request: HttpRequest, code: str) -> HttpResponse:
    typed = normalize_code(code)
    ended = typed is not None and ClassSession.objects.filter(code=typed, state=State.ENDED).exists()
    if ended:
        message = _("The session with the code %(code)s has ended.") % {"code": typed}
    elif typed is None:
        message = _(
            "“%(code)s” is not a join code: a code has 6 letters and digits, like the one on the projector."
        ) % {"code": code[:20]}
    else:
        message = _("No session has the code %(code)s. Check the code on the projector.") % {"code": typed}
    return render(request, "classroom/not_found.html", {"message": message}, status=404)


@require_http_methods(["GET", "POST"])
def join_form(request: HttpRequest) -> HttpResponse:
    code = request.POST.get("code", request.GET.get("code", ""))
    if not code:
        return render(request, "classroom/join.html", {"code": ""})
    session = find_open_session(code)
    if session is None:
        return _not_open(request, code)
    return redirect("classroom:join-code", session.code)


def _guest_elsewhere(request: HttpRequest, session: ClassSession) -> bool:
    """A guest of another session is nobody here: they join as a new guest."""
    other = guest_session_of(request.user)
    return other is not None and other != session.pk


@require_http_methods(["GET", "POST"])
def join_code(request: HttpRequest, code: str) -> HttpResponse:
    session = find_open_session(code)
    if session is None:
        return _not_open(request, code)
    if request.user.is_authenticated and not _guest_elsewhere(request, session):
        if is_session_instructor(request.user, session):
            return redirect("classroom:lobby", session.pk)
        if (existing := participant_for(request.user, session)) is not None:
            join(session, user=request.user)  # repairs a lost membership or quota
            set_current_project(request, existing.project)
            return redirect("classroom:student", session.pk)
    as_guest = not request.user.is_authenticated or _guest_elsewhere(request, session)
    context = {"session": session, "as_guest": as_guest, "nickname": request.POST.get("nickname", "")}
    if request.method == "GET":
        return render(request, "classroom/join.html", context)
    try:
        if as_guest:
            participant = join(session, nickname=request.POST.get("nickname", ""))
        else:
            participant = join(session, user=request.user, nickname=request.POST.get("nickname") or None)
    except SessionError as refused:
        return render(request, "classroom/join.html", {**context, "error": refused}, status=refused.status)
    if as_guest:
        if request.user.is_authenticated:
            logout(request)
        login(request, participant.user, backend=settings.AUTHENTICATION_BACKENDS[0])
        record_guest_login(participant, request.session.session_key)
    set_current_project(request, participant.project)
    return redirect("classroom:student", session.pk)


urlpatterns = [
    path("join/", join_form, name="join"),
    path("join/<str:code>/", join_code, name="join-code"),
]
