"""The student's side: Assignments (the list), one assignment's page (instructions, tasks,
questions, "Check my work", the feedback and, once released, the grades), opening the sandbox
in the dashboard, and resetting it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cloudlab.compute.actions.errors import ActionError
from cloudlab.dashboard.current import set_current_project

from .. import present, work
from ..models import Assignment, Submission


@login_required
def assignment_list(request: HttpRequest) -> HttpResponse:
    mine = {s.assignment_id: s for s in Submission.objects.filter(student=request.user)}
    working = [
        {
            "assignment": a,
            "title": present.title(a),
            "submission": mine.get(a.pk),
            "deadline": _deadline(a, mine.get(a.pk)),
        }
        for a in work.assignments_for_student(request.user).order_by("due_at", "slug")
    ]
    teaching = [
        {"assignment": a, "title": present.title(a)}
        for a in Assignment.objects.order_by("due_at", "slug")
        if work.may_teach(request.user, a)
    ]
    return render(request, "assignments/list.html", {"working": working, "teaching": teaching})


def _deadline(assignment: Assignment, submission: Submission | None) -> object:
    return work.deadline(submission) if submission is not None else assignment.due_at


def _mine(request: HttpRequest, slug: str) -> tuple[Assignment, Submission]:
    assignment = get_object_or_404(Assignment, slug=slug)
    if not work.may_work(request.user, assignment):
        raise Http404("No such assignment for you.")
    try:
        return assignment, work.open_submission(request.user, assignment)
    except ActionError as e:
        raise Http404(e.message) from None


@login_required
def assignment_page(request: HttpRequest, slug: str) -> HttpResponse:
    assignment = get_object_or_404(Assignment, slug=slug)
    if not work.may_work(request.user, assignment):
        if work.may_teach(request.user, assignment):
            return redirect("assignments:manage", slug=slug)
        raise Http404("No such assignment for you.")
    assignment, submission = _mine(request, slug)
    context = {
        "assignment": assignment,
        "submission": submission,
        "view": present.student_view(assignment, submission),
    }
    return render(request, "assignments/assignment.html", context)


def _fail(request: HttpRequest, error: ActionError, slug: str) -> HttpResponse:
    if error.status == 403:
        return HttpResponseForbidden(error.message)
    if error.status == 404:
        raise Http404(error.message)
    messages.warning(request, error.message)
    return redirect("assignments:assignment", slug=slug)


@login_required
@require_POST
def check_my_work(request: HttpRequest, slug: str) -> HttpResponse:
    _assignment, submission = _mine(request, slug)
    try:
        outcomes = work.do_check(request.user, submission)
    except ActionError as e:
        return _fail(request, e, slug)
    passed = sum(1 for o in outcomes if o.get("passed"))
    messages.info(
        request, _("Checked: %(passed)d of %(total)d visible tasks pass.") % {"passed": passed, "total": len(outcomes)}
    )
    return redirect(f"{_url(slug)}#feedback")


@login_required
@require_POST
def save_answers(request: HttpRequest, slug: str) -> HttpResponse:
    _assignment, submission = _mine(request, slug)
    try:
        work.do_answer(request.user, submission, request.POST)
    except ActionError as e:
        return _fail(request, e, slug)
    messages.success(request, _("Your answers are saved."))
    return redirect(f"{_url(slug)}#questions")


@login_required
@require_POST
def open_sandbox(request: HttpRequest, slug: str) -> HttpResponse:
    _assignment, submission = _mine(request, slug)
    project = work.sandbox_project(submission)
    if project is None:
        raise Http404("The sandbox is gone; reset it to get a fresh one.")
    set_current_project(request, project)
    return redirect("dashboard:instances")


@login_required
@require_POST
def reset_sandbox(request: HttpRequest, slug: str) -> HttpResponse:
    _assignment, submission = _mine(request, slug)
    try:
        submission = work.do_reset_sandbox(request.user, submission, request.POST.get("confirm", ""))
    except ActionError as e:
        return _fail(request, e, slug)
    project = work.sandbox_project(submission)
    if project is not None:
        set_current_project(request, project)  # the old sandbox's project is gone
    messages.success(request, _("Your sandbox is a fresh copy of the scenario."))
    return redirect("assignments:assignment", slug=slug)


def _url(slug: str) -> str:
    return reverse("assignments:assignment", kwargs={"slug": slug})


urlpatterns = [
    path("assignments/", assignment_list, name="list"),
    path("assignments/<slug:slug>/", assignment_page, name="assignment"),
    path("assignments/<slug:slug>/check/", check_my_work, name="check"),
    path("assignments/<slug:slug>/answers/", save_answers, name="answers"),
    path("assignments/<slug:slug>/sandbox/", open_sandbox, name="open-sandbox"),
    path("assignments/<slug:slug>/reset/", reset_sandbox, name="reset"),
]
