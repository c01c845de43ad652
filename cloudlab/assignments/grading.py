"""Grading: every task (hidden included) on a submission's sandbox, the late policy, overrides,
extensions, releasing grades, the gradebook and its CSV.

``grade(submission)`` steps:

1. read the sandbox's state and history and the answers (``work.snapshot_of``);
2. the submission time: the latest of the student's last answer and the last action in the
   sandbox (nothing done: the sandbox's creation); stored as ``submitted_at``;
3. late days: started days from the student's deadline (the due date, or the extension's) to
   the submission time; the late policy's multiplier for them;
4. each current task's check evaluated; its score is ``points × multiplier`` if it passed, else
   0; stored as a TaskResult with feedback in both languages. An instructor's override is kept
   across regrades and replaces the computed score in totals (it is the final word, late
   policy included).

``grade_due(now)`` grades, once, every submission of a published assignment whose deadline has
passed and that was never graded (the Celery beat task runs it); ``grade_assignment`` regrades
every submission on demand. Tasks retired by a re-load keep their old results but count nowhere.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from cloudlab.compute.actions.errors import ActionError
from cloudlab.compute.models import InstanceAction

from . import work
from .checks import evaluate
from .definition import LatePolicy, TaskDef, late_days
from .models import Assignment, Submission, Task, TaskResult

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def _require_teacher(user: AbstractBaseUser, assignment: Assignment) -> None:
    if not work.may_teach(user, assignment):
        raise ActionError(_("Only the course's instructors can grade this assignment."), status=403)


def submission_time(submission: Submission) -> datetime:
    """When the student last worked: the last answer or the last action in the sandbox."""
    times = [t for t in (submission.answered_at,) if t is not None]
    if submission.sandbox_id is not None:
        actions = InstanceAction.objects.filter(instance__cloud_id=submission.sandbox_id)
        last = actions.aggregate(t=Max("start_time"))["t"]
        if last is not None:
            times.append(last)
    return max(times) if times else submission.created_at


def grade(submission: Submission) -> list[TaskResult]:
    """Grade ``submission`` now on every current task; return its results in task order."""
    assignment = submission.assignment
    policy = LatePolicy.from_dict(assignment.late_policy)
    with transaction.atomic():
        submission = Submission.objects.select_for_update().select_related("assignment").get(pk=submission.pk)
        snapshot = work.snapshot_of(submission)
        submitted = submission_time(submission)
        days = late_days(submitted, work.deadline(submission))
        multiplier = policy.multiplier(days)
        results = []
        for task in assignment.tasks.current():
            outcome = evaluate(TaskDef.from_row(task), snapshot)
            result, _created = TaskResult.objects.update_or_create(
                submission=submission,
                task=task,
                defaults={
                    "score": round(outcome.score * multiplier, 4),
                    "passed": outcome.passed,
                    "feedback": {"en": outcome.feedback_en, "zh-hans": outcome.feedback_zh},
                },
            )
            results.append(result)
        submission.submitted_at = submitted
        submission.late_days = days
        submission.graded_at = timezone.now()
        submission.save(update_fields=["submitted_at", "late_days", "graded_at"])
    return results


def grade_assignment(user: AbstractBaseUser, assignment: Assignment) -> int:
    """The instructor's "Grade now" / "Regrade": every submission, now. Returns how many."""
    _require_teacher(user, assignment)
    count = 0
    for submission in assignment.submissions.select_related("assignment"):
        grade(submission)
        count += 1
    return count


def grade_due(now: datetime | None = None) -> int:
    """Grade, once, each never-graded submission of a published assignment past its deadline."""
    now = now or timezone.now()
    count = 0
    pending = Submission.objects.filter(assignment__published=True, graded_at__isnull=True).select_related("assignment")
    for submission in pending:
        if work.deadline(submission) <= now:
            grade(submission)
            count += 1
    return count


# -- the instructor's corrections -----------------------------------------------------------------


def do_override(user: AbstractBaseUser, result: TaskResult, score: Any, comment: str) -> TaskResult:
    """Replace a task's score with ``score`` (0 … its points) and a comment saying why."""
    _require_teacher(user, result.submission.assignment)
    points = result.task.points
    try:
        value = float(str(score).strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not 0 <= value <= points:
        raise ActionError(
            _("The score must be a number from 0 to %(points)s; “%(value)s” is not one.")
            % {"points": _num(points), "value": str(score)[:40]},
            "score",
        )
    comment = (comment or "").strip()
    if not comment:
        raise ActionError(_("Say why you override the score: the student reads the comment."), "comment")
    result.override_score = value
    result.override_comment = comment[:2000]
    result.save(update_fields=["override_score", "override_comment", "graded_at"])
    return result


def do_clear_override(user: AbstractBaseUser, result: TaskResult) -> TaskResult:
    _require_teacher(user, result.submission.assignment)
    result.override_score = None
    result.override_comment = ""
    result.save(update_fields=["override_score", "override_comment", "graded_at"])
    return result


def check_extension(submission: Submission, days: Any = None, until: Any = None) -> datetime | None:
    """The new deadline from ``days`` (whole days after the due date; 0 removes the extension)
    or ``until`` (a date or date-time, in the course's time zone), exactly one of them."""
    due = submission.assignment.due_at
    days_s = str(days or "").strip()
    until_s = str(until or "").strip()
    if bool(days_s) == bool(until_s):
        raise ActionError(_("Give the extension either in days or as a date, not both and not neither."), "days")
    if days_s:
        if not days_s.isdigit() or int(days_s) > 365:
            raise ActionError(
                _("The extension must be a whole number of days from 0 to 365; “%(value)s” is not one.")
                % {"value": days_s[:40]},
                "days",
            )
        return None if int(days_s) == 0 else due + timedelta(days=int(days_s))
    try:
        parsed: datetime | date = datetime.fromisoformat(until_s)
    except ValueError:
        raise ActionError(
            _("“%(value)s” is not a date; write it as 2026-06-08 or 2026-06-08 23:59.") % {"value": until_s[:40]},
            "until",
        ) from None
    if isinstance(parsed, datetime) and len(until_s) <= 10:
        parsed = datetime.combine(parsed.date(), time(23, 59))
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    if parsed <= due:
        raise ActionError(_("An extension must end after the due date."), "until")
    return parsed


def do_extend(user: AbstractBaseUser, submission: Submission, days: Any = None, until: Any = None) -> Submission:
    """Grant (or, with 0 days, remove) an extension. A submission graded before the new deadline
    is marked ungraded again, so the beat grades it once the new deadline passes."""
    _require_teacher(user, submission.assignment)
    new = check_extension(submission, days, until)
    submission.extended_until = new
    extra = 0.0 if new is None else (new - submission.assignment.due_at).total_seconds()
    submission.extension_days = math.ceil(extra / 86400)
    fields = ["extended_until", "extension_days"]
    if submission.graded_at is not None and new is not None and submission.graded_at < new:
        submission.graded_at = None
        fields.append("graded_at")
    submission.save(update_fields=fields)
    return submission


def do_release(user: AbstractBaseUser, assignment: Assignment, released: bool) -> Assignment:
    _require_teacher(user, assignment)
    assignment.grades_released = released
    assignment.save(update_fields=["grades_released"])
    return assignment


# -- the gradebook ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    student: Any
    submission: Submission | None
    results: list[TaskResult | None]  # one per current task, in order

    @property
    def total(self) -> float:
        return round(sum(r.final_score for r in self.results if r is not None), 4)

    @property
    def late(self) -> bool:
        return self.submission is not None and self.submission.late_days > 0


def gradebook(assignment: Assignment) -> tuple[list[Task], list[Row]]:
    """Students × tasks: every student of the course (those who never opened it too)."""
    tasks = list(assignment.tasks.current())
    submissions = {s.student_id: s for s in assignment.submissions.select_related("student")}
    by_pair = {
        (r.submission_id, r.task_id): r
        for r in TaskResult.objects.filter(submission__assignment=assignment).select_related("task")
    }
    students = list(work.course_students(assignment.course)) if assignment.course is not None else []
    known = {s.pk for s in students}
    students += [s.student for s in submissions.values() if s.student_id not in known]
    rows = []
    for student in students:
        sub = submissions.get(student.pk)
        results = [by_pair.get((sub.pk, t.pk)) if sub is not None else None for t in tasks]
        rows.append(Row(student, sub, results))
    return tasks, rows


#: The CSV's columns (docs/assignments.md): fixed ones, then one per task id, then the total.
CSV_HEAD = ("student", "name", "status", "submitted_at", "deadline", "late_days")


def csv_export(assignment: Assignment) -> str:
    """The gradebook as CSV, UTF-8 with a BOM (spreadsheets then read Chinese names right)."""
    tasks, rows = gradebook(assignment)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*CSV_HEAD, *(t.key for t in tasks), "total"])
    for row in rows:
        sub = row.submission
        status = "not started" if sub is None else "graded" if sub.graded_at else "not graded"
        writer.writerow(
            [
                row.student.get_username(),
                row.student.get_full_name(),
                status,
                sub.submitted_at.isoformat() if sub is not None and sub.submitted_at else "",
                (work.deadline(sub) if sub is not None else assignment.due_at).isoformat(),
                sub.late_days if sub is not None else 0,
                *(_num(r.final_score) if r is not None else "" for r in row.results),
                _num(row.total),
            ]
        )
    return "\ufeff" + out.getvalue()


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.4f}".rstrip("0")
