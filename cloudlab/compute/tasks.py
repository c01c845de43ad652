"""Celery tasks that pace an instance's build over time.

Each task applies one step as a compare-and-swap from the state it expects, saves it, publishes it
after commit and schedules the next step with a countdown (the cloud's pace). No task sleeps.
A duplicate or late delivery finds the instance elsewhere and does nothing.
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_ready
from django.db import transaction

from . import build

log = logging.getLogger(__name__)


@shared_task(name="compute.build_instance")
def build_instance(instance_id: int) -> None:
    """Schedule the instance, claim its host, and start networking."""
    build.schedule_and_claim(instance_id)


@shared_task(name="compute.advance_build")
def advance_build(instance_id: int, step_index: int) -> None:
    """Apply build step ``step_index`` (block_device_mapping, spawning, active)."""
    build.advance(instance_id, step_index)


def enqueue_step(instance_id: int, step_index: int, delay: float) -> None:
    """After commit, run the next build step ``delay`` seconds from now."""

    def send() -> None:
        if delay > 0:
            advance_build.apply_async((instance_id, step_index), countdown=delay)
        else:
            advance_build.delay(instance_id, step_index)

    transaction.on_commit(send)


@shared_task(name="compute.action_step")
def action_step(instance_id: int, action_id: int, step_index: int) -> None:
    """Apply step ``step_index`` of an instance action (stop, reboot, resize …)."""
    from . import instance_actions

    instance_actions.apply_step(instance_id, action_id, step_index)


def enqueue_action_step(instance_id: int, action_id: int, step_index: int, delay: float) -> None:
    """After commit, run an action's next step ``delay`` seconds from now."""

    def send() -> None:
        if delay > 0:
            action_step.apply_async((instance_id, action_id, step_index), countdown=delay)
        else:
            action_step.delay(instance_id, action_id, step_index)

    transaction.on_commit(send)


@shared_task(name="compute.reap")
def reap() -> list[str]:
    """Settle instances a dead worker left in a transitional state (see reaper.py)."""
    from . import reaper

    return reaper.reap()


@worker_ready.connect
def reap_at_worker_start(sender: object = None, **kwargs: object) -> None:
    """As Nova's compute start-up: look for instances a previous worker left half-way."""
    reap.delay()


@shared_task(name="compute.publish_decision_stage")
def publish_decision_stage(record_id: int, index: int) -> None:
    """Publish stage ``index`` of a scheduling decision, then schedule the next one."""
    from .decisions import continue_live_replay

    continue_live_replay(record_id, index)
