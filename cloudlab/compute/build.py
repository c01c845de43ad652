"""The build pipeline's writers: schedule and claim, then step the instance to active.

Called by the Celery tasks in ``tasks.py``; every function here is one transaction that checks
the state it expects first, so a duplicate delivery or a deleted instance is a no-op.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from cloudlab.engine import lifecycle
from cloudlab.engine.lifecycle import BUILD_STEPS, TaskState, VmState
from cloudlab.engine.resources import claim_shortfalls

from .actions import publish_instance
from .models import Cloud, Host, Instance, InstanceAction, InstanceActionEvent

log = logging.getLogger(__name__)

NO_VALID_HOST = "No valid host was found. There are not enough hosts available."
NO_FIXED_IP = "Zero fixed IPs available."


def _locked_instance(instance_id: int) -> Instance | None:
    return (
        Instance.objects.select_for_update(of=("self",))
        .select_related("cloud", "flavor", "image", "host", "project")
        .filter(pk=instance_id)
        .first()
    )


def _create_action(instance: Instance) -> InstanceAction:
    action = instance.actions.filter(action="create").order_by("-start_time").first()
    if action is None:  # created outside do_launch (a scenario's pre-existing instance)
        action = InstanceAction.objects.create(
            instance=instance, action="create", request_id=InstanceAction.new_request_id(),
            user=instance.user, project=instance.project, start_time=timezone.now(),
        )
    return action


def _finish_open_events(action: InstanceAction, result: str, details: str = "") -> None:
    action.events.filter(finish_time__isnull=True).update(
        finish_time=timezone.now(), result=result, details=details
    )


def _candidate_hosts(instance: Instance) -> list[Host]:
    """Hosts whose service is enabled and up, ordered "most free RAM first" among those the
    flavor fits by the cloud era's capacity rule. (The FilterScheduler replaces this.)"""
    hosts = list(Host.objects.filter(cloud=instance.cloud, enabled=True, up=True).select_related("cloud"))
    era = instance.cloud.era
    fitting = [h for h in hosts if not claim_shortfalls(h.resources(), instance.flavor.size, era)]  # type: ignore[arg-type]
    return sorted(fitting, key=lambda h: (-h.resources().free_ram_mb, h.name))


def _fail(instance: Instance, action: InstanceAction, message: str, event: str) -> None:
    now = timezone.now()
    instance.vm_state = VmState.ERROR
    instance.task_state = None
    instance.fault = {"code": 500, "message": message, "created": now.isoformat()}
    instance.save(update_fields=["vm_state", "task_state", "fault", "updated_at"])
    _finish_open_events(action, InstanceActionEvent.Result.ERROR, message)
    if not action.events.filter(event=event).exists():
        InstanceActionEvent.objects.create(
            action=action, event=event, start_time=now, finish_time=now,
            result=InstanceActionEvent.Result.ERROR, details=message,
        )
    action.finish_time = now
    action.message = "Error"
    action.save(update_fields=["finish_time", "message"])
    publish_instance(instance)


def schedule_and_claim(instance_id: int) -> None:
    """Steps: pick a host; lock it and re-check the fit; claim; then enter ``networking`` with a
    fixed IP. No host fits → vm_state error with Nova's NoValidHost fault."""
    from .tasks import enqueue_step

    with transaction.atomic():
        instance = _locked_instance(instance_id)
        if instance is None or (instance.vm_state, instance.task_state) != (VmState.BUILDING, TaskState.SCHEDULING):
            return
        action = _create_action(instance)
        now = timezone.now()
        InstanceActionEvent.objects.create(action=action, event="schedule_instances", start_time=now)
        chosen = None
        for candidate in _candidate_hosts(instance):
            host = Host.objects.select_for_update().select_related("cloud").get(pk=candidate.pk)
            resources = host.resources()
            if claim_shortfalls(resources, instance.flavor.size, instance.cloud.era):  # type: ignore[arg-type]
                continue  # filled since we looked: try the next best
            host.set_usage(resources.consume(instance.flavor.size))
            host.save(update_fields=["vcpus_used", "memory_mb_used", "local_gb_used"])
            chosen = host
            break
        if chosen is None:
            _fail(instance, action, NO_VALID_HOST, "schedule_instances")
            return
        _finish_open_events(action, InstanceActionEvent.Result.SUCCESS)
        instance.host = chosen
        instance.node = chosen.name
        instance.availability_zone = chosen.availability_zone
        ip = _allocate_fixed_ip(instance.cloud)
        if ip is None:
            _release_claim(instance)
            _fail(instance, action, NO_FIXED_IP, "compute_allocate_network")
            return
        instance.fixed_ip = ip
        step = BUILD_STEPS[0]
        _apply_step(instance, action, step)
        instance.save()
        publish_instance(instance)
        enqueue_step(instance.pk, 1, _phase_seconds(instance, step))


def _phase_seconds(instance: Instance, step: lifecycle.Step) -> float:
    architecture = instance.host.architecture if instance.host else "bare-metal"
    return lifecycle.phase_seconds(step, instance.cloud.pace, architecture, instance.image.size_mb)


def _apply_step(instance: Instance, action: InstanceAction, step: lifecycle.Step) -> None:
    _finish_open_events(action, InstanceActionEvent.Result.SUCCESS)
    instance.vm_state = step.vm_state
    instance.task_state = step.task_state
    instance.power_state = step.power_state
    if step.event:
        InstanceActionEvent.objects.create(
            action=action, event=step.event, start_time=timezone.now(),
            host=instance.host.name if instance.host else "",
        )


def advance(instance_id: int, step_index: int) -> None:
    """Apply ``BUILD_STEPS[step_index]`` if the instance is still where the previous step left it."""
    from .tasks import enqueue_step

    step = BUILD_STEPS[step_index]
    with transaction.atomic():
        instance = _locked_instance(instance_id)
        if instance is None or (instance.vm_state, instance.task_state) != (VmState.BUILDING, step.expect_task_state):
            return
        action = _create_action(instance)
        _apply_step(instance, action, step)
        if step.vm_state == VmState.ACTIVE:
            now = timezone.now()
            instance.launched_at = now
            action.finish_time = now
            action.save(update_fields=["finish_time"])
            if instance.host and instance.host.failed_builds:
                Host.objects.filter(pk=instance.host.pk).update(failed_builds=0)
        instance.save()
        publish_instance(instance)
        if step_index + 1 < len(BUILD_STEPS):
            enqueue_step(instance.pk, step_index + 1, _phase_seconds(instance, step))


def _allocate_fixed_ip(cloud: Cloud) -> str | None:
    """The lowest free address of the cloud's network after the gateway (.1), as Neutron's
    default allocation pool hands them out: 10.0.0.2, 10.0.0.3, …"""
    Cloud.objects.select_for_update().filter(pk=cloud.pk).exists()  # serialise allocations
    used = {
        ipaddress.ip_address(ip)
        for ip in Instance.objects.filter(cloud=cloud, fixed_ip__isnull=False).values_list("fixed_ip", flat=True)
    }
    hosts = cloud.network.hosts()
    next(hosts, None)  # the gateway
    for address in hosts:
        if address not in used:
            return str(address)
    return None


def _release_claim(instance: Instance) -> None:
    if instance.host is None:
        return
    host = Host.objects.select_for_update().select_related("cloud").get(pk=instance.host.pk)
    host.set_usage(host.resources().release(instance.flavor.size))
    host.save(update_fields=["vcpus_used", "memory_mb_used", "local_gb_used"])
    instance.host = None
    instance.node = ""


def snapshot_fields(instance: Instance) -> dict[str, Any]:
    return {"vm_state": instance.vm_state, "task_state": instance.task_state, "power_state": instance.power_state}
