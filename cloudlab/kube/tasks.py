"""The worker's entry point for Kubernetes clusters: one reconcile round (``loop.run_round``)."""

from __future__ import annotations

from celery import shared_task

from cloudlab.compute.tasks import RETRY

from . import loop
from .models import Cluster
from .queue import RECONCILE


@shared_task(name=RECONCILE, **RETRY)
def reconcile(cluster_id: int, for_time: float | None = None) -> None:
    if Cluster.objects.filter(pk=cluster_id).exists():
        loop.run_round(cluster_id, for_time)
