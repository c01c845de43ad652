"""Server groups (Nova's instance groups): create and delete them, and the group a boot joins.

As nova-api: a group's name is 1 to 255 printable characters, its policy one of the four,
``rules`` (``max_server_per_host``) only for anti-affinity; a project has at most
``server_groups`` groups (Nova's default 10; this cloud's quota row has no such column) and a
group at most ``server_group_members`` live members (default 10), counted when a boot joins it.
A boot's instances join the group before they are scheduled (nova/compute/api.py
``_create_instance``); a deleted instance is no member any more."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from cloudlab.identity.models import Project, Quota

from ..ids import is_uuid
from ..limits import text_problem
from ..models import Instance, ServerGroup
from .errors import ActionError

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

#: Nova's defaults (nova/conf/quota.py server_groups, server_group_members).
SERVER_GROUPS_QUOTA = 10
SERVER_GROUP_MEMBERS_QUOTA = 10

POLICIES: tuple[str, ...] = tuple(ServerGroup.Policy.values)

#: Nova's messages (nova/api/openstack/compute/server_groups.py, nova/compute/api.py).
TOO_MANY_GROUPS = "Quota exceeded, too many server groups."
TOO_MANY_MEMBERS = "Quota exceeded, too many servers in group"
ONLY_ANTI_AFFINITY_RULES = "Only anti-affinity policy supports rules."


def not_found(group_id: str) -> str:
    return f"Instance group {group_id[:80]} could not be found."


def project_groups(project: Project) -> Any:
    return ServerGroup.objects.filter(project=project).order_by("created_at", "id")


def find_group(project: Project | None, group_id: Any, *, cloud_id: int | None = None) -> ServerGroup:
    """The group ``group_id`` of ``project`` (or, for an admin, of the cloud ``cloud_id``); any
    other group, or a malformed id, is not found (404), as Nova answers for a group not yours."""
    text = group_id if isinstance(group_id, str) else str(group_id)
    groups = ServerGroup.objects.select_related("project", "user")
    if cloud_id is not None:
        groups = groups.filter(cloud_id=cloud_id)
    elif project is not None:
        groups = groups.filter(project=project)
    group = groups.filter(uuid=text).first() if is_uuid(text) else None
    if group is None:
        raise ActionError(not_found(text), "server_group", status=404)
    return group


def check_rules(policy: str, rules: Mapping[str, Any] | None) -> dict[str, int]:
    """``rules`` as stored: only ``max_server_per_host`` (a positive integer), only for
    anti-affinity."""
    if not rules:
        return {}
    if policy != ServerGroup.Policy.ANTI_AFFINITY:
        raise ActionError(ONLY_ANTI_AFFINITY_RULES, "rules")
    extra = sorted(k for k in rules if k != "max_server_per_host")
    if extra:
        raise ActionError(
            _("Unknown server group rule %(rule)s: only max_server_per_host exists.") % {"rule": extra[0]}, "rules"
        )
    value = rules.get("max_server_per_host")
    number = int(value) if isinstance(value, int | str) and str(value).isascii() and str(value).isdigit() else 0
    if isinstance(value, bool) or number < 1 or number > 2**31 - 1:
        raise ActionError(
            _("max_server_per_host must be a whole number of at least 1; %(value)s is not.") % {"value": value},
            "rules",
        )
    return {"max_server_per_host": number}


def create_server_group(
    user: AbstractBaseUser | None, project: Project, *, name: Any, policy: Any, rules: Mapping[str, Any] | None = None
) -> ServerGroup:
    name = name.strip() if isinstance(name, str) else ""
    if not name:
        raise ActionError(_("Server group name is required."), "name")
    if len(name) > 255:
        raise ActionError(
            _("Server group name is %(length)d characters long; at most 255 are allowed.") % {"length": len(name)},
            "name",
        )
    if text_problem(name):
        raise ActionError(_("Server group name cannot contain control characters."), "name")
    if policy not in POLICIES:
        raise ActionError(
            _("Server group policy must be one of %(policies)s.") % {"policies": ", ".join(POLICIES)}, "policy"
        )
    kept = check_rules(policy, rules)
    with transaction.atomic():
        # Serialise one project's creations so two cannot both pass the quota.
        Quota.objects.select_for_update().get_or_create(project=project)
        if ServerGroup.objects.filter(project=project).count() >= SERVER_GROUPS_QUOTA:
            raise ActionError(TOO_MANY_GROUPS, "name", status=403)
        return ServerGroup.objects.create(
            cloud=project.cloud,
            project=project,
            user=user if user is not None and user.is_authenticated else None,
            name=name,
            policy=policy,
            rules=kept,
        )


def delete_server_group(group: ServerGroup) -> None:
    """Nova deletes a group with members too; they simply are no longer in a group."""
    group.delete()


def check_group_room(group: ServerGroup, count: int) -> None:
    """A boot of ``count`` instances into ``group`` stays within server_group_members."""
    if group.live_members().count() + count > SERVER_GROUP_MEMBERS_QUOTA:
        raise ActionError(TOO_MANY_MEMBERS, "server_group", status=403)


def join_group(group: ServerGroup, instances: list[Instance]) -> None:
    """Add a boot's instances to the group (called in the launch's transaction, with the group
    row locked so two boots cannot both pass the member quota)."""
    locked = ServerGroup.objects.select_for_update().get(pk=group.pk)
    check_group_room(locked, len(instances))
    locked.members.add(*instances)


def group_of(instance: Instance) -> ServerGroup | None:
    """The instance's group (Nova allows one per instance)."""
    return instance.server_groups.order_by("created_at", "id").first()  # type: ignore[attr-defined, no-any-return]
