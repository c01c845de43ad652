"""The one step runner: every paced action on an instance (a boot, stop, reboot, resize …) is a
lifecycle plan (``lifecycle.plan``) applied one step at a time by the worker.

``begin`` applies what nova-api writes at once and enqueues the first compute-side step;
``run_step`` (the Celery task ``compute.run_step``) applies one step:

1. lock the instance row; the action must be unfinished and at this step (its own step
   counter), and the instance in the task_state the step expects (a compare-and-swap: a
   duplicate or late delivery, the reaper or another action make it a no-op);
2. open the step's event in the action log, perform its effect (``effects.py``), write its
   state;
3. save, publish the row after commit, and enqueue the next step with the engine's pacing
   (``pacing.phase_seconds``, plus the time the funnel of a scheduling pass takes to play, so
   nothing moves on before the class has watched the scheduler choose) as countdown. No task
   sleeps. The phase is counted from when the step was due on the action's timeline
   (``pacing.next_due``), which the step's task carries: a worker busy with a class's burst
   delays a step, and the phases after it take the delay back.

An effect that fails ends the action through the plan's failure step (``fail``); a claim that
lost its race in the classic era runs the same step again (``Reschedule``).
"""

from __future__ import annotations

import time

from django.db import transaction
from django.utils import timezone

from cloudlab.engine import lifecycle
from cloudlab.engine.architectures import DEFAULT_ARCHITECTURE
from cloudlab.engine.pacing import next_due, phase_seconds

from . import action_log, flow_log, queue
from .effects import apply_effect
from .models import Host, Instance, InstanceAction
from .outcomes import Reschedule, StepFailed
from .publish import publish_instance


def plan_of(record: InstanceAction) -> lifecycle.Plan:
    """The action's plan, derived again from what the request found (kept in its context)."""
    context = record.context
    return lifecycle.plan(
        context["action"],
        vm_state=context["vm_state"],
        power_state=context["power_state"],
        params=context.get("params", {}),
        task_state=context.get("task_state"),
        has_host=context.get("has_host", True),
        host_up=context.get("host_up", True),
    )


def set_state(instance: Instance, step: lifecycle.Step) -> None:
    instance.vm_state = step.vm_state
    instance.task_state = step.task_state
    instance.power_state = step.power_state


def step_seconds(instance: Instance, step: lifecycle.Step) -> float:
    """How long the phase ``step`` starts lasts on this instance's host."""
    architecture = instance.host.architecture if instance.host else DEFAULT_ARCHITECTURE
    cloud = instance.cloud
    return phase_seconds(step, cloud.pace, architecture, instance.image.size_mb, cloud.illustrative_start_seconds)


def pace_time(instance: Instance, record: InstanceAction, funnel: float) -> float:
    """How long the action takes alone at its cloud's pace: the api_step's phase, the phase each
    step but the last starts and the ``funnel`` seconds its scheduling pass plays, what ``begin``
    and ``run_step`` wait added up. A boot that never got a host ended at its pass."""
    plan = plan_of(record)
    seconds = step_seconds(instance, plan.api_step) if plan.api_step is not None else 0.0
    if instance.host_id is not None:
        seconds += sum(step_seconds(instance, step) for step in plan.steps[:-1])
    return seconds + funnel


def begin(
    instance: Instance,
    record: InstanceAction,
    plan: lifecycle.Plan,
    event: str = "instance.updated",
    *,
    start: bool = True,
    inserted: bool = False,
) -> None:
    """Write the plan's api_step on the locked instance, publish the row (``event``) and start
    the first compute-side step once the API's cast has arrived, in that order after commit, so
    no viewer sees a step before the request; a plan with no steps is over at once. ``start``
    False: another writer starts the steps (the first instance of a multi-create); ``inserted``:
    the instance was just inserted in the api_step's state (a boot), so there is nothing to write."""
    if plan.api_step is not None and not inserted:
        set_state(instance, plan.api_step)
        instance.fault = None
        instance.save()
    publish_instance(instance, event)
    flow_log.publish_api(instance, record)
    if not plan.steps:
        action_log.finish_action(record)
    elif start:
        delay = step_seconds(instance, plan.api_step) if plan.api_step is not None else 0.0
        queue.run_step(instance.pk, record.pk, 0, delay, due=time.time() + delay)


def run_step(instance_id: int, action_id: int, index: int, due: float | None = None) -> None:
    """Apply step ``index`` of the action's plan, if the instance is where that step expects it.
    ``due``: when the step was due on the action's timeline (``None``: now)."""
    due = time.time() if due is None else due
    with transaction.atomic():
        instance = Instance.objects.locked().filter(pk=instance_id).first()
        record = InstanceAction.objects.filter(pk=action_id, instance_id=instance_id).first()
        if instance is None or record is None or record.finish_time is not None:
            return
        plan = plan_of(record)
        if index >= len(plan.steps) or record.context.get("step", 0) != index:
            return
        if instance.task_state != plan.steps[index].expect_task_state:
            return
        if flow_log.held_by_down_host(instance, record, index):
            return  # the cast waits in the down host's queue (the reaper resends or settles it)
        step = plan.steps[index]
        if step.event:  # a new phase of the action log starts; the previous one is done
            action_log.start_event(record, step.event, instance.host.name if instance.host else "")
        try:
            wait = apply_effect(step.effect, instance, record)
        except Reschedule:
            flow_log.publish_step(instance, record, index, rescheduled=True)
            queue.run_step(instance.pk, record.pk, index)
            return
        except StepFailed as failure:
            fail(instance, record, plan, str(failure))
            flow_log.publish_step(instance, record, index, failure=str(failure))
            for other in failure.others:  # the rest of a multi-create fails with it
                other_plan = plan_of(other.record)
                event = other_plan.steps[other.record.context.get("step", 0)].event
                if event:
                    action_log.start_event(other.record, event, "")
                fail(other.instance, other.record, other_plan, str(failure))
            return
        set_state(instance, step)
        index += 1
        last = index >= len(plan.steps)
        if step.vm_state == lifecycle.VmState.ACTIVE and instance.launched_at is None:
            instance.launched_at = timezone.now()
        _save(instance, record, index)
        if last:
            _succeeded(instance, record)
        publish_instance(instance)
        flow_log.publish_step(instance, record, index - 1)
        if not last:
            now = time.time()
            on_timeline, at = next_due(due, now, step_seconds(instance, step), wait)
            queue.run_step(instance.pk, record.pk, index, at - now, due=on_timeline)


def _save(instance: Instance, record: InstanceAction, next_index: int) -> None:
    """Save the instance; the action's step counter is set on the record and written with the
    step's flow entry by ``flow_log.publish_step`` (``_remember``), which every applied step
    calls before its transaction commits: one write of the context per step instead of two."""
    instance.save()
    record.context = {**record.context, "step": next_index}


def _succeeded(instance: Instance, record: InstanceAction) -> None:
    action_log.finish_action(record)
    if record.context["action"] == lifecycle.BUILD and instance.host is not None and instance.host.failed_builds:
        # Nova's build_succeeded: the host's failure count (BuildFailureWeigher) starts again.
        Host.objects.filter(pk=instance.host.pk).update(failed_builds=0)


def fail(instance: Instance, record: InstanceAction, plan: lifecycle.Plan, message: str) -> None:
    """Nova's outcome when a step's effect cannot happen: the plan's failure step (a move goes
    back to where it was, an evacuation or a boot ends in error, a boot frees its claim), the
    fault recorded, the action marked Error."""
    failure = plan.on_failure
    if failure is not None:
        apply_effect(failure.effect, instance, record)
        set_state(instance, failure)
    else:
        instance.vm_state = record.context["vm_state"]
        instance.power_state = record.context["power_state"]
        instance.task_state = None
    instance.fault = {"code": 500, "message": message, "created": timezone.now().isoformat()}
    instance.save()
    action_log.finish_action(record, error=message)
    publish_instance(instance)
