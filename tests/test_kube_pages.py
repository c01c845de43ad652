"""Project → Kubernetes: the clusters list and its create form, a cluster's sections and their
snapshot, and the writes the pages make (create from YAML, scale, delete, labels), with
Kubernetes' own refusals (422 with a cause per field, 404 NotFound) and nothing half-written;
another project's student gets 404, the cloud's instructor sees every cluster."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cloudlab.compute.actions.instance import do_instance_action
from cloudlab.kube.models import Cluster, ClusterMember, KubeObject
from cloudlab.kube.nav import SECTIONS
from tests.kube_fixtures import advance, make_cluster, running_instances
from tests.steps import run_to_end
from tests.test_kube_pipeline import WEB

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def three(alice, launch):
    return running_instances(launch, alice)


@pytest.fixture
def lab(alice, project_of, three):
    return make_cluster(alice, project_of(alice), three)


def test_the_create_form_offers_running_instances_and_makes_a_cluster(alice, three):
    client = _client(alice)
    page = client.get(reverse("kube:clusters"))
    assert page.status_code == 200
    for instance in three:
        assert str(instance.uuid) in page.content.decode()
    response = client.post(
        reverse("kube:clusters"),
        {"name": "lab", "control_plane": str(three[0].uuid), "workers": [str(i.uuid) for i in three]},
    )
    cluster = Cluster.objects.get(name="lab")
    assert response.status_code == 302 and response.url == reverse("kube:cluster", args=[cluster.pk])
    roles = dict(cluster.members.values_list("instance_id", "role"))
    assert roles[three[0].pk] == ClusterMember.Role.CONTROL_PLANE  # the control plane ticked as a worker too: once
    assert sorted(roles.values()) == ["control-plane", "worker", "worker"]
    listed = client.get(reverse("kube:clusters")).content.decode()
    assert "lab" in listed and str(three[0].uuid) not in listed  # in a cluster now: not offered again


def test_a_refused_cluster_says_why_and_writes_nothing(alice, three, launch):
    client = _client(alice)
    bad = client.post(
        reverse("kube:clusters"),
        {"name": "Lab_1", "control_plane": str(three[0].uuid), "workers": [str(three[1].uuid)]},
    )
    assert bad.status_code == 400
    assert "Lab_1" in bad.content.decode() and "RFC 1123" in bad.content.decode()
    no_workers = client.post(reverse("kube:clusters"), {"name": "lab", "control_plane": str(three[0].uuid)})
    assert no_workers.status_code == 400 and "worker" in no_workers.content.decode()
    do_instance_action(alice, three[2], "stop")
    run_to_end(three[2], "stop")
    stopped = client.post(
        reverse("kube:clusters"), {"name": "lab", "control_plane": str(three[0].uuid), "workers": [str(three[2].uuid)]}
    )
    assert stopped.status_code == 409 and "ACTIVE" in stopped.content.decode()
    assert not Cluster.objects.exists() and not KubeObject.objects.exists()


def test_every_section_renders_the_clusters_snapshot(alice, lab):
    client = _client(alice)
    for key, _label in SECTIONS:
        url = (
            reverse("kube:cluster", args=[lab.pk]) if key == "overview" else reverse("kube:section", args=[lab.pk, key])
        )
        response = client.get(url)
        assert response.status_code == 200, key
        assert response.context["page"]["snapshot"]["cluster"]["name"] == "lab"
    assert client.get(reverse("kube:section", args=[lab.pk, "nope"])).status_code == 404
    data = client.get(reverse("kube:cluster-data", args=[lab.pk])).json()
    control = next(m for m in data["members"] if m["control_plane"])
    assert [c["name"] for c in control["components"]][:4] == [
        "kube-apiserver",
        "etcd",
        "kube-scheduler",
        "kube-controller-manager",
    ]
    assert all(c["healthy"] for m in data["members"] for c in m["components"])
    assert {n["columns"]["NAME"] for n in data["namespaces"]} == {
        "default",
        "kube-system",
        "kube-public",
        "kube-node-lease",
    }
    keys = {row["key"] for row in data["etcd"]}
    assert "/registry/namespaces/default" in keys and "/registry/services/specs/default/kubernetes" in keys


def test_a_deployment_from_yaml_is_scheduled_and_printed_as_kubectl_does(alice, lab):
    client = _client(alice)
    response = client.post(reverse("kube:apply", args=[lab.pk]), {"manifest": WEB})
    assert response.status_code == 200 and response.json()["ok"]
    assert {"verb": "create", "resource": "deployments", "namespace": "default", "name": "web"} in response.json()[
        "changes"
    ]
    advance(lab)
    data = client.get(reverse("kube:cluster-data", args=[lab.pk])).json()
    assert [d["columns"]["READY"] for d in data["deployments"]] == ["3/3"]
    pods = data["pods"]
    assert len(pods) == 3 and {p["columns"]["STATUS"] for p in pods} == {"Running"}
    assert all(p["columns"]["READY"] == "1/1" and p["columns"]["NODE"] != "<none>" for p in pods)
    assert all(p["owner"]["kind"] == "ReplicaSet" for p in pods)
    worker = next(n for n in data["nodes"] if n["pods"])
    cpu = next(r for r in worker["resources"] if r["name"] == "cpu")
    assert cpu["requested"] == f"{100 * len(worker['pods'])}m"
    assert any(e["columns"]["REASON"] == "Scheduled" for e in data["events"])


def test_an_invalid_manifest_is_refused_with_kubernetes_causes_and_nothing_is_created(alice, lab):
    client = _client(alice)
    before = KubeObject.objects.filter(cluster=lab).count()
    bad = WEB.replace("replicas: 3", "replicas: -1").replace("name: web\nspec", "name: Web\nspec", 1)
    response = client.post(reverse("kube:apply", args=[lab.pk]), {"manifest": bad})
    assert response.status_code == 422
    status = response.json()["status"]
    assert status["reason"] == "Invalid" and status["message"].startswith('Deployment.apps "Web" is invalid: [')
    fields = {c["field"] for c in status["details"]["causes"]}
    assert {"metadata.name", "spec.replicas"} <= fields
    # Two documents, the second one refused: the first is not created either.
    both = WEB + "---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 99999}]}\n"
    assert client.post(reverse("kube:apply", args=[lab.pk]), {"manifest": both}).status_code == 422
    syntax = client.post(reverse("kube:apply", args=[lab.pk]), {"manifest": "kind: [Pod"})
    assert syntax.status_code == 400 and syntax.json()["status"]["reason"] == "BadRequest"
    assert client.post(reverse("kube:apply", args=[lab.pk]), {"manifest": "  "}).status_code == 400
    assert client.post(reverse("kube:apply", args=[lab.pk]), {"manifest": "#" * 300_000}).status_code == 413
    again = client.post(reverse("kube:apply", args=[lab.pk]), {"manifest": WEB})
    assert again.status_code == 200
    assert client.post(reverse("kube:apply", args=[lab.pk]), {"manifest": WEB}).status_code == 409  # AlreadyExists
    assert KubeObject.objects.filter(cluster=lab).count() == before + 1  # only the one good apply


def test_scale_delete_and_labels_go_through_the_apiserver_rules(alice, lab):
    client = _client(alice)
    client.post(reverse("kube:apply", args=[lab.pk]), {"manifest": WEB})
    advance(lab, rounds=4)
    scale = reverse("kube:object-scale", args=[lab.pk, "deployments"])
    assert client.post(scale, {"name": "web", "replicas": "abc"}).status_code == 400
    assert client.post(scale, {"name": "web", "replicas": "-1"}).status_code == 422
    assert (
        client.post(reverse("kube:object-scale", args=[lab.pk, "nodes"]), {"name": "x", "replicas": "1"}).status_code
        == 404
    )
    assert client.post(scale, {"name": "web", "replicas": "5"}).json()["ok"]
    advance(lab, rounds=6)
    data = client.get(reverse("kube:cluster-data", args=[lab.pk])).json()
    assert data["deployments"][0]["columns"]["READY"].endswith("/5") and len(data["pods"]) == 5

    missing = client.post(reverse("kube:object-delete", args=[lab.pk, "pods"]), {"name": "nope"})
    assert missing.status_code == 404 and missing.json()["status"]["message"] == 'pods "nope" not found'
    pod = data["pods"][0]["columns"]["NAME"]
    assert client.post(reverse("kube:object-delete", args=[lab.pk, "pods"]), {"name": pod}).json()["ok"]

    labels = reverse("kube:object-labels", args=[lab.pk, "deployments"])
    refused = client.post(labels, {"name": "web", "labels": "app=web\nbad key=1"})
    assert refused.status_code == 422
    assert refused.json()["status"]["details"]["causes"][0]["field"] == "metadata.labels"
    assert client.post(labels, {"name": "web", "labels": "novalue"}).status_code == 400
    assert client.post(labels, {"name": "web", "labels": "app=web, tier=front"}).json()["ok"]
    data = client.get(reverse("kube:cluster-data", args=[lab.pk])).json()
    assert data["deployments"][0]["labels"] == {"app": "web", "tier": "front"}


def test_another_projects_student_gets_404_and_the_instructor_sees_every_cluster(alice, bob, ivy, lab):
    for url in (
        reverse("kube:cluster", args=[lab.pk]),
        reverse("kube:section", args=[lab.pk, "etcd"]),
        reverse("kube:cluster-data", args=[lab.pk]),
    ):
        assert _client(bob).get(url).status_code == 404
        assert _client(ivy).get(url).status_code == 200
    assert _client(bob).post(reverse("kube:apply", args=[lab.pk]), {"manifest": WEB}).status_code == 404
    assert _client(bob).post(reverse("kube:cluster-delete", args=[lab.pk])).status_code == 404
    row = f'data-cluster="{lab.pk}"'
    assert row not in _client(bob).get(reverse("kube:clusters")).content.decode()
    assert row in _client(ivy).get(reverse("kube:clusters")).content.decode()
    assert not KubeObject.objects.filter(cluster=lab, resource="deployments").exists()


def test_deleting_a_cluster_frees_its_instances(alice, lab, three):
    client = _client(alice)
    assert client.post(reverse("kube:cluster-delete", args=[lab.pk])).status_code == 302
    assert not Cluster.objects.exists() and not KubeObject.objects.exists()
    assert str(three[1].uuid) in client.get(reverse("kube:clusters")).content.decode()


def test_every_controller_sentence_reads_in_chinese():
    from django.utils import translation

    from cloudlab.kube.words import controller_templates, translated_templates

    templates = controller_templates()
    assert "desired {desired}, actual {actual}: create {pod}" in templates and "UID order" in templates
    with translation.override("zh-hans"):
        assert set(translated_templates()) == set(templates)
