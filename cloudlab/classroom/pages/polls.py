"""Classroom → a session's Polls: the instructor's page (open a "Predict the host" question, watch
the answers come in, close, reveal, show or hide the scores) and the endpoints the student's
poll panel uses (the current poll as the reader may see it, answering).

Views parse, call ``cloudlab.classroom.polls`` and render; a refusal answers with its status and
its sentence (JSON for the pages' scripts, a message and a redirect for a plain form)."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cloudlab.compute.models import Flavor, Host, Image
from cloudlab.dashboard.labels import decision_labels
from cloudlab.dashboard.traces import verdict_reason
from cloudlab.engine.pacing import funnel_stage_seconds
from cloudlab.engine.scheduler import moment_from_dict, replay_stages, why_not
from cloudlab.live.events import current_seqs, session_stream

from ..models import ClassSession, Poll, PollKind, PollState
from ..polls import (
    NO_FILTER,
    NO_VALID_HOST,
    close_poll,
    distribution,
    give_answer,
    open_poll,
    reveal,
    scores,
    set_show_scores,
)
from ..sessions import SessionError, is_session_instructor, participant_for
from ._common import session_for_instructor, session_for_viewer


def choice_label(poll: Poll, value: str) -> str:
    if value == NO_VALID_HOST and poll.kind == PollKind.HOST:
        return _("No valid host")
    if value == NO_FILTER and poll.kind == PollKind.FILTER:
        return _("None: it passes every filter")
    return value


def question_text(poll: Poll) -> str:
    """The instructor's own wording, else the kind's question in the reader's language."""
    if poll.question:
        return poll.question
    words = {"flavor": poll.flavor.name, "count": poll.count, "host": poll.target_host}
    if poll.kind == PollKind.HOST:
        return _("%(count)d × %(flavor)s with the cloud's filters as they are: which host wins?") % words
    if poll.kind == PollKind.FILTER:
        return _("%(count)d × %(flavor)s: which filter removes %(host)s?") % words
    return _("%(count)d × %(flavor)s: what is %(host)s's weight?") % words


def request_text(poll: Poll) -> str:
    image = poll.image.name if poll.image else _("the cloud's first image")
    return _("Request: %(count)d × %(flavor)s, image %(image)s") % {
        "count": poll.count,
        "flavor": poll.flavor.name,
        "image": image,
    }


def reveal_decision(poll: Poll) -> dict[str, Any]:
    """The reveal as the scheduling view's funnel reads a decision (decision_model.js): the
    trace with every verdict in the reader's language, its stages (the engine's replay order),
    the hosts of the moment it ran on, why each host was or was not chosen, and how far the
    funnel has played: ``elapsed`` seconds since the reveal, stages ``pace`` seconds apart (the
    session's cloud's pace, as a real launch's funnel), so every page, opened when it may, shows
    the same stage at the same moment and a reloaded one joins where the class is."""
    trace: dict[str, Any] = copy.deepcopy(poll.trace or {})
    for decision in trace.get("instances") or []:
        for stage in decision.get("filters") or []:
            for verdict in (stage.get("verdicts") or {}).values():
                verdict["reason"] = verdict_reason(verdict)
    names = [h.name for h in moment_from_dict(poll.moment).hosts] if poll.moment else []
    why: dict[str, Any] = {}
    for name in names:
        try:
            why[name] = why_not(trace, name, translate=_, hosts=names)  # type: ignore[arg-type]
        except ValueError:
            continue
    stages = replay_stages(trace)  # type: ignore[arg-type]
    pace = funnel_stage_seconds(poll.session.pace)
    elapsed = max(0.0, (timezone.now() - poll.revealed_at).total_seconds()) if poll.revealed_at else 0.0
    return {
        "trace": trace,
        "stages": stages,
        "hosts": [{"name": name} for name in names],
        "why": why,
        "verdicts": decision_labels()["verdicts"],
        "request": {"num_instances": poll.count},
        "pace": pace,
        "elapsed": elapsed,
        "finished": pace <= 0 or elapsed >= pace * max(0, len(stages) - 1),
    }


def poll_view(poll: Poll, *, teacher: bool) -> dict[str, Any]:
    """A poll as the reader may see it: the distribution only to its instructors (or after the
    reveal), the correct answer and the funnel only after the reveal."""
    revealed = poll.state == PollState.REVEALED
    view: dict[str, Any] = {
        "id": poll.pk,
        "kind": poll.kind,
        "state": poll.state,
        "state_label": str(PollState(poll.state).label),
        "question": question_text(poll),
        "request": request_text(poll),
        "choices": [{"value": c, "label": choice_label(poll, c)} for c in poll.choices],
        "tolerance": poll.tolerance,
        "time_limit": poll.time_limit,
        "closes_at": poll.closes_at.isoformat() if poll.closes_at else None,
        "answers": poll.answers.count(),
        "answer_url": reverse("classroom:poll-answer", args=[poll.session_id, poll.pk]),
    }
    if teacher or revealed:
        view["distribution"] = [{"value": k, "label": choice_label(poll, k), "count": n}
                                for k, n in distribution(poll).items()]  # fmt: skip
    if revealed:
        correct = poll.correct
        view["correct"] = correct
        view["correct_label"] = (
            choice_label(poll, correct)
            if isinstance(correct, str)
            else (f"{correct:g}" if correct is not None else _("%(host)s was not weighed") % {"host": poll.target_host})
        )
        view["right"] = poll.answers.filter(correct=True).count()
        view["decision"] = reveal_decision(poll)
    return view


def current_state(session: ClassSession, user: Any) -> dict[str, Any]:
    """The poll panel's snapshot: the stream's seq first (later events re-apply harmlessly)."""
    seqs = current_seqs([session_stream(session.pk)])
    session.refresh_from_db()
    teacher = is_session_instructor(user, session)
    poll = session.polls.select_related("flavor", "image", "session").current()
    state: dict[str, Any] = {"streams": seqs, "poll": poll_view(poll, teacher=teacher) if poll else None}
    participant = participant_for(user, session)
    if poll and participant:
        mine = poll.answers.filter(participant=participant).first()
        state["mine"] = (
            {
                "choice": mine.choice,
                "value": mine.value,
                "label": choice_label(poll, mine.choice) if mine.choice else f"{mine.value:g}",
                **({"correct": mine.correct, "points": mine.points} if poll.state == PollState.REVEALED else {}),
            }
            if mine
            else None
        )
    state["show_scores"] = session.show_scores
    if teacher or session.show_scores:
        state["scores"] = scores(session)
    if participant:
        state["me"] = participant.pk
    return state


def _refused(request: HttpRequest, session: ClassSession, error: SessionError) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"error": error.message, "field": error.field}, status=error.status)
    messages.error(request, error.message)
    return redirect("classroom:polls", session.pk)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _poll_of(session: ClassSession, poll_id: int) -> Poll:
    poll = Poll.objects.select_related("session", "flavor", "image").filter(pk=poll_id, session=session).first()
    if poll is None:
        raise Http404("No such poll in this session.")
    return poll


@login_required
@require_GET
def polls(request: HttpRequest, session_id: int) -> HttpResponse:
    session = session_for_instructor(request, session_id)
    cloud = session.cloud
    form = {
        "kinds": [{"value": k.value, "label": str(k.label)} for k in PollKind],
        "flavors": list(Flavor.objects.filter(cloud=cloud).order_by("vcpus", "memory_mb", "name")),
        "images": list(Image.objects.filter(cloud=cloud, owner__isnull=True).order_by("name")),
        "hosts": list(Host.objects.filter(cloud=cloud).order_by("name").values_list("name", flat=True)),
    }
    past = session.polls.select_related("flavor").order_by("-opened_at", "-pk")
    return render(
        request,
        "classroom/polls.html",
        {
            "session": session,
            "form": form,
            "past": [{"poll": p, "question": question_text(p)} for p in past],
            # Read by {% poll_panel_data %} in polls_panel.html: the instructor's panel, not a student's.
            "poll_panel": _panel(session, request.user, teacher=True),
        },
    )


def _panel(session: ClassSession, user: Any, *, teacher: bool) -> dict[str, Any]:
    return {
        "teacher": teacher,
        "streams": [session_stream(session.pk)],
        "current_url": reverse("classroom:poll-current", args=[session.pk]),
        "close_url": reverse("classroom:poll-close", args=[session.pk, 0]),
        "reveal_url": reverse("classroom:poll-reveal", args=[session.pk, 0]),
        "scores_url": reverse("classroom:poll-scores", args=[session.pk]),
        "state": current_state(session, user),
    }


def student_panel(session: ClassSession, user: Any) -> dict[str, Any]:
    """The student page's poll panel data (``templates/classroom/polls_panel.html``)."""
    return _panel(session, user, teacher=False)


@login_required
@require_POST
def poll_open(request: HttpRequest, session_id: int) -> HttpResponse:
    session = session_for_instructor(request, session_id)
    post = request.POST
    try:
        poll = open_poll(
            session,
            request.user,
            kind=post.get("kind", ""),
            flavor=post.get("flavor", ""),
            image=post.get("image") or None,
            count=post.get("count", "1"),
            target_host=post.get("target_host", ""),
            tolerance=post.get("tolerance") or 0,
            time_limit=post.get("time_limit") or None,
            question=post.get("question", ""),
        )
    except SessionError as error:
        return _refused(request, session, error)
    if _wants_json(request):
        return JsonResponse(current_state(session, request.user), status=201)
    messages.success(request, _("Poll opened: %(question)s") % {"question": question_text(poll)})
    return redirect("classroom:polls", session.pk)


def _poll_control(request: HttpRequest, session_id: int, poll_id: int, writer: Any) -> HttpResponse:
    """An instructor's control on one poll (close, reveal): the writer, then the poll's state
    (JSON for the page's script) or back to the Polls page."""
    session = session_for_instructor(request, session_id)
    try:
        writer(_poll_of(session, poll_id), request.user)
    except SessionError as error:
        return _refused(request, session, error)
    if _wants_json(request):
        return JsonResponse(current_state(session, request.user))
    return redirect("classroom:polls", session.pk)


@login_required
@require_POST
def poll_close(request: HttpRequest, session_id: int, poll_id: int) -> HttpResponse:
    return _poll_control(request, session_id, poll_id, close_poll)


@login_required
@require_POST
def poll_reveal(request: HttpRequest, session_id: int, poll_id: int) -> HttpResponse:
    return _poll_control(request, session_id, poll_id, reveal)


@login_required
@require_POST
def poll_scores(request: HttpRequest, session_id: int) -> HttpResponse:
    session = session_for_instructor(request, session_id)
    try:
        set_show_scores(session, request.POST.get("show") in ("1", "on", "true"), request.user)
    except SessionError as error:
        return _refused(request, session, error)
    if _wants_json(request):
        return JsonResponse(current_state(session, request.user))
    return redirect("classroom:polls", session.pk)


@login_required
@require_POST
def poll_answer(request: HttpRequest, session_id: int, poll_id: int) -> JsonResponse:
    session = session_for_viewer(request, session_id)
    poll = Poll.objects.select_related("session").filter(pk=poll_id).first()
    if poll is None:
        return JsonResponse({"error": _("There is no such poll.")}, status=404)
    if poll.session_id != session.pk:
        return JsonResponse({"error": _("That poll belongs to another session.")}, status=403)
    try:
        give_answer(poll, request.user, choice=request.POST.get("choice"), value=request.POST.get("value"))
    except SessionError as error:
        return JsonResponse({"error": error.message, "field": error.field}, status=error.status)
    return JsonResponse(current_state(session, request.user))


@login_required
@require_GET
def poll_current(request: HttpRequest, session_id: int) -> JsonResponse:
    session = session_for_viewer(request, session_id)
    return JsonResponse(current_state(session, request.user))


urlpatterns = [
    path("classroom/<int:session_id>/polls/", polls, name="polls"),
    path("classroom/<int:session_id>/polls/open/", poll_open, name="poll-open"),
    path("classroom/<int:session_id>/polls/current.json", poll_current, name="poll-current"),
    path("classroom/<int:session_id>/polls/scores/", poll_scores, name="poll-scores"),
    path("classroom/<int:session_id>/polls/<int:poll_id>/close/", poll_close, name="poll-close"),
    path("classroom/<int:session_id>/polls/<int:poll_id>/reveal/", poll_reveal, name="poll-reveal"),
    path("classroom/<int:session_id>/polls/<int:poll_id>/answer/", poll_answer, name="poll-answer"),
]
