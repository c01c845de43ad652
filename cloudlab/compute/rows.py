"""An instance as one row of Horizon's Instances table: the plain data pages and events carry.

Labels are not here: the page renders codes (status, task_state, power_state) through the
engine's lifecycle tables, so one source decides how a state reads, in every language.
"""

from __future__ import annotations

from typing import Any

from cloudlab.engine import lifecycle
from cloudlab.engine.resources import limits as resource_limits
from cloudlab.engine.resources import over_limits
from cloudlab.live.schemas import HostRow, InstanceRow

from .host_services import available_host_actions
from .models import Host, Instance, Migration


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
        "source_host_up": _resize_source_up(instance),
        "is_admin": is_admin,
    }


def _resize_source_up(instance: Instance) -> bool | None:
    """For a resized instance, whether the resize's source compute service is up (confirm needs
    it); None when there is no resize waiting."""
    if instance.vm_state != lifecycle.VmState.RESIZED:
        return None
    move = instance.migrations.filter(status=Migration.Status.FINISHED).select_related("source_host").first()
    return move.source_host.up if move is not None else None


def shown_host(instance: Instance) -> Host | None:
    """The host the API shows: none while the instance is still being scheduled. The claim is
    made with the scheduler's pass, but Nova writes instance.host when the compute service takes
    the instance, as networking starts, and the class is still watching the funnel until then."""
    if instance.task_state == lifecycle.TaskState.SCHEDULING:
        return None
    return instance.host


def instance_row(instance: Instance, *, for_instructor: bool) -> InstanceRow:
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
        "version": int(instance.updated_at.timestamp() * 1_000_000),
        # The row's menu, from the engine's action table (project members are not admins; the
        # cloud stream's rows are the instructors', who are).
        "actions": lifecycle.allowed_actions(**gate_state(instance, is_admin=for_instructor)),
    }
    if for_instructor:
        host = shown_host(instance)
        row["host"] = host.name if host else None
        row["project"] = instance.project.name
    return row


def host_row(host: Host) -> HostRow:
    """A compute host as Admin → Hypervisors shows it: capacity, usage, limits after the ratios
    (and, per resource, whether usage is beyond its limit: over-committed), and the service
    actions available now."""
    resources = host.resources()
    limits = resource_limits(resources, host.cloud.era)  # type: ignore[arg-type]
    return {
        "name": host.name,
        "hypervisor_type": host.hypervisor_type,
        "hypervisor_version": host.hypervisor_version,
        "architecture": host.architecture,
        "architecture_label": str(host.get_architecture_display()),
        "availability_zone": host.availability_zone,
        "aggregates": [a.name for a in host.aggregates.all()],
        "host_ip": host.host_ip,
        "vcpus": host.vcpus,
        "vcpus_used": host.vcpus_used,
        "memory_mb": host.memory_mb,
        "memory_mb_used": host.memory_mb_used,
        "local_gb": host.local_gb,
        "local_gb_used": host.local_gb_used,
        "reserved_host_memory_mb": host.reserved_host_memory_mb,
        "limits": limits,
        "over": over_limits(resources, host.cloud.era),  # type: ignore[arg-type]
        "ratios": {
            "cpu": resources.cpu_allocation_ratio,
            "ram": resources.ram_allocation_ratio,
            "disk": resources.disk_allocation_ratio,
        },
        "instances": host.instances.exclude(vm_state=lifecycle.VmState.DELETED).count(),
        "enabled": host.enabled,
        "disabled_reason": host.disabled_reason,
        "up": host.up,
        "down_since": host.down_since.isoformat() if host.down_since else None,
        # The row's buttons: each service action that would change something now.
        "actions": available_host_actions(enabled=host.enabled, up=host.up),
    }
