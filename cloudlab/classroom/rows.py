"""How a session and its participants read on a page and in events (``live.schemas``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .models import ClassSession, Participant


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def participant_row(participant: Participant, *, online: bool) -> dict[str, Any]:
    return {
        "id": participant.pk,
        "nickname": participant.nickname,
        "is_guest": participant.is_guest,
        "project": participant.project.name,
        "joined_at": participant.joined_at.isoformat(),
        "last_seen": _iso(participant.last_seen),
        "online": online,
    }


def session_row(session: ClassSession) -> dict[str, Any]:
    return {
        "id": session.pk,
        "name": session.name,
        "code": session.code,
        "state": session.state,
        "state_label": str(session.get_state_display()),  # type: ignore[attr-defined]
        "cloud": session.cloud.name,
        "pace": session.pace,
        "show_scores": session.show_scores,
        "created_at": session.created_at.isoformat(),
        "started_at": _iso(session.started_at),
        "ended_at": _iso(session.ended_at),
    }
