"""Horizon-like pages. Views parse, authorize, call an action and render; nothing else."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cloudlab.compute import actions
from cloudlab.compute.models import Instance
from cloudlab.compute.rows import instance_row
from cloudlab.engine.launch import flavor_image_problems, quota_problems
from cloudlab.identity.models import Project, is_instructor
from cloudlab.live.events import cloud_stream, current_seqs, project_stream

from .current import current_project, set_current_project
from .labels import state_labels
from .traces import summarise


def _project_or_404(request: HttpRequest) -> Project:
    project = current_project(request)
    if project is None:
        raise Http404("You are not a member of any project.")
    return project


def _instructor_cloud_or_404(request: HttpRequest) -> Project:
    project = _project_or_404(request)
    if not is_instructor(request.user, project.cloud_id):
        raise Http404("Only instructors see the Admin panels.")
    return project


# -- Project → Compute → Instances ------------------------------------------------------------


def _project_snapshot(project: Project, *, for_instructor: bool) -> dict[str, Any]:
    stream = project_stream(project.pk)
    seqs = current_seqs([stream])  # read before the rows: later events re-apply idempotently
    rows = [
        instance_row(i, for_instructor=for_instructor)
        for i in Instance.objects.filter(project=project).live().for_table()
    ]
    return {"streams": seqs, "rows": rows}


def _launch_choices(project: Project) -> dict[str, Any]:
    """What the Launch Instance dialog offers, and why a flavor is greyed out: the same checks
    ``check_launch`` makes, computed here once per (flavor, image) for a count of one."""
    limits = actions.quota_limits(project)
    usage = actions.quota_usage(project)
    images = list(actions.launchable_images(project))
    flavors = []
    for flavor in actions.launchable_flavors(project):
        flavors.append(
            {
                "id": flavor.flavorid,
                "name": flavor.name,
                "vcpus": flavor.vcpus,
                "ram": flavor.memory_mb,
                "disk": flavor.disk_gb,
                "quota": actions.render_problems(quota_problems(limits, usage, flavor.size, 1)),
                "image": {
                    str(image.uuid): actions.render_problems(
                        flavor_image_problems(flavor.name, flavor.size, actions.image_requirements(image))
                    )
                    for image in images
                },
            }
        )
    return {
        "images": [
            {"id": str(i.uuid), "name": i.name, "size_mb": i.size_mb, "min_ram": i.min_ram, "min_disk": i.min_disk}
            for i in images
        ],
        "flavors": flavors,
        "limits": {"instances": limits.instances, "cores": limits.cores, "ram": limits.ram},
        "usage": {"instances": usage.instances, "cores": usage.cores, "ram": usage.ram},
    }


def _action_choices(project: Project) -> dict[str, Any]:
    """Flavors (resize) and images (rebuild) the row-action dialogs offer."""
    return {
        "flavors": [
            {"id": f.flavorid, "name": f.name, "vcpus": f.vcpus, "ram": f.memory_mb, "disk": f.disk_gb}
            for f in actions.launchable_flavors(project)
        ],
        "images": [{"id": str(i.uuid), "name": i.name} for i in actions.launchable_images(project)],
    }


@login_required
@require_GET
def instances(request: HttpRequest) -> HttpResponse:
    project = _project_or_404(request)
    instructor = is_instructor(request.user, project.cloud_id)
    return render(
        request,
        "dashboard/instances.html",
        {
            "page": {
                "scope": "project",
                "streams": [project_stream(project.pk)],
                "snapshot_url": reverse("dashboard:instances-rows"),
                "launch_url": reverse("dashboard:launch"),
                "decision_url": reverse("dashboard:instance-decision", args=["00000000-0000-0000-0000-000000000000"]),
                "detail_url": reverse("dashboard:instance", args=["00000000-0000-0000-0000-000000000000"]),
                "show_host": instructor,
                "show_project": False,
                "action_url": reverse("dashboard:instance-action", args=["00000000-0000-0000-0000-000000000000"]),
                "batch_url": reverse("dashboard:batch-action"),
                "choices": _action_choices(project),
                "snapshot": _project_snapshot(project, for_instructor=instructor),
                "labels": state_labels(),
                "launch": _launch_choices(project),
            },
            "project": project,
        },
    )


@login_required
@require_GET
def instances_rows(request: HttpRequest) -> JsonResponse:
    project = _project_or_404(request)
    return JsonResponse(_project_snapshot(project, for_instructor=is_instructor(request.user, project.cloud_id)))


@login_required
@require_GET
def launch_choices(request: HttpRequest) -> JsonResponse:
    return JsonResponse(_launch_choices(_project_or_404(request)))


@login_required
@require_POST
def launch(request: HttpRequest) -> JsonResponse:
    project = _project_or_404(request)
    try:
        launch_request = actions.check_launch(
            request.user,
            project,
            name=request.POST.get("name"),
            count=request.POST.get("count", "1"),
            image_id=request.POST.get("image"),
            flavor_id=request.POST.get("flavor"),
        )
        created = actions.do_launch(request.user, launch_request)
    except actions.ActionError as error:
        return JsonResponse({"ok": False, "field": error.field, "message": error.message}, status=error.status)
    instructor = is_instructor(request.user, project.cloud_id)
    return JsonResponse({"ok": True, "rows": [instance_row(i, for_instructor=instructor) for i in created]}, status=202)


# -- row actions (Horizon's per-row menu and the table's batch buttons) -----------------------------


def _run_action(request: HttpRequest, instance: Instance, action: str) -> tuple[int, dict[str, Any]]:
    from cloudlab.compute.instance_actions import do_instance_action

    params = {key: request.POST.get(key) for key in ("flavor", "image", "name") if request.POST.get(key) is not None}
    try:
        accepted = do_instance_action(request.user, instance, action, params)
    except actions.ActionError as error:
        return error.status, {"ok": False, "id": str(instance.uuid), "field": error.field, "message": error.message}
    row = instance_row(accepted.instance, for_instructor=is_instructor(request.user, instance.cloud_id))
    return 202, {"ok": True, "id": str(instance.uuid), "row": row, "request_id": accepted.action.request_id}


@login_required
@require_POST
def instance_action(request: HttpRequest, instance_id: str) -> JsonResponse:
    instance = _visible_instance(request, instance_id)
    status, body = _run_action(request, instance, request.POST.get("action", ""))
    return JsonResponse(body, status=status)


@login_required
@require_POST
def batch_action(request: HttpRequest) -> JsonResponse:
    """Horizon's table buttons: one action on the selected rows; each row answers for itself."""
    from cloudlab.engine import lifecycle

    action = request.POST.get("action", "")
    rule = lifecycle.ACTIONS.get(action)
    if rule is None or not rule.batch:
        return JsonResponse(
            {"ok": False, "message": _("'%(action)s' is not a batch action.") % {"action": action}}, status=400
        )
    ids = request.POST.getlist("ids")
    if not ids or len(ids) > 100:
        return JsonResponse({"ok": False, "message": _("Select between 1 and 100 instances.")}, status=400)
    results = []
    for instance_id in ids:
        instance = (
            Instance.objects.visible_to(request.user).for_table().filter(uuid=instance_id).first()
            if actions.is_uuid(instance_id)
            else None
        )
        if instance is None:
            results.append({"ok": False, "id": instance_id, "message": _("No such instance.")})
            continue
        results.append(_run_action(request, instance, action)[1])
    return JsonResponse({"ok": all(r["ok"] for r in results), "results": results})


# -- instance detail ----------------------------------------------------------------------------


def _visible_instance(request: HttpRequest, instance_id: str) -> Instance:
    return get_object_or_404(Instance.objects.visible_to(request.user).for_table(), uuid=instance_id)


def _instance_detail(instance: Instance, *, for_instructor: bool) -> dict[str, Any]:
    actions_log = []
    for action in instance.actions.select_related("user").prefetch_related("events"):
        actions_log.append(
            {
                "request_id": action.request_id,
                "action": action.action,
                "start_time": action.start_time.isoformat(),
                "finish_time": action.finish_time.isoformat() if action.finish_time else None,
                "user": action.user.get_username() if action.user else None,
                "message": action.message,
                "events": [event.as_dict() for event in action.events.all()],
            }
        )
    return {
        "row": instance_row(instance, for_instructor=for_instructor),
        "flavor": {
            "name": instance.flavor.name,
            "id": instance.flavor.flavorid,
            "vcpus": instance.flavor.vcpus,
            "ram": instance.flavor.memory_mb,
            "disk": instance.flavor.disk_gb,
        },
        "image": {"name": instance.image.name, "id": str(instance.image.uuid)},
        "availability_zone": instance.availability_zone,
        "node": instance.node if for_instructor else None,
        "launched_at": instance.launched_at.isoformat() if instance.launched_at else None,
        "addresses": instance.addresses,
        "fault": instance.fault,
        "project": instance.project.name,
        "actions": actions_log,
        "scheduling": [summarise(r) for r in instance.scheduling_records.order_by("attempt")],
        "lifecycle": _lifecycle_view(instance, for_instructor=for_instructor),
    }


def _lifecycle_view(instance: Instance, *, for_instructor: bool) -> dict[str, Any]:
    """For the state diagram: the edge being travelled now, and every action with whether the
    engine's gate accepts it here, or why not (in the reader's language)."""
    from cloudlab.engine import lifecycle

    gate = []
    for name, rule in lifecycle.ACTIONS.items():
        refusal = lifecycle.refusal(
            name,
            instance_id=str(instance.uuid),
            vm_state=instance.vm_state,
            task_state=instance.task_state,
            launched=instance.launched_at is not None,
            locked=instance.locked,
            locked_by=instance.locked_by or None,
            has_host=instance.host_id is not None,
            host_up=instance.host.up if instance.host else None,
            host_name=instance.host.name if instance.host else "",
            is_admin=for_instructor,
        )
        gate.append(
            {
                "name": name,
                "label": _(rule.label),
                "allowed": refusal is None,
                "reason": refusal.render(_) if refusal else "",
            }
        )
    host_down = instance.host is not None and not instance.host.up
    return {
        "in_progress": [
            {"source": e.source, "action": e.action, "target": e.target}
            for e in lifecycle.STATE_DIAGRAM.in_progress(instance.vm_state, instance.task_state)
        ],
        "gate": gate,
        "host_down": host_down,
        "host_down_explanation": _(lifecycle.HOST_DOWN_EXPLANATION) if host_down else "",
    }


def _diagram() -> dict[str, Any]:
    from cloudlab.engine import lifecycle

    return lifecycle.STATE_DIAGRAM.as_dict()


@login_required
@require_GET
def instance_detail(request: HttpRequest, instance_id: str) -> HttpResponse:
    instance = _visible_instance(request, instance_id)
    instructor = is_instructor(request.user, instance.cloud_id)
    stream = project_stream(instance.project_id)
    return render(
        request,
        "dashboard/instance_detail.html",
        {
            "instance": instance,
            "page": {
                "streams": [stream],
                "detail_url": reverse("dashboard:instance-json", args=[instance.uuid]),
                "instance_id": str(instance.uuid),
                "show_host": instructor,
                "labels": state_labels(),
                "diagram": _diagram(),
                "snapshot": {
                    "streams": current_seqs([stream]),
                    "detail": _instance_detail(instance, for_instructor=instructor),
                },
            },
        },
    )


@login_required
@require_GET
def instance_json(request: HttpRequest, instance_id: str) -> JsonResponse:
    instance = _visible_instance(request, instance_id)
    stream = project_stream(instance.project_id)
    seqs = current_seqs([stream])
    detail = _instance_detail(instance, for_instructor=is_instructor(request.user, instance.cloud_id))
    return JsonResponse({"streams": seqs, "detail": detail})


# -- Admin → Compute → Instances (instructors) ------------------------------------------------------


def _cloud_snapshot(project: Project) -> dict[str, Any]:
    stream = cloud_stream(project.cloud_id)
    seqs = current_seqs([stream])
    rows = [
        instance_row(i, for_instructor=True)
        for i in Instance.objects.filter(cloud_id=project.cloud_id).live().for_table()
    ]
    return {"streams": seqs, "rows": rows}


@login_required
@require_GET
def admin_instances(request: HttpRequest) -> HttpResponse:
    project = _instructor_cloud_or_404(request)
    return render(
        request,
        "dashboard/admin_instances.html",
        {
            "page": {
                "scope": "cloud",
                "streams": [cloud_stream(project.cloud_id)],
                "snapshot_url": reverse("dashboard:admin-instances-rows"),
                "detail_url": reverse("dashboard:instance", args=["00000000-0000-0000-0000-000000000000"]),
                "show_host": True,
                "show_project": True,
                "action_url": reverse("dashboard:instance-action", args=["00000000-0000-0000-0000-000000000000"]),
                "batch_url": reverse("dashboard:batch-action"),
                "choices": _action_choices(project),
                "snapshot": _cloud_snapshot(project),
                "labels": state_labels(),
            },
            "cloud": project.cloud,
        },
    )


@login_required
@require_GET
def admin_instances_rows(request: HttpRequest) -> JsonResponse:
    return JsonResponse(_cloud_snapshot(_instructor_cloud_or_404(request)))


# -- project picker -------------------------------------------------------------------------------


@login_required
@require_POST
def switch_project(request: HttpRequest) -> HttpResponse:
    chosen = request.POST.get("project", "")
    project = Project.objects.for_user(request.user).filter(pk=int(chosen)).first() if chosen.isdigit() else None
    if project is None:
        raise Http404("No such project of yours.")
    set_current_project(request, project)
    return redirect("dashboard:instances")


def home(request: HttpRequest) -> HttpResponse:
    return redirect("dashboard:instances" if request.user.is_authenticated else "login")
