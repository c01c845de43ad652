"""os-server-groups (nova/api/openstack/compute/server_groups.py): list (``all_projects`` for an
admin, ``limit``/``offset``), create, show and delete, scoped to the token's project (another
project's group answers 404). The shape follows the microversion: ``policies`` and ``metadata``
before 2.64, ``policy`` and ``rules`` from 2.64; ``project_id``/``user_id`` from 2.13. Writes go
through ``cloudlab.compute.actions.server_groups``, as the dashboard's do."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse

from cloudlab.api.auth import project_id, user_id_for_pk
from cloudlab.compute.actions import server_groups as groups
from cloudlab.compute.models import ServerGroup

from .base import Call, endpoint, no_content, ok
from .faults import Fault
from .paging import MAX_LIMIT
from .validation import a_name, an_object, invalid, not_of_type, quoted


def view(call: Call, group: ServerGroup) -> dict[str, Any]:
    shown: dict[str, Any] = {"id": str(group.uuid), "name": group.name}
    if call.at_least("2.64"):
        shown["policy"] = group.policy
        shown["rules"] = dict(group.rules or {})
    else:
        shown["policies"] = [group.policy]
        shown["metadata"] = {}
    shown["members"] = [str(u) for u in group.live_members().values_list("uuid", flat=True)]
    if call.at_least("2.13"):
        shown["project_id"] = project_id(group.project)
        shown["user_id"] = user_id_for_pk(group.user_id) if group.user_id else ""
    return shown


def _whole(call: Call, key: str) -> int | None:
    """A paging parameter: ASCII digits (at most 18: a larger offset only means past the end)."""
    raw = call.request.GET.get(key)
    if raw is None:
        return None
    if raw.startswith("-") and raw[1:].isascii() and raw[1:].isdigit():
        raise Fault(400, f"{key} param must be positive")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise Fault(
            400,
            f"Invalid input for query parameters {key}. Value: {raw[:80]}. "
            f"{quoted(raw[:80])} does not match '^[0-9]*$'",
        )
    return int(raw)


def _list(call: Call) -> HttpResponse:
    everyone = call.request.GET.get("all_projects", "").lower() in ("1", "true", "yes", "on")
    if everyone and call.caller.is_admin:
        rows = ServerGroup.objects.filter(cloud=call.cloud).order_by("created_at", "id")
    else:
        rows = groups.project_groups(call.caller.project)
    offset = _whole(call, "offset") or 0
    limit = _whole(call, "limit")
    limit = MAX_LIMIT if limit is None else min(limit, MAX_LIMIT)
    chosen = list(rows.select_related("project")[offset : offset + limit])
    return ok({"server_groups": [view(call, g) for g in chosen]})


_POLICIES_BEFORE_2_15 = ("anti-affinity", "affinity")


def _create(call: Call) -> HttpResponse:
    body = an_object(call.body, None, required=("server_group",), allowed=frozenset({"server_group"}))
    if call.at_least("2.64"):
        vals = an_object(
            body["server_group"],
            "server_group",
            required=("name", "policy"),
            allowed=frozenset({"name", "policy", "rules"}),
        )
        policy = vals["policy"]
        if policy not in groups.POLICIES:
            raise invalid("policy", policy, f"{quoted(policy)} is not one of {list(groups.POLICIES)}")
        rules = vals.get("rules", {})
        if not isinstance(rules, dict):
            raise not_of_type("rules", rules, "object")
        extra = sorted(k for k in rules if k != "max_server_per_host")
        if extra:
            raise invalid(
                "rules",
                rules,
                f"Additional properties are not allowed ({quoted(extra[0])} was unexpected)",
            )
        if "max_server_per_host" in rules:
            value = rules["max_server_per_host"]
            if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
                raise invalid("rules/max_server_per_host", value, f"{quoted(value)} does not match '^[0-9]*$'")
            if int(value) < 1:
                raise invalid("rules/max_server_per_host", value, f"{value} is less than the minimum of 1")
        if rules and policy != "anti-affinity":
            raise Fault(400, groups.ONLY_ANTI_AFFINITY_RULES)
    else:
        vals = an_object(
            body["server_group"],
            "server_group",
            required=("name", "policies"),
            allowed=frozenset({"name", "policies"}),
        )
        policies = vals["policies"]
        allowed = groups.POLICIES if call.at_least("2.15") else _POLICIES_BEFORE_2_15
        if not isinstance(policies, list):
            raise not_of_type("policies", policies, "array")
        if len(policies) != 1:
            reason = "[] is too short" if not policies else f"{quoted(policies)} is too long"
            raise invalid("policies", policies, reason)
        policy = policies[0]
        if policy not in allowed:
            raise invalid("policies/0", policy, f"{quoted(policy)} is not one of {list(allowed)}")
        rules = {}
    name = a_name(vals["name"])
    group = groups.create_server_group(call.caller.user, call.caller.project, name=name, policy=policy, rules=rules)
    return ok({"server_group": view(call, group)})


def _find(call: Call, group_id: str) -> ServerGroup:
    if call.caller.is_admin:
        return groups.find_group(None, group_id, cloud_id=call.cloud.pk)
    return groups.find_group(call.caller.project, group_id)


def _show(call: Call, group_id: str) -> HttpResponse:
    return ok({"server_group": view(call, _find(call, group_id))})


def _delete(call: Call, group_id: str) -> HttpResponse:
    groups.delete_server_group(_find(call, group_id))
    return no_content()


server_group_list = endpoint(GET=_list, POST=_create)
server_group = endpoint(GET=_show, DELETE=_delete)
