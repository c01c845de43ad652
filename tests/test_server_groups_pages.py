"""The dashboard's server groups: Project → Compute → Server Groups (list, create, delete, in
both languages), the Launch dialog's Server Group choice (the instances join the group) and
the instance page's group line."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from cloudlab.compute.actions import server_groups as groups
from cloudlab.compute.models import Image, Instance, ServerGroup

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_client(alice):
    client = Client()
    client.force_login(alice)
    return client


def _launch(client, **fields):
    data = {"name": "web", "count": "1", "image": str(Image.objects.get(name="cirros").uuid), "flavor": "1"}
    data.update(fields)
    return client.post(reverse("dashboard:launch"), data)


def test_the_panel_lists_creates_and_deletes(alice_client, alice):
    url = reverse("dashboard:server-groups")
    page = alice_client.get(url).content.decode()
    assert "No server groups yet" in page and 'href="/project/server-groups/"' in page
    created = alice_client.post(url, {"name": "spread", "policy": "anti-affinity", "max_server_per_host": "2"})
    assert created.status_code == 302
    group = ServerGroup.objects.get()
    assert (group.name, group.policy, group.rules, group.user) == (
        "spread",
        "anti-affinity",
        {"max_server_per_host": 2},
        alice,
    )
    page = alice_client.get(url).content.decode()
    assert f'data-group="{group.uuid}"' in page and "anti-affinity" in page
    chinese = alice_client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "服务器组" in chinese and "反亲和性" in chinese and "创建服务器组" in chinese
    deleted = alice_client.post(reverse("dashboard:server-group-delete", args=[group.uuid]))
    assert deleted.status_code == 302 and not ServerGroup.objects.exists()
    again = alice_client.post(reverse("dashboard:server-group-delete", args=[group.uuid]))
    assert again.status_code == 404 and "does not exist in this project" in again.content.decode()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "", "policy": "affinity"}, "Server group name is required."),
        ({"name": "g", "policy": "spread"}, "Server group policy must be one of"),
        ({"name": "g", "policy": "affinity", "max_server_per_host": "2"}, "Only an anti-affinity group takes"),
        ({"name": "g", "policy": "anti-affinity", "max_server_per_host": "x"}, "whole number of at least 1"),
        ({"name": "g\x07", "policy": "affinity"}, "control characters"),
    ],
)
def test_bad_input_is_refused_and_makes_nothing(alice_client, fields, message):
    response = alice_client.post(reverse("dashboard:server-groups"), fields)
    assert response.status_code == 400 and message in response.content.decode()
    assert not ServerGroup.objects.exists()


def test_the_quota_in_the_callers_language(alice_client, alice, project_of):
    for n in range(groups.SERVER_GROUPS_QUOTA):
        groups.create_server_group(alice, project_of(alice), name=f"g{n}", policy="affinity")
    url = reverse("dashboard:server-groups")
    response = alice_client.post(url, {"name": "more", "policy": "affinity"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 403 and "已达配额" in response.content.decode()


def test_another_projects_group_cannot_be_deleted_or_chosen(alice_client, bob, project_of):
    theirs = groups.create_server_group(bob, project_of(bob), name="b", policy="affinity")
    response = alice_client.post(reverse("dashboard:server-group-delete", args=[theirs.uuid]))
    assert response.status_code == 404 and ServerGroup.objects.filter(pk=theirs.pk).exists()
    refused = _launch(alice_client, server_group=str(theirs.uuid))
    assert refused.status_code == 400 and refused.json()["field"] == "server_group"
    assert not Instance.objects.filter(name="web").exists()


def test_the_launch_dialog_offers_the_groups_and_the_instance_joins(
    alice_client, alice, project_of, django_capture_on_commit_callbacks
):
    group = groups.create_server_group(alice, project_of(alice), name="spread", policy="soft-anti-affinity")
    choices = alice_client.get(reverse("dashboard:launch-choices")).json()
    assert choices["server_groups"] == [
        {
            "id": str(group.uuid),
            "name": "spread",
            "policy": "soft-anti-affinity",
            "label": "spread (soft anti-affinity)",
        }
    ]
    page = alice_client.get(reverse("dashboard:instances")).content.decode()
    assert 'id="launch-server-group"' in page
    with django_capture_on_commit_callbacks(execute=False):
        response = _launch(alice_client, server_group=str(group.uuid), count="2")
    assert response.status_code == 202, response.content
    made = list(Instance.objects.filter(name__startswith="web-").order_by("name"))
    assert list(group.live_members().order_by("name")) == made
    context = made[0].actions.get(action="create").context
    assert context["scheduler_hints"] == {"group": [str(group.uuid)]}
    detail = alice_client.get(reverse("dashboard:instance", args=[made[0].uuid])).content.decode()
    assert 'data-field="server_group">spread (soft anti-affinity)' in detail
    zh = alice_client.get(reverse("dashboard:instance", args=[made[0].uuid]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "软反亲和性" in zh.content.decode()
    json.dumps(choices)  # the page data stays JSON


def test_the_member_quota_in_the_dialog(alice_client, alice, project_of, monkeypatch):
    group = groups.create_server_group(alice, project_of(alice), name="g", policy="affinity")
    monkeypatch.setattr("cloudlab.dashboard.instances.SERVER_GROUP_MEMBERS_QUOTA", 1)
    refused = _launch(alice_client, server_group=str(group.uuid), count="2")
    assert refused.status_code == 403 and "2 more do not fit" in refused.json()["message"]
    assert not Instance.objects.filter(name__startswith="web").exists()
