"""Applying an action's steps in the test's own thread, as the worker would (the tests that call
these capture the after-commit callbacks, so nothing is also queued for a worker)."""

from __future__ import annotations

from cloudlab.compute import runner
from cloudlab.compute.models import Instance, InstanceAction
from cloudlab.engine import lifecycle


def latest_action(instance: Instance, action: str | None = None) -> InstanceAction:
    actions = instance.actions.all() if action is None else instance.actions.filter(action=action)
    return actions.order_by("-start_time", "-id").first()


def run_next_step(instance: Instance, action: str | None = None) -> None:
    """Apply the next step of the instance's latest action (of that name)."""
    record = latest_action(instance, action)
    runner.run_step(instance.pk, record.pk, record.context.get("step", 0))


def schedule(instance: Instance) -> None:
    """The boot's first step: the scheduler's pass and the claim (networking starts with it)."""
    run_next_step(instance, lifecycle.BUILD)


def run_to_end(instance: Instance, action: str | None = None) -> None:
    """Apply the rest of the latest action's plan, step after step."""
    record = latest_action(instance, action)
    steps = len(runner.plan_of(record).steps)
    while True:
        record.refresh_from_db()
        if record.finish_time is not None or record.context.get("step", 0) >= steps:
            return
        runner.run_step(instance.pk, record.pk, record.context.get("step", 0))
