"""The instructor console (issue 13, item 3): the class at a glance as a heat-map of participants,
live, and the controls that change the session's cloud for everyone at once.

Every control is a POST here, refused to anyone but the session's instructors with a 403 page
that says so; each calls the one writer of what it changes (``sessions.set_state`` /
``end_session``, ``classroom.controls``, ``compute.actions.host``, Admin → Scheduler's writer
through its own page) and is announced on the session's stream.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_POST

from cloudlab.compute.actions.errors import ActionError
from cloudlab.compute.actions.host import do_host_action
from cloudlab.compute.host_services import HOST_ACTIONS, available_host_actions
from cloudlab.compute.models import Host
from cloudlab.compute.scenario_export import export_scenario, scenario_yaml
from cloudlab.dashboard.current import set_current_project
from cloudlab.engine.scheduler import ScenarioError
from cloudlab.identity.models import Project, Role
from cloudlab.live.events import cloud_stream, current_seqs

from ..controls import announce, change_pace, reset_cloud
from ..heatmap import tiles
from ..live import session_streams
from ..models import ClassSession, State
from ..sessions import SessionError, end_session, is_session_instructor, set_state
from ._common import live_page

HOST_DONE = {
    "disable": gettext_noop("The compute service of %(host)s is disabled: new instances will not be scheduled there."),
    "enable": gettext_noop("The compute service of %(host)s is enabled."),
    "mark_down": gettext_noop("%(host)s has failed: its heartbeat has stopped."),
    "bring_up": gettext_noop("%(host)s is restored: its heartbeat is back."),
}


def _refused(request: HttpRequest, message: str, status: int = 403) -> HttpResponse:
    return render(request, "classroom/console_refused.html", {"message": message}, status=status)


def _session(request: HttpRequest, session_id: int) -> ClassSession | HttpResponse:
    """The session if the viewer teaches it; else the 403 (or 404) page saying why."""
    session = ClassSession.objects.select_related("cloud", "owner").filter(pk=session_id).first()
    if session is None:
        return _refused(request, _("There is no such class session."), status=404)
    if not is_session_instructor(request.user, session):
        return _refused(request, _("Only the session's instructors can use its console and controls."))
    return session


def _instructor_project(session: ClassSession, user: Any) -> Project | None:
    return (
        Project.objects.filter(cloud=session.cloud, memberships__user=user, memberships__role=Role.INSTRUCTOR)
        .order_by("name")
        .first()
    )


def _hosts(session: ClassSession) -> list[dict[str, Any]]:
    return [
        {
            "name": h.name,
            "enabled": h.enabled,
            "up": h.up,
            "actions": available_host_actions(enabled=h.enabled, up=h.up),
        }
        for h in Host.objects.filter(cloud=session.cloud).order_by("name")
    ]


def heatmap_data(session: ClassSession) -> dict[str, Any]:
    """The console's snapshot: the seqs of its two streams (read first: an event after them is
    applied by refetching, so nothing is missed), the tiles, the hosts, the session's state."""
    seqs = current_seqs([*session_streams(session.pk, staff=True), cloud_stream(session.cloud_id)])
    session.refresh_from_db(fields=["state", "pace"])
    return {
        "streams": seqs,
        "tiles": tiles(session),
        "hosts": _hosts(session),
        "state": session.state,
        "state_label": str(State(session.state).label),
        "pace": session.pace,
    }


@login_required
@require_GET
def console(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    if isinstance(session, HttpResponse):
        return session
    page = live_page(session, staff=True)
    page["streams"] = [*session_streams(session.pk, staff=True), cloud_stream(session.cloud_id)]
    page["snapshot_url"] = reverse("classroom:console-heatmap", args=[session.pk])
    page["heatmap"] = heatmap_data(session)
    page["words"] = {
        "instances": _("Instances"),
        "errors": _("Errors"),
        "last_action": _("Last action"),
        "rejected_by": _("Last rejected by"),
        "nothing_yet": _("No action yet"),
        "nobody": _("Nobody has joined yet."),
    }
    return render(
        request,
        "classroom/console.html",
        {
            "session": session,
            "page": page,
            "heatmap": page["heatmap"],
            "host_labels": {
                "disable": _("Disable service"),
                "enable": _("Enable service"),
                "mark_down": _("Fail host"),
                "bring_up": _("Restore host"),
            },
            "may_reset": bool(session.scenario),
        },
    )


@login_required
@require_GET
def console_heatmap(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    if isinstance(session, HttpResponse):
        refusal = _("Only the session's instructors can use its console and controls.")
        return JsonResponse({"error": refusal}, status=403)
    return JsonResponse(heatmap_data(session))


def _control(request: HttpRequest, session_id: int, run: Any) -> HttpResponse:
    """Find the session (403 for anyone else), run the control; a refusal shows its sentence with
    its status on the refusal page, a success goes back to the console with what happened."""
    session = _session(request, session_id)
    if isinstance(session, HttpResponse):
        return session
    try:
        done = run(session)
    except (SessionError, ActionError) as refused:
        return _refused(request, refused.message, status=refused.status)
    if isinstance(done, HttpResponse):
        return done
    messages.success(request, done)
    return redirect("classroom:console", session.pk)


@login_required
@require_POST
def freeze(request: HttpRequest, session_id: int) -> HttpResponse:
    def run(session: ClassSession) -> str:
        wanted = request.POST.get("state", "")
        if wanted not in (State.FROZEN, State.RUNNING):
            raise SessionError(_("Choose to freeze or to unfreeze launches."), field="state")
        set_state(session, wanted, request.user)
        if wanted == State.FROZEN:
            return _("Launches are frozen for the whole class.")
        return _("Launches are open again.")

    return _control(request, session_id, run)


@login_required
@require_POST
def host(request: HttpRequest, session_id: int) -> HttpResponse:
    def run(session: ClassSession) -> str:
        action = request.POST.get("action", "")
        if action not in HOST_ACTIONS:
            raise SessionError(_("Unknown host action “%(action)s”.") % {"action": action[:32]}, field="action")
        target = Host.objects.filter(cloud=session.cloud, name=request.POST.get("host", "")).first()
        if target is None:
            raise SessionError(_("There is no host of that name in this session's cloud."), field="host")
        do_host_action(request.user, target, action, request.POST.get("reason", ""))
        announce(session, "host", request.user, host=target.name, action=action)
        return _(HOST_DONE[action]) % {"host": target.name}

    return _control(request, session_id, run)


@login_required
@require_POST
def scheduler(request: HttpRequest, session_id: int) -> HttpResponse:
    """Admin → Scheduler, opened on the session's cloud (its writer announces the change)."""

    def run(session: ClassSession) -> HttpResponse:
        project = _instructor_project(session, request.user)
        if project is None:
            raise SessionError(_("You do not teach this session's cloud, so its scheduler is not yours to change."))
        set_current_project(request, project)
        return redirect("dashboard:scheduler-settings")

    return _control(request, session_id, run)


@login_required
@require_POST
def reset(request: HttpRequest, session_id: int) -> HttpResponse:
    def run(session: ClassSession) -> str:
        if request.POST.get("confirm") != "reset":
            raise SessionError(_("Confirm the reset: every instance in the cloud is deleted."), field="confirm")
        reset_cloud(session, request.user)
        return _("The cloud is back to the scenario “%(name)s”; every instance is gone.") % {"name": session.scenario}

    return _control(request, session_id, run)


@login_required
@require_POST
def export(request: HttpRequest, session_id: int) -> HttpResponse:
    def run(session: ClassSession) -> HttpResponse:
        try:
            document = export_scenario(session.cloud)
        except ScenarioError as error:
            raise SessionError(
                _("This cloud cannot be written as a scenario: %(problem)s") % {"problem": error.problems[0]},
                status=409,
            ) from None
        response = HttpResponse(scenario_yaml(document), content_type="application/yaml; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{session.cloud.name}.yaml"'
        return response

    return _control(request, session_id, run)


@login_required
@require_POST
def pace(request: HttpRequest, session_id: int) -> HttpResponse:
    def run(session: ClassSession) -> str:
        change_pace(session, request.POST.get("pace", ""), request.user)
        return _("The pace is now %(pace)s seconds per step.") % {"pace": f"{session.pace:g}"}

    return _control(request, session_id, run)


@login_required
@require_POST
def end(request: HttpRequest, session_id: int) -> HttpResponse:
    def run(session: ClassSession) -> str:
        if request.POST.get("confirm") != "end":
            raise SessionError(_("Confirm the end of the session: guests lose their access."), field="confirm")
        end_session(session, request.user)
        return _("The session has ended.")

    return _control(request, session_id, run)


urlpatterns = [
    path("classroom/<int:session_id>/console/", console, name="console"),
    path("classroom/<int:session_id>/console/heatmap.json", console_heatmap, name="console-heatmap"),
    path("classroom/<int:session_id>/console/freeze/", freeze, name="console-freeze"),
    path("classroom/<int:session_id>/console/host/", host, name="console-host"),
    path("classroom/<int:session_id>/console/scheduler/", scheduler, name="console-scheduler"),
    path("classroom/<int:session_id>/console/reset/", reset, name="console-reset"),
    path("classroom/<int:session_id>/console/export/", export, name="console-export"),
    path("classroom/<int:session_id>/console/pace/", pace, name="console-pace"),
    path("classroom/<int:session_id>/console/end/", end, name="console-end"),
]
