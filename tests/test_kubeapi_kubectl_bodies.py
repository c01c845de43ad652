"""The bodies kubectl v1.32 sends for its everyday commands (recorded with -v=8, §7.2), accepted
under fieldValidation=Strict and doing what kubectl promises: create deployment, expose, apply
of a changed Service, rollout restart (a new ReplicaSet), rollout undo (a JSON patch replacing
the template and the annotations), label --overwrite, scale, delete with Background."""

from __future__ import annotations

import pytest

from cloudlab.kube.models import KubeObject
from cloudlab.kubeapi.auth import issue_token
from tests.kube_fixtures import advance, make_cluster, running_instances
from tests.test_kubeapi_core import Api

pytestmark = pytest.mark.django_db

NS = "/api/v1/namespaces/default"
APPS = "/apis/apps/v1/namespaces/default"
STRICT = "fieldValidation=Strict"
CREATE_DEPLOYMENT = {
    "kind": "Deployment",
    "apiVersion": "apps/v1",
    "metadata": {"name": "web", "creationTimestamp": None, "labels": {"app": "web"}},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"creationTimestamp": None, "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27", "resources": {}}]},
        },
        "strategy": {},
    },
    "status": {},
}
EXPOSE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"creationTimestamp": None, "name": "web"},
    "spec": {"ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}], "selector": {"app": "web"}},
    "status": {"loadBalancer": {}},
}


@pytest.fixture
def lab(alice, project_of, launch):
    return make_cluster(alice, project_of(alice), running_instances(launch, alice))


@pytest.fixture
def api(alice, project_of, lab):
    return Api(lab, issue_token(alice, project_of(alice)))


def _replica_sets(lab):
    rows = KubeObject.objects.filter(cluster=lab, resource="replicasets")
    return {r.name: r.body for r in rows}


def test_create_expose_restart_undo(api, lab):
    api.json("POST", f"{APPS}/deployments?fieldManager=kubectl-create&{STRICT}", CREATE_DEPLOYMENT, status=201)
    svc = api.json("POST", f"{NS}/services?fieldManager=kubectl-expose&{STRICT}", EXPOSE, status=201)
    assert svc["spec"]["type"] == "ClusterIP" and svc["spec"]["clusterIP"]
    advance(lab)
    first = set(_replica_sets(lab))
    assert len(first) == 1

    # kubectl apply of a changed Service: the ports merged by port
    change = {"spec": {"$setElementOrder/ports": [{"port": 80}], "ports": [{"port": 80, "targetPort": 8080}]}}
    patched = api.json(
        "PATCH",
        f"{NS}/services/web?fieldManager=kubectl-client-side-apply&{STRICT}",
        change,
        content_type="application/strategic-merge-patch+json",
    )
    assert patched["spec"]["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 8080}]

    # kubectl rollout restart deployment/web
    restart = {
        "spec": {
            "template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "2026-12-02T14:00:00Z"}}}
        }
    }
    restarted = api.json(
        "PATCH",
        f"{APPS}/deployments/web?fieldManager=kubectl-rollout",
        restart,
        content_type="application/strategic-merge-patch+json",
    )
    assert restarted["metadata"]["generation"] == 2
    advance(lab)
    sets = _replica_sets(lab)
    assert len(sets) == 2
    old = next(body for name, body in sets.items() if name in first)
    assert old["spec"]["replicas"] == 0

    # kubectl rollout undo deployment/web: the old ReplicaSet's template without pod-template-hash
    template = old["spec"]["template"]
    template["metadata"]["labels"].pop("pod-template-hash")
    undo = [
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "replace", "path": "/metadata/annotations", "value": {"deployment.kubernetes.io/revision": "1"}},
    ]
    undone = api.json("PATCH", f"{APPS}/deployments/web", undo, content_type="application/json-patch+json")
    assert "kubectl.kubernetes.io/restartedAt" not in undone["spec"]["template"]["metadata"].get("annotations", {})
    advance(lab)
    sets = _replica_sets(lab)
    assert sets[next(iter(first))]["spec"]["replicas"] == 2  # the first ReplicaSet is back
    assert sets[next(iter(first))]["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"

    # kubectl label --overwrite, kubectl scale, kubectl delete
    labelled = api.json(
        "PATCH", f"{APPS}/deployments/web?fieldManager=kubectl-label", {"metadata": {"labels": {"tier": "front"}}},
        content_type="application/merge-patch+json",
    )  # fmt: skip
    assert labelled["metadata"]["labels"] == {"app": "web", "tier": "front"}
    api.json(
        "PATCH", f"{APPS}/deployments/web/scale", {"spec": {"replicas": 3}}, content_type="application/merge-patch+json"
    )
    advance(lab)
    assert len(api.json("GET", f"{NS}/pods?labelSelector=app%3Dweb&limit=500")["items"]) == 3
    api.json("DELETE", f"{APPS}/deployments/web", {"propagationPolicy": "Background"})
    advance(lab)
    assert _replica_sets(lab) == {}
