"""The Celery worker's entry points, and nothing else: each task takes primary keys and calls
the writer that does the work. Writers enqueue these by name (``queue.py``) after commit.

No task sleeps: a paced step schedules the next with a countdown, and a duplicate or late
delivery finds the instance elsewhere and does nothing. That is what makes every delivery safe
to repeat: a task that meets a transient fault (the database or the broker away for a moment,
the connection pool exhausted, SQLite busy) is retried by Celery with exponential back-off and
jitter, and acknowledged only after it ran (``CELERY_TASK_ACKS_LATE``), so a killed worker's
task is delivered again.
"""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Any

import kombu.exceptions
import psycopg_pool
import redis.exceptions
from asgiref.sync import SyncToAsync
from celery import shared_task
from celery.signals import task_prerun, worker_ready
from django import db

from . import live_replay, periodic, queue, reaper, runner

#: Faults that pass: a step that met one ran in a transaction that rolled back, so it can run again.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    db.OperationalError,  # connection lost or refused, "database is locked", a deadlock victim
    db.InterfaceError,  # a connection closed under us
    psycopg_pool.PoolTimeout,  # every pooled connection busy
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    kombu.exceptions.OperationalError,  # the broker refused the next step's message
)

#: Celery's own retry options: 1, 2, 4 … s (at most 30 s apart, jittered), eight tries (about
#: two minutes), then the task fails and the reaper settles what it left.
RETRY: dict[str, Any] = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 1,
    "retry_backoff_max": 30,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(name=queue.RUN_STEP, **RETRY)
def run_step(instance_id: int, action_id: int, index: int, due: float | None = None) -> None:
    """Apply step ``index`` of an action's plan (a boot, stop, reboot, resize …); ``due``: when
    it was due on its action's timeline (a task an older worker queued has none)."""
    runner.run_step(instance_id, action_id, index, due)


@shared_task(name=queue.PUBLISH_DECISION_STAGE, **RETRY)
def publish_decision_stage(funnel: dict[str, Any] | int, index: int) -> None:
    """Publish stage ``index`` of a scheduling decision, then schedule the next one. ``funnel``
    is ``live_replay.Funnel`` as a dict (a task an older worker queued names the record's id)."""
    known = live_replay.Funnel(**funnel) if isinstance(funnel, dict) else live_replay.funnel_of_record(funnel)
    if known is not None:
        live_replay.continue_live_replay(known, index)


@shared_task(name=queue.REAP, **RETRY)
def reap() -> list[str]:
    """Settle instances a dead worker left in a transitional state (see reaper.py)."""
    return reaper.reap()


@shared_task(name=periodic.PERIODIC_TASKS, **RETRY)
def periodic_tasks() -> list[str]:
    """Each nova-compute's periodic tasks that are due (Celery beat's tick; see periodic.py)."""
    return periodic.run_periodic_tasks()


@shared_task(name=periodic.LIFECYCLE_EVENT, **RETRY)
def handle_lifecycle_event(instance_id: int) -> str | None:
    """libvirt's delayed STOPPED event reaches the instance's nova-compute."""
    return periodic.handle_lifecycle_event(instance_id)


@worker_ready.connect
def reap_at_worker_start(sender: object = None, **kwargs: object) -> None:
    """As Nova's compute start-up: look for instances a previous worker left half-way."""
    reap.delay()


_loop_guard = threading.Lock()
_loop: tuple[int, asyncio.AbstractEventLoop] | None = None


def events_loop() -> asyncio.AbstractEventLoop:
    """The worker process's one event loop for the channel layer's sends, running in a thread of its own
    (made on first use, again in a forked child)."""
    global _loop
    with _loop_guard:
        if _loop is None or _loop[0] != os.getpid():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="cloudlab-events-loop", daemon=True).start()
            _loop = (os.getpid(), loop)
        return _loop[1]


@task_prerun.connect
def send_events_on_the_worker_loop(sender: object = None, **kwargs: object) -> None:
    """What a task sends through the channel layer (``async_to_sync(layer.group_send)``: the
    access notices of ``cloudlab.live.revocation``; live events go through the hub's plain Redis
    client, ``cloudlab.live.hub``) goes through the worker's one event loop, as it would from a
    thread SyncToAsync started. Without it asgiref starts a new thread and a new loop for every
    send, and the channel layer (whose Redis connections belong to a loop) connects to Redis again
    for each (bench/launch_burst_profile.py measured that when events still went this way). Each
    send still waits for its delivery to Redis, in order."""
    SyncToAsync.threadlocal.main_event_loop = events_loop()
    SyncToAsync.threadlocal.main_event_loop_pid = os.getpid()
