"""A cluster's objects between the database and the engine.

``load`` decodes every ``KubeObject`` row into the engine's ``ClusterState``; ``save`` writes what a
reconcile round or an apiserver write changed (``cluster.Change``) back, each row carrying the
resourceVersion the engine gave it, and the cluster's revision. Both run inside the transaction
that holds the cluster's row lock (``locked``), so two writers never interleave.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction

from cloudlab.engine.kubernetes import cluster as engine
from cloudlab.engine.kubernetes import manifest
from cloudlab.engine.kubernetes.kubelet import ContainerRuntime
from cloudlab.engine.kubernetes.podlifecycle import Backoff

from .models import Cluster, KubeObject, KubeWatchEvent


def cluster_now(cluster: Cluster) -> float:
    """Seconds since the cluster's second 0 (the engine's clock)."""
    return max(time.time() - cluster.epoch, 0.0)


def load(cluster: Cluster) -> engine.ClusterState:
    state = engine.ClusterState(
        now=cluster_now(cluster),
        pace=float(cluster.cloud.pace),
        revision=cluster.revision,
        runtime=runtime_from_json(cluster.runtime),
    )
    rows = KubeObject.objects.filter(cluster=cluster).order_by("resource_version", "id")
    for row in rows:
        obj = manifest.decode_stored(row.body, epoch=cluster.epoch)
        if row.resource == "events":
            state.events.append(obj)
        elif row.resource in engine.RESOURCES:
            state.table(row.resource)[engine.key_of(row.resource, row.namespace, row.name)] = obj
    return state


def save(cluster: Cluster, state: engine.ClusterState, changes: Iterable[engine.Change]) -> None:
    """Write ``changes`` (in order: a later change to the same key wins) and the revision, and
    one watch event per changed key (``KubeWatchEvent``: ADDED, MODIFIED or DELETED at the
    revision of the key's last write; a delete takes a revision of its own, as in etcd)."""
    latest: dict[tuple[str, str, str], engine.Change] = {}
    revision_of: dict[tuple[str, str, str], int] = {}
    counter = cluster.revision  # every write took the next number, in the order of ``changes``
    for change in changes:
        key = (change.resource, change.namespace or "", change.name)
        counter = counter + 1 if change.verb == "delete" else max(counter, int(change.obj.metadata.resource_version))
        latest[key], revision_of[key] = change, counter
    existing = {
        (o.resource, o.namespace, o.name): o
        for o in KubeObject.objects.filter(cluster=cluster, resource__in={k[0] for k in latest})
        if (o.resource, o.namespace, o.name) in latest
    }
    log: list[KubeWatchEvent] = []
    deletes = [k for k, c in latest.items() if c.verb == "delete"]
    for key in deletes:
        row = existing.get(key)
        if row is None:
            continue  # created and deleted within this write: nobody could have seen it
        row.delete()
        body = manifest.encode(latest[key].obj, epoch=cluster.epoch)
        body["metadata"]["resourceVersion"] = str(revision_of[key])
        log.append(_watch_event(cluster, key, "DELETED", revision_of[key], body))
    writes = [(k, c) for k, c in latest.items() if c.verb != "delete"]
    if writes:
        new_rows, changed_rows = [], []
        for key, change in writes:
            body = manifest.encode(change.obj, epoch=cluster.epoch)
            rv = int(change.obj.metadata.resource_version)
            row = existing.get(key)
            if row is None:
                new_rows.append(
                    KubeObject(
                        cluster=cluster, resource=key[0], namespace=key[1], name=key[2], resource_version=rv, body=body
                    )
                )
            else:
                row.body, row.resource_version = body, rv
                changed_rows.append(row)
            log.append(_watch_event(cluster, key, "ADDED" if row is None else "MODIFIED", rv, body))
        KubeObject.objects.bulk_create(new_rows)
        KubeObject.objects.bulk_update(changed_rows, ["body", "resource_version"])
    if log:
        log.sort(key=lambda event: event.revision)
        KubeWatchEvent.objects.bulk_create(log)
        if state.revision // 100 != cluster.revision // 100:  # at most once per 100 revisions
            compact_watch_log(cluster)
    cluster.revision = state.revision
    cluster.runtime = runtime_to_json(state.runtime)
    Cluster.objects.filter(pk=cluster.pk).update(revision=state.revision, runtime=cluster.runtime)


def _watch_event(cluster: Cluster, key: tuple[str, str, str], type_: str, revision: int, body: Any) -> KubeWatchEvent:
    resource, namespace, name = key
    return KubeWatchEvent(
        cluster=cluster, revision=revision, type=type_, resource=resource, namespace=namespace, name=name, body=body
    )


def compact_watch_log(cluster: Cluster, keep: int = KubeWatchEvent.KEEP) -> None:
    """Keep the newest ``keep`` watch events of the cluster (etcd's compaction, the watch
    cache's capacity): a watch from before them answers 410 Expired."""
    stale = (
        KubeWatchEvent.objects.filter(cluster=cluster)
        .order_by("-revision", "-id")
        .values_list("revision", flat=True)[keep : keep + 1]
    )
    if stale:
        KubeWatchEvent.objects.filter(cluster=cluster, revision__lte=stale[0]).delete()


def runtime_to_json(runtime: dict[str, dict[str, ContainerRuntime]]) -> dict[str, Any]:
    return {
        uid: {
            name: {
                "pull_started": r.pull_started,
                "pull_backoff": [r.pull_backoff.delay, r.pull_backoff.last_update],
                "crash_backoff": [r.crash_backoff.delay, r.crash_backoff.last_update],
            }
            for name, r in containers.items()
        }
        for uid, containers in runtime.items()
    }


def runtime_from_json(data: dict[str, Any]) -> dict[str, dict[str, ContainerRuntime]]:
    return {
        uid: {
            name: ContainerRuntime(r["pull_started"], Backoff(*r["pull_backoff"]), Backoff(*r["crash_backoff"]))
            for name, r in containers.items()
        }
        for uid, containers in (data or {}).items()
    }


@contextmanager
def locked(cluster_id: int) -> Iterator[Cluster]:
    """The cluster's row, locked for the rest of the transaction this opens."""
    with transaction.atomic():
        yield Cluster.objects.select_for_update().select_related("cloud", "project").get(pk=cluster_id)
