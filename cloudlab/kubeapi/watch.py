"""``?watch=true``: the apiserver's watch stream over the cluster's watch history (§6, §7.6).

    watch_response(request, cluster, resource, namespace, label_selector="", field_selector="",
                   resource_version=None, as_table=False, timeout_seconds=None,
                   allow_bookmarks=False) -> HttpResponse

``resource`` is the plural ("pods"), ``namespace`` "" for every namespace (or a cluster-scoped
resource); the selectors are the query's text; ``resource_version`` the query's (None or "" for
"now", "0" for "any"); ``timeout_seconds`` None for the apiserver's own 30–60 min. A bad selector
or resourceVersion answers its 400 ``Status`` at once; otherwise a ``StreamingHttpResponse``:

1. With no resourceVersion (or "0"), a synthetic ``ADDED`` for every object that exists and
   matches, read under the cluster's row lock (no writer is half-way), then every change after
   that revision. With ``resourceVersion=R``, every change after R; R older than the oldest event
   kept (``KubeWatchEvent.KEEP`` per cluster) is one ``ERROR`` event carrying the 410 Expired
   Status ``too old resource version: R (oldest-1)`` and the end of the stream, as the watch
   cache answers (an HTTP 200, the error in the stream).
2. Each event is one JSON line, ``{"type":"ADDED","object":{…}}\\n``; with ``as_table`` the
   object is a one-row ``Table`` (kubectl ``get -w``, ``tables.table``).
3. Selectors filter as the watch cache does: an object that starts to match is ``ADDED``, one
   that stops is ``DELETED`` for this watcher (its previous state, at the event's revision).
4. Idle, the stream holds no thread and no database connection: it waits on the project's
   ``kube.changed`` frames (the live hub's Redis subscription) and looks at the history at least
   every ``POLL_SECONDS``, each look a short ``sync_to_async`` query.
5. It ends after ``timeout_seconds``; ``BOOKMARK`` events (the object carries only its kind and
   ``metadata.resourceVersion``) only with ``allow_bookmarks``, every ``BOOKMARK_SECONDS`` and
   just before the end.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import sync_to_async
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from cloudlab.engine.kubernetes import manifest
from cloudlab.engine.kubernetes.cluster import API_VERSION, RESOURCES
from cloudlab.engine.kubernetes.etcd import expired
from cloudlab.kube.models import Cluster, KubeObject, KubeWatchEvent
from cloudlab.kube.store import cluster_now
from cloudlab.live.events import project_stream

from .errors import StatusError, bad_request, status_response
from .selectors import Selectors, parse_fields, parse_labels

log = logging.getLogger(__name__)

#: The longest a watcher waits before it looks at the history again (a lost wake-up costs this).
POLL_SECONDS = 1.0
#: How often a watcher with ``allowWatchBookmarks`` is told the current revision.
BOOKMARK_SECONDS = 60.0
#: Events read per query (a long way behind, the next look reads on).
BATCH = 500
#: The apiserver's ``--min-request-timeout``: a watch with no timeoutSeconds ends after 1–2×.
MIN_REQUEST_TIMEOUT = 1800
TABLE_CONTENT_TYPE = "application/json;as=Table;v=v1;g=meta.k8s.io"

Key = tuple[str, str]  # (namespace, name)


def watch_response(
    request: HttpRequest,
    cluster: Cluster,
    resource: str,
    namespace: str,
    label_selector: str = "",
    field_selector: str = "",
    resource_version: str | None = None,
    as_table: bool = False,
    timeout_seconds: int | float | None = None,
    allow_bookmarks: bool = False,
) -> HttpResponse:
    try:
        selectors = Selectors(
            parse_labels(label_selector or ""), parse_fields(field_selector or "", resource), resource
        )
        since = _parse_resource_version(resource_version)
        timeout = _timeout(timeout_seconds)
    except StatusError as error:
        return status_response(error)
    watcher = Watcher(cluster.pk, cluster.project_id, cluster.epoch, resource, namespace, selectors, as_table)
    response = StreamingHttpResponse(
        watcher.stream(since, timeout, allow_bookmarks),
        content_type=TABLE_CONTENT_TYPE if as_table else "application/json",
    )
    response.headers["Cache-Control"] = "no-cache, private"
    response.headers["X-Accel-Buffering"] = "no"
    if not connection.in_atomic_block:
        connection.close()  # the view's own, back to the pool: the stream opens its own briefly
    return response


def _parse_resource_version(value: str | None) -> int | None:
    """None: start from now, with the current objects as ADDED ("" and "0" alike)."""
    if value is None or value in ("", "0"):
        return None
    if not value.isdigit():
        raise bad_request(f'invalid resource version "{value}": strconv.ParseUint: parsing "{value}": invalid syntax')
    return int(value)


def _timeout(value: int | float | str | None) -> float:
    if value is None or value == "":
        return MIN_REQUEST_TIMEOUT * (1 + random.random())  # noqa: S311 (spreading, not a secret)
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise bad_request(f'invalid timeoutSeconds "{value}"') from None
    if seconds < 0:
        raise bad_request(f'invalid timeoutSeconds "{value}"')
    return seconds


def line(type_: str, obj: dict[str, Any]) -> bytes:
    """One event: a JSON document on one line (the Python client splits the stream on ``\\n``)."""
    return json.dumps({"type": type_, "object": obj}, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


@dataclass
class Watcher:
    cluster_id: int
    project_id: int
    epoch: float
    resource: str
    namespace: str
    selectors: Selectors
    as_table: bool
    #: The previous state of each key this watcher knows (for a selector's ADDED / DELETED turns).
    previous: dict[Key, dict[str, Any]] = field(default_factory=dict)
    revision: int = 0

    @property
    def filtered(self) -> bool:
        return bool(self.selectors.fields) or not self.selectors.labels.empty()

    async def stream(self, since: int | None, timeout: float, allow_bookmarks: bool) -> AsyncIterator[bytes]:
        deadline = time.monotonic() + timeout
        wake = asyncio.Event()
        follower = _Wake(wake, self.cluster_id)
        # subscribing may take a moment: the first events do not wait for it (the history has them)
        following = asyncio.ensure_future(_follow(self.project_id, follower))
        try:
            # the status line and headers now, not with the first event: a client waits for them
            # (kubectl delete's wait checks its list only once its watch is answered)
            yield b""
            try:
                initial = await _db(self._start, since)
            except StatusError as error:
                yield line("ERROR", error.error.status())
                return
            for event in initial:
                yield event
            next_bookmark = time.monotonic() + min(BOOKMARK_SECONDS, max(timeout - 2.0, 0.0))
            while True:
                now = time.monotonic()
                if now >= deadline:
                    return
                wake.clear()
                events, cluster_revision = await _db(self._read)
                for event in events:
                    yield event
                if events:
                    continue  # read on until caught up
                if allow_bookmarks and now >= next_bookmark:
                    self.revision = max(self.revision, cluster_revision)
                    yield line("BOOKMARK", self._bookmark())
                    next_bookmark = now + BOOKMARK_SECONDS
                    if deadline - now > 2.0:
                        next_bookmark = min(next_bookmark, deadline - 2.0)
                    else:
                        next_bookmark = deadline + 1
                wait = min(POLL_SECONDS, deadline - now)
                if allow_bookmarks:
                    wait = min(wait, max(next_bookmark - now, 0.0))
                try:
                    await asyncio.wait_for(wake.wait(), timeout=max(wait, 0.0))
                except TimeoutError:
                    pass
        finally:
            if not following.done():
                following.cancel()
            await _unfollow(self.project_id, follower)

    # -- under sync_to_async: one short query each --------------------------------------------

    def _start(self, since: int | None) -> list[bytes]:
        if since is None:
            with transaction.atomic():
                cluster = Cluster.objects.select_for_update().get(pk=self.cluster_id)
                rows = list(self._objects().order_by("namespace", "name"))
            self.revision = cluster.revision
            out = []
            for row in rows:
                key = (row.namespace, row.name)
                self.previous[key] = row.body
                if self.selectors.matches(row.body):
                    out.append(self._event("ADDED", row.body))
            return out
        oldest = KubeWatchEvent.objects.filter(cluster_id=self.cluster_id).order_by("revision").first()
        if oldest is not None and since < oldest.revision - 1:
            raise StatusError(410, "Expired", expired(since, oldest.revision - 1).message)
        self.revision = since
        if self.filtered:
            self._previous_at(since)
        return []

    def _previous_at(self, since: int) -> None:
        """Each key's state at revision ``since``: the current row if unchanged since, else its
        last event at or before ``since`` (one query for the keys changed since)."""
        changed: set[Key] = set()
        for row in self._objects():
            if row.resource_version <= since:
                self.previous[(row.namespace, row.name)] = row.body
            else:
                changed.add((row.namespace, row.name))
        later = self._events().filter(revision__gt=since).values_list("namespace", "name")
        changed.update(later)
        if not changed:
            return
        older = self._events().filter(revision__lte=since, name__in={n for _, n in changed}).order_by("-revision")
        for event in older:
            key = (event.namespace, event.name)
            if key in changed and key not in self.previous:
                self.previous[key] = event.body if event.type != KubeWatchEvent.Type.DELETED else {}

    def _read(self) -> tuple[list[bytes], int]:
        rows = list(self._events().filter(revision__gt=self.revision).order_by("revision", "id")[:BATCH])
        revision = Cluster.objects.filter(pk=self.cluster_id).values_list("revision", flat=True).first() or 0
        out = []
        for row in rows:
            self.revision = row.revision
            sent = self._filter(row)
            if sent is not None:
                out.append(self._event(*sent))
        return out, revision

    def _filter(self, row: KubeWatchEvent) -> tuple[str, dict[str, Any]] | None:
        """The watch cache's ``convertToWatchEvent``: what this watcher sees of one change."""
        if not self.filtered:
            return row.type, row.body
        key = (row.namespace, row.name)
        before = self.previous.get(key)
        deleted = row.type == KubeWatchEvent.Type.DELETED
        if deleted:
            self.previous.pop(key, None)
            before = row.body  # the object's last state
        else:
            self.previous[key] = row.body
            if before is None and row.type == KubeWatchEvent.Type.MODIFIED:
                before = row.body  # its earlier state is unknown here: as unchanged
        now_passes = not deleted and self.selectors.matches(row.body)
        before_passes = bool(before) and self.selectors.matches(before or {})
        if now_passes and not before_passes:
            return "ADDED", row.body
        if now_passes:
            return "MODIFIED", row.body
        if before_passes:
            gone = json.loads(json.dumps(before))
            gone.setdefault("metadata", {})["resourceVersion"] = str(row.revision)
            return "DELETED", gone
        return None

    def _objects(self) -> Any:
        rows = KubeObject.objects.filter(cluster_id=self.cluster_id, resource=self.resource)
        return rows.filter(namespace=self.namespace) if self.namespace else rows

    def _events(self) -> Any:
        rows = KubeWatchEvent.objects.filter(cluster_id=self.cluster_id, resource=self.resource)
        return rows.filter(namespace=self.namespace) if self.namespace else rows

    # -- what a client reads --------------------------------------------------------------------

    def _event(self, type_: str, body: dict[str, Any]) -> bytes:
        return line(type_, self._as_table(body) if self.as_table else _for_client(self.resource, body))

    def _as_table(self, body: dict[str, Any]) -> dict[str, Any]:
        """A one-row Table, as ``get -w`` reads each event (kubeapi-core's columns and cells)."""
        now = cluster_now(Cluster(epoch=self.epoch))
        obj = manifest.decode_stored(body, epoch=self.epoch)
        from . import tables  # noqa: PLC0415 (tables imports the views' fix-ups; not needed for JSON)

        return tables.table(
            self.resource, [obj], now, epoch=self.epoch, resource_version=str(body["metadata"]["resourceVersion"])
        )

    def _bookmark(self) -> dict[str, Any]:
        """A BOOKMARK's object: its kind and the revision the watcher has reached, nothing else."""
        meta = {"resourceVersion": str(self.revision)}
        if self.as_table:
            return {
                "kind": "Table",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": meta,
                "columnDefinitions": [],
                "rows": [],
            }
        kind = RESOURCES[self.resource][1] if self.resource in RESOURCES else "Event"
        return {"kind": kind, "apiVersion": API_VERSION.get(kind, "v1"), "metadata": meta}


def _for_client(resource: str, body: dict[str, Any]) -> dict[str, Any]:
    """The object as a GET answers it (kubeapi-core's fix-ups for the Python client, when present)."""
    try:
        from .views_fixups import for_client  # noqa: PLC0415
    except ImportError:
        return body
    return for_client(resource, body)


def _db_call(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    finally:
        if not connection.in_atomic_block:
            connection.close()  # back to the pool: an idle watch holds no connection


async def _db(fn: Any, *args: Any) -> Any:
    return await sync_to_async(_db_call, thread_sensitive=False)(fn, *args)


class _Wake:
    """A follower of the project's stream that wakes the watcher on its cluster's changes."""

    def __init__(self, event: asyncio.Event, cluster_id: int) -> None:
        self.event, self.needle = event, f'"cluster":{cluster_id},'

    async def deliver(self, text: str) -> None:
        if "kube.changed" in text and self.needle in text:
            self.event.set()


async def _follow(project_id: int, follower: _Wake) -> bool:
    """Join the live hub's subscription; without Redis the watcher polls alone."""
    from cloudlab.live.hub import hub  # noqa: PLC0415 (Redis only when a watch runs)

    try:
        await hub().add(project_stream(project_id), follower)
    except Exception:  # Redis gone or slow: polling still delivers every event
        log.warning("watch: no live wake-ups for project %s; polling", project_id, exc_info=True)
        return False
    return True


async def _unfollow(project_id: int, follower: _Wake) -> None:
    from cloudlab.live.hub import hub  # noqa: PLC0415

    try:
        await hub().discard(project_stream(project_id), follower)
    except Exception:  # the subscription ends with its connection
        log.warning("watch: could not leave project %s's stream", project_id, exc_info=True)
