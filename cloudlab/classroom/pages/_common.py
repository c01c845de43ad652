"""What the classroom's pages share: finding a session the viewer may see, the page's live data."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.urls import reverse

from ..live import session_streams, snapshot
from ..models import TRANSITIONS, ClassSession, State
from ..sessions import is_session_instructor, participant_for


def session_for_instructor(request: HttpRequest, session_id: int) -> ClassSession:
    """The session if the viewer teaches it; 404 otherwise (another's session is not named)."""
    session = ClassSession.objects.select_related("cloud", "owner").filter(pk=session_id).first()
    if session is None or not is_session_instructor(request.user, session):
        raise Http404("No such session of yours.")
    return session


def session_for_viewer(request: HttpRequest, session_id: int) -> ClassSession:
    """The session if the viewer is one of its participants or instructors; 404 otherwise."""
    session = ClassSession.objects.select_related("cloud", "owner").filter(pk=session_id).first()
    if session is None or not (
        is_session_instructor(request.user, session) or participant_for(request.user, session) is not None
    ):
        raise Http404("No such session of yours.")
    return session


def state_words() -> dict[str, Any]:
    """The states' names and which may follow which, for the page's script (one source: models)."""
    return {
        "labels": {s.value: str(s.label) for s in State},
        "transitions": {state: sorted(after) for state, after in TRANSITIONS.items()},
    }


def live_page(session: ClassSession, *, staff: bool) -> dict[str, Any]:
    """``staff``: an instructor's page (it follows who comes and goes too, and sees them)."""
    return {
        "session_id": session.pk,
        "streams": session_streams(session.pk, staff=staff),
        "snapshot": snapshot(session, staff=staff),
        "snapshot_url": reverse("classroom:snapshot", args=[session.pk]),
        "states": state_words(),
    }
