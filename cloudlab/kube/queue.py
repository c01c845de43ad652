"""Asking the worker for a reconcile round, after the current transaction commits.

The task is looked up by name (``tasks.py`` registers it) so that the writers never import the
worker's entry points, as ``cloudlab.compute.queue`` does for the Nova half.
"""

from __future__ import annotations

from celery import current_app

RECONCILE = "kube.reconcile"


def enqueue_reconcile(cluster_id: int, delay: float = 0.0, for_time: float | None = None) -> None:
    """After commit, run a round of ``cluster_id``'s loop ``delay`` seconds from now."""
    task = current_app.tasks[RECONCILE]
    if delay > 0:
        task.apply_async_on_commit((cluster_id, for_time), countdown=delay)
    else:
        task.delay_on_commit(cluster_id, for_time)
