"""Work handed to the Celery worker, always after the transaction that asked for it commits.

The writers name the task they want; ``tasks.py`` (the worker's entry points) registers the
tasks under these names. Looking a task up by its name in the app's registry keeps the layers
one-way: tasks call the writers, writers never import the tasks. Tasks take primary keys, never
model instances, and ``apply_async_on_commit`` (Celery's Django task class) sends nothing at
all if the transaction rolls back.
"""

from __future__ import annotations

from typing import Any

from celery import current_app

#: Apply step N of an instance action's plan (a boot is the action "create").
RUN_STEP = "compute.run_step"
#: Publish stage N of a scheduling decision to its viewers.
PUBLISH_DECISION_STAGE = "compute.publish_decision_stage"
#: Settle instances a dead worker left half-way.
REAP = "compute.reap"


def _send_on_commit(name: str, args: tuple[Any, ...], delay: float) -> None:
    task = current_app.tasks[name]
    if delay > 0:
        task.apply_async_on_commit(args, countdown=delay)
    else:
        task.delay_on_commit(*args)


def run_step(instance_id: int, action_id: int, index: int, delay: float = 0.0, *, due: float | None = None) -> None:
    """After commit, apply step ``index`` of the action's plan ``delay`` seconds from now.

    ``due``: the moment (``time.time()``) the step is due on its action's timeline, carried to the
    step so that the phase after it is counted from there (``pacing.next_due``) and a worker's
    queue wait does not add up from step to step; ``None``: due when it runs."""
    args: tuple[Any, ...] = (instance_id, action_id, index) if due is None else (instance_id, action_id, index, due)
    _send_on_commit(RUN_STEP, args, delay)


def publish_decision_stage(funnel: dict[str, Any], index: int, delay: float) -> None:
    """After commit, publish stage ``index`` of a scheduling decision ``delay`` seconds from now
    (``funnel``: ``live_replay.Funnel`` as a dict, what the task needs to publish it)."""
    _send_on_commit(PUBLISH_DECISION_STAGE, (funnel, index), delay)
