"""A Deployment's rolling update and rollback from the pages (kubectl set image, rollout undo),
driven by the loop's own rounds (``loop.run_round``, inline): at every round the ready pods never
drop below replicas − maxUnavailable nor the pods exceed replicas + maxSurge, the new
ReplicaSet takes revision 2, and an undo scales the first ReplicaSet back up as revision 3."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cloudlab.engine.kubernetes.podlifecycle import print_pod
from cloudlab.kube import store
from cloudlab.kube.models import Cluster, KubeObject
from tests.kube_fixtures import advance, deployment, make_cluster, running_instances

pytestmark = pytest.mark.django_db

WEB = deployment(4, strategy="{rollingUpdate: {maxSurge: 1, maxUnavailable: 1}}")


@pytest.fixture
def lab(alice, project_of, launch):
    return make_cluster(alice, project_of(alice), running_instances(launch, alice))


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _counts(cluster):
    state = store.load(Cluster.objects.select_related("cloud").get(pk=cluster.pk))
    live = [p for p in state.pods.values() if p.metadata.deletion_timestamp is None]
    ready = [p for p in live if print_pod(p, state.now)["READY"] == "1/1"]
    images = {c.image for p in ready for c in p.spec.containers}
    return len(live), len(ready), images


def test_set_image_rolls_out_within_surge_and_unavailable_and_undo_goes_back(alice, lab):
    client = _client(alice)
    assert client.post(reverse("kube:apply", args=[lab.pk]), {"manifest": WEB}).json()["ok"]
    advance(lab)
    assert _counts(lab) == (4, 4, {"nginx:1.27"})
    image = reverse("kube:object-image", args=[lab.pk, "deployments"])
    assert client.post(image, {"name": "web", "images": "web=nginx:1.28"}).json()["ok"]
    seen_images = set()
    for _ in range(40):
        advance(lab, rounds=1, seconds=2)
        total, ready, images = _counts(lab)
        assert ready >= 4 - 1, (total, ready)  # replicas − maxUnavailable
        assert total <= 4 + 1, (total, ready)  # replicas + maxSurge
        seen_images |= images
        if images == {"nginx:1.28"} and ready == 4 and total == 4:
            break
    assert _counts(lab) == (4, 4, {"nginx:1.28"}) and seen_images == {"nginx:1.27", "nginx:1.28"}
    advance(lab, rounds=2)  # the Deployment's status follows a round later
    data = client.get(reverse("kube:cluster-data", args=[lab.pk])).json()
    web = data["deployments"][0]
    assert [h["revision"] for h in web["history"]] == [2, 1] and web["revision"] == "2"
    assert web["rollout"] == {"message": 'deployment "web" successfully rolled out', "done": True}
    first = web["history"][1]["replica_set"]
    assert _annotated_revision(lab) == "2"  # the controller copies it onto the Deployment (rollout undo reads it)

    undo = reverse("kube:object-undo", args=[lab.pk, "deployments"])
    assert client.post(undo, {"name": "web"}).json()["ok"]
    advance(lab, rounds=30, seconds=2)
    web = client.get(reverse("kube:cluster-data", args=[lab.pk])).json()["deployments"][0]
    assert web["history"][0] == {"revision": 3, "replica_set": first, "replicas": 4, "images": "nginx:1.27"}
    assert _counts(lab) == (4, 4, {"nginx:1.27"})
    assert _annotated_revision(lab) == "3"


def _annotated_revision(cluster):
    body = KubeObject.objects.get(cluster=cluster, resource="deployments", name="web").body
    return body["metadata"]["annotations"]["deployment.kubernetes.io/revision"]


def test_bad_rollouts_are_refused_in_kubectls_words(alice, lab):
    client = _client(alice)
    client.post(reverse("kube:apply", args=[lab.pk]), {"manifest": WEB})
    image = reverse("kube:object-image", args=[lab.pk, "deployments"])
    missing = client.post(image, {"name": "web", "images": "db=postgres:16"})
    assert missing.status_code == 400 and missing.json()["message"] == 'unable to find container named "db"'
    assert client.post(image, {"name": "web", "images": ""}).status_code == 400
    assert client.post(image, {"name": "nope", "images": "web=x"}).status_code == 404
    assert client.post(reverse("kube:object-image", args=[lab.pk, "pods"]), {"name": "x"}).status_code == 404
    undo = reverse("kube:object-undo", args=[lab.pk, "deployments"])
    fresh = client.post(undo, {"name": "web"})
    assert fresh.status_code == 400 and fresh.json()["message"] == 'no rollout history found for deployment "web"'
    assert client.post(undo, {"name": "web", "to_revision": "7"}).json()["message"] == (
        "unable to find specified revision 7 in history"
    )
    assert client.post(undo, {"name": "web", "to_revision": "x"}).status_code == 400
