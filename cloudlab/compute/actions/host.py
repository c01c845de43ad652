"""Admin → Hypervisors → Compute Host: a host's nova-compute service disabled or enabled, its
heartbeat stopped or restarted, and what that does to the instances on it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cloudlab.engine import lifecycle
from cloudlab.identity.models import is_instructor
from cloudlab.live.events import cloud_stream, publish_on_commit

from .. import flow_log, queue
from ..host_services import HOST_ACTIONS, available_host_actions
from ..limits import column_limits, text_problem
from ..models import Host, Instance, InstanceAction
from ..publish import publish_instance
from ..rows import host_row
from .errors import ActionError
from .instance import do_instance_action

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


#: The disabled reason's column holds this many characters (read from the model field).
MAX_DISABLED_REASON = column_limits(Host, "disabled_reason").max_length or 255


def do_host_action(user: AbstractBaseUser, host: Host, action: str, reason: str = "") -> Host:
    """Disable or enable a host's nova-compute service, or stop / restart its heartbeat (what
    ComputeFilter reads). Announced live to the cloud's instructors."""
    if not is_instructor(user, host.cloud_id):
        raise ActionError(_("Only the cloud's instructors manage its compute services."), status=404)
    if action not in HOST_ACTIONS:
        raise ActionError(_("Unknown host action '%(action)s'.") % {"action": action})
    reason = reason.strip() if isinstance(reason, str) else ""
    if len(reason) > MAX_DISABLED_REASON:
        raise ActionError(
            _("The reason is %(length)d characters long; at most %(max)d are allowed.")
            % {"length": len(reason), "max": MAX_DISABLED_REASON},
            "reason",
        )
    if text_problem(reason):
        # NUL breaks PostgreSQL; ESC and the other controls would be replayed in every log line.
        raise ActionError(_("The reason cannot contain control characters."), "reason")
    with transaction.atomic():
        host = Host.objects.select_for_update().select_related("cloud").get(pk=host.pk)
        if action not in available_host_actions(enabled=host.enabled, up=host.up):
            messages = {
                "disable": _("The compute service of %(host)s is already disabled."),
                "enable": _("The compute service of %(host)s is already enabled."),
                "mark_down": _("%(host)s is already down."),
                "bring_up": _("%(host)s is already up."),
            }
            raise ActionError(messages[action] % {"host": host.name}, status=409)
        if action == "disable":
            host.enabled, host.disabled_reason = False, reason
        elif action == "enable":
            host.enabled, host.disabled_reason = True, ""
        elif action == "mark_down":
            host.up, host.down_since = False, timezone.now()
        else:
            host.up, host.down_since = True, None
        host.save(update_fields=["enabled", "disabled_reason", "up", "down_since"])
        publish_on_commit(cloud_stream(host.cloud_id), "host.updated", {**host_row(host), "by": user.get_username()})
        flow_log.publish_service_change(host, action)  # every member's deployment view follows its health
    # After the host's transaction: every writer locks an instance before its host (a step's
    # claim or release), so holding the host while locking its instances could deadlock.
    if action in ("mark_down", "bring_up"):
        _follow_host_state(host, recovered=action == "bring_up")
    return host


def _resume_held_step(instance: Instance) -> bool:
    """nova-compute is back: the cast that waited in its queue (``flow_log.held_by_down_host``) is
    consumed now, so the instance's waiting step runs at once (the reaper would only resend it
    later). Whether one was waiting."""
    record = InstanceAction.objects.filter(instance=instance, finish_time__isnull=True).order_by("-id").first()
    if record is None:
        return False
    index = record.context.get("step", 0)
    held = any(
        e.get("index") == index and e.get("outcome") == "host_down" for e in record.context.get("flow_steps", [])
    )
    if held:
        queue.run_step(instance.pk, record.pk, index)
    return held


def _follow_host_state(host: Host, *, recovered: bool) -> None:
    """What the host's instances show when its heartbeat stops or comes back.

    Down: nothing is synced for a dead host, so vm_state and power_state stay as last reported
    (the rows say the host is down). Back: its guests died with it, the hypervisor reports them
    shut down, and Nova's power-state sync records that and stops, through the API, an instance
    that is still active (the engine's ``power_state_after_host_recovery``). Each instance is
    written in its own transaction under its row lock, as every other writer of it does."""
    for instance_id in Instance.objects.filter(host=host).values_list("pk", flat=True):
        with transaction.atomic():
            instance = Instance.objects.filter(pk=instance_id, host=host).locked().first()
            if instance is None:  # it moved or went away meanwhile
                continue
            if not recovered:
                publish_instance(instance)
                continue
            if _resume_held_step(instance):
                continue  # its step goes on; the power-state sync leaves a task in progress alone
            sync = lifecycle.power_state_after_host_recovery(
                instance.vm_state, instance.task_state, instance.power_state
            )
            if sync is None:
                publish_instance(instance)
                continue
            instance.power_state = sync.power_state
            instance.save(update_fields=["power_state", "updated_at"])
            publish_instance(instance)
            if sync.action:
                try:
                    # The sync is the compute service's own (an admin context, no user), not the
                    # instructor who brought the host back.
                    do_instance_action(None, instance, sync.action)
                except ActionError:
                    pass  # the gate refused (a task is running): the next sync would try again
