"""Glance v2 over HTTP: discovery, list with the filters the clients send (``name``, ``id=in:``),
show, pagination, schemas; a project sees the public images and its own snapshots only."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from django.test import Client

from cloudlab.api import auth

pytestmark = pytest.mark.django_db
_addresses = itertools.count(1)


@pytest.fixture
def client() -> Client:
    n = next(_addresses)
    return Client(REMOTE_ADDR=f"10.17.{n // 250 % 250}.{n % 250}")


def token(client: Client, username: str, project: str) -> str:
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {"name": username, "domain": {"name": "Default"}, "password": "cloudlab-demo"}},
            },
            "scope": {"project": {"name": project, "domain": {"name": "Default"}}},
        }
    }
    response = client.post("/identity/v3/auth/tokens", json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    return str(response.headers["X-Subject-Token"])


@pytest.fixture
def alice_get(client: Client, alice: Any) -> Any:
    value = token(client, "alice", "alice")
    return lambda path: client.get(path, headers={"X-Auth-Token": value})


@pytest.fixture
def snapshot_of(demo_cloud: Any) -> Any:
    """A snapshot owned by a project, as createImage leaves one."""
    from cloudlab.compute.models import Image

    def make(project: Any, name: str) -> Any:
        base = Image.objects.get(cloud=demo_cloud, name="cirros")
        return Image.objects.create(
            cloud=demo_cloud,
            owner=project,
            name=name,
            size_mb=base.size_mb,
            min_disk=1,
            properties={"image_type": "snapshot", "base_image_ref": str(base.uuid)},
        )

    return make


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    assert response.headers["x-openstack-request-id"].startswith("req-")
    return [image["name"] for image in response.json()["images"]]


def test_discovery_is_300_without_a_token(client, demo_cloud):
    response = client.get("/image")
    assert response.status_code == 300
    versions = response.json()["versions"]
    assert versions[0] == {
        "id": "v2.16",
        "status": "CURRENT",
        "links": [{"rel": "self", "href": "http://testserver/image/v2/"}],
    }


def test_list_needs_a_token(client, demo_cloud):
    response = client.get("/image/v2/images")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "The request you have made requires authentication."


def test_list_shows_public_images_with_glances_fields(alice_get, demo_cloud):
    from cloudlab.compute.models import Image

    response = alice_get("/image/v2/images")
    body = response.json()
    assert sorted(names(response)) == ["cirros", "ubuntu"]
    assert body["first"] == "/v2/images"
    assert body["schema"] == "/v2/schemas/images"
    assert "next" not in body
    cirros = next(image for image in body["images"] if image["name"] == "cirros")
    model = Image.objects.get(cloud=demo_cloud, name="cirros")
    assert cirros["id"] == str(model.uuid)
    assert cirros["size"] == model.size_mb * 1024 * 1024
    assert cirros["visibility"] == "public"
    assert cirros["self"] == f"/v2/images/{model.uuid}"
    assert cirros["status"] == "active"


def test_the_name_filter_and_the_in_operator(alice_get, demo_cloud):
    from cloudlab.compute.models import Image

    assert names(alice_get("/image/v2/images?name=cirros")) == ["cirros"]
    assert names(alice_get("/image/v2/images?name=nosuch")) == []
    ids = ",".join(str(image.uuid) for image in Image.objects.filter(cloud=demo_cloud))
    assert sorted(names(alice_get(f"/image/v2/images?id=in:{ids}"))) == ["cirros", "ubuntu"]
    assert names(alice_get("/image/v2/images?id=in:not-a-uuid")) == []


def test_show_by_id_and_404_for_a_name(alice_get, demo_cloud):
    from cloudlab.compute.models import Image

    cirros = Image.objects.get(cloud=demo_cloud, name="cirros")
    shown = alice_get(f"/image/v2/images/{cirros.uuid}")
    assert shown.status_code == 200
    assert shown.json()["name"] == "cirros"  # the bare object, no wrapper key
    by_name = alice_get("/image/v2/images/cirros")
    assert by_name.status_code == 404
    assert "No image found with ID cirros" in by_name.content.decode()


def test_a_snapshot_is_its_projects_own(client, alice_get, bob, project_of, alice, snapshot_of):
    mine = snapshot_of(project_of(alice), "alice-snap")
    bobs = snapshot_of(project_of(bob), "bob-snap")
    listed = alice_get("/image/v2/images").json()["images"]
    assert sorted(image["name"] for image in listed) == ["alice-snap", "cirros", "ubuntu"]
    snap = next(image for image in listed if image["name"] == "alice-snap")
    assert snap["visibility"] == "private"
    assert snap["owner"] == auth.project_id(project_of(alice))
    assert snap["image_type"] == "snapshot"  # properties are top-level strings
    assert alice_get(f"/image/v2/images/{mine.uuid}").status_code == 200
    assert alice_get(f"/image/v2/images/{bobs.uuid}").status_code == 404
    assert names(alice_get("/image/v2/images?visibility=private")) == ["alice-snap"]


def test_the_instructor_sees_every_projects_snapshots(client, ivy, bob, project_of, snapshot_of):
    snapshot_of(project_of(bob), "bob-snap")
    value = token(client, "ivy", "teaching")
    response = client.get("/image/v2/images", headers={"X-Auth-Token": value})
    assert "bob-snap" in names(response)


def test_pagination_with_limit_and_marker(alice_get, demo_cloud):
    first = alice_get("/image/v2/images?limit=1").json()
    assert len(first["images"]) == 1
    assert first["next"].startswith("/v2/images?")
    second = alice_get("/image/v2/images?limit=1&marker=" + first["images"][0]["id"]).json()
    assert len(second["images"]) == 1
    assert second["images"][0]["id"] != first["images"][0]["id"]
    assert "next" not in second


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("limit=abc", "limit param must be an integer"),
        ("limit=-1", "limit param must be an integer"),
        ("marker=00000000-0000-0000-0000-000000000000", "Invalid marker"),
        ("status=bogus", "Invalid status value: bogus"),
        ("visibility=everyone", "Invalid visibility value: everyone"),
        ("protected=maybe", "it must be true or false"),
    ],
)
def test_bad_filters_are_400_saying_why(alice_get, query, says):
    response = alice_get(f"/image/v2/images?{query}")
    assert response.status_code == 400
    assert says in response.content.decode()


def test_schemas(alice_get):
    image = alice_get("/image/v2/schemas/image").json()
    assert image["name"] == "image"
    assert {"id", "name", "status", "visibility", "min_disk", "min_ram"} <= set(image["properties"])
    images = alice_get("/image/v2/schemas/images").json()
    assert images["properties"]["images"]["items"]["name"] == "image"


def test_writes_are_refused_not_crashed(alice_get, client):
    response = client.post("/image/v2/images", "{}", content_type="application/json")
    assert response.status_code == 405
    assert client.get("/image/v2/nothing-here").status_code == 404
