"""One round of a cluster's reconcile loop, as the worker runs it.

Under the cluster's row lock: read every member's VM (``health.vm_runs``) into the engine's node
health, load the objects, run ``cluster.reconcile``, write back what changed and the scheduler's
decisions (``PodDecision``, with the nodes each saw), publish a ``kube.changed`` event on the
project's stream after commit, and ask for the next round at the engine's ``wake_at``. A round
that finds nothing to do writes nothing; a duplicate or early delivery is harmless, which is what
makes every delivery of the task safe to repeat.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

from cloudlab.compute.models import Instance
from cloudlab.engine.kubernetes import cluster as engine
from cloudlab.engine.kubernetes.controllers.actions import Action
from cloudlab.engine.kubernetes.explain import decision_snapshots
from cloudlab.engine.kubernetes.objects import Event
from cloudlab.engine.kubernetes.scheduler import Decision
from cloudlab.live.events import project_stream, publish_on_commit

from . import store
from .health import vm_runs
from .models import Cluster, PodDecision
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


def action_row(action: Action) -> dict[str, Any]:
    """A controller's action as the event carries it: the English template and its numbers, so
    each page shows the sentence in its reader's language (``pages.action_templates``)."""
    numbers = {k: v if isinstance(v, (int, float, str)) else str(v) for k, v in action.numbers.items()}
    return {"verb": action.verb, "kind": action.kind, "name": action.name, "message": action.reason, "numbers": numbers}


def publish(
    cluster: Cluster,
    changes: Iterable[engine.Change],
    actions: list[dict[str, Any]],
    decisions: Iterable[PodDecision] = (),
) -> None:
    """The ``kube.changed`` event: what was written, the controllers' actions and the scheduler's
    decisions (so a page can link a pod's new decision)."""
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
    decided = [
        {"id": d.pk, "pod": d.pod, "namespace": d.namespace, "node": d.node, "outcome": d.outcome} for d in decisions
    ]
    if rows or actions or decided:
        publish_on_commit(
            project_stream(cluster.project_id),
            "kube.changed",
            {
                "cluster": cluster.pk,
                "revision": cluster.revision,
                "changes": rows,
                "actions": actions,
                "decisions": decided,
            },
        )


def record_decisions(
    cluster: Cluster,
    state: engine.ClusterState,
    before: tuple[dict[str, Any], dict[Any, Any]],
    result: engine.StepResult,
) -> list[PodDecision]:
    """Store the round's decisions, each with the nodes it saw, and keep the newest ``KEEP``."""
    if not result.decisions:
        return []
    cards = decision_snapshots(before[0], before[1], result.changes, result.decisions, state.now)
    rows = [
        _decision_row(cluster, state, key, decision, nodes)
        for (key, decision), nodes in zip(result.decisions, cards, strict=True)
    ]
    created = PodDecision.objects.bulk_create(rows)
    stale = (
        PodDecision.objects.filter(cluster=cluster)
        .order_by("-id")
        .values_list("id", flat=True)[PodDecision.KEEP : PodDecision.KEEP + 1]
    )
    if stale:
        PodDecision.objects.filter(cluster=cluster, id__lte=stale[0]).delete()
    return created


def _decision_row(
    cluster: Cluster, state: engine.ClusterState, key: str, decision: Decision, nodes: list[dict[str, Any]]
) -> PodDecision:
    namespace, name = key.split("/", 1)
    pod = state.pods.get((namespace, name))
    return PodDecision(
        cluster=cluster,
        namespace=namespace,
        pod=name,
        pod_uid=pod.metadata.uid if pod is not None else "",
        node=decision.node or "",
        outcome=decision.event_reason,
        message=decision.message,
        trace=decision.trace,
        nodes=nodes,
        cluster_time=state.now,
    )


def run_round(cluster_id: int, for_time: float | None = None) -> float | None:
    """Run one round; returns the delay (seconds) after which the next must run, or None."""
    with store.locked(cluster_id) as cluster:
        if for_time is not None and cluster.wake_at is not None and abs(cluster.wake_at - for_time) < 1e-6:
            cluster.wake_at = None  # this delivery is the one that was asked for
        state = store.load(cluster)
        follow_vms(cluster, state)
        rng = random.Random(f"{cluster.pk}:{cluster.revision}")  # noqa: S311 (names and ties, not secrets)
        before = (dict(state.nodes), dict(state.pods))  # the writer replaces objects, never changes them
        result = engine.reconcile(state, rng)
        for event in result.events:  # an Event is an object too: it takes the next revision
            state.revision += 1
            event.metadata.resource_version = state.revision
        store.save(cluster, state, result.changes + [_event_change(e) for e in result.events])
        decisions = record_decisions(cluster, state, before, result)
        publish(cluster, result.changes, [action_row(a) for a in result.actions], decisions)
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
