"""The real `openstack` CLI (python-openstackclient 10.5.0) authenticates against CloudLab's
Keystone, lists the catalog and Glance's images, and is refused in Keystone's words."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from typing import Any

import pytest

from tests.api_cli import CLI_PASSWORD, ApiCloud, needs_openstack_cli

needs_openstack_cli()

pytestmark = pytest.mark.django_db(transaction=True)



def test_token_issue_prints_the_scoped_project_and_the_user(lab):
    from django.contrib.auth.models import User

    from cloudlab.api.auth import token_digest, user_id
    from cloudlab.api.models import Token

    token = lab.openstack_json("token", "issue")
    assert token["project_id"] == lab.projects["cli"]
    assert token["user_id"] == user_id(User.objects.get(username="cli"))
    assert token["id"].startswith("gAAAAA")
    # Stored hashed only: the row holds the digest, never the value.
    row = Token.objects.get(digest=token_digest(token["id"]))
    assert not Token.objects.filter(digest=token["id"]).exists()
    assert timedelta(minutes=59) < row.expires_at - row.issued_at <= timedelta(hours=1)


def test_token_issue_works_with_the_versioned_auth_url_and_the_project_id(lab):
    token = lab.openstack_json("token", "issue", project_id=lab.projects["cli"], auth_path="/identity/v3")
    assert token["project_id"] == lab.projects["cli"]


def test_catalog_list_names_compute_image_and_identity_and_no_network(lab):
    catalog = lab.openstack_json("catalog", "list")
    by_type = {entry["Type"]: entry for entry in catalog}
    assert set(by_type) == {"identity", "compute", "image"}
    assert by_type["compute"]["Name"] == "nova"
    endpoints = by_type["compute"]["Endpoints"]
    assert any(e["interface"] == "public" and e["url"] == f"{lab.url}/compute/v2.1" for e in endpoints)
    assert any(e["url"] == f"{lab.url}/identity" for e in by_type["identity"]["Endpoints"])


def test_image_list_shows_the_clouds_public_images(lab):
    images = lab.openstack_json("image", "list")
    assert sorted(image["Name"] for image in images) == ["cirros", "ubuntu"]
    assert {image["Status"] for image in images} == {"active"}


def test_image_show_by_name_finds_it_through_the_name_filter(lab):
    from cloudlab.compute.models import Image

    cirros = Image.objects.get(cloud_id=lab.cloud_id, name="cirros")
    image = lab.openstack_json("image", "show", "cirros")
    assert image["id"] == str(cirros.uuid)
    assert image["min_disk"] == cirros.min_disk
    assert image["visibility"] == "public"


def test_a_wrong_password_is_keystones_401(lab):
    result = lab.openstack("token", "issue", password=CLI_PASSWORD + "-wrong")
    assert result.returncode == 1
    assert "The request you have made requires authentication. (HTTP 401)" in result.stderr
    assert "(Request-ID: req-" in result.stderr


def test_a_project_that_is_not_the_users_is_refused(lab):
    result = lab.openstack("token", "issue", project_name="bob")
    assert result.returncode == 1
    assert "Could not find project: bob." in result.stderr
    assert "(HTTP 401)" in result.stderr


def test_the_api_password_works_beside_the_login_password(lab):
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User

    from cloudlab.api.models import ApiPassword

    ApiPassword.objects.update_or_create(
        user=User.objects.get(username="alice"), defaults={"password": make_password("alice-api-secret")}
    )
    token = lab.openstack_json("token", "issue", username="alice", password="alice-api-secret")
    assert token["project_id"] == lab.projects["alice"]
    assert lab.openstack_json("token", "issue", username="alice")["project_id"] == lab.projects["alice"]


def _page_client(lab: ApiCloud, username: str) -> Any:
    """A logged-in browser stand-in that asks for the page under the live server's host name, so
    the downloads name the URLs the CLI will reach."""
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client(HTTP_HOST=lab.url.removeprefix("http://"))
    client.force_login(User.objects.get(username=username))
    return client


def test_the_downloaded_openrc_works_when_sourced(lab):
    from pathlib import Path

    from tests.api_cli import OPENSTACK

    text = _page_client(lab, "cli").get("/project/api_access/openrc/").content.decode()
    rc = Path(lab.home) / "cli-openrc.sh"
    rc.write_text(text)
    env = {key: value for key, value in lab.env().items() if not key.startswith("OS_")}
    result = subprocess.run(
        ["bash", "-c", f'source "{rc}" && exec "{OPENSTACK}" token issue -f json'],
        input=CLI_PASSWORD + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Please enter your OpenStack password for project cli as user cli:" in result.stdout
    assert json.loads(result.stdout[result.stdout.index("{") :])["project_id"] == lab.projects["cli"]


def test_the_downloaded_clouds_yaml_works_with_os_cloud(lab):
    from pathlib import Path

    from tests.api_cli import run_openstack

    text = _page_client(lab, "cli").get("/project/api_access/clouds.yaml").content.decode()
    config_dir = Path(lab.home) / ".config" / "openstack"
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "clouds.yaml").write_text(text)
    try:
        env = {key: value for key, value in lab.env().items() if not key.startswith("OS_")}
        env["OS_PASSWORD"] = CLI_PASSWORD
        result = run_openstack("--os-cloud", "cloudlab", "image", "list", "-f", "json", env=env)
        assert result.returncode == 0, result.stderr
        assert sorted(image["Name"] for image in json.loads(result.stdout)) == ["cirros", "ubuntu"]
    finally:
        (config_dir / "clouds.yaml").unlink()


def test_an_expired_token_is_refused_by_the_cli(lab):
    from django.utils import timezone

    from cloudlab.api.models import Token

    value = lab.openstack_json("token", "issue")["id"]
    Token.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    env = {
        key: value
        for key, value in lab.env().items()
        if key not in ("OS_USERNAME", "OS_PASSWORD", "OS_USER_DOMAIN_NAME")
    }
    env.update({"OS_AUTH_TYPE": "token", "OS_TOKEN": value})
    from tests.api_cli import run_openstack

    result = run_openstack("image", "list", env=env)
    assert result.returncode == 1
    assert "Could not find token" in result.stderr


def test_a_snapshot_shows_in_its_projects_image_list_only(lab):
    from cloudlab.compute.models import Image
    from cloudlab.identity.models import Project

    cirros = Image.objects.get(cloud_id=lab.cloud_id, name="cirros")
    Image.objects.create(
        cloud_id=lab.cloud_id,
        owner=Project.objects.get(cloud_id=lab.cloud_id, name="cli"),
        name="cli-snap",
        size_mb=cirros.size_mb,
        properties={"image_type": "snapshot"},
    )
    assert "cli-snap" in [image["Name"] for image in lab.openstack_json("image", "list")]
    assert "cli-snap" not in [image["Name"] for image in lab.openstack_json("image", "list", username="bob")]


def test_token_revoke_ends_the_token(lab):
    from cloudlab.api.auth import token_digest
    from cloudlab.api.models import Token

    value = lab.openstack_json("token", "issue")["id"]
    result = lab.openstack("token", "revoke", value)
    assert result.returncode == 0, result.stderr
    assert not Token.objects.filter(digest=token_digest(value)).exists()
