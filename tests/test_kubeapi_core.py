"""The Kubernetes API's request/response core, at the request level with the headers kubectl
v1.32 sends (§7.2): discovery (legacy and aggregated), OpenAPI v3, Tables, the verbs, Status
errors, and isolation between projects."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from cloudlab.kube.models import KubeObject
from cloudlab.kubeapi.auth import issue_token
from cloudlab.kubeapi.models import KubeToken
from tests.kube_fixtures import make_cluster, running_instances

pytestmark = pytest.mark.django_db

DISCOVERY_ACCEPT = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
)
TABLE = (
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
)
KUBECTL = {"HTTP_USER_AGENT": "kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07", "HTTP_KUBECTL_COMMAND": "kubectl get"}
POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "demo", "labels": {"app": "demo"}},
    "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}]},
}


class Api:
    """A test client speaking to one cluster's prefix with a bearer token."""

    def __init__(self, cluster, token):
        self.client = Client()
        self.prefix = f"/kubernetes/{cluster.pk}"
        self.token = token

    def __call__(self, method, path, body=None, content_type="application/json", accept="application/json", **extra):
        headers = {**KUBECTL, "HTTP_ACCEPT": accept, **extra}
        if self.token:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {self.token}"
        if body is None:
            return getattr(self.client, method.lower())(self.prefix + path, **headers)
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return getattr(self.client, method.lower())(self.prefix + path, data=data, content_type=content_type, **headers)

    def json(self, method, path, body=None, status=200, **kw):
        response = self(method, path, body, **kw)
        assert response.status_code == status, response.content.decode()[:2000]
        return response.json()


@pytest.fixture
def lab(alice, project_of, launch):
    return make_cluster(alice, project_of(alice), running_instances(launch, alice))


@pytest.fixture
def api(alice, project_of, lab):
    return Api(lab, issue_token(alice, project_of(alice)))


def _status(body, code, reason):
    assert body["kind"] == "Status" and body["apiVersion"] == "v1" and body["status"] == "Failure", body
    assert body["code"] == code and body["reason"] == reason, body
    return body


# -- auth and isolation --------------------------------------------------------------------------


def test_a_token_is_stored_hashed_and_names_its_project(alice, project_of, api):
    row = KubeToken.objects.get()
    assert api.token not in row.digest and len(row.digest) == 64
    assert row.user == alice and row.project == project_of(alice)
    assert api.json("GET", "/api/v1/namespaces")["kind"] == "NamespaceList"
    row.refresh_from_db()
    assert row.last_used is not None


def test_no_token_a_bad_one_or_a_revoked_one_is_401(api, lab):
    anonymous = Api(lab, "")
    _status(anonymous.json("GET", "/api", status=401), 401, "Unauthorized")
    body = Api(lab, "nonsense").json("GET", "/api/v1/pods", status=401)
    assert body["message"] == "Unauthorized"
    KubeToken.objects.update(revoked="2026-01-01T00:00:00Z")
    _status(api.json("GET", "/api", status=401), 401, "Unauthorized")


def test_the_header_name_and_scheme_are_case_insensitive(api):
    client = Client()
    response = client.get(f"{api.prefix}/api/v1/nodes", headers={"authorization": f"bearer {api.token}"})
    assert response.status_code == 200 and response.json()["kind"] == "NodeList"


def test_another_projects_token_gets_404_not_its_existence(bob, project_of, lab):
    bobs = Api(lab, issue_token(bob, project_of(bob)))
    for path in ("/api", "/api/v1/namespaces/default/pods", "/version"):
        body = bobs.json("GET", path, status=404)
        _status(body, 404, "NotFound")
        assert "lab" not in json.dumps(body)
    missing = Api(lab, bobs.token)
    missing.prefix = "/kubernetes/999999"
    assert missing.json("GET", "/api", status=404) == body


def test_the_instructor_reaches_the_students_cluster(ivy, alice, project_of, lab):
    from cloudlab.identity.models import Membership

    teaching = Membership.objects.filter(user=ivy).first().project
    assert Api(lab, issue_token(ivy, teaching)).json("GET", "/api/v1/nodes")["items"]


# -- discovery -----------------------------------------------------------------------------------


def test_version_has_the_nine_fields_with_and_without_a_slash(api):
    for path in ("/version", "/version/"):
        body = api.json("GET", path)
        assert body["major"] == "1" and body["minor"] == "32" and body["gitVersion"] == "v1.32.5"
        assert set(body) == {
            "major", "minor", "gitVersion", "gitCommit", "gitTreeState",
            "buildDate", "goVersion", "compiler", "platform",
        }  # fmt: skip


def test_aggregated_discovery_when_kubectl_asks_for_it(api):
    response = api("GET", "/api", accept=DISCOVERY_ACCEPT)
    assert response["Content-Type"] == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    core = response.json()
    assert core["kind"] == "APIGroupDiscoveryList" and [i["metadata"]["name"] for i in core["items"]] == [""]
    resources = {r["resource"]: r for r in core["items"][0]["versions"][0]["resources"]}
    assert set(resources) == {
        "namespaces", "nodes", "pods", "services", "endpoints", "replicationcontrollers", "events"
    }  # fmt: skip
    assert resources["pods"]["shortNames"] == ["po"] and resources["pods"]["categories"] == ["all"]
    assert {s["subresource"] for s in resources["pods"]["subresources"]} == {"log", "status"}
    assert resources["nodes"]["verbs"] == ["get", "list", "watch"] and resources["nodes"]["scope"] == "Cluster"
    scale = next(s for s in resources["replicationcontrollers"]["subresources"] if s["subresource"] == "scale")
    assert scale["responseKind"] == {"group": "autoscaling", "version": "v1", "kind": "Scale"}
    apps = api.json("GET", "/apis", accept=DISCOVERY_ACCEPT)
    assert [i["metadata"]["name"] for i in apps["items"]] == ["apps"]
    names = [r["resource"] for r in apps["items"][0]["versions"][0]["resources"]]
    assert names == ["deployments", "replicasets"]


def test_legacy_discovery_documents(api):
    assert api.json("GET", "/api")["versions"] == ["v1"]
    groups = api.json("GET", "/apis")
    assert groups["kind"] == "APIGroupList" and groups["groups"][0]["preferredVersion"]["groupVersion"] == "apps/v1"
    v1 = api.json("GET", "/api/v1")
    assert v1["kind"] == "APIResourceList" and v1["groupVersion"] == "v1"
    names = [r["name"] for r in v1["resources"]]
    assert "pods/log" in names and "replicationcontrollers/scale" in names
    apps = api.json("GET", "/apis/apps/v1")
    scale = next(r for r in apps["resources"] if r["name"] == "deployments/scale")
    assert scale["group"] == "autoscaling" and scale["kind"] == "Scale"


def test_openapi_v3_names_a_patch_with_field_validation_per_kind(api):
    root = api.json("GET", "/openapi/v3")
    url = root["paths"]["api/v1"]["serverRelativeURL"]
    assert url.startswith(api.prefix + "/openapi/v3/api/v1?hash=")
    doc = Client().get(url, HTTP_AUTHORIZATION=f"Bearer {api.token}").json()
    patches = [
        op["patch"]
        for op in doc["paths"].values()
        if "patch" in op and op["patch"]["x-kubernetes-group-version-kind"]["kind"] == "Pod"
    ]
    assert patches and "fieldValidation" in [p["name"] for p in patches[0]["parameters"]]
    apps = api.json("GET", "/openapi/v3/apis/apps/v1")
    kinds = {op["patch"]["x-kubernetes-group-version-kind"]["kind"] for op in apps["paths"].values() if "patch" in op}
    assert kinds == {"Deployment", "ReplicaSet"}
    _status(api.json("GET", "/openapi/v2", status=404), 404, "NotFound")


def test_unknown_paths_and_resources_are_404_status(api):
    for path in (
        "/api/v2",
        "/api/v1/configmaps",
        "/apis/batch/v1/jobs",
        "/nonsense",
        "/api/v1/namespaces/default/nope",
    ):
        _status(api.json("GET", path, status=404), 404, "NotFound")


def test_root_paths_and_health(api):
    assert "/api" in api.json("GET", "/")["paths"] and "/version" in api.json("GET", "")["paths"]
    for path in ("/healthz", "/livez", "/readyz"):
        response = api("GET", path)
        assert response.status_code == 200 and response.content == b"ok"


def test_another_projects_token_writes_nothing(bob, project_of, lab):
    bobs = Api(lab, issue_token(bob, project_of(bob)))
    before = KubeObject.objects.filter(cluster=lab).count()
    _status(bobs.json("POST", "/api/v1/namespaces/default/pods", POD, status=404), 404, "NotFound")
    node = KubeObject.objects.filter(cluster=lab, resource="nodes").first().name
    _status(bobs.json("DELETE", f"/api/v1/nodes/{node}", status=404), 404, "NotFound")
    assert KubeObject.objects.filter(cluster=lab).count() == before
