"""No instance is ever stuck: settle instances left in a transitional state by a dead worker.

A worker killed in the middle of a step leaves the instance in a task_state that no queued task
will move on (or whose task will not come back before the broker's visibility timeout). The
reaper finds instances whose transitional state is older than the cloud's pace allows and settles
them as Nova's compute start-up (``_init_instance``) does: the engine's ``settlement`` gives the
steps (a build becomes error, a reboot completes, a deletion finishes…). It runs when a worker
starts and periodically (Celery beat), and records what it did in the instance's action log.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cloudlab.engine import lifecycle

from . import action_log
from .effects import apply_effect
from .models import Instance
from .outcomes import StepFailed
from .publish import publish_instance
from .runner import set_state

log = logging.getLogger(__name__)

#: The event a settled instance's action log shows, after Nova's compute start-up routine.
SETTLE_EVENT = "compute_init_instance"


def stale_after(pace: float) -> timedelta:
    """How long a transitional state may last before it counts as abandoned: a grace period plus
    ten paced steps (longer than any single phase, image copy included)."""
    return timedelta(seconds=settings.CLOUDLAB_REAPER_GRACE + 10 * pace)


def stale_instances(now: timezone.datetime | None = None, *, grace: float | None = None) -> list[int]:
    now = now or timezone.now()
    candidates = Instance.objects.filter(Q(task_state__isnull=False) | Q(vm_state=lifecycle.VmState.BUILDING))
    stale = []
    for pk, updated_at, pace in candidates.values_list("pk", "updated_at", "cloud__pace"):
        limit = timedelta(seconds=grace) if grace is not None else stale_after(pace)
        if updated_at <= now - limit:
            stale.append(pk)
    return stale


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
        limit = timedelta(seconds=grace) if grace is not None else stale_after(instance.cloud.pace)
        if instance.updated_at > timezone.now() - limit:
            return None  # it moved since we looked: a worker is alive
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
