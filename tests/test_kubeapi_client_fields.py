"""Every field the Python client's models (37.x, pydantic) require is in what the API answers
(§7.8: a response missing one fails while it is deserialised): nodes' nodeInfo, container
statuses, conditions, ports, owner references, workload and Scale statuses, endpoints, lists."""

from __future__ import annotations

import pytest

from cloudlab.kubeapi.auth import issue_token
from tests.kube_fixtures import advance, make_cluster, running_instances
from tests.test_kubeapi_core import Api
from tests.test_kubeapi_verbs import WEB

pytestmark = pytest.mark.django_db

NS = "/api/v1/namespaces/default"
APPS = "/apis/apps/v1/namespaces/default"
NODE_INFO = {
    "architecture", "bootID", "containerRuntimeVersion", "kernelVersion", "kubeProxyVersion",
    "kubeletVersion", "machineID", "operatingSystem", "osImage", "systemUUID",
}  # fmt: skip


def _has(items, *keys):
    for item in items:
        missing = [k for k in keys if k not in item]
        assert not missing, (missing, item)


@pytest.fixture
def api(alice, project_of, launch):
    lab = make_cluster(alice, project_of(alice), running_instances(launch, alice))
    api = Api(lab, issue_token(alice, project_of(alice)))
    api.json("POST", f"{APPS}/deployments", WEB, status=201)
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
               "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}  # fmt: skip
    api.json("POST", f"{NS}/services", service, status=201)
    advance(lab)
    return api


def test_required_fields_are_present(api):
    for path in (f"{NS}/pods", "/api/v1/nodes", f"{APPS}/deployments", f"{APPS}/replicasets", f"{NS}/events"):
        assert "items" in api.json("GET", path)
    for node in api.json("GET", "/api/v1/nodes")["items"]:
        assert NODE_INFO <= set(node["status"]["nodeInfo"]), node["status"]["nodeInfo"]
        _has(node["status"]["conditions"], "status", "type")
        _has(node["status"]["addresses"], "address", "type")
        _has(node["spec"].get("taints", []), "effect", "key")
        assert node["status"]["daemonEndpoints"]["kubeletEndpoint"]["Port"] == 10250
    for pod in api.json("GET", f"{NS}/pods")["items"]:
        assert pod["spec"]["containers"]
        _has(pod["spec"]["containers"], "name")
        _has([p for c in pod["spec"]["containers"] for p in c.get("ports", [])], "containerPort")
        _has(pod["status"]["containerStatuses"], "image", "imageID", "name", "ready", "restartCount")
        for cs in pod["status"]["containerStatuses"]:  # started: the runtime's ids, as describe shows them
            assert cs["containerID"].startswith("containerd://") and "@sha256:" in cs["imageID"], cs
        _has(pod["status"]["conditions"], "status", "type")
        _has(pod["status"].get("podIPs", []), "ip")
        _has(pod["metadata"]["ownerReferences"], "apiVersion", "kind", "name", "uid")
    for rs in api.json("GET", f"{APPS}/replicasets")["items"]:
        assert "replicas" in rs["status"]
    for deploy in api.json("GET", f"{APPS}/deployments")["items"]:
        assert "selector" in deploy["spec"] and "template" in deploy["spec"]
    assert "replicas" in api.json("GET", f"{APPS}/deployments/web/scale")["status"]
    _has(api.json("GET", f"{NS}/services/web")["spec"]["ports"], "port")
    for subset in api.json("GET", f"{NS}/endpoints/web")["subsets"]:
        _has(subset["addresses"], "ip")
    resources = api.json("GET", "/api/v1")["resources"] + api.json("GET", "/apis/apps/v1")["resources"]
    _has(resources, "kind", "name", "namespaced", "singularName", "verbs")
