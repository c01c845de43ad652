"""After class: a session's summary (its participants, their launches and how each ended, their
answers and scores; the polls with their distributions, each reveal's stages) and its CSV.

The CSV is UTF-8 with a byte-order mark (Excel then reads Chinese nicknames correctly) and has
one row per participant (``row`` = ``participant``) and one per answer (``row`` = ``answer``):

``row, nickname, guest, project, joined_at, instances, active, errors, score, correct_answers,
poll, question, answer, correct, points, answered_at``

A participant row fills the first ten columns (``instances`` launched in their project, how many
are ``active``, how many ended in ``error``; their ``score`` and count of correct answers); an
answer row repeats the nickname and fills the poll's number, its question, the answer given, whether
it was correct (``yes``/``no``, empty before the reveal), its points and when it was given."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from cloudlab.compute.models import Instance
from cloudlab.engine.scheduler import replay_stages

from ..models import Answer, ClassSession, Poll, PollState
from ..polls import distribution, scores
from ._common import session_for_instructor
from .polls import choice_label, question_text, request_text


def funnel(poll: Poll) -> list[dict[str, Any]]:
    """The reveal's stages for the first instance, as the summary lists them (the Polls page and
    the student's page play them as the scheduling view's funnel)."""
    out: list[dict[str, Any]] = []
    for stage in replay_stages(poll.trace or {}):  # type: ignore[arg-type]
        if stage["instance"] != 0:
            continue
        kind = stage["kind"]
        if kind == "filter":
            out.append({"kind": kind, "name": stage["name"], "removed": stage["removed"]})
        elif kind == "weighing":
            out.append({"kind": kind, "hosts": [{"host": h["host"], "weight": h["weight"]} for h in stage["hosts"]]})
        elif kind == "selected":
            out.append({"kind": kind, "host": stage["host"]})
        else:
            out.append({"kind": "no_valid_host"})
    return out


CSV_COLUMNS = [
    "row",
    "nickname",
    "guest",
    "project",
    "joined_at",
    "instances",
    "active",
    "errors",
    "score",
    "correct_answers",
    "poll",
    "question",
    "answer",
    "correct",
    "points",
    "answered_at",
]


def participant_rows(session: ClassSession) -> list[dict[str, Any]]:
    """Each participant with their launches (by how they ended) and their score."""
    by_id = {s["id"]: s for s in scores(session)}
    launched = {
        row["project_id"]: row
        for row in Instance.objects.filter(project__participants__session=session)
        .values("project_id")
        .annotate(
            total=Count("pk", distinct=True),
            active=Count("pk", filter=Q(vm_state="active"), distinct=True),
            errors=Count("pk", filter=Q(vm_state="error"), distinct=True),
        )
    }
    rows = []
    for p in session.participants.select_related("project"):
        mine = launched.get(p.project_id, {})
        rows.append(
            {
                "participant": p,
                "instances": mine.get("total", 0),
                "active": mine.get("active", 0),
                "errors": mine.get("errors", 0),
                "score": by_id.get(p.pk, {}).get("score", 0),
                "correct": by_id.get(p.pk, {}).get("correct", 0),
                "launches": list(
                    Instance.objects.filter(project_id=p.project_id)
                    .order_by("created_at")
                    .values("uuid", "name", "vm_state", "host__name", "fault")
                ),
            }
        )
    return rows


def poll_rows(session: ClassSession) -> list[dict[str, Any]]:
    rows = []
    for poll in session.polls.select_related("flavor", "image", "session"):
        counts = distribution(poll)
        rows.append(
            {
                "poll": poll,
                "question": question_text(poll),
                "request": request_text(poll),
                "distribution": [{"label": choice_label(poll, k), "count": n, "value": k} for k, n in counts.items()],
                "correct_label": choice_label(poll, poll.correct) if isinstance(poll.correct, str) else poll.correct,
                "funnel": funnel(poll) if poll.state == PollState.REVEALED else [],
                "revealed": poll.state == PollState.REVEALED,
            }
        )
    return rows


def _answers(session: ClassSession) -> list[Answer]:
    return list(
        Answer.objects.filter(poll__session=session)
        .select_related("participant", "poll", "poll__flavor", "poll__session")
        .order_by("participant__joined_at", "participant__pk", "poll__opened_at", "poll__pk")
    )


@login_required
@require_GET
def summary(request: HttpRequest, session_id: int) -> HttpResponse:
    session = session_for_instructor(request, session_id)
    answers = _answers(session)
    return render(
        request,
        "classroom/summary.html",
        {
            "session": session,
            "participants": participant_rows(session),
            "polls": poll_rows(session),
            "answers": [
                {"answer": a, "label": choice_label(a.poll, a.choice) if a.choice else a.value} for a in answers
            ],
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
@require_GET
def summary_csv(request: HttpRequest, session_id: int) -> HttpResponse:
    session = session_for_instructor(request, session_id)
    writer = csv.writer(_Echo())
    lines = [writer.writerow(CSV_COLUMNS)]
    for row in participant_rows(session):
        p = row["participant"]
        lines.append(
            writer.writerow(
                [
                    "participant",
                    p.nickname,
                    "yes" if p.is_guest else "no",
                    p.project.name,
                    p.joined_at.isoformat(),
                    row["instances"],
                    row["active"],
                    row["errors"],
                    row["score"],
                    row["correct"],
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                ]
            )
        )
    for a in _answers(session):
        given = a.choice if a.choice else ("" if a.value is None else f"{a.value:g}")
        marked = "" if a.correct is None else ("yes" if a.correct else "no")
        lines.append(
            writer.writerow(
                [
                    "answer",
                    a.participant.nickname,
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    a.poll.pk,
                    question_text(a.poll),
                    given,
                    marked,
                    a.points,
                    a.answered_at.isoformat(),
                ]
            )
        )
    body = "\ufeff" + "".join(lines)
    response = HttpResponse(body.encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="session-{session.pk}-{session.code}.csv"'
    return response


urlpatterns = [
    path("classroom/<int:session_id>/summary/", summary, name="summary"),
    path("classroom/<int:session_id>/summary.csv", summary_csv, name="summary-csv"),
]
