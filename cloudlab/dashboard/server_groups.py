"""Project → Compute → Server Groups (Horizon's panel): the project's groups with their policy
and members; create one (name, policy, max_server_per_host for anti-affinity) and delete one,
through the same writer as the compute API's os-server-groups."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cloudlab.compute.actions import server_groups as groups
from cloudlab.compute.actions.errors import ActionError
from cloudlab.compute.ids import is_uuid
from cloudlab.compute.models import ServerGroup
from cloudlab.identity.models import Project

from .access import project_or_404


def _page(request: HttpRequest, project: Project, error: ActionError | None, form: dict[str, str]) -> HttpResponse:
    rows: list[dict[str, Any]] = []
    for group in groups.project_groups(project):
        rows.append({"group": group, "members": list(group.live_members())})
    context = {
        "rows": rows,
        "policies": ServerGroup.Policy.choices,
        "quota": groups.SERVER_GROUPS_QUOTA,
        "member_quota": groups.SERVER_GROUP_MEMBERS_QUOTA,
        "error": error,
        "form": form,
    }
    return render(request, "dashboard/server_groups.html", context, status=error.status if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def server_groups(request: HttpRequest) -> HttpResponse:
    project = project_or_404(request)
    if request.method == "GET":
        return _page(request, project, None, {})
    form = {key: request.POST.get(key, "") for key in ("name", "policy", "max_server_per_host")}
    raw_max = form["max_server_per_host"].strip()
    rules: dict[str, Any] = {}
    try:
        if raw_max:
            if form["policy"] != ServerGroup.Policy.ANTI_AFFINITY:
                raise ActionError(_("Only an anti-affinity group takes max_server_per_host."), "max_server_per_host")
            rules = {"max_server_per_host": raw_max}
        groups.create_server_group(request.user, project, name=form["name"], policy=form["policy"], rules=rules)
    except ActionError as error:
        if error.message == groups.TOO_MANY_GROUPS:
            error = ActionError(
                _("This project already has %(max)d server groups, its quota.") % {"max": groups.SERVER_GROUPS_QUOTA},
                "name",
                status=403,
            )
        return _page(request, project, error, form)
    return redirect("dashboard:server-groups")


@login_required
@require_POST
def delete_server_group(request: HttpRequest, group_id: str) -> HttpResponse:
    project = project_or_404(request)
    group = groups.project_groups(project).filter(uuid=group_id).first() if is_uuid(group_id) else None
    if group is None:
        error = ActionError(_("This server group does not exist in this project (deleted already?)."), status=404)
        return _page(request, project, error, {})
    groups.delete_server_group(group)
    return redirect("dashboard:server-groups")
