"""One round of a cluster's reconcile loop, as the worker runs it.

Under the cluster's row lock: read every member's VM (``health.vm_runs``) into the engine's node
health, load the objects, run ``cluster.reconcile``, write back what changed, publish a
``kube.changed`` event on the project's stream after commit, and ask for the next round at the
engine's ``wake_at``. A round that finds nothing to do writes nothing; a duplicate or early
delivery is harmless, which is what makes every delivery of the task safe to repeat.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from cloudlab.compute.models import Instance
from cloudlab.engine.kubernetes import cluster as engine
from cloudlab.engine.kubernetes.objects import Event
from cloudlab.live.events import project_stream, publish_on_commit

from . import store
from .health import vm_runs
from .models import Cluster
from .queue import enqueue_reconcile

#: Never wake sooner than this after a round (seconds): a burst of writes is one round, not many.
MIN_GAP = 0.05


def follow_vms(cluster: Cluster, state: engine.ClusterState) -> None:
    """Each node's VM as the Nova half has it now."""
    members = list(cluster.members.all())
    instances = {
        i.pk: i
        for i in Instance.objects.filter(pk__in=[m.instance_id for m in members if m.instance_id]).select_related(
            "host"
        )
    }
    for member in members:
        runs, why = vm_runs(instances.get(member.instance_id) if member.instance_id else None)
        engine.set_node_ready(state, member.node_name, runs, why)


def publish(cluster: Cluster, changes: Iterable[engine.Change], actions: list[str]) -> None:
    rows = [
        {
            "verb": c.verb,
            "resource": c.resource,
            "namespace": c.namespace,
            "name": c.name,
            "resourceVersion": int(c.obj.metadata.resource_version or 0),
        }
        for c in changes
    ]
    if rows or actions:
        publish_on_commit(
            project_stream(cluster.project_id),
            "kube.changed",
            {"cluster": cluster.pk, "revision": cluster.revision, "changes": rows, "actions": actions},
        )


def run_round(cluster_id: int, for_time: float | None = None) -> float | None:
    """Run one round; returns the delay (seconds) after which the next must run, or None."""
    with store.locked(cluster_id) as cluster:
        if for_time is not None and cluster.wake_at is not None and abs(cluster.wake_at - for_time) < 1e-6:
            cluster.wake_at = None  # this delivery is the one that was asked for
        state = store.load(cluster)
        follow_vms(cluster, state)
        rng = random.Random(f"{cluster.pk}:{cluster.revision}")  # noqa: S311 (names and ties, not secrets)
        result = engine.reconcile(state, rng)
        for event in result.events:  # an Event is an object too: it takes the next revision
            state.revision += 1
            event.metadata.resource_version = state.revision
        store.save(cluster, state, result.changes + [_event_change(e) for e in result.events])
        publish(cluster, result.changes, [a.sentence() for a in result.actions])
        delay = None
        if result.wake_at is not None:
            due = max(result.wake_at, state.now + MIN_GAP)
            if cluster.wake_at is None or due < cluster.wake_at - 1e-6 or cluster.wake_at <= state.now:
                cluster.wake_at = due
                delay = due - state.now
                enqueue_reconcile(cluster.pk, delay=delay, for_time=due)
        Cluster.objects.filter(pk=cluster.pk).update(wake_at=cluster.wake_at)
        return delay


def _event_change(event: Event) -> engine.Change:
    meta = event.metadata
    return engine.Change("update", "events", meta.namespace, meta.name, event)
