"""The instructor's side: publish an assignment to a course, grade now or regrade, release the
grades, the gradebook (students × tasks, totals, late marks) and its CSV, and one student's
submission with per-task overrides and an extension. Everything here is refused to anyone who
does not teach the assignment's course (403 naming why)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cloudlab.compute.actions.errors import ActionError

from .. import grading, present, work
from ..models import Assignment, Submission, TaskResult


def _teacher_only(request: HttpRequest, assignment: Assignment) -> HttpResponse | None:
    if work.may_teach(request.user, assignment):
        return None
    return HttpResponseForbidden(_("Only the course's instructors can manage this assignment."))


def _fail(request: HttpRequest, error: ActionError, slug: str) -> HttpResponse:
    if error.status == 403:
        return HttpResponseForbidden(error.message)
    messages.warning(request, error.message)
    return redirect("assignments:manage", slug=slug)


@login_required
def manage(request: HttpRequest, slug: str) -> HttpResponse:
    assignment = get_object_or_404(Assignment, slug=slug)
    if (refused := _teacher_only(request, assignment)) is not None:
        return refused
    tasks, rows = grading.gradebook(assignment)
    context = {
        "assignment": assignment,
        "title": present.title(assignment),
        "courses": work.taught_courses(request.user),
        "tasks": [
            {"key": t.key, "title": present.pick(t.title), "points": t.points, "visible": t.visible} for t in tasks
        ],
        "rows": rows,
        "total_points": sum(t.points for t in tasks),
    }
    return render(request, "assignments/manage.html", context)


@login_required
@require_POST
def publish(request: HttpRequest, slug: str) -> HttpResponse:
    assignment = get_object_or_404(Assignment, slug=slug)
    if (refused := _teacher_only(request, assignment)) is not None:
        return refused
    chosen = request.POST.get("course", "")
    course = work.taught_courses(request.user).filter(pk=int(chosen)).first() if chosen.isdigit() else None
    try:
        assignment = work.do_publish(request.user, assignment, course)
    except ActionError as e:
        return _fail(request, e, slug)
    count = work.course_students(assignment.course).count() if assignment.course else 0
    messages.success(
        request, _("Published to %(course)s: %(count)d students.") % {"course": assignment.course, "count": count}
    )
    return redirect("assignments:manage", slug=slug)


@login_required
@require_POST
def grade_now(request: HttpRequest, slug: str) -> HttpResponse:
    assignment = get_object_or_404(Assignment, slug=slug)
    try:
        count = grading.grade_assignment(request.user, assignment)
    except ActionError as e:
        return _fail(request, e, slug)
    messages.success(request, _("Graded %(count)d submissions.") % {"count": count})
    return redirect("assignments:manage", slug=slug)


@login_required
@require_POST
def release(request: HttpRequest, slug: str) -> HttpResponse:
    assignment = get_object_or_404(Assignment, slug=slug)
    released = request.POST.get("released") == "1"
    try:
        grading.do_release(request.user, assignment, released)
    except ActionError as e:
        return _fail(request, e, slug)
    messages.success(request, _("Grades released to students.") if released else _("Grades hidden from students."))
    return redirect("assignments:manage", slug=slug)


@login_required
def grades_csv(request: HttpRequest, slug: str) -> HttpResponse:
    assignment = get_object_or_404(Assignment, slug=slug)
    if (refused := _teacher_only(request, assignment)) is not None:
        return refused
    response = HttpResponse(grading.csv_export(assignment).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{assignment.slug}-grades.csv"'
    return response


def _submission(slug: str, pk: int) -> Submission:
    return get_object_or_404(Submission.objects.select_related("assignment", "student"), pk=pk, assignment__slug=slug)


@login_required
def submission_page(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    submission = _submission(slug, pk)
    if (refused := _teacher_only(request, submission.assignment)) is not None:
        return refused
    results = {r.task_id: r for r in submission.results.select_related("task")}
    tasks = [
        {"task": t, "title": present.pick(t.title), "result": results.get(t.pk)}
        for t in submission.assignment.tasks.current()
    ]
    context = {
        "assignment": submission.assignment,
        "title": present.title(submission.assignment),
        "submission": submission,
        "deadline": work.deadline(submission),
        "tasks": tasks,
        "feedback": {pk: present.pick(r.feedback) for pk, r in results.items()},
    }
    return render(request, "assignments/submission.html", context)


@login_required
@require_POST
def override(request: HttpRequest, slug: str, pk: int, task: str) -> HttpResponse:
    submission = _submission(slug, pk)
    if (refused := _teacher_only(request, submission.assignment)) is not None:
        return refused
    result = get_object_or_404(TaskResult.objects.select_related("task"), submission=submission, task__key=task)
    try:
        if request.POST.get("clear") == "1":
            grading.do_clear_override(request.user, result)
        else:
            grading.do_override(request.user, result, request.POST.get("score", ""), request.POST.get("comment", ""))
    except ActionError as e:
        messages.warning(request, e.message)
    else:
        messages.success(request, _("Score of %(task)s saved.") % {"task": task})
    return redirect("assignments:submission", slug=slug, pk=pk)


@login_required
@require_POST
def extend(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    submission = _submission(slug, pk)
    if (refused := _teacher_only(request, submission.assignment)) is not None:
        return refused
    try:
        submission = grading.do_extend(request.user, submission, request.POST.get("days"), request.POST.get("until"))
    except ActionError as e:
        messages.warning(request, e.message)
    else:
        messages.success(
            request,
            _("%(student)s's deadline is now %(deadline)s.")
            % {
                "student": submission.student.get_username(),
                "deadline": timezone.localtime(work.deadline(submission)).strftime("%Y-%m-%d %H:%M"),
            },
        )
    return redirect("assignments:submission", slug=slug, pk=pk)


urlpatterns = [
    path("assignments/<slug:slug>/manage/", manage, name="manage"),
    path("assignments/<slug:slug>/publish/", publish, name="publish"),
    path("assignments/<slug:slug>/grade/", grade_now, name="grade"),
    path("assignments/<slug:slug>/release/", release, name="release"),
    path("assignments/<slug:slug>/grades.csv", grades_csv, name="csv"),
    path("assignments/<slug:slug>/submissions/<int:pk>/", submission_page, name="submission"),
    path("assignments/<slug:slug>/submissions/<int:pk>/override/<slug:task>/", override, name="override"),
    path("assignments/<slug:slug>/submissions/<int:pk>/extend/", extend, name="extend"),
]
