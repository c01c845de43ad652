"""The patch bodies without a server: RFC 7386 merge patch, RFC 6902 JSON patch, and the
strategic merge patch's list merging and directives as apimachinery's strategicpatch applies them."""

from __future__ import annotations

import pytest

from cloudlab.kubeapi.errors import StatusError
from cloudlab.kubeapi.patch import json_patch, merge_patch, strategic_merge

POD = {
    "metadata": {"labels": {"app": "web"}, "finalizers": ["a"]},
    "spec": {
        "containers": [
            {
                "name": "nginx",
                "image": "nginx:1.27",
                "ports": [{"containerPort": 80}],
                "env": [{"name": "A", "value": "1"}],
            },
            {"name": "side", "image": "busybox"},
        ],
        "tolerations": [{"key": "x"}],
    },
}
SERVICE = {"spec": {"ports": [{"port": 80, "targetPort": 80}, {"port": 443, "targetPort": 443}]}}


def test_merge_patch_replaces_lists_and_deletes_with_null():
    out = merge_patch(POD, {"metadata": {"labels": {"app": None, "tier": "b"}}, "spec": {"tolerations": []}})
    assert out["metadata"]["labels"] == {"tier": "b"} and out["spec"]["tolerations"] == []
    assert out["spec"]["containers"] == POD["spec"]["containers"]


def test_strategic_merge_merges_containers_env_and_ports_by_their_keys():
    nginx_patch = {
        "name": "nginx",
        "env": [{"name": "B", "value": "2"}],
        "ports": [{"containerPort": 80, "name": "http"}],
    }
    patch = {"spec": {"containers": [nginx_patch]}}
    out = strategic_merge(POD, patch)
    nginx = out["spec"]["containers"][0]
    assert [c["name"] for c in out["spec"]["containers"]] == ["nginx", "side"]
    assert nginx["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    assert nginx["ports"] == [{"containerPort": 80, "name": "http"}] and nginx["image"] == "nginx:1.27"
    svc = strategic_merge(SERVICE, {"spec": {"ports": [{"port": 443, "targetPort": 8443}]}})
    assert svc["spec"]["ports"] == [{"port": 80, "targetPort": 80}, {"port": 443, "targetPort": 8443}]
    assert strategic_merge(POD, {"metadata": {"finalizers": ["b", "a"]}})["metadata"]["finalizers"] == ["a", "b"]
    assert strategic_merge(POD, {"spec": {"tolerations": [{"key": "y"}]}})["spec"]["tolerations"] == [{"key": "y"}]


def test_strategic_merge_directives():
    order = {"spec": {"$setElementOrder/containers": [{"name": "side"}, {"name": "nginx"}]}}
    order["spec"]["containers"] = [{"name": "nginx", "image": "nginx:1.28"}]
    assert [c["name"] for c in strategic_merge(POD, order)["spec"]["containers"]] == ["side", "nginx"]
    deleted = strategic_merge(POD, {"spec": {"containers": [{"name": "side", "$patch": "delete"}]}})
    assert [c["name"] for c in deleted["spec"]["containers"]] == ["nginx"]
    replaced = strategic_merge(POD, {"spec": {"containers": [{"$patch": "replace"}, {"name": "only", "image": "x"}]}})
    assert replaced["spec"]["containers"] == [{"name": "only", "image": "x"}]
    whole = strategic_merge(POD, {"metadata": {"labels": {"$patch": "replace", "new": "1"}}})
    assert whole["metadata"]["labels"] == {"new": "1"}
    gone = strategic_merge(POD, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}})
    assert gone["metadata"]["finalizers"] == []
    kept = strategic_merge({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}},
                           {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}})  # fmt: skip
    assert kept["spec"]["strategy"] == {"type": "Recreate"}
    with pytest.raises(StatusError):
        strategic_merge(POD, {"spec": {"containers": [{"image": "no-name"}]}})


def test_json_patch_operations_and_failures():
    doc = {"a": {"b": [1, 2]}, "c": "x"}
    out = json_patch(doc, [
        {"op": "add", "path": "/a/b/-", "value": 3}, {"op": "add", "path": "/a/b/0", "value": 0},
        {"op": "remove", "path": "/c"}, {"op": "copy", "from": "/a/b", "path": "/d"},
        {"op": "move", "from": "/d", "path": "/e"}, {"op": "replace", "path": "/a/b/1", "value": 9},
        {"op": "test", "path": "/e/0", "value": 0}, {"op": "add", "path": "/k~1v", "value": True},
    ])  # fmt: skip
    assert out == {"a": {"b": [0, 9, 2, 3]}, "e": [0, 1, 2, 3], "k/v": True}
    assert doc == {"a": {"b": [1, 2]}, "c": "x"}  # the original is untouched
    for bad in (
        [{"op": "replace", "path": "/missing", "value": 1}],
        [{"op": "remove", "path": "/a/b/7"}],
        [{"op": "test", "path": "/c", "value": "y"}],
        [{"op": "add", "path": "no-slash", "value": 1}],
    ):
        with pytest.raises(StatusError) as refused:
            json_patch(doc, bad)
        assert refused.value.code == 422
    with pytest.raises(StatusError) as unknown:
        json_patch(doc, [{"op": "frobnicate", "path": "/a"}])
    assert unknown.value.code == 400
