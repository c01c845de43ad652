"""The verbs as kubectl and the Python client send them: Tables for pods, nodes and
deployments; create / get / list (selectors, limit + continue) / replace / delete / patch (every
content type) / scale / logs; and the Status shapes of NotFound, AlreadyExists, Conflict, Invalid,
BadRequest, 405, 413 and 415, with nothing written by a refused request."""

from __future__ import annotations

import copy
import ipaddress
import json

import pytest

from cloudlab.kube.models import KubeObject
from cloudlab.kubeapi.auth import issue_token
from tests.kube_fixtures import advance, make_cluster, running_instances
from tests.test_kubeapi_core import POD, TABLE, Api, _status

pytestmark = pytest.mark.django_db

NS = "/api/v1/namespaces/default"
APPS = "/apis/apps/v1/namespaces/default"
WEB = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}]},
        },
    },
}


@pytest.fixture
def lab(alice, project_of, launch):
    return make_cluster(alice, project_of(alice), running_instances(launch, alice))


@pytest.fixture
def api(alice, project_of, lab):
    return Api(lab, issue_token(alice, project_of(alice)))


def _objects(lab, resource):
    return set(KubeObject.objects.filter(cluster=lab, resource=resource).values_list("name", flat=True))


# -- Tables --------------------------------------------------------------------------------------


def test_pods_table_has_kubectls_columns_and_row_metadata(api, lab):
    api.json("POST", f"{APPS}/deployments?fieldManager=kubectl-create&fieldValidation=Strict", WEB, status=201)
    advance(lab)
    response = api("GET", f"{NS}/pods?limit=500", accept=TABLE)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json;as=Table;v=v1;g=meta.k8s.io"
    table = response.json()
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    columns = [(c["name"], c["priority"]) for c in table["columnDefinitions"]]
    assert columns == [
        ("Name", 0), ("Ready", 0), ("Status", 0), ("Restarts", 0), ("Age", 0),
        ("IP", 1), ("Node", 1), ("Nominated Node", 1), ("Readiness Gates", 1),
    ]  # fmt: skip
    assert table["columnDefinitions"][0]["format"] == "name"
    assert len(table["rows"]) == 2
    row = table["rows"][0]
    name, ready, status, restarts, _age, ip, node, nominated, gates = row["cells"]
    assert name.startswith("web-") and ready == "1/1" and status == "Running" and restarts == "0"
    assert ip.startswith("10.244.") and node and nominated == "<none>" and gates == "<none>"
    assert row["object"]["kind"] == "PartialObjectMetadata"
    assert row["object"]["metadata"]["namespace"] == "default" and row["object"]["metadata"]["labels"]["app"] == "web"
    assert table["metadata"]["resourceVersion"] == str(lab.__class__.objects.get(pk=lab.pk).revision)


def test_nodes_and_deployments_tables(api, lab):
    api.json("POST", f"{APPS}/deployments", WEB, status=201)
    advance(lab)
    nodes = api.json("GET", "/api/v1/nodes?limit=500", accept=TABLE)
    assert [c["name"] for c in nodes["columnDefinitions"]] == [
        "Name", "Status", "Roles", "Age", "Version",
        "Internal-IP", "External-IP", "OS-Image", "Kernel-Version", "Container-Runtime",
    ]  # fmt: skip
    cells = {r["cells"][0]: r["cells"] for r in nodes["rows"]}
    assert len(cells) == 3
    roles = sorted(c[2] for c in cells.values())
    assert roles == ["<none>", "<none>", "control-plane"]
    assert all(c[1] == "Ready" and c[4] == "v1.32.5" and c[9].startswith("containerd://") for c in cells.values())
    deploys = api.json("GET", f"{APPS}/deployments", accept=TABLE)
    assert [c["name"] for c in deploys["columnDefinitions"]] == [
        "Name", "Ready", "Up-to-date", "Available", "Age", "Containers", "Images", "Selector"
    ]  # fmt: skip
    assert deploys["rows"][0]["cells"][:4] == ["web", "2/2", 2, 2]
    assert deploys["rows"][0]["cells"][5:] == ["nginx", "nginx:1.27", "app=web"]
    one = api.json("GET", f"{NS}/pods/nosuch", accept=TABLE, status=404)
    assert one["message"] == 'pods "nosuch" not found' and one["details"] == {"name": "nosuch", "kind": "pods"}


def test_all_namespaces_list_and_include_object(api, lab):
    table = api.json("GET", "/api/v1/pods?limit=500&includeObject=Object", accept=TABLE)
    assert table["rows"] == []
    api.json("POST", f"{NS}/pods", POD, status=201)
    table = api.json("GET", "/api/v1/pods?includeObject=None", accept=TABLE)
    assert "object" not in table["rows"][0]
    full = api.json("GET", "/api/v1/pods?includeObject=Object", accept=TABLE)
    assert full["rows"][0]["object"]["kind"] == "Pod"


# -- create / get / list -------------------------------------------------------------------------


def test_create_get_and_list_as_kubectl_does(api, lab):
    created = api.json("POST", f"{NS}/pods?fieldManager=kubectl-create&fieldValidation=Strict", POD, status=201)
    assert created["metadata"]["uid"] and created["metadata"]["resourceVersion"]
    assert created["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"  # defaulted
    got = api.json("GET", f"{NS}/pods/demo")
    assert got["kind"] == "Pod" and got["metadata"]["uid"] == created["metadata"]["uid"]
    listed = api.json("GET", f"{NS}/pods")
    assert listed["kind"] == "PodList" and listed["apiVersion"] == "v1"
    assert [i["metadata"]["name"] for i in listed["items"]] == ["demo"]
    assert listed["metadata"]["resourceVersion"]
    again = api.json("POST", f"{NS}/pods", POD, status=409)
    _status(again, 409, "AlreadyExists")
    assert again["message"] == 'pods "demo" already exists' and again["details"] == {"name": "demo", "kind": "pods"}
    yaml_body = (
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}, ports: [{port: 80}]}\n"
    )
    svc = api.json("POST", f"{NS}/services", yaml_body, content_type="application/yaml", status=201)
    assert ipaddress.ip_address(svc["spec"]["clusterIP"]) in ipaddress.ip_network("10.96.0.0/12")
    assert svc["spec"]["type"] == "ClusterIP"


def test_create_into_a_missing_namespace_or_with_another_namespace_in_the_body(api, lab):
    _status(api.json("POST", "/api/v1/namespaces/nope/pods", POD, status=404), 404, "NotFound")
    other = {**POD, "metadata": {**POD["metadata"], "namespace": "kube-system"}}
    body = _status(api.json("POST", f"{NS}/pods", other, status=400), 400, "BadRequest")
    assert body["message"] == "the namespace of the provided object does not match the namespace sent on the request"
    assert "demo" not in _objects(lab, "pods")


def test_invalid_object_is_422_with_causes(api, lab):
    bad = copy.deepcopy(POD)
    bad["metadata"]["name"] = "Bad_Name"
    body = _status(api.json("POST", f"{NS}/pods", bad, status=422), 422, "Invalid")
    assert body["message"].startswith('Pod "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"')
    assert body["details"]["kind"] == "Pod" and body["details"]["causes"][0]["field"] == "metadata.name"
    assert _objects(lab, "pods") == set()


def test_strict_field_validation(api, lab):
    bad = copy.deepcopy(POD)
    bad["spec"]["foo"] = 1
    bad["spec"]["containers"][0]["livenessProbe"] = {"httpGet": {"port": 80}}  # declared, not modelled: fine
    body = _status(api.json("POST", f"{NS}/pods?fieldValidation=Strict", bad, status=400), 400, "BadRequest")
    assert (
        body["message"]
        == 'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.foo"'
    )
    assert _objects(lab, "pods") == set()
    warned = api("POST", f"{NS}/pods", bad)
    assert warned.status_code == 201 and warned["Warning"] == '299 - "unknown field \\"spec.foo\\""'


def test_label_and_field_selectors_limit_and_continue(api, lab):
    for n in range(5):
        pod = copy.deepcopy(POD)
        pod["metadata"] = {"name": f"p{n}", "labels": {"tier": "a" if n % 2 else "b"}}
        api.json("POST", f"{NS}/pods", pod, status=201)
    names = lambda body: [i["metadata"]["name"] for i in body["items"]]  # noqa: E731
    assert names(api.json("GET", f"{NS}/pods?labelSelector=tier%3Da")) == ["p1", "p3"]
    assert names(api.json("GET", f"{NS}/pods?labelSelector=tier+notin+(a)")) == ["p0", "p2", "p4"]
    assert names(api.json("GET", f"{NS}/pods?fieldSelector=metadata.name%3Dp2")) == ["p2"]
    assert names(api.json("GET", f"{NS}/pods?fieldSelector=status.phase%21%3DRunning,metadata.name!=p0")) == [
        "p1", "p2", "p3", "p4"
    ]  # fmt: skip
    first = api.json("GET", f"{NS}/pods?limit=2")
    assert names(first) == ["p0", "p1"] and first["metadata"]["remainingItemCount"] == 3
    second = api.json("GET", f"{NS}/pods?limit=2&continue={first['metadata']['continue']}")
    assert names(second) == ["p2", "p3"]
    third = api.json("GET", f"{NS}/pods?limit=2&continue={second['metadata']['continue']}")
    assert names(third) == ["p4"] and "continue" not in third["metadata"]
    bad = _status(api.json("GET", f"{NS}/pods?labelSelector=a+in+(b", status=400), 400, "BadRequest")
    assert bad["message"] == "unable to parse requirement: found '', expected: ',' or ')'"
    field = _status(api.json("GET", f"{NS}/pods?fieldSelector=spec.foo%3Dx", status=400), 400, "BadRequest")
    assert field["message"] == "field label not supported: spec.foo"
    _status(api.json("GET", f"{NS}/pods?continue=garbage", status=400), 400, "BadRequest")


def test_describe_pods_events_query(api, lab):
    api.json("POST", f"{NS}/pods", POD, status=201)
    advance(lab, rounds=4)
    uid = api.json("GET", f"{NS}/pods/demo")["metadata"]["uid"]
    events = api.json(
        "GET",
        f"{NS}/events?fieldSelector=involvedObject.name%3Ddemo%2CinvolvedObject.namespace%3Ddefault%2C"
        f"involvedObject.uid%3D{uid}&limit=500",
    )
    reasons = [e["reason"] for e in events["items"]]
    assert "Scheduled" in reasons and all(e["involvedObject"]["name"] == "demo" for e in events["items"])
    table = api.json("GET", f"{NS}/events", accept=TABLE)
    assert [c["name"] for c in table["columnDefinitions"]][:4] == ["Last Seen", "Type", "Reason", "Object"]


# -- replace / patch / delete ----------------------------------------------------------------------


def test_replace_with_a_stale_resource_version_is_a_conflict(api, lab):
    created = api.json("POST", f"{APPS}/deployments", WEB, status=201)
    body = copy.deepcopy(created)
    body["spec"]["replicas"] = 3
    updated = api.json("PUT", f"{APPS}/deployments/web", body)
    assert updated["spec"]["replicas"] == 3 and updated["metadata"]["generation"] == 2
    stale = api.json("PUT", f"{APPS}/deployments/web", body, status=409)
    _status(stale, 409, "Conflict")
    assert stale["message"] == (
        'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    assert stale["details"] == {"name": "web", "group": "apps", "kind": "deployments"}
    renamed = {**body, "metadata": {**body["metadata"], "name": "other", "resourceVersion": ""}}
    _status(api.json("PUT", f"{APPS}/deployments/web", renamed, status=400), 400, "BadRequest")


def test_client_side_apply_strategic_merge_patch(api, lab):
    created = api.json("POST", f"{APPS}/deployments?fieldManager=kubectl-client-side-apply", WEB, status=201)
    patch = {
        "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": json.dumps(WEB) + "\n"}},
        "spec": {
            "replicas": 4,
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "nginx"}],
                    "containers": [{"image": "nginx:1.28", "name": "nginx"}],
                }
            },
        },
    }
    response = api(
        "PATCH",
        f"{APPS}/deployments/web?fieldManager=kubectl-client-side-apply&fieldValidation=Strict",
        patch,
        content_type="application/strategic-merge-patch+json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["spec"]["replicas"] == 4
    container = body["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "nginx:1.28" and container["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert "kubectl.kubernetes.io/last-applied-configuration" in body["metadata"]["annotations"]
    assert body["metadata"]["uid"] == created["metadata"]["uid"] and body["metadata"]["generation"] == 2
    # a second container by name, then deleted with $patch: delete
    add = {"spec": {"template": {"spec": {"containers": [{"name": "side", "image": "busybox"}]}}}}
    two = api.json("PATCH", f"{APPS}/deployments/web", add, content_type="application/strategic-merge-patch+json")
    assert [c["name"] for c in two["spec"]["template"]["spec"]["containers"]] == ["nginx", "side"]
    drop = {"spec": {"template": {"spec": {"containers": [{"name": "side", "$patch": "delete"}]}}}}
    one = api.json("PATCH", f"{APPS}/deployments/web", drop, content_type="application/strategic-merge-patch+json")
    assert [c["name"] for c in one["spec"]["template"]["spec"]["containers"]] == ["nginx"]


def test_merge_patch_labels_and_json_patch(api, lab):
    api.json("POST", f"{NS}/pods", POD, status=201)
    label = {"metadata": {"labels": {"tier": "backend"}}}
    body = api.json(
        "PATCH", f"{NS}/pods/demo?fieldManager=kubectl-label", label, content_type="application/merge-patch+json"
    )
    assert body["metadata"]["labels"] == {"app": "demo", "tier": "backend"}
    unlabel = api.json("PATCH", f"{NS}/pods/demo", {"metadata": {"labels": {"tier": None}}},
                       content_type="application/merge-patch+json")  # fmt: skip
    assert unlabel["metadata"]["labels"] == {"app": "demo"}
    ops = [
        {"op": "add", "path": "/metadata/labels/x", "value": "y"},
        {"op": "test", "path": "/metadata/name", "value": "demo"},
    ]
    patched = api.json("PATCH", f"{NS}/pods/demo", ops, content_type="application/json-patch+json")
    assert patched["metadata"]["labels"]["x"] == "y"
    failing = [{"op": "replace", "path": "/metadata/nothere/x", "value": 1}]
    _status(
        api.json("PATCH", f"{NS}/pods/demo", failing, content_type="application/json-patch+json", status=422),
        422,
        "Invalid",
    )
    image = {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.28"}]}}
    assert (
        api.json("PATCH", f"{NS}/pods/demo", image, content_type="application/strategic-merge-patch+json")["spec"][
            "containers"
        ][0]["image"]
        == "nginx:1.28"
    )
    resources = {"spec": {"containers": [{"name": "nginx", "resources": {"requests": {"cpu": "1"}}}]}}
    forbidden = api.json(
        "PATCH", f"{NS}/pods/demo", resources, content_type="application/strategic-merge-patch+json", status=422
    )
    assert "pod updates may not change fields other than" in forbidden["message"]
    _status(
        api.json("PATCH", f"{NS}/pods/demo", label, content_type="text/plain", status=415), 415, "UnsupportedMediaType"
    )
    _status(
        api.json("PATCH", f"{NS}/pods/nosuch", label, content_type="application/merge-patch+json", status=404),
        404,
        "NotFound",
    )


def test_server_side_apply_creates_then_updates(api, lab):
    path = f"{NS}/pods/demo?fieldManager=kubectl&fieldValidation=Strict&force=false"
    first = api("PATCH", path, json.dumps(POD), content_type="application/apply-patch+yaml")
    assert first.status_code == 201, first.content
    changed = copy.deepcopy(POD)
    changed["metadata"]["labels"]["v"] = "2"
    second = api.json("PATCH", path, changed, content_type="application/apply-patch+yaml")
    assert second["metadata"]["labels"] == {"app": "demo", "v": "2"}
    unknown = copy.deepcopy(POD)
    unknown["spec"]["foo"] = True
    body = api.json("PATCH", path, unknown, content_type="application/apply-patch+yaml", status=400)
    assert body["message"] == ".spec.foo: field not declared in schema"


def test_scale_subresource(api, lab):
    api.json("POST", f"{APPS}/deployments", WEB, status=201)
    scale = api.json("GET", f"{APPS}/deployments/web/scale")
    assert scale["kind"] == "Scale" and scale["apiVersion"] == "autoscaling/v1"
    assert scale["spec"] == {"replicas": 2} and scale["status"]["selector"] == "app=web"
    scaled = api.json("PATCH", f"{APPS}/deployments/web/scale", {"spec": {"replicas": 5}},
                      content_type="application/merge-patch+json")  # fmt: skip
    assert scaled["spec"]["replicas"] == 5
    assert KubeObject.objects.get(cluster=lab, resource="deployments", name="web").body["spec"]["replicas"] == 5
    smp = api.json("PATCH", f"{APPS}/deployments/web/scale", {"spec": {"replicas": 1}},
                   content_type="application/strategic-merge-patch+json")  # fmt: skip
    assert smp["spec"]["replicas"] == 1
    put = api.json("PUT", f"{APPS}/deployments/web/scale", {"kind": "Scale", "apiVersion": "autoscaling/v1",
                   "metadata": {"name": "web"}, "spec": {"replicas": 3}})  # fmt: skip
    assert put["spec"]["replicas"] == 3
    negative = api.json("PATCH", f"{APPS}/deployments/web/scale", {"spec": {"replicas": -1}},
                        content_type="application/merge-patch+json", status=422)  # fmt: skip
    assert negative["details"]["causes"][0]["field"] == "spec.replicas"
    advance(lab)
    assert api.json("GET", f"{APPS}/deployments/web/scale")["status"]["replicas"] == 3


def test_delete_with_propagation(api, lab):
    api.json("POST", f"{APPS}/deployments", WEB, status=201)
    advance(lab, rounds=3)
    assert len(_objects(lab, "replicasets")) == 1
    orphaned = api.json("DELETE", f"{APPS}/deployments/web", {"propagationPolicy": "Orphan"})
    assert orphaned["kind"] == "Status" and orphaned["status"] == "Success"
    assert orphaned["details"]["name"] == "web" and orphaned["details"]["group"] == "apps"
    advance(lab, rounds=3)
    assert len(_objects(lab, "replicasets")) == 1  # kept, without its owner
    rs = next(iter(_objects(lab, "replicasets")))
    api.json("DELETE", f"{APPS}/replicasets/{rs}", {"propagationPolicy": "Foreground"})
    assert _objects(lab, "replicasets") == set()
    bad = api.json("DELETE", f"{NS}/pods/x", {"propagationPolicy": "Sideways"}, status=422)
    assert bad["details"]["causes"][0]["field"] == "propagationPolicy"
    _status(api.json("DELETE", f"{NS}/pods/nosuch", status=404), 404, "NotFound")
    _status(api.json("DELETE", "/api/v1/namespaces/default", status=403), 403, "Forbidden")


def test_delete_pod_answers_it_with_its_deletion_timestamp(api, lab):
    api.json("POST", f"{NS}/pods", POD, status=201)
    advance(lab, rounds=4)
    body = api.json("DELETE", f"{NS}/pods/demo", {"propagationPolicy": "Background"})
    assert body["kind"] == "Pod" and body["metadata"]["deletionTimestamp"]


def test_nodes_are_read_only_and_wrong_methods_are_405(api, lab):
    node = next(iter(_objects(lab, "nodes")))
    _status(api.json("DELETE", f"/api/v1/nodes/{node}", status=405), 405, "MethodNotAllowed")
    _status(api.json("PATCH", f"/api/v1/nodes/{node}", {}, content_type="application/merge-patch+json", status=405),
            405, "MethodNotAllowed")  # fmt: skip
    _status(api.json("POST", "/api/v1/nodes", {"kind": "Node"}, status=405), 405, "MethodNotAllowed")
    _status(api.json("POST", "/api", {}, status=405), 405, "MethodNotAllowed")
    _status(api.json("PUT", f"{NS}/pods", POD, status=405), 405, "MethodNotAllowed")


def test_bodies_malformed_wrong_type_or_too_large(api, lab):
    _status(api.json("POST", f"{NS}/pods", "{not json", status=400), 400, "BadRequest")
    _status(api.json("POST", f"{NS}/pods", "a: [", content_type="application/yaml", status=400), 400, "BadRequest")
    _status(api.json("POST", f"{NS}/pods", "x", content_type="text/plain", status=415), 415, "UnsupportedMediaType")
    huge = json.dumps({**POD, "metadata": {"name": "big", "annotations": {"a": "x" * (3 * 1024 * 1024)}}})
    _status(api.json("POST", f"{NS}/pods", huge, status=413), 413, "RequestEntityTooLarge")
    unknown = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    _status(api.json("POST", f"{NS}/pods", unknown, status=400), 400, "BadRequest")
    _status(api.json("POST", f"{NS}/pods", [1, 2], status=400), 400, "BadRequest")
    assert _objects(lab, "pods") == set()


def test_pod_log_is_nginx_starting(api, lab):
    api.json("POST", f"{NS}/pods", POD, status=201)
    waiting = api.json("GET", f"{NS}/pods/demo/log?container=nginx", status=400)
    assert waiting["message"] == "pod demo does not have a host assigned"
    advance(lab, rounds=6)
    response = api("GET", f"{NS}/pods/demo/log?container=nginx", accept="application/json, */*")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "/docker-entrypoint.sh: Configuration complete; ready for start up" in text
    assert "[notice] 1#1: nginx/1.27" in text and "start worker process" in text
    assert len(api("GET", f"{NS}/pods/demo/log?tailLines=2").content.decode().splitlines()) == 2
    _status(api.json("GET", f"{NS}/pods/demo/log?container=nope", status=400), 400, "BadRequest")
    _status(api.json("GET", f"{NS}/pods/demo/log?previous=true", status=400), 400, "BadRequest")


def test_a_kubectl_write_reaches_the_dashboards_stream(api, lab, monkeypatch):
    from cloudlab.kube import loop

    published = []
    real = loop.publish
    monkeypatch.setattr(
        loop, "publish", lambda cluster, changes, actions: published.append(changes) or real(cluster, changes, actions)
    )
    api.json("POST", f"{NS}/pods", POD, status=201)
    assert [(c.verb, c.resource, c.name) for c in published[-1]] == [("create", "pods", "demo")]


def test_namespaces_services_and_endpoints(api, lab):
    team = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}
    created = api.json("POST", "/api/v1/namespaces", team, status=201)
    assert created["status"]["phase"] == "Active" and created["metadata"].get("namespace") is None
    api.json("POST", "/api/v1/namespaces/team/pods", POD, status=201)
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
           "spec": {"selector": {"app": "demo"}, "ports": [{"port": 80}]}}  # fmt: skip
    api.json("POST", "/api/v1/namespaces/team/services", svc, status=201)
    advance(lab, rounds=6)
    services = api.json("GET", "/api/v1/namespaces/team/services", accept=TABLE)
    assert [c["name"] for c in services["columnDefinitions"]] == [
        "Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector"
    ]  # fmt: skip
    assert services["rows"][0]["cells"][1] == "ClusterIP" and services["rows"][0]["cells"][4] == "80/TCP"
    endpoints = api.json("GET", "/api/v1/namespaces/team/endpoints", accept=TABLE)
    assert endpoints["rows"][0]["cells"][1].endswith(":80")
    names = api.json("GET", "/api/v1/namespaces", accept=TABLE)
    assert {r["cells"][0]: r["cells"][1] for r in names["rows"]}["team"] == "Active"
    assert [p["metadata"]["namespace"] for p in api.json("GET", "/api/v1/pods")["items"]] == ["team"]
    gone = api.json("DELETE", "/api/v1/namespaces/team")
    assert gone["status"] == "Success" or gone.get("kind") == "Namespace"
    advance(lab, rounds=6)
    assert not KubeObject.objects.filter(cluster=lab, namespace="team").exists()
    _status(api.json("GET", "/api/v1/namespaces/team", status=404), 404, "NotFound")


def test_dry_run_writes_nothing_and_status_subresource(api, lab):
    dry = api.json("POST", f"{NS}/pods?dryRun=All", POD, status=201)
    assert dry["metadata"]["name"] == "demo" and _objects(lab, "pods") == set()
    api.json("POST", f"{APPS}/deployments", WEB, status=201)
    advance(lab, rounds=4)
    status = api.json("GET", f"{APPS}/deployments/web/status")
    assert status["status"]["readyReplicas"] == 2
    patched = api.json("PATCH", f"{APPS}/deployments/web/status", {"spec": {"replicas": 9}, "status": {"replicas": 2}},
                       content_type="application/merge-patch+json")  # fmt: skip
    assert patched["spec"]["replicas"] == 2  # the status subresource leaves the spec alone


def test_create_with_a_resource_version_is_refused(api, lab):
    body = {**POD, "metadata": {**POD["metadata"], "resourceVersion": "12"}}
    refused = _status(api.json("POST", f"{NS}/pods", body, status=400), 400, "BadRequest")
    assert refused["message"] == "resourceVersion should not be set on objects to be created"


def test_patch_options_are_validated(api, lab):
    api.json("POST", f"{NS}/pods", POD, status=201)
    no_manager = api.json("PATCH", f"{NS}/pods/demo", POD, content_type="application/apply-patch+yaml", status=422)
    assert no_manager["message"] == (
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch'
    )
    cause = no_manager["details"]["causes"][0]
    assert (cause["reason"], cause["field"]) == ("FieldValueRequired", "fieldManager")
    forced = api.json(
        "PATCH", f"{NS}/pods/demo?force=true", {}, content_type="application/merge-patch+json", status=422
    )
    assert forced["details"]["causes"][0]["field"] == "force"


def test_a_get_put_back_unchanged_changes_nothing_but_the_resource_version(api, lab):
    api.json("POST", f"{NS}/pods", POD, status=201)
    api.json("POST", f"{APPS}/deployments", WEB, status=201)
    advance(lab, rounds=6)
    for path in (f"{NS}/pods/demo", f"{APPS}/deployments/web"):
        got = api.json("GET", path)
        put = api.json("PUT", f"{path}?fieldManager=kubectl-replace&fieldValidation=Strict", got)
        assert put["spec"] == got["spec"] and put["status"] == got["status"], path
        assert (
            put["metadata"]["generation" if "deployments" in path else "uid"]
            == got["metadata"]["generation" if "deployments" in path else "uid"]
        )


def test_a_create_without_its_namespace_in_the_path_is_405(api, lab):
    _status(api.json("POST", "/api/v1/pods", POD, status=405), 405, "MethodNotAllowed")
    assert _objects(lab, "pods") == set()


def test_yaml_when_the_accept_asks_for_it(api, lab):
    import yaml

    api.json("POST", f"{NS}/pods", POD, status=201)
    response = api("GET", f"{NS}/pods/demo", accept="application/yaml")
    assert response.status_code == 200 and response["Content-Type"] == "application/yaml"
    assert yaml.safe_load(response.content)["metadata"]["name"] == "demo"
    missing = api("GET", f"{NS}/pods/nosuch", accept="application/yaml")
    assert missing.status_code == 404 and yaml.safe_load(missing.content)["reason"] == "NotFound"
    protobuf = api.json("GET", f"{NS}/pods/demo", accept="application/vnd.kubernetes.protobuf", status=406)
    _status(protobuf, 406, "NotAcceptable")
