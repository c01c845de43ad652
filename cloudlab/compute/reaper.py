"""No instance is ever stuck: settle instances left in a transitional state by a dead worker.

A worker killed in the middle of a step leaves the instance in a task_state that no queued task
will move on (its step lost with a Redis that restarted empty, or a step whose message could not
be sent). The reaper finds instances whose transitional state lasted past the time the cloud's
pace gives its phase, the funnel it waits for and the broker's redelivery (``due_by``), by a grace
period, and settles them as Nova's compute start-up (``_init_instance``) does: the engine's ``settlement`` gives the
steps (a build becomes error, a reboot completes, a deletion finishes…). It runs when a worker
starts and periodically (Celery beat), and records what it did in the instance's action log.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cloudlab.engine import lifecycle
from cloudlab.engine.pacing import funnel_seconds
from cloudlab.engine.scheduler import replay_stages

from . import action_log, queue
from .effects import apply_effect
from .models import Instance
from .outcomes import StepFailed
from .publish import publish_instance
from .runner import plan_of, set_state, step_seconds

log = logging.getLogger(__name__)

#: The event a settled instance's action log shows, after Nova's compute start-up routine.
SETTLE_EVENT = "compute_init_instance"


def due_by(instance: Instance) -> datetime:
    """When the instance's current phase is over at the latest, if its worker is alive.

    1. The phase it is in was started by the step before its action's next one (the plan's
       api_step before the first): the engine's pacing says how long that phase lasts on this
       host, with this image (``runner.step_seconds``), from when the instance last changed.
    2. After a scheduling pass the next step also waits for the decision's funnel to play
       (``pacing.funnel_seconds``), counted from when the funnel started: the 'scheduling' wait.
    3. While a step is still to come, its message may only be waiting for the broker to hand it
       out again: a killed worker's deliveries come back once they are older than the broker's
       visibility timeout and the next sweep runs. The redelivered step finishes the action
       better than settling it would, so it gets that chance first.

    An instance with no action in progress has no step to wait for: its state is due at once.
    """
    due = instance.updated_at
    record = action_log.open_action(instance)
    if record is None:
        return due
    plan = plan_of(record)
    index = record.context.get("step", 0)
    if index >= len(plan.steps):
        return due
    started_by = plan.api_step if index == 0 else plan.steps[index - 1]
    phase = timedelta(seconds=step_seconds(instance, started_by) if started_by is not None else 0.0)
    due += phase
    decision = record.scheduling_records.exclude(live_started_at=None).order_by("-attempt", "-id").first()
    if decision is not None:
        funnel = funnel_seconds(decision.cloud.pace, len(replay_stages(decision.trace)))
        due = max(due, decision.live_started_at + timedelta(seconds=funnel) + phase)
    return max(due, instance.updated_at + timedelta(seconds=settings.CLOUDLAB_BROKER_REDELIVERY_SECONDS))


def is_stale(instance: Instance, now: datetime, grace: float | None = None) -> bool:
    """Whether a transitional instance counts as abandoned: ``CLOUDLAB_REAPER_GRACE`` seconds past
    the time its phase was due to end (``due_by``); ``grace`` given (tests), that many seconds after
    it last changed, whatever its phase."""
    if grace is not None:
        return instance.updated_at <= now - timedelta(seconds=grace)
    return due_by(instance) + timedelta(seconds=settings.CLOUDLAB_REAPER_GRACE) <= now


def stale_instances(now: datetime | None = None, *, grace: float | None = None) -> list[int]:
    now = now or timezone.now()
    floor = timedelta(seconds=grace if grace is not None else settings.CLOUDLAB_REAPER_GRACE)
    # Nothing changed within the grace period is stale: only older rows need their plan read.
    candidates = (
        Instance.objects.filter(Q(task_state__isnull=False) | Q(vm_state=lifecycle.VmState.BUILDING))
        .filter(updated_at__lte=now - floor)
        .select_related("cloud", "host", "image")
        .order_by("pk")
    )
    return [instance.pk for instance in candidates if is_stale(instance, now, grace)]


def reap(*, grace: float | None = None) -> list[str]:
    """Settle every stale instance; returns a line per instance settled (for logs and tests)."""
    done = []
    for pk in stale_instances(grace=grace):
        line = settle_instance(pk, grace=grace)
        if line:
            done.append(line)
    return done


def settle_instance(instance_id: int, *, grace: float | None = None) -> str | None:
    with transaction.atomic():
        instance = Instance.objects.locked().filter(pk=instance_id).first()
        if instance is None:
            return None
        if not is_stale(instance, timezone.now(), grace):
            return None  # it moved since we looked: a worker is alive
        resent = _resend_lost_step(instance)
        if resent:
            return resent
        settlement = lifecycle.settlement(instance.vm_state, instance.task_state, instance.power_state)
        if settlement is None or not settlement.steps:
            return None
        before = (instance.vm_state, instance.task_state)
        record = action_log.open_action(instance) or action_log.record_action(
            instance, "settle", user=None, context={"action": "settle"}
        )
        # The interrupted plan is over: late deliveries of its steps find the action finished.
        action_log.finish_open_events(record, action_log.ERROR, "worker lost")
        error = None
        for step in settlement.steps:
            try:
                apply_effect(step.effect, instance, record)
            except StepFailed as failure:  # pragma: no cover - settlement effects only release
                error = str(failure)
                break
            set_state(instance, step)
        if instance.vm_state == lifecycle.VmState.ERROR and not instance.fault:
            instance.fault = {"code": 500, "message": settlement.rule.outcome, "created": timezone.now().isoformat()}
        instance.save()
        failed = instance.vm_state == lifecycle.VmState.ERROR or error is not None
        action_log.record_settled(
            record,
            SETTLE_EVENT,
            failed=failed,
            details=settlement.rule.outcome + (f" {error}" if error else ""),
            host=instance.host.name if instance.host else "",
        )
        record.finish_time = timezone.now()
        if failed:
            record.message = "Error"
        record.save(update_fields=["finish_time", "message"])
        publish_instance(instance)
    line = f"{instance.name} ({instance.uuid}): {before[0]}/{before[1]} → {instance.vm_state}/{instance.task_state}"
    log.warning("reaper settled %s: %s", line, settlement.rule.outcome)
    return line


def _resend_lost_step(instance: Instance) -> str | None:
    """Send the action's next step again, once, when the instance waits exactly where that step
    expects it: the step's message was lost (a worker killed between the commit of a step and the
    sending of the next, a Redis that restarted empty). Steps are compare-and-swaps, so a copy
    that was only late finds its step done. The instance's clock starts again, so the resent step
    gets its phase's time before the reaper settles the action instead."""
    record = action_log.open_action(instance)
    if record is None:
        return None
    plan = plan_of(record)
    index = record.context.get("step", 0)
    if index >= len(plan.steps) or plan.steps[index].expect_task_state != instance.task_state:
        return None
    if record.context.get("resent_step") == index:
        return None  # sent again already, and lost again (or stuck): settle it
    record.context = {**record.context, "resent_step": index}
    record.save(update_fields=["context"])
    Instance.objects.filter(pk=instance.pk).update(updated_at=timezone.now())
    queue.run_step(instance.pk, record.pk, index)
    line = f"{instance.name} ({instance.uuid}): step {index} of {record.context['action']} sent again"
    log.warning("reaper: %s (its message was lost)", line)
    return line
