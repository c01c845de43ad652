"""Project → Compute → Instances: the table, Launch Instance, and the row and batch launching."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cloudlab.compute.actions import launch as launching
from cloudlab.compute.actions.errors import ActionError
from cloudlab.compute.actions.instance import do_instance_action
from cloudlab.compute.actions.server_groups import SERVER_GROUP_MEMBERS_QUOTA, project_groups
from cloudlab.compute.ids import is_uuid
from cloudlab.compute.models import Instance
from cloudlab.compute.rows import instance_row
from cloudlab.engine import lifecycle
from cloudlab.engine.launch import FlavorRef, flavor_image_problems, quota_problems, resize_problems
from cloudlab.identity.models import Project, is_instructor
from cloudlab.live.events import current_seqs, project_stream

from .access import project_or_404, visible_instance_or_404
from .labels import instance_columns, state_labels

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
    limits = launching.quota_limits(project)
    usage = launching.quota_usage(project)
    images = list(launching.launchable_images(project))
    flavors = []
    for flavor in launching.launchable_flavors(project):
        flavors.append(
            {
                "id": flavor.flavorid,
                "name": flavor.name,
                "vcpus": flavor.vcpus,
                "ram": flavor.memory_mb,
                "disk": flavor.disk_gb,
                "quota": launching.render_problems(quota_problems(limits, usage, flavor.size, 1)),
                "image": {
                    str(image.uuid): launching.render_problems(
                        flavor_image_problems(flavor.name, flavor.size, launching.image_requirements(image))
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
        "server_groups": [
            {
                "id": str(g.uuid),
                "name": g.name,
                "policy": g.policy,
                "label": _("%(name)s (%(policy)s)") % {"name": g.name, "policy": g.get_policy_display()},
            }
            for g in project_groups(project)
        ],
        "limits": {"instances": limits.instances, "cores": limits.cores, "ram": limits.ram},
        "usage": {"instances": usage.instances, "cores": usage.cores, "ram": usage.ram},
    }


def action_choices(project: Project) -> dict[str, Any]:
    """Flavors (resize) and images (rebuild) the row-action dialogs offer; for each of the
    project's instances, why a flavor cannot be its new one: the resize writer's rules
    (``launch.resize_problems``), nova-api's refusals and what the host's driver would refuse."""
    flavors = list(launching.launchable_flavors(project))
    limits = launching.quota_limits(project)
    usage = launching.quota_usage(project)
    resize: dict[str, dict[str, list[str]]] = {}
    for instance in Instance.objects.filter(project=project).live().select_related("flavor", "image", "host"):
        current = FlavorRef(instance.flavor.flavorid, instance.flavor.name, instance.flavor.size)
        image = launching.image_requirements(instance.image)
        hypervisor_type = instance.host.hypervisor_type if instance.host is not None else None
        resize[str(instance.uuid)] = {
            f.flavorid: launching.render_problems(
                resize_problems(current, FlavorRef(f.flavorid, f.name, f.size), image, limits, usage, hypervisor_type)
            )
            for f in flavors
        }
    return {
        "flavors": [
            {"id": f.flavorid, "name": f.name, "vcpus": f.vcpus, "ram": f.memory_mb, "disk": f.disk_gb}
            for f in flavors
        ],
        "resize": resize,
        "images": [{"id": str(i.uuid), "name": i.name} for i in launching.launchable_images(project)],
    }


@login_required
@require_GET
def instances(request: HttpRequest) -> HttpResponse:
    project = project_or_404(request)
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
                "columns": instance_columns(show_project=False, show_host=instructor),
                "action_url": reverse("dashboard:instance-action", args=["00000000-0000-0000-0000-000000000000"]),
                "batch_url": reverse("dashboard:batch-action"),
                "choices": action_choices(project),
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
    project = project_or_404(request)
    return JsonResponse(_project_snapshot(project, for_instructor=is_instructor(request.user, project.cloud_id)))


@login_required
@require_GET
def launch_choices(request: HttpRequest) -> JsonResponse:
    return JsonResponse(_launch_choices(project_or_404(request)))


def _group_hint(project: Project, group_id: str, count: int) -> dict[str, list[str]] | None:
    """The Server Groups step: Nova's hint ``group`` for the chosen group of the project (the
    instances join it before scheduling), its refusals in the dialog's language."""
    if not group_id:
        return None
    group = project_groups(project).filter(uuid=group_id).first() if is_uuid(group_id) else None
    if group is None:
        raise ActionError(_("Select a server group of this project; the one sent does not exist here."), "server_group")
    members = group.live_members().count()
    if members + count > SERVER_GROUP_MEMBERS_QUOTA:
        raise ActionError(
            _("Server group %(group)s has %(members)d of at most %(max)d members: %(count)d more do not fit.")
            % {"group": group.name, "members": members, "max": SERVER_GROUP_MEMBERS_QUOTA, "count": count},
            "server_group",
            status=403,
        )
    return {"group": [str(group.uuid)]}


@login_required
@require_POST
def launch(request: HttpRequest) -> JsonResponse:
    project = project_or_404(request)
    try:
        launch_request = launching.check_launch(
            request.user,
            project,
            name=request.POST.get("name"),
            count=request.POST.get("count", "1"),
            image_id=request.POST.get("image"),
            flavor_id=request.POST.get("flavor"),
        )
        hints = _group_hint(project, request.POST.get("server_group") or "", len(launch_request.names))
        created = launching.do_launch(request.user, launch_request, scheduler_hints=hints)
    except ActionError as error:
        return JsonResponse({"ok": False, "field": error.field, "message": error.message}, status=error.status)
    instructor = is_instructor(request.user, project.cloud_id)
    return JsonResponse({"ok": True, "rows": [instance_row(i, for_instructor=instructor) for i in created]}, status=202)


# -- row actions (Horizon's per-row menu and the table's batch buttons) -----------------------------


def _run_action(request: HttpRequest, instance: Instance, action: str) -> tuple[int, dict[str, Any]]:
    keys = ("flavor", "image", "name", "host")
    params = {key: request.POST.get(key) for key in keys if request.POST.get(key) is not None}
    try:
        accepted = do_instance_action(request.user, instance, action, params)
    except ActionError as error:
        return error.status, {"ok": False, "id": str(instance.uuid), "field": error.field, "message": error.message}
    row = instance_row(accepted.instance, for_instructor=is_instructor(request.user, instance.cloud_id))
    return 202, {"ok": True, "id": str(instance.uuid), "row": row, "request_id": accepted.action.request_id}


@login_required
@require_POST
def instance_action(request: HttpRequest, instance_id: str) -> JsonResponse:
    instance = visible_instance_or_404(request, instance_id)
    status, body = _run_action(request, instance, request.POST.get("action", ""))
    return JsonResponse(body, status=status)


@login_required
@require_POST
def batch_action(request: HttpRequest) -> JsonResponse:
    """Horizon's table buttons: one action on the selected rows; each row answers for itself."""
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
            if is_uuid(instance_id)
            else None
        )
        if instance is None:
            results.append({"ok": False, "id": instance_id, "message": _("No such instance.")})
            continue
        results.append(_run_action(request, instance, action)[1])
    return JsonResponse({"ok": all(r["ok"] for r in results), "results": results})
