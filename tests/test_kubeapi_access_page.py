"""A cluster's kubectl tab: the page (tabs, server, commands), the kubeconfig download in the
shape that worked for kubectl (§7.7) with a new token that the API takes, a token shown once
and only its digest kept, revoking (the API then answers 401), and isolation (another project's
student gets 404 everywhere; the cloud's instructor gets a token of a project they teach)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml
from django.test import Client
from django.urls import resolve, reverse

from cloudlab.identity.models import Role
from cloudlab.kubeapi.auth import token_digest
from cloudlab.kubeapi.models import KubeToken
from tests.kube_fixtures import make_cluster, running_instances

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CLOUDLAB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CLOUDLAB_KUBE_PORT", "16443")
    return tmp_path


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def lab(alice, project_of, launch):
    return make_cluster(alice, project_of(alice), running_instances(launch, alice))


def _download(client, cluster) -> dict:
    response = client.post(reverse("kubeapi:access-kubeconfig", args=[cluster.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{cluster.name}-kubeconfig.yaml"'
    assert response["Cache-Control"] == "no-store"
    return yaml.safe_load(response.content)


def test_the_kubectl_tab_is_routed_to_the_access_page(alice, lab):
    url = reverse("kubeapi:access", args=[lab.pk])
    assert url == f"/project/kubernetes/{lab.pk}/kubectl/"
    assert resolve(url).view_name == "kubeapi:access", "the cluster pages' section route takes /kubectl/ first"


def test_the_page_shows_the_server_the_commands_and_the_clusters_tabs(alice, lab):
    response = _client(alice).get(reverse("kubeapi:access", args=[lab.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"https://127.0.0.1:16443/kubernetes/{lab.pk}" in html
    assert 'data-section="kubectl"' in html and 'aria-current="page" href="' in html
    for command in ("kubectl get nodes", "kubectl apply -f web.yaml", "kubectl get pods -w", "kubectl scale"):
        assert command in html
    assert f"export KUBECONFIG=~/Downloads/{lab.name}-kubeconfig.yaml" in html
    assert 'id="kube-tokens-none"' in html  # no token yet
    assert not KubeToken.objects.exists()  # a GET makes none


def test_the_kubeconfig_has_the_shape_kubectl_takes_and_a_token_the_api_accepts(alice, lab, data_dir):
    config = _download(_client(alice), lab)
    assert config["apiVersion"] == "v1" and config["kind"] == "Config"
    [cluster] = config["clusters"]
    assert cluster["name"] == lab.name
    assert cluster["cluster"]["server"] == f"https://127.0.0.1:16443/kubernetes/{lab.pk}"
    ca = base64.b64decode(cluster["cluster"]["certificate-authority-data"])
    assert ca == (data_dir / "kube-tls" / "ca.crt").read_bytes() and ca.startswith(b"-----BEGIN CERTIFICATE-----")
    [user] = config["users"]
    [context] = config["contexts"]
    assert context == {"name": lab.name, "context": {"cluster": lab.name, "user": user["name"], "namespace": "default"}}
    assert config["current-context"] == lab.name
    token = user["user"]["token"]
    # only the digest is kept, and the API takes the token
    stored = KubeToken.objects.get()
    assert stored.digest == token_digest(token) and token not in str(stored.__dict__)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get(f"/kubernetes/{lab.pk}/api/v1/namespaces/default/pods").status_code == 200
    assert Client(HTTP_AUTHORIZATION="Bearer nope").get(f"/kubernetes/{lab.pk}/api/v1/pods").status_code == 401


def test_a_new_token_is_shown_once_and_then_listed_without_its_secret(alice, lab):
    client = _client(alice)
    response = client.post(reverse("kubeapi:access-token", args=[lab.pk]))
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    html = response.content.decode()
    token = html.split('id="new-token-value">', 1)[1].split("<", 1)[0]
    assert token.startswith("cloudlab-kube-") and KubeToken.objects.get().digest == token_digest(token)
    assert f"token: &quot;{token}&quot;" in html  # the kubeconfig with it, for copying
    again = client.get(reverse("kubeapi:access", args=[lab.pk])).content.decode()
    assert token not in again
    assert f'data-token="{KubeToken.objects.get().pk}"' in again


def test_revoking_a_token_makes_the_api_answer_401(alice, lab):
    client = _client(alice)
    token = _download(client, lab)["users"][0]["user"]["token"]
    row = KubeToken.objects.get()
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get(f"/kubernetes/{lab.pk}/api/v1/nodes").status_code == 200
    response = client.post(reverse("kubeapi:access-revoke", args=[lab.pk, row.pk]))
    assert response.status_code == 302 and response["Location"].endswith("/kubectl/#kube-tokens")
    assert api.get(f"/kubernetes/{lab.pk}/api/v1/nodes").status_code == 401
    assert f'data-token="{row.pk}"' not in client.get(reverse("kubeapi:access", args=[lab.pk])).content.decode()
    # revoking again, or a GET, changes nothing
    assert client.post(reverse("kubeapi:access-revoke", args=[lab.pk, row.pk])).status_code == 404
    assert client.get(reverse("kubeapi:access-revoke", args=[lab.pk, row.pk])).status_code == 405


def test_another_student_gets_404_everywhere_and_cannot_revoke_alices_token(alice, bob, lab):
    _download(_client(alice), lab)
    row = KubeToken.objects.get()
    bobs = _client(bob)
    assert bobs.get(reverse("kubeapi:access", args=[lab.pk])).status_code == 404
    assert bobs.get(reverse("kubeapi:access-data", args=[lab.pk])).status_code == 404
    assert bobs.post(reverse("kubeapi:access-kubeconfig", args=[lab.pk])).status_code == 404
    assert bobs.post(reverse("kubeapi:access-token", args=[lab.pk])).status_code == 404
    assert bobs.post(reverse("kubeapi:access-revoke", args=[lab.pk, row.pk])).status_code == 404
    assert KubeToken.objects.count() == 1 and KubeToken.objects.get().revoked is None
    # bob's own token does not reach alice's cluster
    from cloudlab.kubeapi.auth import issue_token

    bob_token = issue_token(bob, bob.projects.get())
    assert Client(HTTP_AUTHORIZATION=f"Bearer {bob_token}").get(f"/kubernetes/{lab.pk}/api/v1/pods").status_code == 404
    # anonymous: the login page
    assert Client().get(reverse("kubeapi:access", args=[lab.pk])).status_code == 302


def test_the_instructor_gets_a_token_of_a_project_they_teach(ivy, lab):
    config = _download(_client(ivy), lab)
    row = KubeToken.objects.get()
    assert row.user == ivy and row.project.cloud_id == lab.cloud_id
    assert row.project.memberships.get(user=ivy).role == Role.INSTRUCTOR
    token = config["users"][0]["user"]["token"]
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get(f"/kubernetes/{lab.pk}/api/v1/nodes").status_code == 200


def test_the_snapshot_of_the_live_feed(alice, lab):
    client = _client(alice)
    data = client.get(reverse("kubeapi:access-data", args=[lab.pk])).json()
    assert set(data) == {"streams", "tokens"} and f"project-{lab.project_id}" in data["streams"]
    page = client.get(reverse("kubeapi:access", args=[lab.pk])).content.decode()
    assert "cloudlab/kubeapi_access.js" in page
