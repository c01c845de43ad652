"""How the apiserver keeps objects in etcd: keys, revisions, optimistic concurrency, watch (§6).

Read: ``pkg/kubeapiserver/default_storage_factory_builder.go SpecialDefaultResourcePrefixes``
(services/specs, services/endpoints, minions, controllers, ingress …), ``storage/etcd3/store.go``
(a write is a transaction comparing the key's ``mod_revision``: a stale resourceVersion is a 409
Conflict; resourceVersion is the key's mod revision, one counter for the whole cluster) and
``storage/cacher`` / etcd compaction (a watch from a compacted revision ends with 410 Expired,
"too old resource version: 5 (1234)"). The texts are ``apimachinery/pkg/api/errors``' (§7.5).

``Registry`` is a pure in-memory model of that keyspace a page can show ("etcd is the cluster's
state"): it stores plain values (whatever the caller serialises an object to), never talks to
anything, and every write returns the watch event it produced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: resource → key prefix where it is not the resource name itself.
SPECIAL_PREFIXES = {
    "services": "services/specs",
    "endpoints": "services/endpoints",
    "nodes": "minions",
    "replicationcontrollers": "controllers",
    "ingresses": "ingress",
}
CLUSTER_SCOPED = {
    "nodes",
    "namespaces",
    "persistentvolumes",
    "storageclasses",
    "clusterroles",
    "priorityclasses",
    "csinodes",
}
#: The allocators' bitmaps (§4.1, §6).
SERVICE_IPS_KEY = "/registry/ranges/serviceips"
NODE_PORTS_KEY = "/registry/ranges/servicenodeports"


def registry_key(resource: str, name: str, namespace: str = "") -> str:
    """``/registry/pods/default/web-abcde``, ``/registry/minions/node-1``."""
    prefix = SPECIAL_PREFIXES.get(resource, resource)
    if resource in CLUSTER_SCOPED or not namespace:
        return f"/registry/{prefix}/{name}"
    return f"/registry/{prefix}/{namespace}/{name}"


class ApiError(Exception):
    """A Status the apiserver would answer: ``code``, ``reason``, ``message``."""

    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message
        self.details = details or {}

    def status(self) -> dict[str, Any]:
        """The Status body; ``details`` only when there are some (``NewBadRequest`` has none)."""
        out: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        if self.details:
            out["details"] = self.details
        out["code"] = self.code
        return out


def not_found(resource: str, name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{resource} "{name}" not found', {"name": name, "kind": resource})


def already_exists(resource: str, name: str) -> ApiError:
    return ApiError(409, "AlreadyExists", f'{resource} "{name}" already exists', {"name": name, "kind": resource})


def conflict(resource: str, name: str) -> ApiError:
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {resource} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again",
        {"name": name, "kind": resource},
    )


def expired(requested: int, oldest: int) -> ApiError:
    return ApiError(410, "Expired", f"too old resource version: {requested} ({oldest})")


@dataclass
class Entry:
    key: str
    value: Any
    create_revision: int
    mod_revision: int
    version: int = 1


@dataclass
class WatchEvent:
    type: str  # ADDED, MODIFIED, DELETED
    key: str
    value: Any
    revision: int


@dataclass
class Registry:
    """The keyspace: one revision counter, the live entries, the event history since compaction."""

    revision: int = 1
    entries: dict[str, Entry] = field(default_factory=dict)
    history: list[WatchEvent] = field(default_factory=list)
    compacted: int = 0

    def create(self, resource: str, name: str, namespace: str, value: Any) -> Entry:
        key = registry_key(resource, name, namespace)
        if key in self.entries:
            raise already_exists(resource, name)
        self.revision += 1
        entry = Entry(key, value, self.revision, self.revision)
        self.entries[key] = entry
        self.history.append(WatchEvent("ADDED", key, value, self.revision))
        return entry

    def get(self, resource: str, name: str, namespace: str = "") -> Entry:
        entry = self.entries.get(registry_key(resource, name, namespace))
        if entry is None:
            raise not_found(resource, name)
        return entry

    def update(
        self, resource: str, name: str, namespace: str, value: Any, resource_version: int | None = None
    ) -> Entry:
        """A PUT: with a resourceVersion it must equal the key's mod revision (else 409 Conflict)."""
        entry = self.get(resource, name, namespace)
        if resource_version is not None and resource_version != entry.mod_revision:
            raise conflict(resource, name)
        self.revision += 1
        entry.value, entry.mod_revision, entry.version = value, self.revision, entry.version + 1
        self.history.append(WatchEvent("MODIFIED", entry.key, value, self.revision))
        return entry

    def delete(self, resource: str, name: str, namespace: str = "") -> WatchEvent:
        entry = self.get(resource, name, namespace)
        del self.entries[entry.key]
        self.revision += 1
        event = WatchEvent("DELETED", entry.key, entry.value, self.revision)
        self.history.append(event)
        return event

    def list_entries(self, resource: str, namespace: str = "") -> tuple[list[Entry], int]:
        """The entries under the resource's prefix (and namespace) and the list's resourceVersion."""
        prefix = SPECIAL_PREFIXES.get(resource, resource)
        start = f"/registry/{prefix}/" + (f"{namespace}/" if namespace and resource not in CLUSTER_SCOPED else "")
        found = [e for k, e in sorted(self.entries.items()) if k.startswith(start)]
        return found, self.revision

    def watch(self, resource: str, since: int, namespace: str = "") -> list[WatchEvent]:
        """Every change after revision ``since``, in order; 410 Expired if it was compacted away."""
        if since < self.compacted:
            raise expired(since, self.compacted)
        prefix = SPECIAL_PREFIXES.get(resource, resource)
        start = f"/registry/{prefix}/" + (f"{namespace}/" if namespace and resource not in CLUSTER_SCOPED else "")
        return [e for e in self.history if e.revision > since and e.key.startswith(start)]

    def compact(self, revision: int) -> None:
        self.compacted = revision
        self.history = [e for e in self.history if e.revision > revision]
