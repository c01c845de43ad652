"""A project's compute quota (os-quota-sets: show, detail with usage, defaults) and ``limits``,
from the same quota and usage the launch checks (``actions.launch.quota_limits``/``quota_usage``).
A member reads their own project's only (another project id: Nova's 403); the admin any project
of the cloud. The quotas CloudLab does not enforce show Nova's defaults."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse

from cloudlab.api.auth import project_for_id, project_id
from cloudlab.compute.actions.launch import quota_limits, quota_usage
from cloudlab.compute.models import ServerGroup
from cloudlab.engine.launch import QuotaSet
from cloudlab.identity.models import Project, Quota

from .base import POLICY_FORBIDS, Call, endpoint, ok
from .faults import Fault

#: nova/conf/quota.py defaults of the quotas without a column in the quota row (server groups
#: are counted in use: ``actions.server_groups`` enforces these two defaults).
UNCOUNTED = {"key_pairs": 100, "metadata_items": 128, "server_groups": 10, "server_group_members": 10}
INJECTED = {"injected_files": 5, "injected_file_content_bytes": 10240, "injected_file_path_bytes": 255}
NETWORK_PROXY = {"fixed_ips": -1, "floating_ips": 10, "security_groups": 10, "security_group_rules": 20}


def _project(call: Call, wanted: str, rule: str) -> Project:
    own = call.caller.project
    if wanted == project_id(own):
        return own
    if not call.caller.is_admin:
        raise Fault(403, POLICY_FORBIDS.format(rule=rule))
    found = project_for_id(wanted, Project.objects.filter(cloud=call.cloud))
    if found is None:
        raise Fault(404, f"Project {wanted[:80]} could not be found.")
    return found


def _groups_used(project: Project) -> int:
    """The project's server groups (Nova counts them; members are counted per group)."""
    return ServerGroup.objects.filter(project=project).count()


def _quota_values(call: Call, project: Project | None) -> dict[str, int]:
    # Without a project: the defaults (those of a project with no quota row).
    default = Quota()
    counted = quota_limits(project) if project is not None else QuotaSet(default.instances, default.cores, default.ram)
    values = {"instances": counted.instances, "cores": counted.cores, "ram": counted.ram, **UNCOUNTED}
    if not call.at_least("2.57"):
        values.update(INJECTED)
    if not call.at_least("2.36"):
        values.update(NETWORK_PROXY)
    return values


def _show(call: Call, tenant: str) -> HttpResponse:
    project = _project(call, tenant, "os_compute_api:os-quota-sets:show")
    return ok({"quota_set": {"id": project_id(project), **_quota_values(call, project)}})


def _detail(call: Call, tenant: str) -> HttpResponse:
    project = _project(call, tenant, "os_compute_api:os-quota-sets:detail")
    usage = quota_usage(project)
    used = {"instances": usage.instances, "cores": usage.cores, "ram": usage.ram}
    used["server_groups"] = _groups_used(project)
    detail: dict[str, Any] = {
        key: {"limit": limit, "in_use": used.get(key, 0), "reserved": 0}
        for key, limit in _quota_values(call, project).items()
    }
    return ok({"quota_set": {"id": project_id(project), **detail}})


def _defaults_view(call: Call, tenant: str) -> HttpResponse:
    _project(call, tenant, "os_compute_api:os-quota-sets:defaults")
    return ok({"quota_set": {"id": tenant, **_quota_values(call, None)}})


def _limits(call: Call) -> HttpResponse:
    project = call.caller.project
    wanted = call.request.GET.get("tenant_id")
    if wanted:
        project = _project(call, wanted, "os_compute_api:limits:other_project")
    limits = quota_limits(project)
    usage = quota_usage(project)
    absolute: dict[str, int] = {
        "maxTotalInstances": limits.instances,
        "maxTotalCores": limits.cores,
        "maxTotalRAMSize": limits.ram,
        "maxServerMeta": UNCOUNTED["metadata_items"],
        "maxTotalKeypairs": UNCOUNTED["key_pairs"],
        "maxServerGroups": UNCOUNTED["server_groups"],
        "maxServerGroupMembers": UNCOUNTED["server_group_members"],
        "totalInstancesUsed": usage.instances,
        "totalCoresUsed": usage.cores,
        "totalRAMUsed": usage.ram,
        "totalServerGroupsUsed": _groups_used(project),
    }
    if not call.at_least("2.39"):
        absolute["maxImageMeta"] = 128
    if not call.at_least("2.57"):
        absolute.update({"maxPersonality": 5, "maxPersonalitySize": 10240})
    if not call.at_least("2.36"):
        absolute.update(
            {
                "maxSecurityGroups": 10,
                "maxSecurityGroupRules": 20,
                "maxTotalFloatingIps": 10,
                "totalFloatingIpsUsed": 0,
                "totalSecurityGroupsUsed": 1,
            }
        )
    body: dict[str, Any] = {"absolute": absolute}
    if not call.at_least("2.39"):
        body["rate"] = []
    return ok({"limits": body})


quota_set = endpoint(GET=_show)
quota_set_detail = endpoint(GET=_detail)
quota_set_defaults = endpoint(GET=_defaults_view)
limits = endpoint(GET=_limits)
