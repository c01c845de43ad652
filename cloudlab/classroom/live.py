"""A class session's streams: ``session-<id>`` (its people) and ``session-staff-<id>`` (its
instructors only), their events, presence, the snapshot.

- ``session_stream(session_id)``: what every page of the session follows (the state, controls,
  polls); ``session_staff_stream(session_id)``: what only its instructors' pages (lobby, console,
  projector) follow as well: participants joining, coming online and going
  (``cloudlab.live.access``). ``session_streams(session_id, staff=...)``: a page's list.
- ``publish_session_event(session, event, payload)``: send a declared event
  (``cloudlab.live.schemas.EVENT_SCHEMAS``) on the session's stream after the transaction
  commits; an undeclared name raises ``ValueError`` at once.
- Presence: a participant's first socket on the session's stream makes them online
  (``session.participant_joined``), their last one closing makes them offline
  (``session.participant_left``); both update ``last_seen`` and go to the staff stream only: a
  student's page shows nobody else, and a class of N arriving would otherwise cost N² messages.
  The count of sockets per participant lives in one Redis hash per session (a socket costs one
  HINCRBY; the database is written only when a participant comes or goes).
- ``snapshot(session, staff=...)``: the streams' seqs, the session and, for its instructors
  (``staff=True``), its participants (online or not), read in that order (an event after the
  seq re-applies idempotently: participants are keyed by id). A participant's snapshot holds no
  one else's name.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import redis
from django.conf import settings
from django.utils import timezone

from cloudlab.live.events import current_seqs, publish_on_commit, session_staff_stream, session_stream
from cloudlab.live.presence import register

from .models import ClassSession, Participant
from .rows import participant_row, session_row

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

# Decrement, and forget a participant whose last socket closed, in one step: a socket opening
# between the two must not be forgotten.
_CLOSE = """
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if n <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return {n, redis.call('HLEN', KEYS[1])}
"""


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.EVENTS_REDIS_URL)


def _presence_key(session_id: int) -> str:
    return f"{settings.CLOUDLAB_KEY_PREFIX}:presence:{session_stream(session_id)}"


def session_streams(session_id: int, *, staff: bool) -> list[str]:
    """The streams a page of the session follows: its instructors' pages the staff stream too."""
    if staff:
        return [session_stream(session_id), session_staff_stream(session_id)]
    return [session_stream(session_id)]


def publish_session_event(session: ClassSession | int, event: str, payload: dict[str, Any]) -> None:
    session_id = session if isinstance(session, int) else session.pk
    publish_on_commit(session_stream(session_id), event, payload)


def spacing_turn(key: str, spacing: float) -> str:
    """Send something at most once every ``spacing`` seconds per ``key`` (leading and trailing
    edge): ``"now"`` if nothing went out for the key in the last ``spacing`` seconds (marked
    sent), ``"later"`` for the first call within that window (the caller sends once more at its
    end, with the news as it is then), ``"skip"`` after that (the later send will carry it)."""
    ms = max(1, int(spacing * 1000))
    connection = _redis()
    if connection.set(f"{settings.CLOUDLAB_KEY_PREFIX}:spacing:{key}", 1, nx=True, px=ms):
        return "now"
    if connection.set(f"{settings.CLOUDLAB_KEY_PREFIX}:spacing-later:{key}", 1, nx=True, px=ms):
        return "later"
    return "skip"


def present_ids(session_id: int) -> set[int]:
    """The participants with a socket open on the session's stream now."""
    return {int(k) for k in _redis().hkeys(_presence_key(session_id))}


def publish_participant(participant: Participant, event: str, *, online: bool | None = None) -> None:
    present = present_ids(participant.session_id)
    is_online = participant.pk in present if online is None else online
    publish_on_commit(
        session_staff_stream(participant.session_id),
        event,
        {"participant": participant_row(participant, online=is_online), "present": len(present)},
    )


def publish_state(session: ClassSession, by: AbstractBaseUser | AnonymousUser) -> None:
    publish_session_event(
        session,
        "session.state",
        {
            "state": session.state,
            "started_at": session.started_at.isoformat() if session.started_at else None,
            "ended_at": session.ended_at.isoformat() if session.ended_at else None,
            "by": by.get_username(),
        },
    )


def forget_presence(session_id: int) -> None:
    _redis().delete(_presence_key(session_id))


def snapshot(session: ClassSession, *, staff: bool) -> dict[str, Any]:
    seqs = current_seqs(session_streams(session.pk, staff=staff))  # read first: later events re-apply
    session.refresh_from_db()
    if not staff:
        return {"streams": seqs, "session": session_row(session)}
    online = present_ids(session.pk)
    participants = [participant_row(p, online=p.pk in online) for p in session.participants.select_related("project")]
    return {
        "streams": seqs,
        "session": session_row(session),
        "participants": participants,
        "present": len(online),
    }


# -- presence: the live consumer tells us when a socket on a session stream opens or closes ------


def _participant(user_id: int, session_id: int) -> Participant | None:
    return Participant.objects.filter(session_id=session_id, user_id=user_id).select_related("project").first()


def socket_opened(user_id: int, session_id: int) -> None:
    participant = _participant(user_id, session_id)
    if participant is None:  # an instructor
        return
    key = _presence_key(session_id)
    with _redis().pipeline() as pipe:
        count, _total = pipe.hincrby(key, str(participant.pk), 1).hlen(key).execute()
    if int(count) == 1:
        _seen(participant)
        publish_participant(participant, "session.participant_joined", online=True)


def socket_closed(user_id: int, session_id: int) -> None:
    participant = _participant(user_id, session_id)
    if participant is None:
        return
    count, _total = _redis().eval(_CLOSE, 1, _presence_key(session_id), str(participant.pk))
    if int(count) <= 0:
        _seen(participant)
        publish_participant(participant, "session.participant_left", online=False)


def _seen(participant: Participant) -> None:
    participant.last_seen = timezone.now()
    Participant.objects.filter(pk=participant.pk).update(last_seen=participant.last_seen)


register("session", opened=socket_opened, closed=socket_closed)
