"""A participant's view of the session (its name and state, live; their project and the way to
its Instances panel) and the session's snapshot for every live page of the session."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET

from ..live import snapshot
from ..sessions import is_session_instructor, participant_for
from ._common import live_page, session_for_viewer


@login_required
@require_GET
def student(request: HttpRequest, session_id: int) -> HttpResponse:
    session = session_for_viewer(request, session_id)
    participant = participant_for(request.user, session)
    if participant is None:  # an instructor of the session
        return redirect("classroom:lobby", session.pk)
    return render(
        request,
        "classroom/student.html",
        {"session": session, "participant": participant, "page": live_page(session, staff=False)},
    )


@login_required
@require_GET
def session_snapshot(request: HttpRequest, session_id: int) -> JsonResponse:
    session = session_for_viewer(request, session_id)
    return JsonResponse(snapshot(session, staff=is_session_instructor(request.user, session)))


urlpatterns = [
    path("classroom/<int:session_id>/me/", student, name="student"),
    path("classroom/<int:session_id>/snapshot.json", session_snapshot, name="snapshot"),
]
