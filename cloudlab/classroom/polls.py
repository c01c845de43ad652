""" "Predict the host" polls: the only writer of polls and answers (open, answer, close, reveal).

A poll asks about the next scheduling decision on the session's cloud, for a request it carries
(flavor, image, count): which host wins (the cloud's hosts, or "No valid host"), which filter
removes a host (the scheduler's filter stages, or "none"), or a number (a host's weight, within a
tolerance). Every function validates first and raises ``SessionError`` (nothing written) with a
sentence naming the problem; events go out on the session's stream after commit.

- ``open_poll(session, by, *, kind, flavor, image=None, count=1, target_host="", tolerance=0,
  time_limit=None, question="") -> Poll``: the session's instructors only, one open poll at a time.
- ``give_answer(poll, user, *, choice=None, value=None) -> Answer``: a participant of the poll's
  session, while it is open; answering again changes the answer (and restarts its clock).
- ``close_poll(poll, by)``; ``settle_expired(poll)`` closes a poll whose time limit has passed
  (the answer path and the reveal call it, and a Celery task at the deadline).
- ``reveal(poll, by)``: runs the poll's request through the scheduler on the cloud as it stands
  now — a dry run, like the decision view's what-if: nothing is launched and no capacity is
  claimed, so the instructor can ask about the same moment again or let the class launch next —,
  keeps the trace and the moment, reads the correct answer from the trace and marks every answer.
- ``set_show_scores(session, show, by)``, ``scores(session)``, ``distribution(poll)``.

Points (Kahoot's rule): a correct answer to a poll with a time limit earns
``round(1000 × (1 − t / limit / 2))``, t the seconds from the poll's opening to the answer's last
change (so 1000 at once, 500 at the deadline); without a time limit, a flat 1000. A wrong answer
earns 0. A student's score is the sum over the session's revealed polls.

Events (``cloudlab.live.schemas``): ``poll.opened``, ``poll.answers`` (the count only),
``poll.closed``, ``poll.revealed`` (the correct answer and the distribution, only now),
``poll.scores``. No event before the reveal carries an answer, the correct one or anyone's.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from celery import current_app
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from cloudlab.compute.models import Aggregate, Flavor, Host, Image
from cloudlab.compute.scheduling import engine_flavor, engine_image, host_states, scheduler_config
from cloudlab.engine import scheduler as engine
from cloudlab.engine.scheduler import Moment, ScheduleRequest, moment_to_dict, rerun

from .live import publish_session_event, spacing_turn
from .models import Answer, ClassSession, Participant, Poll, PollKind, PollState
from .sessions import INSTRUCTORS_PROJECT, SessionError, check_instructor, participant_for

if TYPE_CHECKING:
    from .sessions import AnyUser

#: The choice that means the request fails (host polls) or that no filter removes the host.
NO_VALID_HOST = "NoValidHost"
NO_FILTER = "none"
MAX_COUNT = 10
TIME_LIMIT_RANGE = (5, 600)
FULL_POINTS = 1000
#: The task that closes a poll at its deadline (``cloudlab.classroom.tasks``).
CLOSE_DUE_POLL = "cloudlab.classroom.close_due_poll"
#: The task that sends a poll's answer count at the end of a busy moment (``announce_count``).
ANNOUNCE_COUNT = "cloudlab.classroom.announce_poll_count"
#: A class answering together: ``poll.answers`` goes to every socket of the session, so it goes at
#: most every COUNT_SPACING seconds per poll (300 answers in ten seconds would otherwise be
#: 300 events to each of 300 sockets); the count is never more than this late.
COUNT_SPACING = 0.5


# -- reading -------------------------------------------------------------------------------------


def poll_choices(session: ClassSession, kind: str, target_host: str = "") -> list[str]:
    """What students choose from: the cloud's hosts and NoValidHost, or the scheduler's filter
    stages (as the cloud's nova.conf runs them, Placement's stages included) and "none"."""
    if kind == PollKind.HOST:
        return [
            *Host.objects.filter(cloud_id=session.cloud_id).order_by("name").values_list("name", flat=True),
            NO_VALID_HOST,
        ]
    if kind == PollKind.FILTER:
        config = scheduler_config(session.cloud)
        names = list(config.enabled_filters)
        if config.era != "classic":
            names = ["Placement", *[n for n in names if n != "Placement"]]
        return [*names, NO_FILTER]
    return []


def distribution(poll: Poll) -> dict[str, int]:
    """How many chose each choice (every choice listed, in order), or each number given."""
    if poll.kind == PollKind.NUMBER:
        counts = Counter(_number_label(v) for v in poll.answers.values_list("value", flat=True))
        return dict(sorted(counts.items(), key=lambda kv: float(kv[0])))
    counts = Counter(poll.answers.values_list("choice", flat=True))
    return {choice: counts.get(choice, 0) for choice in poll.choices}


def _number_label(value: float | None) -> str:
    return f"{value:g}" if value is not None else ""


def scores(session: ClassSession) -> list[dict[str, Any]]:
    """Each participant's running score and correct answers, best first (ties by nickname)."""
    rows = (
        Participant.objects.filter(session=session)
        .annotate(
            score=Sum("answers__points", filter=Q(answers__poll__state=PollState.REVEALED), default=0),
            right=Count("answers", filter=Q(answers__correct=True)),
        )
        .order_by("-score", "nickname")
    )
    return [{"id": p.pk, "nickname": p.nickname, "score": int(p.score), "correct": p.right} for p in rows]


# -- opening -------------------------------------------------------------------------------------


def _whole(raw: Any, label: str, field: str, low: int, high: int, *, optional: bool = False) -> int | None:
    if optional and (raw is None or raw == ""):
        return None
    try:
        number = int(str(raw).strip()) if not isinstance(raw, bool) else None
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        raise SessionError(
            _("%(label)s must be a whole number from %(low)d to %(high)d, not “%(value)s”.")
            % {"label": label, "low": low, "high": high, "value": str(raw)[:20]},
            field=field,
        )
    return number


def _finite(raw: Any, label: str, field: str) -> float:
    try:
        number = float(str(raw).strip().replace(",", "."))
    except ValueError:
        number = math.nan
    if isinstance(raw, bool) or not math.isfinite(number):
        raise SessionError(
            _("%(label)s must be a number, not “%(value)s”.") % {"label": label, "value": str(raw)[:20]}, field=field
        )
    return number


def open_poll(
    session: ClassSession,
    by: AnyUser,
    *,
    kind: str,
    flavor: Flavor | str | None,
    image: Image | str | None = None,
    count: Any = 1,
    target_host: str = "",
    tolerance: Any = 0,
    time_limit: Any = None,
    question: str = "",
) -> Poll:
    """Steps: the instructor, a session not ended and no poll open; the kind; the request (a
    flavor and image of the session's cloud, 1–10 instances); the host asked about (filter and
    number polls); the tolerance and time limit; then create the poll and, after commit,
    ``poll.opened`` and the deadline's task."""
    check_instructor(session, by)
    if session.is_ended:
        raise SessionError(_("This session has ended."), status=409)
    if kind not in PollKind.values:
        raise SessionError(
            _("“%(kind)s” is not a kind of poll (%(kinds)s).")
            % {"kind": str(kind)[:20], "kinds": ", ".join(PollKind.values)},
            field="kind",
        )
    flavor_row = _flavor(session, flavor)
    image_row = _image(session, image)
    number = _whole(count, _("The number of instances"), "count", 1, MAX_COUNT)
    host = " ".join((target_host or "").split())
    if kind in (PollKind.FILTER, PollKind.NUMBER):
        if not host:
            raise SessionError(_("Choose the host the question is about."), field="target_host")
        if not Host.objects.filter(cloud_id=session.cloud_id, name=host).exists():
            raise SessionError(
                _("The session's cloud has no host “%(host)s”.") % {"host": host[:64]}, field="target_host"
            )
    else:
        host = ""
    spread = _finite(tolerance or 0, _("The tolerance"), "tolerance") if kind == PollKind.NUMBER else 0.0
    if spread < 0:
        raise SessionError(_("The tolerance cannot be negative."), field="tolerance")
    limit = _whole(time_limit, _("The time limit (seconds)"), "time_limit", *TIME_LIMIT_RANGE, optional=True)
    text = " ".join((question or "").split())
    if len(text) > 200:
        raise SessionError(_("The question is longer than 200 characters."), field="question")
    with transaction.atomic():
        locked = ClassSession.objects.select_for_update().get(pk=session.pk)
        if locked.is_ended:
            raise SessionError(_("This session has ended."), status=409)
        if locked.polls.filter(state=PollState.OPEN).exists():
            raise SessionError(_("Close or reveal the open poll before opening another."), status=409)
        now = timezone.now()
        poll = Poll.objects.create(
            session=locked,
            kind=kind,
            question=text,
            flavor=flavor_row,
            image=image_row,
            count=number,
            target_host=host,
            choices=poll_choices(session, kind, host),
            tolerance=spread,
            time_limit=limit,
            opened_at=now,
            closes_at=now + timedelta(seconds=limit) if limit else None,
        )
        publish_session_event(session, "poll.opened", _public(poll))
        if limit:
            # By name: writers never import the tasks (tasks call the writers).
            current_app.tasks[CLOSE_DUE_POLL].apply_async_on_commit((poll.pk,), countdown=limit)
    return poll


def _flavor(session: ClassSession, flavor: Flavor | str | None) -> Flavor:
    if isinstance(flavor, Flavor) and flavor.cloud_id == session.cloud_id:
        return flavor
    found = (
        Flavor.objects.filter(cloud_id=session.cloud_id).filter(Q(name=flavor) | Q(flavorid=flavor)).first()
        if isinstance(flavor, str) and flavor
        else None
    )
    if found is None:
        raise SessionError(
            _("Choose a flavor of the session's cloud (not “%(flavor)s”).") % {"flavor": str(flavor or "")[:64]},
            field="flavor",
        )
    return found


def _image(session: ClassSession, image: Image | str | None) -> Image | None:
    if image is None or image == "":
        return None
    if isinstance(image, Image) and image.cloud_id == session.cloud_id:
        return image
    found = None
    if isinstance(image, str):
        try:
            found = Image.objects.filter(cloud_id=session.cloud_id, uuid=uuid.UUID(image)).first()
        except ValueError:
            found = Image.objects.filter(cloud_id=session.cloud_id, name=image).first()
    if found is None:
        raise SessionError(
            _("Choose an image of the session's cloud (not “%(image)s”).") % {"image": str(image)[:64]}, field="image"
        )
    return found


def _public(poll: Poll) -> dict[str, Any]:
    """What every viewer may know of a poll: never an answer, the correct one or anyone's."""
    return {
        "poll": poll.pk,
        "kind": poll.kind,
        "state": poll.state,
        "opened_at": poll.opened_at.isoformat(),
        "closes_at": poll.closes_at.isoformat() if poll.closes_at else None,
    }


# -- answering -----------------------------------------------------------------------------------


def give_answer(poll: Poll, user: AnyUser, *, choice: Any = None, value: Any = None) -> Answer:
    """Steps: a participant of the poll's session; the poll still open (its deadline settled
    first); a choice among the poll's, or a number; then create or change the answer and, after
    commit, ``poll.answers`` with the count."""
    participant = participant_for(user, poll.session)
    if participant is None:
        raise SessionError(_("Only the session's participants can answer its polls."), status=403)
    settle_expired(poll)
    if poll.kind == PollKind.NUMBER:
        if value is None or value == "":
            raise SessionError(_("Give a number."), field="value")
        number = _finite(value, _("Your answer"), "value")
        fields: dict[str, Any] = {"choice": "", "value": number}
    else:
        if choice not in poll.choices:
            raise SessionError(
                _("“%(choice)s” is not one of the poll's choices.") % {"choice": str(choice or "")[:64]}, field="choice"
            )
        fields = {"choice": choice, "value": None}
    with transaction.atomic():
        locked = Poll.objects.select_for_update().get(pk=poll.pk)
        if locked.state != PollState.OPEN:
            raise SessionError(_late(locked), status=409)
        answer, _created = Answer.objects.update_or_create(
            poll=locked, participant=participant, defaults={**fields, "answered_at": timezone.now()}
        )
        transaction.on_commit(lambda: announce_count(locked), robust=True)
    return answer


def _count_key(poll: Poll) -> str:
    # The opening moment as well as the id: a poll's id can come back (a test's rolled-back rows).
    return f"poll-answers:{poll.pk}:{poll.opened_at.timestamp() if poll.opened_at else 0}"


def announce_count(poll: Poll) -> None:
    """``poll.answers`` with the poll's answer count, now or, in a busy moment, once at its end
    (``COUNT_SPACING``)."""
    turn = spacing_turn(_count_key(poll), COUNT_SPACING)
    if turn == "now":
        send_count(poll)
    elif turn == "later":
        current_app.tasks[ANNOUNCE_COUNT].apply_async((poll.pk,), countdown=COUNT_SPACING)


def send_count(poll: Poll) -> None:
    publish_session_event(poll.session_id, "poll.answers", {"poll": poll.pk, "answers": poll.answers.count()})


def _late(poll: Poll) -> str:
    if poll.closes_at and poll.closed_at and poll.closed_at >= poll.closes_at:
        return _("Time is up: this poll closed at %(time)s, so your answer was not taken.") % {
            "time": timezone.localtime(poll.closes_at).strftime("%H:%M:%S")
        }
    return _("This poll is closed, so your answer was not taken.")


# -- closing and revealing -----------------------------------------------------------------------


def _close(locked: Poll, at: Any) -> None:
    locked.state = PollState.CLOSED
    locked.closed_at = at
    locked.save(update_fields=["state", "closed_at"])
    publish_session_event(
        locked.session_id,
        "poll.closed",
        {"poll": locked.pk, "closed_at": at.isoformat(), "answers": locked.answers.count()},
    )


def settle_expired(poll: Poll) -> bool:
    """Close the poll if its time limit has passed; whether it did. The closing time is the
    deadline itself, not when someone noticed it."""
    if poll.state != PollState.OPEN or poll.closes_at is None or timezone.now() < poll.closes_at:
        return False
    with transaction.atomic():
        locked = Poll.objects.select_for_update().get(pk=poll.pk)
        if locked.state != PollState.OPEN:
            return False
        _close(locked, locked.closes_at)
    poll.refresh_from_db()
    return True


def close_poll(poll: Poll, by: AnyUser) -> Poll:
    check_instructor(poll.session, by)
    with transaction.atomic():
        locked = Poll.objects.select_for_update().get(pk=poll.pk)
        if locked.state != PollState.OPEN:
            raise SessionError(_("This poll is not open."), status=409)
        _close(locked, timezone.now())
    poll.refresh_from_db()
    return poll


def dry_run(poll: Poll) -> tuple[dict[str, Any], dict[str, Any]]:
    """The poll's request through the cloud's scheduler on the cloud as it stands: the trace and
    its moment (as ``compute.scheduling.decide`` builds them for a real launch)."""
    cloud = poll.session.cloud
    hosts = host_states(cloud)
    uuids = tuple(str(uuid.uuid4()) for _ in range(poll.count))
    request = ScheduleRequest(
        flavor=engine_flavor(poll.flavor),
        image=engine_image(poll.image) if poll.image else None,
        num_instances=poll.count,
        instance_uuids=uuids,
        project=INSTRUCTORS_PROJECT,
    )
    if poll.image is None:  # no image chosen: the cloud's first public image, as Launch offers it
        first = Image.objects.filter(cloud=cloud, owner__isnull=True).order_by("name").first()
        if first is not None:
            request = replace(request, image=engine_image(first))
    offered = {a.name for h in hosts for a in h.aggregates}
    others = tuple(
        engine.Aggregate(a.name, a.availability_zone or None, dict(a.metadata))
        for a in Aggregate.objects.filter(cloud=cloud).order_by("name")
        if a.name not in offered
    )
    moment = Moment(tuple(hosts), request, scheduler_config(cloud), (), others)
    return dict(rerun(moment)), moment_to_dict(moment)


def correct_answer(poll: Poll, trace: dict[str, Any]) -> Any:
    """Read from the trace, for the request's first instance: the selected host (or NoValidHost),
    the first stage whose verdict removed the host asked about (or "none"), or that host's total
    weight in the ranking (None when it was filtered out and never weighed)."""
    first = next(iter(trace.get("instances") or []), {})
    if poll.kind == PollKind.HOST:
        return first.get("selected") or NO_VALID_HOST
    if poll.kind == PollKind.FILTER:
        for stage in first.get("filters") or []:
            verdict = (stage.get("verdicts") or {}).get(poll.target_host)
            if verdict is not None and not verdict.get("passed", True):
                return stage["name"]
        return NO_FILTER
    for row in first.get("ranking") or []:
        if row["host"] == poll.target_host:
            return round(float(row["weight"]), 6)
    return None


def points_for(poll: Poll, answer: Answer) -> int:
    if not answer.correct:
        return 0
    if not poll.time_limit:
        return FULL_POINTS
    seconds = (answer.answered_at - poll.opened_at).total_seconds()
    share = min(max(seconds / poll.time_limit, 0.0), 1.0)
    return round(FULL_POINTS * (1 - share / 2))


def _is_correct(poll: Poll, answer: Answer, correct: Any) -> bool:
    if poll.kind == PollKind.NUMBER:
        return correct is not None and answer.value is not None and abs(answer.value - correct) <= poll.tolerance + 1e-9
    return answer.choice == correct


def reveal(poll: Poll, by: AnyUser) -> Poll:
    """Steps: the instructor, a poll not yet revealed; settle its deadline; run its request
    (``dry_run``); in one transaction close it if open, keep the trace, moment and correct answer,
    mark every answer with its points; after commit ``poll.revealed`` (and ``poll.scores`` when
    the class sees scores)."""
    check_instructor(poll.session, by)
    settle_expired(poll)
    if poll.state == PollState.REVEALED:
        raise SessionError(_("This poll has been revealed already."), status=409)
    trace, moment = dry_run(poll)
    correct = correct_answer(poll, trace)
    with transaction.atomic():
        locked = Poll.objects.select_for_update().select_related("session").get(pk=poll.pk)
        if locked.state == PollState.REVEALED:
            raise SessionError(_("This poll has been revealed already."), status=409)
        now = timezone.now()
        if locked.state == PollState.OPEN:
            _close(locked, now)
        locked.state = PollState.REVEALED
        locked.revealed_at = now
        locked.trace, locked.moment, locked.correct = trace, moment, correct
        locked.save(update_fields=["state", "revealed_at", "trace", "moment", "correct"])
        for answer in locked.answers.all():
            answer.correct = _is_correct(locked, answer, correct)
            answer.points = points_for(locked, answer)
            answer.save(update_fields=["correct", "points"])
        publish_session_event(
            locked.session_id,
            "poll.revealed",
            {
                "poll": locked.pk,
                "correct": correct,
                "distribution": distribution(locked),
                "answers": locked.answers.count(),
                "right": locked.answers.filter(correct=True).count(),
            },
        )
        if locked.session.show_scores:
            _publish_scores(locked.session)
    poll.refresh_from_db()
    return poll


def set_show_scores(session: ClassSession, show: bool, by: AnyUser) -> ClassSession:
    check_instructor(session, by)
    with transaction.atomic():
        locked = ClassSession.objects.select_for_update().get(pk=session.pk)
        locked.show_scores = bool(show)
        locked.save(update_fields=["show_scores"])
        _publish_scores(locked)
    session.show_scores = locked.show_scores
    return session


def _publish_scores(session: ClassSession) -> None:
    publish_session_event(
        session,
        "poll.scores",
        {"show_scores": session.show_scores, "scores": scores(session) if session.show_scores else []},
    )
