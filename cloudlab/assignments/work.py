"""Working an assignment: publishing it to a course, each student's sandbox, "Check my work".

The writers here (``do_*``, each after its ``check_*``) are what the pages, the tests and any
command call; nothing else writes a Submission's sandbox, answers or last check.

* **The course group.** An assignment is published to a *course*: a cloud the instructor teaches
  (``identity.is_instructor`` on it). Its group is every user with the student role in one of
  that cloud's projects (``course_students``), read when asked, so a student enrolled after
  publishing gets the assignment too. Only the course's instructors publish, grade and see
  submissions.
* **The sandbox.** On first open (``open_submission``) the student gets a Submission and a cloud
  of their own, ``asg<assignment id>-u<user id>``, built from the assignment's scenario by the
  scenario loader (``create_cloud``), with one project, ``sandbox``, of which the student is the
  only member: the access rules that keep students' projects apart keep their sandboxes apart.
  The student works in it in the normal dashboard (the project picker switches to it).
* **Reset** (``do_reset_sandbox``, confirmed by typing the assignment's ID) replaces that cloud
  with a fresh copy: its instances and their action log go with it, so the history the event
  checks read restarts. The last "Check my work" feedback is cleared (it described a sandbox that
  no longer exists); the answers to questions are kept (they are not sandbox state). A submission
  already graded keeps its grades until the instructor regrades; resetting after one's own
  deadline is refused, so the graded state is not thrown away by accident.
* **Check my work** (``do_check``) runs the *visible* tasks' checks only, on the sandbox's state
  and history; hidden checks are never evaluated here, so nothing of them can leak into feedback.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cloudlab.compute.actions.errors import ActionError
from cloudlab.compute.models import Cloud
from cloudlab.compute.scenarios import create_cloud
from cloudlab.engine.scheduler import parse_scenario
from cloudlab.identity.models import Membership, Project, Quota, Role, is_instructor

from .checks import evaluate
from .definition import TaskDef
from .models import Assignment, Submission, Task
from .snapshot import sandbox_snapshot
from .state import Snapshot

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

#: The only project of every sandbox cloud.
SANDBOX_PROJECT: Final = "sandbox"


# -- who ------------------------------------------------------------------------------------------


def course_students(course: Cloud) -> QuerySet[Any]:
    """The course group: users with the student role in one of ``course``'s projects who do not
    also teach it."""
    teachers = Membership.objects.filter(project__cloud=course, role=Role.INSTRUCTOR).values("user")
    return (
        get_user_model()
        .objects.filter(memberships__project__cloud=course, memberships__role=Role.STUDENT)
        .exclude(pk__in=teachers)
        .distinct()
        .order_by("username")
    )


def may_teach(user: AbstractBaseUser | AnonymousUser, assignment: Assignment) -> bool:
    """Instructors of the course it is published to; before publishing, any instructor."""
    if not user.is_authenticated:
        return False
    if assignment.course_id is not None:
        return is_instructor(user, assignment.course_id)
    return Membership.objects.filter(user=user, role=Role.INSTRUCTOR).exists()


def taught_courses(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Cloud]:
    if not user.is_authenticated:
        return Cloud.objects.none()
    mine = Membership.objects.filter(user=user, role=Role.INSTRUCTOR).values("project__cloud")
    return Cloud.objects.filter(pk__in=mine).order_by("name")


def assignments_for_student(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Assignment]:
    """Published assignments of every course ``user`` is a student of."""
    if not user.is_authenticated:
        return Assignment.objects.none()
    courses = Membership.objects.filter(user=user, role=Role.STUDENT).values("project__cloud")
    return Assignment.objects.filter(published=True, course__in=courses).exclude(
        course__in=Membership.objects.filter(user=user, role=Role.INSTRUCTOR).values("project__cloud")
    )


def may_work(user: AbstractBaseUser | AnonymousUser, assignment: Assignment) -> bool:
    return assignments_for_student(user).filter(pk=assignment.pk).exists()


# -- publishing -----------------------------------------------------------------------------------


def check_publish(user: AbstractBaseUser, assignment: Assignment, course: Cloud | None) -> Cloud:
    if course is None:
        raise ActionError(_("Choose the course (a cloud you teach) to publish the assignment to."), "course")
    if not is_instructor(user, course.pk):
        raise ActionError(
            _("Only an instructor of %(course)s can publish an assignment to it.") % {"course": course.name},
            "course",
            status=403,
        )
    if assignment.published and assignment.course_id not in (None, course.pk):
        raise ActionError(
            _("This assignment is already published to %(course)s; students there are working on it.")
            % {"course": assignment.course},
            "course",
            status=409,
        )
    return course


def do_publish(user: AbstractBaseUser, assignment: Assignment, course: Cloud | None) -> Assignment:
    course = check_publish(user, assignment, course)
    with transaction.atomic():
        assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
        assignment.course = course
        assignment.published = True
        assignment.published_at = assignment.published_at or timezone.now()
        assignment.save(update_fields=["course", "published", "published_at"])
    return assignment


# -- the sandbox ----------------------------------------------------------------------------------


def sandbox_name(assignment: Assignment, user: AbstractBaseUser) -> str:
    return f"asg{assignment.pk}-u{user.pk}"


def sandbox_project(submission: Submission) -> Project | None:
    if submission.sandbox_id is None:
        return None
    return Project.objects.filter(cloud_id=submission.sandbox_id, name=SANDBOX_PROJECT).select_related("cloud").first()


def _build_sandbox(assignment: Assignment, user: AbstractBaseUser) -> Cloud:
    """A fresh sandbox cloud from the assignment's scenario; ``user`` the only member of its
    project (replacing the old one, if any)."""
    scenario = replace(parse_scenario(assignment.definition["scenario"]), name=sandbox_name(assignment, user))
    cloud = create_cloud(scenario, replace=True)
    project, _created = Project.objects.get_or_create(cloud=cloud, name=SANDBOX_PROJECT)
    Quota.objects.get_or_create(project=project)
    Membership.objects.filter(project__cloud=cloud).exclude(user=user, project=project).delete()
    Membership.objects.get_or_create(user=user, project=project, defaults={"role": Role.STUDENT})
    return cloud


def open_submission(user: AbstractBaseUser, assignment: Assignment) -> Submission:
    """The student's submission, created with its sandbox on first open (refused to anyone the
    assignment is not published to)."""
    if not may_work(user, assignment):
        raise ActionError(_("This assignment is not published to a course you are a student of."), status=404)
    with transaction.atomic():
        submission, _created = Submission.objects.select_for_update().get_or_create(assignment=assignment, student=user)
        if submission.sandbox_id is None:
            submission.sandbox = _build_sandbox(assignment, user)
            submission.save(update_fields=["sandbox"])
    return submission


def deadline(submission: Submission) -> datetime:
    """The student's own due date: the assignment's, or the extension's."""
    return submission.extended_until or submission.assignment.due_at


def check_reset(submission: Submission, confirmation: str) -> None:
    slug = submission.assignment.slug
    if (confirmation or "").strip() != slug:
        raise ActionError(
            _("To reset your sandbox, type the assignment's ID, %(slug)s, to confirm.") % {"slug": slug},
            "confirm",
        )
    if submission.graded_at is not None and timezone.now() >= deadline(submission):
        raise ActionError(_("Your work was graded after the due date; the sandbox can no longer be reset."), status=409)


def do_reset_sandbox(user: AbstractBaseUser, submission: Submission, confirmation: str) -> Submission:
    """A fresh copy of the scenario: the old sandbox, its instances and their history go."""
    if submission.student_id != user.pk:
        raise ActionError(_("This is not your submission."), status=404)
    check_reset(submission, confirmation)
    with transaction.atomic():
        submission = Submission.objects.select_for_update().select_related("assignment").get(pk=submission.pk)
        submission.sandbox = _build_sandbox(submission.assignment, user)
        submission.last_check = []
        submission.checked_at = None
        submission.save(update_fields=["sandbox", "last_check", "checked_at"])
    return submission


# -- working --------------------------------------------------------------------------------------


def snapshot_of(submission: Submission) -> Snapshot:
    """The sandbox as checks read it (an empty one if the sandbox is gone), with the answers."""
    project = sandbox_project(submission)
    if project is None:
        return Snapshot(answers=dict(submission.answers))
    return sandbox_snapshot(project.cloud, project, submission.answers)


def visible_tasks(assignment: Assignment) -> list[Task]:
    return list(assignment.tasks.current().filter(visible=True))


def do_check(user: AbstractBaseUser, submission: Submission) -> list[dict[str, Any]]:
    """Run the visible tasks' checks on the sandbox; store and return what the student sees."""
    if submission.student_id != user.pk:
        raise ActionError(_("This is not your submission."), status=404)
    snapshot = snapshot_of(submission)
    tasks = visible_tasks(submission.assignment)
    outcomes = [evaluate(TaskDef.from_row(t), snapshot).for_student(released=False) for t in tasks]
    submission.last_check = outcomes
    submission.checked_at = timezone.now()
    submission.save(update_fields=["last_check", "checked_at"])
    return outcomes


def check_answers(submission: Submission, data: Mapping[str, Any]) -> dict[str, Any]:
    """The answers in ``data`` (``answer-<task id>`` fields) for the visible questions, each a
    choice's index or a finite number; blank clears an answer. Refuses any other field."""
    questions = {t.key: t for t in visible_tasks(submission.assignment) if t.kind == Task.Kind.QUESTION}
    answers = dict(submission.answers)
    for name, raw in data.items():
        if not name.startswith("answer-"):
            continue
        key = name.removeprefix("answer-")
        task = questions.get(key)
        if task is None:
            raise ActionError(_("There is no question %(id)s to answer in this assignment.") % {"id": key[:64]}, name)
        value = str(raw).strip()
        q = task.check_spec["question"]
        if not value:
            answers.pop(key, None)
        elif q["type"] == "choice":
            if not value.isdigit() or not 0 <= int(value) < len(q["choices"]):
                raise ActionError(_("Choose one of the choices for “%(title)s”.") % {"title": _title(task)}, name)
            answers[key] = int(value)
        else:
            try:
                number = float(value.replace("，", ".").replace(",", "."))
            except ValueError:
                number = math.nan
            if not math.isfinite(number):
                raise ActionError(
                    _("The answer to “%(title)s” must be a number; “%(value)s” is not one.")
                    % {"title": _title(task), "value": value[:40]},
                    name,
                )
            answers[key] = number
    return answers


def do_answer(user: AbstractBaseUser, submission: Submission, data: Mapping[str, Any]) -> Submission:
    if submission.student_id != user.pk:
        raise ActionError(_("This is not your submission."), status=404)
    answers = check_answers(submission, data)
    submission.answers = answers
    submission.answered_at = timezone.now()
    submission.save(update_fields=["answers", "answered_at"])
    return submission


def _title(task: Task) -> str:
    lang = "zh-hans" if (get_language() or "").lower().startswith("zh") else "en"
    return str(task.title.get(lang) or task.title.get("en") or task.key)


def submission_for_sandbox(project: Project | None) -> Submission | None:
    """The submission whose sandbox ``project`` is (the dashboard's banner)."""
    if project is None or project.name != SANDBOX_PROJECT:
        return None
    return Submission.objects.filter(sandbox_id=project.cloud_id).select_related("assignment").first()
