"""Each nova-compute's periodic tasks, and the hypervisor's view of its guests (issue 15 item 4).

Nova's compute service runs, on every host whose service is up:

* ``update_available_resource`` (every 60 s): the ResourceTracker counts the host's usage again
  from its instances and its migrations in progress and writes the compute_nodes record if it
  changed (``resource_tracker.rebuild``). Here the record is the host's row: a correct row is left
  alone (the common case, "nothing changed"); one that drifted (a fault, a claim lost) is
  corrected, and the flow shows which numbers changed.
* ``_sync_power_states`` (every 600 s): each instance's power_state against what the hypervisor
  reports, under the rule of ``resource_tracker.SYNC_RULES``; an active instance whose guest is
  off is stopped through the compute API with no user (an admin context), as Nova does.

Times follow the cloud's pace (``resource_tracker.scaled_seconds``: Nova's 60 s last 30 s at pace 1);
the pages show Nova's own intervals. Celery beat sends ``compute.periodic_tasks`` every
``CLOUDLAB_PERIODIC_TICK`` seconds; each host's task runs when its scaled interval has passed since
its last run (kept in Redis; a first tick runs it at once, as Nova's ``run_immediately``).

The hypervisor's view: a guest normally is what the database says. An instructor can make a guest
power itself off (``do_guest_powers_off``): the hypervisor then reports it SHUTDOWN while the
database still says RUNNING, the libvirt STOPPED lifecycle event arrives ``LIFECYCLE_EVENT_DELAY``
later (scaled) and nova-compute syncs that instance at once (``handle_lifecycle_event``); a sync
that records the driver's state ends the difference. That view lives outside the database, as
libvirt's does, in Redis (``cloudlab:hypervisor:<cloud>``).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING

import redis
from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cloudlab.engine import resource_tracker as rt
from cloudlab.engine.flow import tracker
from cloudlab.engine.lifecycle import PowerState, VmState
from cloudlab.identity.models import is_instructor

from . import flow_log
from .actions.errors import ActionError
from .actions.instance import do_instance_action
from .audit import held_flavors
from .models import Cloud, Host, Instance, InstanceAction
from .publish import publish_instance

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

log = logging.getLogger(__name__)

#: The Celery task names (registered in tasks.py).
PERIODIC_TASKS = "compute.periodic_tasks"
LIFECYCLE_EVENT = "compute.handle_lifecycle_event"

INTERVALS = {
    "update_available_resource": rt.UPDATE_RESOURCES_INTERVAL,
    "_sync_power_states": rt.SYNC_POWER_STATE_INTERVAL,
}


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.EVENTS_REDIS_URL)


def _hypervisor_key(cloud_id: int) -> str:
    return f"{settings.CLOUDLAB_KEY_PREFIX}:hypervisor:{cloud_id}"


def driver_power_state(instance: Instance) -> int:
    """What the instance's hypervisor reports (``get_info``): the database's power_state, unless
    the guest changed by itself since (``do_guest_powers_off``)."""
    value = _redis().hget(_hypervisor_key(instance.cloud_id), str(instance.uuid))
    return int(value) if value is not None else int(instance.power_state)


def _forget_guest(instance: Instance) -> None:
    _redis().hdel(_hypervisor_key(instance.cloud_id), str(instance.uuid))


def scaled(cloud: Cloud, nova_seconds: float) -> float:
    return rt.scaled_seconds(nova_seconds, cloud.pace)


# -- the instructor's fault: a guest powers itself off ------------------------------------------


def do_guest_powers_off(user: AbstractBaseUser, instance: Instance) -> float:
    """The guest of ``instance`` shuts itself down (an ``poweroff`` inside the VM, a crash of
    QEMU): the hypervisor reports SHUTDOWN, libvirt's STOPPED event reaches nova-compute after
    its delay. Returns that delay in seconds. Instructors of the cloud only."""
    if not is_instructor(user, instance.cloud_id):
        raise ActionError(_("Only the cloud's instructors can make a guest power itself off."), status=404)
    instance = Instance.objects.select_related("cloud", "host").get(pk=instance.pk)
    if instance.host is None or instance.power_state != PowerState.RUNNING or instance.vm_state != VmState.ACTIVE:
        raise ActionError(
            _("The guest of %(name)s is not running (it must be active and running on a host).")
            % {"name": instance.name},
            status=409,
        )
    if not instance.host.up:
        raise ActionError(
            _("The compute service of %(host)s is down: nothing reports what its guests do.")
            % {"host": instance.host.name},
            status=409,
        )
    if driver_power_state(instance) != PowerState.RUNNING:
        raise ActionError(_("The guest of %(name)s has already powered itself off.") % {"name": instance.name},
                          status=409)  # fmt: skip
    _redis().hset(_hypervisor_key(instance.cloud_id), str(instance.uuid), int(PowerState.SHUTDOWN))
    delay = scaled(instance.cloud, rt.LIFECYCLE_EVENT_DELAY)
    current_app.tasks[LIFECYCLE_EVENT].apply_async((instance.pk,), countdown=delay)
    return delay


def handle_lifecycle_event(instance_id: int) -> str | None:
    """nova-compute receives libvirt's STOPPED event for the instance's guest and syncs its power
    state at once (the same rule as the periodic task). Nothing if the guest is running again, the
    instance is gone, or its host's service is down (no one hears the event)."""
    with transaction.atomic():
        instance = Instance.objects.locked().filter(pk=instance_id).first()
        if instance is None or instance.host is None or not instance.host.up:
            return None
        seen = driver_power_state(instance)
        if seen == instance.power_state:
            return None
        check = _check(instance, seen)
        flow_log.publish_node_task(
            instance.host, "handle_lifecycle_event", tracker.lifecycle_event(instance.cloud.era, check),
            instance=instance, outcome=check.decision.rule.key,
        )  # fmt: skip
        return _apply(instance, check)


# -- _sync_power_states -----------------------------------------------------------------------


def _check(instance: Instance, seen: int) -> tracker.SyncCheck:
    decision = rt.sync_instance_power_state(instance.vm_state, instance.task_state, instance.power_state, seen)
    return tracker.SyncCheck(instance.name, instance.vm_state, instance.task_state, instance.power_state, seen,
                             decision)  # fmt: skip


def _apply(instance: Instance, check: tracker.SyncCheck) -> str:
    """Write the driver's power_state, then call the compute API the rule names (a stop with no
    user and no project, as Nova's admin context). The hypervisor's view and the database agree
    once the state is written."""
    decision = check.decision
    if decision.write_power_state is not None:
        instance.power_state = decision.write_power_state
        instance.save(update_fields=["power_state", "updated_at"])
        publish_instance(instance)
    if decision.rule.key != "skip_task":
        _forget_guest(instance)
    if decision.action in ("stop", "force_stop"):
        try:
            accepted = do_instance_action(None, instance, "stop")
        except ActionError as refused:  # the gate refused (a stopped instance's force_stop): log only
            log.info("power sync of %s: %s refused: %s", instance.uuid, decision.action, refused)
        else:
            # Nova's periodic tasks run with get_admin_context(): user_id and project_id NULL.
            InstanceAction.objects.filter(pk=accepted.action.pk).update(project=None)
    return f"{instance.name}: {decision.rule.key}"


def sync_power_states(host_id: int) -> list[str]:
    """One run of ``_sync_power_states`` on the host: each of its instances synced (skipped while
    a task runs), one flow for the run."""
    host = Host.objects.select_related("cloud").get(pk=host_id)
    done: list[str] = []
    checks: list[tracker.SyncCheck] = []
    with transaction.atomic():
        ids = list(Instance.objects.filter(host=host).exclude(vm_state=VmState.DELETED).order_by("pk")
                   .values_list("pk", flat=True))  # fmt: skip
        for pk in ids:
            instance = Instance.objects.locked().filter(pk=pk, host=host).first()
            if instance is None:
                continue
            check = _check(instance, driver_power_state(instance))
            checks.append(check)
            done.append(_apply(instance, check) if check.decision.rule.key != "skip_task" else f"{instance.name}: skip")
        flow_log.publish_node_task(host, "_sync_power_states",
                                   tracker.sync_power_states(host.cloud.era, len(ids), len(ids), checks))  # fmt: skip
    return done


# -- update_available_resource ----------------------------------------------------------------


def update_available_resource(host_id: int) -> list[rt.Change]:
    """One run of the ResourceTracker's periodic task on the host: the record rebuilt from what
    the host holds, written if it changed; the flow shows the totals and the changes."""
    with transaction.atomic():
        host = Host.objects.select_for_update().select_related("cloud").get(pk=host_id)
        before = flow_log.node_record(host)
        after = rt.rebuild(
            memory_mb=host.memory_mb, local_gb=host.local_gb, vcpus=host.vcpus, instances=[],
            migrations=held_flavors(host), reserved_host_memory_mb=host.reserved_host_memory_mb,
            reserved_host_disk_mb=host.reserved_host_disk_mb, reserved_host_cpus=host.reserved_host_cpus,
            overhead_mb=host.instance_overhead_mb,
        )  # fmt: skip
        after = replace(after, running_vms=before.running_vms)  # the instances, not the migrations
        changed = rt.changes(before, after)
        if changed:
            host.vcpus_used, host.memory_mb_used, host.local_gb_used = (
                after.vcpus_used, after.memory_mb_used, after.local_gb_used
            )
            host.save(update_fields=["vcpus_used", "memory_mb_used", "local_gb_used"])
            log.warning("update_available_resource corrected %s: %s", host.name,
                        rt.describe(before, after, every=False))  # fmt: skip
        flow_log.publish_node_task(host, "update_available_resource",
                                   tracker.update_available_resource(host.cloud.era, before, after),
                                   outcome="changed" if changed else None)  # fmt: skip
    return changed


# -- the beat's tick ----------------------------------------------------------------------------


def _last_run_key(host_id: int, task: str) -> str:
    return f"{settings.CLOUDLAB_KEY_PREFIX}:periodic:{host_id}:{task}"


def run_periodic_tasks(*, force: bool = False, cloud_id: int | None = None) -> list[str]:
    """Run every periodic task that is due, on every host whose nova-compute is up (a down service
    runs nothing); ``force``: all of them now (the instructor's button, the tests)."""
    now = timezone.now().timestamp()
    lines: list[str] = []
    hosts = Host.objects.select_related("cloud").filter(up=True).order_by("cloud_id", "name")
    if cloud_id is not None:
        hosts = hosts.filter(cloud_id=cloud_id)
    for host in hosts:
        for task, interval in INTERVALS.items():
            key = _last_run_key(host.pk, task)
            last = _redis().get(key)
            if not force and last is not None and now - float(last) < scaled(host.cloud, interval):
                continue
            _redis().set(key, now, ex=int(scaled(host.cloud, interval) * 4) + 60)
            try:
                if task == "update_available_resource":
                    changed = update_available_resource(host.pk)
                    lines.append(f"{host.name} {task}: {', '.join(c.column for c in changed) or 'no change'}")
                else:
                    lines.append(f"{host.name} {task}: {'; '.join(sync_power_states(host.pk)) or 'no instance'}")
            except Host.DoesNotExist:  # the cloud was reset meanwhile
                continue
    return lines
