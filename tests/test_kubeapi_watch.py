"""``?watch=true`` over the cluster's watch history: events in revision order with their
resourceVersions, the current objects first when no resourceVersion is given, a label selector
that turns a relabelled pod into DELETED for its watcher, timeoutSeconds ending the stream,
410 Expired for a compacted resourceVersion, bookmarks only when asked for, and a deleted pod's
replacement appearing. The stream is read as Daphne reads it: its async iterator in an event loop
of its own (a thread here), while the test writes through the cluster writers."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import pytest
from django.test import RequestFactory

from cloudlab.kube import clusters, store
from cloudlab.kube.models import Cluster, KubeWatchEvent
from cloudlab.kubeapi.watch import watch_response
from tests.helpers import wait_for
from tests.kube_fixtures import advance, deployment, make_cluster, running_instances

pytestmark = pytest.mark.django_db(transaction=True)


class Stream:
    """A watch response read to its end in a thread of its own; ``events`` fill as they come."""

    def __init__(self, response: Any) -> None:
        self.response = response
        self.events: list[dict[str, Any]] = []
        self.raw: list[bytes] = []
        self.ended_at: float | None = None
        self.task: asyncio.Task[None] | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self.thread.start()

    async def _main(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.task = asyncio.current_task()
        try:
            await self._read()
        except asyncio.CancelledError:
            pass

    async def _read(self) -> None:
        buffer = b""
        async for chunk in self.response.streaming_content:
            buffer += chunk
            while b"\n" in buffer:
                text, buffer = buffer.split(b"\n", 1)
                self.raw.append(text)
                self.events.append(json.loads(text))
        assert buffer == b"", "an event without its newline"
        self.ended_at = time.monotonic()

    def of(self, type_: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == type_]

    def names(self, type_: str) -> list[str]:
        return [e["object"]["metadata"]["name"] for e in self.of(type_)]

    def join(self, timeout: float = 15) -> None:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the watch did not end"

    def close(self) -> None:
        """As a client hanging up: the stream's task is cancelled (Daphne on a disconnect)."""
        if self.thread.is_alive() and self.loop is not None and self.task is not None:
            self.loop.call_soon_threadsafe(self.task.cancel)
        self.join()


@pytest.fixture
def streams():
    opened: list[Stream] = []
    yield opened
    for stream in opened:
        stream.close()  # before the test's database goes


@pytest.fixture
def cluster(alice, project_of, launch):
    return make_cluster(alice, project_of(alice), running_instances(launch, alice))


@pytest.fixture
def watch(streams):
    def start(cluster: Cluster, resource: str = "pods", namespace: str = "default", **options: Any) -> Stream:
        request = RequestFactory().get("/")
        fresh = Cluster.objects.select_related("cloud", "project").get(pk=cluster.pk)
        stream = Stream(watch_response(request, fresh, resource, namespace, **options))
        streams.append(stream)
        return stream

    return start


def _revision(cluster: Cluster) -> str:
    return str(Cluster.objects.get(pk=cluster.pk).revision)


def test_a_watch_from_a_resource_version_streams_every_change_after_it_in_order(cluster, watch):
    stream = watch(cluster, resource_version=_revision(cluster), timeout_seconds=30)
    clusters.apply_manifest(cluster, deployment(replicas=2))
    advance(cluster, rounds=8)
    wait_for(lambda: len(set(stream.names("ADDED"))) == 2 and len(stream.of("MODIFIED")) >= 2, timeout=15)
    versions = [int(e["object"]["metadata"]["resourceVersion"]) for e in stream.events]
    assert versions == sorted(versions) and len(set(versions)) == len(versions), versions
    assert all(e["object"]["kind"] == "Pod" for e in stream.events)
    first_seen = {}
    for event in stream.events:
        first_seen.setdefault(event["object"]["metadata"]["name"], event["type"])
    assert set(first_seen.values()) == {"ADDED"}  # each pod is ADDED before it is MODIFIED
    # the events are the ones the history holds, each at the revision it was written
    logged = dict(KubeWatchEvent.objects.filter(cluster=cluster, resource="pods").values_list("revision", "type"))
    assert all(logged[v] == e["type"] for v, e in zip(versions, stream.events, strict=True))
    assert stream.raw[0].startswith(b'{"type":"ADDED","object":{')  # one compact JSON line per event


def test_a_watch_without_resource_version_starts_with_the_objects_and_ends_after_its_timeout(cluster, watch):
    started = time.monotonic()
    stream = watch(cluster, resource="namespaces", namespace="", timeout_seconds=1)
    stream.join()
    assert sorted(stream.names("ADDED")) == ["default", "kube-node-lease", "kube-public", "kube-system"]
    assert [e["type"] for e in stream.events] == ["ADDED"] * 4
    assert 0.9 <= stream.ended_at - started < 6
    assert not stream.of("BOOKMARK")  # not asked for


def test_bookmarks_only_when_allowed(cluster, watch):
    revision = _revision(cluster)
    stream = watch(cluster, resource_version=revision, timeout_seconds=3, allow_bookmarks=True)
    stream.join()
    [bookmark] = stream.of("BOOKMARK")
    assert bookmark["object"] == {"kind": "Pod", "apiVersion": "v1", "metadata": {"resourceVersion": revision}}


def test_a_label_selector_filters_and_a_pod_that_stops_matching_is_deleted_for_the_watcher(cluster, watch):
    clusters.apply_manifest(cluster, deployment(replicas=2))
    advance(cluster, rounds=8)
    stream = watch(cluster, label_selector="app=web,tier notin (db)", timeout_seconds=30)
    wait_for(lambda: len(stream.of("ADDED")) == 2, timeout=10)
    other = watch(cluster, label_selector="app=other", timeout_seconds=30)
    victim = sorted(stream.names("ADDED"))[0]
    clusters.label_object(cluster, "pods", "default", victim, {"app": "web", "tier": "db"})
    wait_for(lambda: victim in stream.names("DELETED"), timeout=10)
    [gone] = [e for e in stream.of("DELETED") if e["object"]["metadata"]["name"] == victim]
    # its last matching state, at the revision of the change that made it stop matching
    labels = gone["object"]["metadata"]["labels"]
    assert labels["app"] == "web" and "tier" not in labels
    relabel = KubeWatchEvent.objects.filter(cluster=cluster, resource="pods", name=victim).latest("revision")
    assert gone["object"]["metadata"]["resourceVersion"] == str(relabel.revision)
    # the ReplicaSet lets it go and makes a replacement, which matches
    advance(cluster, rounds=6)
    wait_for(lambda: len(set(stream.names("ADDED"))) == 3, timeout=10)
    assert other.events == []


def test_a_field_selector_watches_one_pod(cluster, watch):
    clusters.apply_manifest(cluster, deployment(replicas=2))
    advance(cluster, rounds=8)
    name = sorted(k[1] for k in store.load(Cluster.objects.select_related("cloud").get(pk=cluster.pk)).pods)[0]
    stream = watch(cluster, field_selector=f"metadata.name={name}", timeout_seconds=1)
    stream.join()
    assert stream.names("ADDED") == [name]


def test_a_compacted_resource_version_is_an_expired_error_in_the_stream(cluster, watch):
    clusters.apply_manifest(cluster, deployment(replicas=2))
    advance(cluster, rounds=8)
    store.compact_watch_log(cluster, keep=5)
    oldest = KubeWatchEvent.objects.filter(cluster=cluster).order_by("revision").first().revision
    stream = watch(cluster, resource_version="3", timeout_seconds=30)
    stream.join()
    assert stream.events == [
        {
            "type": "ERROR",
            "object": {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Failure",
                "message": f"too old resource version: 3 ({oldest - 1})",
                "reason": "Expired",
                "code": 410,
            },
        }
    ]
    # one revision before the oldest kept is still whole
    stream = watch(cluster, resource_version=str(oldest - 1), timeout_seconds=1)
    stream.join()
    assert not stream.of("ERROR")


def test_the_history_keeps_the_newest_per_cluster(cluster, watch):
    clusters.apply_manifest(cluster, deployment(replicas=3))
    advance(cluster, rounds=8)
    total = KubeWatchEvent.objects.filter(cluster=cluster).count()
    store.compact_watch_log(cluster, keep=10)
    kept = list(KubeWatchEvent.objects.filter(cluster=cluster).order_by("revision").values_list("revision", flat=True))
    assert total > 10 and len(kept) == 10
    assert kept[-1] == Cluster.objects.get(pk=cluster.pk).revision


def test_a_deleted_pod_is_modified_then_deleted_and_its_replacement_added(cluster, watch):
    clusters.apply_manifest(cluster, deployment(replicas=2))
    advance(cluster, rounds=8)
    stream = watch(cluster, resource_version=_revision(cluster), timeout_seconds=30)
    state = store.load(Cluster.objects.select_related("cloud").get(pk=cluster.pk))
    victim = sorted(k[1] for k in state.pods)[0]
    clusters.delete_object(cluster, "pods", "default", victim)
    advance(cluster, rounds=8)
    wait_for(lambda: victim in stream.names("DELETED") and stream.names("ADDED"), timeout=15)
    modified = [e for e in stream.of("MODIFIED") if e["object"]["metadata"]["name"] == victim]
    assert modified and modified[0]["object"]["metadata"]["deletionTimestamp"]
    [replacement] = set(stream.names("ADDED"))
    assert replacement != victim and replacement.startswith("web-")
    [deleted] = [e for e in stream.of("DELETED") if e["object"]["metadata"]["name"] == victim]
    last_write = max(int(e["object"]["metadata"]["resourceVersion"]) for e in modified)
    assert int(deleted["object"]["metadata"]["resourceVersion"]) > last_write  # a delete takes a revision


def test_a_table_watch_sends_one_row_tables(cluster, watch):
    stream = watch(cluster, resource="nodes", namespace="", as_table=True, timeout_seconds=1)
    stream.join()
    assert stream.response["Content-Type"] == "application/json;as=Table;v=v1;g=meta.k8s.io"
    assert len(stream.events) == 3
    for event in stream.events:
        table = event["object"]
        assert table["kind"] == "Table" and len(table["rows"]) == 1
        assert [c["name"] for c in table["columnDefinitions"]][:2] == ["Name", "Status"]


def test_a_bad_resource_version_or_selector_answers_400_before_streaming(cluster, watch):
    request = RequestFactory().get("/")
    for options in ({"resource_version": "abc"}, {"label_selector": "app in (web"}, {"field_selector": "spec.foo=1"}):
        response = watch_response(request, cluster, "pods", "default", **options)
        assert response.status_code == 400, options
        body = json.loads(response.content)
        assert (body["kind"], body["reason"], body["code"]) == ("Status", "BadRequest", 400)


def test_kubectl_deletes_wait_sees_the_deleted_event_of_its_pod(cluster, watch):
    """kubectl delete's wait: a watch on one name (fieldSelector, bookmarks allowed) from the
    list's resourceVersion, taken while the pod is Terminating, ends on its DELETED."""
    clusters.apply_manifest(cluster, deployment(replicas=2))
    advance(cluster, rounds=8)
    state = store.load(Cluster.objects.select_related("cloud").get(pk=cluster.pk))
    victim = sorted(k[1] for k in state.pods)[0]
    clusters.delete_object(cluster, "pods", "default", victim)
    stream = watch(
        cluster,
        field_selector=f"metadata.name={victim}",
        resource_version=_revision(cluster),
        allow_bookmarks=True,
        timeout_seconds=300,
    )
    advance(cluster, rounds=4)
    wait_for(lambda: stream.of("DELETED"), timeout=5)
    assert stream.names("DELETED") == [victim] and not stream.of("ADDED")
