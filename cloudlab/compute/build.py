"""The build pipeline's writers: schedule and claim, then step the instance to active.

Called by the Celery tasks in ``tasks.py``; every function here is one transaction that checks
the state it expects first, so a duplicate delivery or a deleted instance is a no-op.
"""

from __future__ import annotations

import ipaddress
import logging

from django.db import transaction
from django.utils import timezone

from cloudlab.engine import lifecycle
from cloudlab.engine.lifecycle import BUILD_STEPS, TaskState, VmState
from cloudlab.engine.pacing import phase_seconds
from cloudlab.engine.resources import Shortfall
from cloudlab.engine.scheduler import max_retries_exceeded

from .actions import publish_instance
from .claims import finish_open_events, release, try_claim
from .decisions import start_live_replay
from .models import Cloud, Host, Instance, InstanceAction, InstanceActionEvent, SchedulingRecord
from .scheduling import decide, scheduler_config

log = logging.getLogger(__name__)

NO_FIXED_IP = "Zero fixed IPs available."


def _locked_instance(instance_id: int) -> Instance | None:
    return Instance.objects.locked().filter(pk=instance_id).first()


def _create_action(instance: Instance) -> InstanceAction:
    action = instance.actions.filter(action="create").order_by("-start_time").first()
    if action is None:  # created outside do_launch (a scenario's pre-existing instance)
        action = InstanceAction.objects.create(
            instance=instance,
            action="create",
            request_id=InstanceAction.new_request_id(),
            user=instance.user,
            project=instance.project,
            start_time=timezone.now(),
        )
    return action


def _fail(instance: Instance, action: InstanceAction, message: str, event: str) -> None:
    now = timezone.now()
    instance.vm_state = VmState.ERROR
    instance.task_state = None
    instance.fault = {"code": 500, "message": message, "created": now.isoformat()}
    instance.save(update_fields=["vm_state", "task_state", "fault", "updated_at"])
    finish_open_events(action, InstanceActionEvent.Result.ERROR, message)
    if not action.events.filter(event=event).exists():
        InstanceActionEvent.objects.create(
            action=action,
            event=event,
            start_time=now,
            finish_time=now,
            result=InstanceActionEvent.Result.ERROR,
            details=message,
        )
    action.finish_time = now
    action.message = "Error"
    action.save(update_fields=["finish_time", "message"])
    publish_instance(instance)


def schedule_and_claim(instance_id: int) -> None:
    """Steps:

    1. run the cloud's scheduler (the engine) on the current state of every host, excluding the
       hosts this instance already failed to claim on (classic RetryFilter), and keep the trace
       as a SchedulingRecord;
    2. NoValidHost / MaxRetriesExceeded → vm_state error with Nova's fault;
    3. lock the chosen host's row and re-check the fit (in the placement era, walk the
       alternates too); if it filled since the scheduler looked, record the lost race and
       schedule again (up to ``max_attempts``);
    4. claim: add the flavor to the host's usage, set host/node/zone, take a fixed IP and enter
       ``networking``; then the paced steps follow.
    """
    from .tasks import build_instance, enqueue_step

    instance = Instance.objects.select_related("cloud", "flavor", "image", "project").filter(pk=instance_id).first()
    if instance is None or (instance.vm_state, instance.task_state) != (VmState.BUILDING, TaskState.SCHEDULING):
        return
    records = list(instance.scheduling_records.order_by("attempt"))
    tried = [r.selected_host for r in records if r.outcome == SchedulingRecord.Outcome.CLAIM_FAILED]
    trace, moment = decide(instance, tried=tried)
    config = scheduler_config(instance.cloud)

    with transaction.atomic():
        instance = _locked_instance(instance_id)
        if instance is None or (instance.vm_state, instance.task_state) != (VmState.BUILDING, TaskState.SCHEDULING):
            return
        action = _create_action(instance)
        record = SchedulingRecord(
            cloud=instance.cloud,
            instance=instance,
            action=action,
            attempt=len(records) + 1,
            era=trace["era"],
            driver=trace["driver"],
            trace=trace,
            moment=moment,
        )
        event = action.events.filter(event="schedule_instances", finish_time__isnull=True).first()
        if event is None:
            event = InstanceActionEvent.objects.create(
                action=action, event="schedule_instances", start_time=timezone.now()
            )
        if trace["error"]:
            record.outcome = trace["error"]["type"]
            record.detail = trace["error"]["message"]
            record.save()
            start_live_replay(record)
            _fail(instance, action, trace["error"]["message"], "schedule_instances")
            return
        candidates = [trace["selected_hosts"][0], *trace.get("alternates", [])]
        chosen = None
        for name in candidates:
            host_id = Host.objects.only("pk").get(cloud=instance.cloud, name=name).pk
            chosen, shortfalls = try_claim(host_id, instance.flavor, instance.cloud.era)
            if chosen is not None:
                break
            record.detail += _shortfall_text(name, shortfalls)
        if chosen is None:
            # ComputeResourcesUnavailable: another claim won the race. Nova reschedules.
            record.selected_host = candidates[0]
            record.outcome = SchedulingRecord.Outcome.CLAIM_FAILED
            record.save()
            if config.era == "placement" or len(tried) + 1 >= config.max_attempts:
                fault = max_retries_exceeded(config, str(instance.uuid), record.detail.strip())
                _fail(instance, action, fault["message"], "schedule_instances")
                return
            transaction.on_commit(lambda: build_instance.delay(instance_id))
            return
        record.selected_host = chosen.name
        record.outcome = SchedulingRecord.Outcome.CLAIMED
        record.save()
        funnel_seconds = start_live_replay(record)
        finish_open_events(action, InstanceActionEvent.Result.SUCCESS)
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
        # The build goes on once the class has watched the funnel (paced like the steps).
        enqueue_step(instance.pk, 1, _phase_seconds(instance, step) + funnel_seconds)


def _shortfall_text(host: str, shortfalls: list[Shortfall]) -> str:
    parts = ", ".join(f"{s.resource} requested {s.requested:g} > free {s.free:g}" for s in shortfalls)
    return f"{host}: {parts}. "


def _phase_seconds(instance: Instance, step: lifecycle.Step) -> float:
    architecture = instance.host.architecture if instance.host else "bare-metal"
    return phase_seconds(step, instance.cloud.pace, architecture, instance.image.size_mb)


def _apply_step(instance: Instance, action: InstanceAction, step: lifecycle.Step) -> None:
    finish_open_events(action, InstanceActionEvent.Result.SUCCESS)
    instance.vm_state = step.vm_state
    instance.task_state = step.task_state
    instance.power_state = step.power_state
    if step.event:
        InstanceActionEvent.objects.create(
            action=action,
            event=step.event,
            start_time=timezone.now(),
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
    release(instance.host.pk, instance.flavor)
    instance.host = None
    instance.node = ""
