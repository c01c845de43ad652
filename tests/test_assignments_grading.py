"""Grading: every task on the sandbox's state and history, the late policy from the submission
time, extensions (days or a date), overrides kept across regrades, grading what is due once,
releasing grades, the gradebook's CSV, and who may do any of it."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cloudlab.assignments import grading
from cloudlab.assignments.loader import load_assignment
from cloudlab.assignments.models import Assignment, Submission, TaskResult
from cloudlab.assignments.work import do_publish, open_submission
from cloudlab.celery import app
from cloudlab.compute.actions.errors import ActionError
from cloudlab.compute.actions.instance import do_instance_action
from tests.test_assignments_work import launch_in

# The example's scenario presets usage on compute2 that no instance accounts for (on purpose).
pytestmark = pytest.mark.books_unbalanced

EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "assignments" / "example.yaml"
SLUG = "example-scheduler"


@pytest.fixture
def assignment(demo_cloud: Any, ivy: Any) -> Assignment:
    return do_publish(ivy, load_assignment(EXAMPLE), demo_cloud)


def due_days_ago(assignment: Assignment, days: float) -> None:
    Assignment.objects.filter(pk=assignment.pk).update(due_at=timezone.now() - timedelta(days=days))


def stopped_web_1(user: Any, assignment: Assignment) -> Submission:
    """The student's sandbox with web-1 launched and stopped: the visible "stopped" task passes."""
    from tests import steps

    submission = open_submission(user, assignment)
    web = launch_in(submission, "web-1", "m1.small")
    do_instance_action(user, web, "stop", {})
    steps.run_to_end(web, "stop")
    return Submission.objects.get(pk=submission.pk)


def scores(submission: Submission) -> dict[str, float]:
    return {r.task.key: r.final_score for r in TaskResult.objects.filter(submission=submission).select_related("task")}


def client_of(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_on_time_work_scores_its_points_hidden_tasks_included(assignment: Assignment, alice: Any) -> None:
    submission = stopped_web_1(alice, assignment)  # the due date is ahead only once moved there
    Assignment.objects.filter(pk=assignment.pk).update(due_at=timezone.now() + timedelta(hours=1))
    grading.grade(Submission.objects.get(pk=submission.pk))
    got = scores(submission)
    assert got["stopped"] == 2.0 and got["spread"] == 0.0
    assert got["headroom"] == 2.0  # hidden: no host near its RAM limit
    assert Submission.objects.get(pk=submission.pk).late_days == 0


def test_late_work_loses_ten_percent_a_started_day(assignment: Assignment, alice: Any) -> None:
    submission = stopped_web_1(alice, assignment)
    due_days_ago(assignment, 2.5)
    grading.grade(Submission.objects.get(pk=submission.pk))
    graded = Submission.objects.get(pk=submission.pk)
    assert graded.late_days == 3
    assert scores(submission)["stopped"] == pytest.approx(2 * 0.7)


def test_work_later_than_the_policy_allows_scores_nothing(assignment: Assignment, alice: Any) -> None:
    submission = stopped_web_1(alice, assignment)
    due_days_ago(assignment, 3.5)
    grading.grade(Submission.objects.get(pk=submission.pk))
    assert Submission.objects.get(pk=submission.pk).late_days == 4
    assert set(scores(submission).values()) == {0.0}


def test_an_extension_in_days_or_to_a_date_moves_the_deadline(assignment: Assignment, alice: Any, ivy: Any) -> None:
    submission = stopped_web_1(alice, assignment)
    due_days_ago(assignment, 2.5)
    submission = Submission.objects.select_related("assignment").get(pk=submission.pk)
    grading.do_extend(ivy, submission, days="3")
    grading.grade(submission)
    assert Submission.objects.get(pk=submission.pk).late_days == 0
    assert scores(submission)["stopped"] == 2.0

    until = timezone.localtime(submission.assignment.due_at + timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    grading.do_extend(ivy, submission, until=until)
    grading.grade(submission)
    assert Submission.objects.get(pk=submission.pk).late_days == 2
    assert scores(submission)["stopped"] == pytest.approx(2 * 0.8)


@pytest.mark.parametrize(
    ("days", "until", "message"),
    [
        ("three", None, "whole number of days from 0 to 365; “three” is not one"),
        ("2", "2026-07-01", "either in days or as a date, not both"),
        (None, None, "either in days or as a date, not both and not neither"),
        (None, "next week", "“next week” is not a date"),
        (None, "2020-01-01", "must end after the due date"),
    ],
)
def test_a_bad_extension_is_refused_with_its_reason(
    assignment: Assignment, alice: Any, ivy: Any, days: Any, until: Any, message: str
) -> None:
    submission = open_submission(alice, assignment)
    with pytest.raises(ActionError, match=message):
        grading.do_extend(ivy, submission, days=days, until=until)
    assert Submission.objects.get(pk=submission.pk).extended_until is None


def test_an_override_with_its_comment_survives_a_regrade(assignment: Assignment, alice: Any, ivy: Any) -> None:
    submission = stopped_web_1(alice, assignment)
    Assignment.objects.filter(pk=assignment.pk).update(due_at=timezone.now() + timedelta(hours=1))
    grading.grade(Submission.objects.get(pk=submission.pk))
    spread = TaskResult.objects.get(submission=submission, task__key="spread")
    with pytest.raises(ActionError, match="Say why"):
        grading.do_override(ivy, spread, "3", "")
    with pytest.raises(ActionError, match="from 0 to 4"):
        grading.do_override(ivy, spread, "5", "generous")
    grading.do_override(ivy, spread, "3", "two hosts were down in class")
    assert grading.grade_assignment(ivy, Assignment.objects.get(pk=assignment.pk)) == 1
    spread.refresh_from_db()
    assert (spread.score, spread.final_score, spread.override_comment) == (0.0, 3.0, "two hosts were down in class")
    _tasks, rows = grading.gradebook(assignment)
    assert {r.student.username: r.total for r in rows}["alice"] == 3.0 + 2.0 + 2.0  # spread, stopped, headroom


def test_due_submissions_are_graded_once(assignment: Assignment, alice: Any, bob: Any, ivy: Any) -> None:
    open_submission(alice, assignment)
    open_submission(bob, assignment)
    Assignment.objects.filter(pk=assignment.pk).update(due_at=timezone.now() + timedelta(hours=1))
    assert grading.grade_due() == 0
    later = timezone.now() + timedelta(hours=2)
    assert grading.grade_due(later) == 2
    assert grading.grade_due(later) == 0
    bobs = Submission.objects.select_related("assignment").get(student=bob)
    grading.do_extend(ivy, bobs, days="2")  # his deadline moves past the grading: graded again then
    assert grading.grade_due(later) == 0
    assert grading.grade_due(later + timedelta(days=2)) == 1


def test_the_beat_grades_due_assignments() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["grade-due-assignments"]
    assert entry["task"] in app.tasks


def test_the_csv_has_a_row_per_student_with_per_task_scores(assignment: Assignment, alice: Any, ivy: Any) -> None:
    submission = stopped_web_1(alice, assignment)
    due_days_ago(assignment, 1.5)
    grading.grade(Submission.objects.get(pk=submission.pk))
    response = client_of(ivy).get(reverse("assignments:csv", kwargs={"slug": SLUG}))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))
    keys = [t.key for t in assignment.tasks.current()]
    assert list(rows[0]) == [*grading.CSV_HEAD, *keys, "total"]
    by_student = {r["student"]: r for r in rows}
    assert set(by_student) == {"alice", "bob"}
    assert by_student["alice"]["stopped"] == "1.6" and by_student["alice"]["late_days"] == "2"
    assert by_student["alice"]["total"] == "3.2"  # stopped and headroom, each 2 × 0.8
    assert by_student["bob"]["status"] == "not started" and by_student["bob"]["total"] == "0"


def test_students_see_their_grades_only_once_released(assignment: Assignment, alice: Any, ivy: Any) -> None:
    submission = stopped_web_1(alice, assignment)
    grading.grade(Submission.objects.get(pk=submission.pk))
    url = reverse("assignments:assignment", kwargs={"slug": SLUG})
    before = client_of(alice).get(url).content.decode()
    assert 'id="grades"' not in before and "No host above 80" not in before
    client_of(ivy).post(reverse("assignments:release", kwargs={"slug": SLUG}), {"released": "1"})
    after = client_of(alice).get(url).content.decode()
    assert 'id="grades"' in after and "No host above 80 % of its RAM limit" in after


def test_a_student_cannot_grade_or_read_the_gradebook(assignment: Assignment, alice: Any, bob: Any) -> None:
    mine = open_submission(alice, assignment)
    grading.grade(mine)
    c = client_of(bob)
    urls = [
        ("get", reverse("assignments:manage", kwargs={"slug": SLUG}), {}),
        ("get", reverse("assignments:csv", kwargs={"slug": SLUG}), {}),
        ("get", reverse("assignments:submission", kwargs={"slug": SLUG, "pk": mine.pk}), {}),
        ("post", reverse("assignments:grade", kwargs={"slug": SLUG}), {}),
        ("post", reverse("assignments:release", kwargs={"slug": SLUG}), {"released": "1"}),
        ("post", reverse("assignments:extend", kwargs={"slug": SLUG, "pk": mine.pk}), {"days": "5"}),
        (
            "post",
            reverse("assignments:override", kwargs={"slug": SLUG, "pk": mine.pk, "task": "spread"}),
            {"score": "4", "comment": "x"},
        ),
    ]
    for method, url, data in urls:
        response = getattr(c, method)(url, data)
        assert response.status_code == 403, url
    assert not Assignment.objects.get(pk=assignment.pk).grades_released
    assert Submission.objects.get(pk=mine.pk).extended_until is None
    assert TaskResult.objects.get(submission=mine, task__key="spread").override_score is None


def test_a_student_never_reaches_another_students_sandbox(assignment: Assignment, alice: Any, bob: Any) -> None:
    alices = open_submission(alice, assignment)
    c = client_of(bob)
    c.get(reverse("assignments:assignment", kwargs={"slug": SLUG}))
    alices_project = alices.sandbox.projects.get()
    response = c.post(reverse("dashboard:switch-project"), {"project": alices_project.pk})
    assert response.status_code == 404
    assert Submission.objects.get(student=bob).sandbox_id != alices.sandbox_id
