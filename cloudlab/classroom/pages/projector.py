"""The projector view of a session (``classroom/<id>/projector/``): the shared cloud large enough
for a lecture hall — hosts filling up, the latest decision's funnel at the cloud's pace, the
event feed, and the join code in a corner. The session's instructors only; a participant is told
that the projector is the instructor's and where their own page is.

Live: the page follows the cloud's stream and the session's stream and refetches its snapshot
(``projector_feed.projector_snapshot``) when they say something changed; the latest decision's
funnel is the scheduling view's (its data from ``dashboard:decision-data``, its stages from the
worker's ``scheduler.stage`` events)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cloudlab.dashboard.labels import decision_labels
from cloudlab.live.events import cloud_stream

from ..live import session_streams
from ..models import ClassSession
from ..projector_feed import projector_snapshot
from ..sessions import is_session_instructor, participant_for
from ._common import session_for_instructor, state_words


def _refused(request: HttpRequest, session_id: int) -> HttpResponse | None:
    """A participant of the session hears why they cannot open the projector (403); anyone else
    gets the classroom's 404 (another's session is not named)."""
    session = ClassSession.objects.filter(pk=session_id).first()
    if session is None or is_session_instructor(request.user, session):
        return None
    if participant_for(request.user, session) is None:
        return None
    message = _("The projector view is for the session's instructors. Your own page of the session is here:")
    return render(
        request,
        "classroom/projector_refused.html",
        {"session": session, "message": message},
        status=403,
    )


@login_required
@require_GET
def projector(request: HttpRequest, session_id: int) -> HttpResponse:
    refused = _refused(request, session_id)
    if refused is not None:
        return refused
    session = session_for_instructor(request, session_id)
    join_path = reverse("classroom:join")
    page = {
        "session_id": session.pk,
        "streams": [cloud_stream(session.cloud_id), *session_streams(session.pk, staff=True)],
        "snapshot": projector_snapshot(session),
        "snapshot_url": reverse("classroom:projector-snapshot", args=[session.pk]),
        "decision_url": reverse("dashboard:decision-data", args=[0]).replace("/0/", "/RECORD/"),
        "labels": decision_labels(),
        "states": state_words(),
    }
    return render(
        request,
        "classroom/projector.html",
        {"session": session, "page": page, "join_address": request.get_host() + join_path},
    )


@login_required
@require_GET
def projector_data(request: HttpRequest, session_id: int) -> HttpResponse:
    refused = _refused(request, session_id)
    if refused is not None:
        return JsonResponse({"error": _("The projector view is for the session's instructors.")}, status=403)
    return JsonResponse(projector_snapshot(session_for_instructor(request, session_id)))


urlpatterns = [
    path("classroom/<int:session_id>/projector/", projector, name="projector"),
    path("classroom/<int:session_id>/projector.json", projector_data, name="projector-snapshot"),
]
