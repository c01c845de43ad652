"""The Celery worker's entry points, and nothing else: each task takes primary keys and calls
the writer that does the work. Writers enqueue these by name (``queue.py``) after commit.

No task sleeps: a paced step schedules the next with a countdown, and a duplicate or late
delivery finds the instance elsewhere and does nothing.
"""

from __future__ import annotations

from celery import shared_task
from celery.signals import worker_ready

from . import live_replay, queue, reaper, runner


@shared_task(name=queue.RUN_STEP)
def run_step(instance_id: int, action_id: int, index: int) -> None:
    """Apply step ``index`` of an action's plan (a boot, stop, reboot, resize …)."""
    runner.run_step(instance_id, action_id, index)


@shared_task(name=queue.PUBLISH_DECISION_STAGE)
def publish_decision_stage(record_id: int, index: int) -> None:
    """Publish stage ``index`` of a scheduling decision, then schedule the next one."""
    live_replay.continue_live_replay(record_id, index)


@shared_task(name=queue.REAP)
def reap() -> list[str]:
    """Settle instances a dead worker left in a transitional state (see reaper.py)."""
    return reaper.reap()


@worker_ready.connect
def reap_at_worker_start(sender: object = None, **kwargs: object) -> None:
    """As Nova's compute start-up: look for instances a previous worker left half-way."""
    reap.delay()
