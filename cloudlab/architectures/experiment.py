"""VM vs Container (issue 12, item 3): the two stacks side by side, and the experiment a student
runs on a cloud of their own (``experiment_cloud``): N copies of one workload per kind, launched
through the Launch dialog's writer and built by the worker, charted live from ``experiment_data``.

Views only parse, call the writer and render: ``run`` and ``reset`` answer JSON to the page's
script (the page then follows the new project's stream) and a redirect to a form without script.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cloudlab.compute.actions.errors import ActionError
from cloudlab.dashboard.current import current_project

from . import experiment_cloud, experiment_data


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _page_data(request: HttpRequest) -> dict[str, object]:
    project = experiment_cloud.experiment_project(request.user)  # type: ignore[arg-type]
    snapshot = experiment_data.snapshot(project)
    return {
        "streams": list(snapshot["streams"]),
        "snapshot_url": reverse("architectures:containers-data"),
        "run_url": reverse("architectures:containers-run"),
        "reset_url": reverse("architectures:containers-reset"),
        "snapshot": snapshot,
    }


@login_required
@require_GET
def page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "architectures/experiment.html",
        {
            "page": _page_data(request),
            "default_copies": experiment_cloud.DEFAULT_COPIES,
            "max_copies": experiment_cloud.MAX_COPIES,
            "kind_spec": experiment_cloud.KIND_SPEC,
            "kind_key": experiment_cloud.KIND_KEY,
        },
    )


@login_required
@require_GET
def data(request: HttpRequest) -> JsonResponse:
    """The snapshot the charts read (and refetch when the stream says an instance settled)."""
    return JsonResponse(experiment_data.snapshot(experiment_cloud.experiment_project(request.user)))  # type: ignore[arg-type]


def _answer(request: HttpRequest, done: str) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"ok": True, "message": done, "page": _page_data(request)}, status=202)
    messages.success(request, done)
    return redirect("architectures:containers")


def _refused(request: HttpRequest, error: ActionError) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"ok": False, "field": error.field, "message": error.message}, status=error.status)
    messages.error(request, error.message)
    return redirect("architectures:containers")


def _course_illustrative(request: HttpRequest) -> dict[str, float]:
    """The illustrative start times the instructor set on the cloud the student works in."""
    course = current_project(request)
    return dict(course.cloud.illustrative_start_seconds) if course is not None else {}


@login_required
@require_POST
def run(request: HttpRequest) -> HttpResponse:
    try:
        started = experiment_cloud.do_run(
            request.user,  # type: ignore[arg-type]
            request.POST.get("copies", ""),
            illustrative=_course_illustrative(request),
        )
    except ActionError as error:
        return _refused(request, error)
    done = _("The experiment started on a fresh cloud: %(launched)d launches, %(copies)d of each kind.") % {
        "launched": started.launched,
        "copies": started.copies,
    }
    return _answer(request, done)


@login_required
@require_POST
def reset(request: HttpRequest) -> HttpResponse:
    try:
        experiment_cloud.do_reset(request.user, illustrative=_course_illustrative(request))  # type: ignore[arg-type]
    except ActionError as error:
        return _refused(request, error)
    return _answer(request, _("Your experiment cloud is fresh again: four empty hosts."))


urlpatterns = [
    path("learn/vm-vs-container/", page, name="containers"),
    path("learn/vm-vs-container/data/", data, name="containers-data"),
    path("learn/vm-vs-container/run/", run, name="containers-run"),
    path("learn/vm-vs-container/reset/", reset, name="containers-reset"),
]
