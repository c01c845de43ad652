"""etcd keys and the apiserver's optimistic concurrency (kubernetes-semantics.md §6, §7.5 texts)."""

from __future__ import annotations

import pytest

from cloudlab.engine.kubernetes import etcd


@pytest.mark.parametrize(
    ("resource", "ns", "name", "key"),
    [
        ("pods", "default", "web-abcde", "/registry/pods/default/web-abcde"),
        ("services", "default", "web", "/registry/services/specs/default/web"),
        ("endpoints", "default", "web", "/registry/services/endpoints/default/web"),
        ("nodes", "", "node-1", "/registry/minions/node-1"),
        ("replicationcontrollers", "default", "web", "/registry/controllers/default/web"),
        ("deployments", "default", "web", "/registry/deployments/default/web"),
        ("replicasets", "default", "web-5d59d67564", "/registry/replicasets/default/web-5d59d67564"),
        ("namespaces", "", "default", "/registry/namespaces/default"),
        ("leases", "kube-node-lease", "node-1", "/registry/leases/kube-node-lease/node-1"),
        ("ingresses", "default", "web", "/registry/ingress/default/web"),
    ],
)
def test_registry_keys(resource: str, ns: str, name: str, key: str) -> None:
    assert etcd.registry_key(resource, name, ns) == key


def test_revisions_conflicts_and_watch() -> None:
    reg = etcd.Registry()
    a = reg.create("pods", "web-1", "default", {"v": 1})
    b = reg.create("pods", "web-2", "default", {"v": 1})
    assert b.mod_revision == a.mod_revision + 1  # one counter for the whole cluster
    with pytest.raises(etcd.ApiError) as info:
        reg.create("pods", "web-1", "default", {})
    assert (info.value.code, info.value.message) == (409, 'pods "web-1" already exists')
    stale = a.mod_revision
    reg.update("pods", "web-1", "default", {"v": 2}, resource_version=stale)
    with pytest.raises(etcd.ApiError) as info:
        reg.update("pods", "web-1", "default", {"v": 3}, resource_version=stale)
    assert info.value.reason == "Conflict" and info.value.message == (
        'Operation cannot be fulfilled on pods "web-1": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    reg.update("pods", "web-1", "default", {"v": 3})  # no resourceVersion: never conflicts
    entries, rv = reg.list_entries("pods", "default")
    assert [e.key for e in entries] == ["/registry/pods/default/web-1", "/registry/pods/default/web-2"]
    reg.delete("pods", "web-2", "default")
    events = reg.watch("pods", rv)
    assert [(e.type, e.key) for e in events] == [("DELETED", "/registry/pods/default/web-2")]
    with pytest.raises(etcd.ApiError) as info:
        reg.get("pods", "nosuch", "default")
    assert info.value.status()["message"] == 'pods "nosuch" not found' and info.value.code == 404
    reg.compact(rv)
    with pytest.raises(etcd.ApiError) as info:
        reg.watch("pods", 2)
    assert (info.value.code, info.value.message) == (410, f"too old resource version: 2 ({rv})")
