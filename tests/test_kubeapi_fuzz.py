"""Hypothesis over request bodies and content types: whatever arrives (JSON of any shape, a
valid manifest with fields of the wrong type or unknown ones, YAML, bytes that are neither), the
Kubernetes API answers a Status or an object, never a 5xx, and a refusal writes nothing."""

from __future__ import annotations

import copy
import json
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudlab.kube.models import Cluster, KubeObject
from cloudlab.kubeapi.auth import issue_token
from tests.kube_fixtures import make_cluster, running_instances
from tests.test_kubeapi_core import POD, Api
from tests.test_kubeapi_verbs import WEB

pytestmark = pytest.mark.django_db

NS = "/api/v1/namespaces/default"
APPS = "/apis/apps/v1/namespaces/default"
CONTENT_TYPES = [
    "application/json",
    "application/yaml",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/json-patch+json",
    "application/apply-patch+yaml",
    "text/plain",
    "application/vnd.kubernetes.protobuf",
    "",
]
TARGETS = [
    ("POST", f"{NS}/pods"),
    ("POST", f"{APPS}/deployments?fieldValidation=Strict"),
    ("POST", f"{NS}/services"),
    ("PUT", f"{NS}/pods/demo"),
    ("PATCH", f"{NS}/pods/demo"),
    ("PATCH", f"{APPS}/deployments/web?fieldManager=kubectl&fieldValidation=Strict"),
    ("PATCH", f"{APPS}/deployments/web/scale"),
    ("PUT", f"{APPS}/deployments/web/scale"),
    ("PATCH", f"{NS}/pods/demo/status"),
    ("DELETE", f"{NS}/pods/demo"),
    ("POST", "/api/v1/namespaces"),
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
FIELDS = [
    ("metadata",), ("metadata", "name"), ("metadata", "labels"), ("metadata", "namespace"),
    ("metadata", "resourceVersion"),
    ("spec",), ("spec", "containers"), ("spec", "replicas"), ("spec", "selector"), ("spec", "template"),
    ("spec", "ports"), ("spec", "foo"), ("kind",), ("apiVersion",), ("status",), ("$patch",),
]  # fmt: skip


@st.composite
def mutated_manifest(draw):
    body = copy.deepcopy(draw(st.sampled_from([POD, WEB, {"apiVersion": "v1", "kind": "Service", "spec": {}}])))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(FIELDS))
        node = body
        for key in path[:-1]:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        node[path[-1]] = draw(json_values)
    return body


bodies = st.one_of(
    mutated_manifest().map(json.dumps),
    json_values.map(json.dumps),
    st.lists(
        st.fixed_dictionaries(
            {
                "op": st.sampled_from(["add", "remove", "replace", "move", "copy", "test", "x"]),
                "path": st.sampled_from(["/metadata/labels/a", "/spec/replicas", "", "/", "x", "/spec/containers/9"]),
                "value": json_values,
            }
        ),
        max_size=3,
    ).map(json.dumps),
    st.text(max_size=200),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
)


@pytest.fixture
def api(alice, project_of, launch):
    lab = make_cluster(alice, project_of(alice), running_instances(launch, alice))
    client = Api(lab, issue_token(alice, project_of(alice)))
    assert client("POST", f"{NS}/pods", POD).status_code == 201
    assert client("POST", f"{APPS}/deployments", WEB).status_code == 201
    client.cluster = lab
    return client


@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(target=st.sampled_from(TARGETS), content_type=st.sampled_from(CONTENT_TYPES), body=bodies)
def test_no_body_or_content_type_makes_a_5xx(api, target, content_type, body):
    method, path = target
    for where, name, manifest in ((f"{NS}/pods", "demo", POD), (f"{APPS}/deployments", "web", WEB)):
        if api("GET", f"{where}/{name}").status_code == 404:  # an earlier example deleted or renamed it
            assert api("POST", where, manifest).status_code == 201
    before = Cluster.objects.get(pk=api.cluster.pk).revision
    rows = KubeObject.objects.filter(cluster=api.cluster).count()
    response = api(method, path, body, content_type=content_type)
    assert response.status_code < 500, (response.status_code, response.content[:500])
    if response.status_code >= 400:
        status = response.json()
        assert status["kind"] == "Status" and status["code"] == response.status_code, status
        assert Cluster.objects.get(pk=api.cluster.pk).revision == before  # a refusal wrote nothing
        assert KubeObject.objects.filter(cluster=api.cluster).count() == rows


QUERY_KEYS = ["labelSelector", "fieldSelector", "limit", "continue", "includeObject", "watch", "timeoutSeconds"]
QUERY_KEYS += ["resourceVersion", "fieldValidation", "dryRun", "propagationPolicy", "container", "tailLines"]
QUERY_VALUES = st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=30)
LIST_PATHS = [
    f"{NS}/pods",
    "/api/v1/pods",
    "/api/v1/nodes",
    f"{APPS}/deployments",
    f"{NS}/events",
    f"{NS}/pods/demo/log",
]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    path=st.sampled_from(LIST_PATHS),
    query=st.dictionaries(st.sampled_from(QUERY_KEYS), QUERY_VALUES, max_size=3),
    table=st.booleans(),
)  # fmt: skip
def test_no_query_makes_a_5xx(api, path, query, table):
    query.pop("watch", None)  # a stream is the watch module's; its own tests cover it
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json" if table else "application/json"
    response = api("GET", f"{path}?{urlencode(query)}", accept=accept)
    assert response.status_code < 500, (response.status_code, response.content[:500])
    if response.status_code >= 400:
        assert response.json()["kind"] == "Status"
