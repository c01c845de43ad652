"""An instance as one row of Horizon's Instances table: the plain data pages and events carry.

Labels are not here: the page renders codes (status, task_state, power_state) through the
engine's lifecycle tables, so one source decides how a state reads, in every language.
"""

from __future__ import annotations

from typing import Any

from cloudlab.engine import lifecycle

from .models import Instance


def gate_state(instance: Instance, *, is_admin: bool) -> dict[str, Any]:
    """What the engine's action gate (``refusal``, ``allowed_actions``) reads from an instance."""
    return {
        "vm_state": instance.vm_state,
        "task_state": instance.task_state,
        "launched": instance.launched_at is not None,
        "locked": instance.locked,
        "locked_by": instance.locked_by or None,
        "has_host": instance.host_id is not None,
        "host_up": instance.host.up if instance.host is not None else None,
        "is_admin": is_admin,
    }


def instance_row(instance: Instance, *, for_instructor: bool) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": str(instance.uuid),
        "name": instance.name,
        "image": instance.image.name,
        "ip": instance.fixed_ip,
        "flavor": instance.flavor.name,
        "status": instance.status,
        "vm_state": instance.vm_state,
        "task_state": instance.task_state,
        "power_state": instance.power_state,
        "created_at": instance.created_at.isoformat(),
        "locked": instance.locked,
        "fault": (instance.fault or {}).get("message"),
        "host_down": instance.host is not None and not instance.host.up,
        # The row's menu, from the engine's action table (project members are not admins; the
        # cloud stream's rows are the instructors', who are).
        "actions": lifecycle.allowed_actions(**gate_state(instance, is_admin=for_instructor)),
    }
    if for_instructor:
        row["host"] = instance.host.name if instance.host else None
        row["project"] = instance.project.name
    return row
