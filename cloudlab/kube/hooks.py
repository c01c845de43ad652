"""A node follows its VM: an instance or host write that may change a node's health wakes the
cluster's reconcile loop (after the write commits).

The checks cost no query on the hot path: an instance's steps save it many times, so the handler
looks only at writes that leave the instance settled (``task_state`` None) or deleted, and a
host's only when it is down or was brought back (``up`` among the saved fields). The loop itself
reads every member's VM on each round, so a missed wake-up would only delay, never mislead.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save

from cloudlab.compute.models import Host, Instance

from .models import ClusterMember
from .queue import enqueue_reconcile


def _instance_saved(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    if instance.task_state is not None and instance.deleted_at is None:
        return
    ids = list(ClusterMember.objects.filter(instance_id=instance.pk).values_list("cluster_id", flat=True))
    _wake(ids)


def _host_saved(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    if instance.up and (update_fields is None or "up" not in update_fields):
        return
    ids = list(
        ClusterMember.objects.filter(instance__host_id=instance.pk).values_list("cluster_id", flat=True).distinct()
    )
    _wake(ids)


def _wake(cluster_ids: list[int]) -> None:
    if not cluster_ids:
        return
    for cluster_id in set(cluster_ids):
        transaction.on_commit(lambda cid=cluster_id: enqueue_reconcile(cid))


def connect() -> None:
    post_save.connect(_instance_saved, sender=Instance, dispatch_uid="kube-instance-saved")
    post_save.connect(_host_saved, sender=Host, dispatch_uid="kube-host-saved")
