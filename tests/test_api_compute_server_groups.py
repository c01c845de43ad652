"""os-server-groups over Django's test client: Nova's shapes per microversion (JSON schemas
written from Tempest's, tempest/lib/api_schema/response/compute/v2_1, v2_13, v2_64
servers.py / server_groups), Nova's 400s for bad policies and rules, the 403 of the quota,
scoping (another project's group is a 404; the admin's all_projects), limit/offset, the boot
hint ``group`` and ``server_groups`` in the server show from 2.71."""

from __future__ import annotations

from typing import Any

import pytest

from cloudlab.compute.actions import server_groups as groups
from cloudlab.compute.models import Instance, ServerGroup
from tests.api_compute_client import CIRROS, nova_for

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema comes with openstacksdk (requirements-dev.txt)")

pytestmark = pytest.mark.django_db

STR, OBJ = {"type": "string"}, {"type": "object"}
STRS = {"type": "array", "items": STR}


def group_schema(version: str) -> dict[str, Any]:
    """Tempest's common_server_group (v2_1), with project_id/user_id (v2_13), policy and rules
    instead of policies and metadata (v2_64)."""
    v = tuple(map(int, version.split(".")))
    properties: dict[str, Any] = {"id": STR, "name": STR, "members": STRS}
    if v >= (2, 64):
        properties |= {
            "policy": STR,
            "rules": {
                "type": "object",
                "properties": {"max_server_per_host": {"type": "integer"}},
                "additionalProperties": False,
            },
        }
    else:
        properties |= {"policies": STRS, "metadata": OBJ}
    if v >= (2, 13):
        properties |= {"project_id": STR, "user_id": STR}
    return {"type": "object", "properties": properties, "additionalProperties": False, "required": list(properties)}


def _fault(response, status: int, name: str) -> str:
    assert response.status_code == status, response.content
    body = response.json()
    assert list(body) == [name] and body[name]["code"] == status
    return body[name]["message"]


def _body(version: str, name: str = "g", policy: str = "anti-affinity", **extra: Any) -> dict[str, Any]:
    if tuple(map(int, version.split("."))) >= (2, 64):
        return {"server_group": {"name": name, "policy": policy, **extra}}
    return {"server_group": {"name": name, "policies": [policy], **extra}}


@pytest.mark.parametrize("version", ["2.1", "2.13", "2.15", "2.63", "2.64", "2.71", "2.100"])
def test_create_show_list_and_delete_have_novas_shapes(alice, client, version):
    nova = nova_for(alice, client, version=version)
    created = nova.post("os-server-groups", _body(version))
    assert created.status_code == 200, created.content
    group = created.json()["server_group"]
    schema = {"type": "object", "properties": {"server_group": group_schema(version)}, "required": ["server_group"]}
    jsonschema.validate(created.json(), schema)
    assert group["members"] == [] and group["name"] == "g"
    jsonschema.validate(nova.get(f"os-server-groups/{group['id']}").json(), schema)
    listed = nova.get("os-server-groups").json()
    jsonschema.validate(
        listed,
        {"type": "object", "properties": {"server_groups": {"type": "array", "items": group_schema(version)}}},
    )
    assert [g["id"] for g in listed["server_groups"]] == [group["id"]]
    deleted = nova.delete(f"os-server-groups/{group['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert _fault(nova.get(f"os-server-groups/{group['id']}"), 404, "itemNotFound") == (
        f"Instance group {group['id']} could not be found."
    )


def test_rules_from_2_64(alice, client):
    nova = nova_for(alice, client, version="2.64")
    body = _body("2.64", rules={"max_server_per_host": 2})
    group = nova.post("os-server-groups", body).json()["server_group"]
    assert (group["policy"], group["rules"]) == ("anti-affinity", {"max_server_per_host": 2})
    soft = nova.post("os-server-groups", _body("2.64", "s", "soft-affinity")).json()["server_group"]
    assert soft["rules"] == {}


@pytest.mark.parametrize(
    ("version", "body", "expected"),
    [
        ("2.1", _body("2.1", policy="soft-affinity"), "is not one of ['anti-affinity', 'affinity']"),
        ("2.15", _body("2.15", policy="spread"), "'spread' is not one of"),
        ("2.15", {"server_group": {"name": "g", "policies": []}}, "[] is too short"),
        ("2.15", {"server_group": {"name": "g", "policies": ["affinity", "anti-affinity"]}}, "is too long"),
        ("2.15", {"server_group": {"name": "g", "policy": "affinity"}}, "'policies' is a required property"),
        ("2.64", {"server_group": {"name": "g", "policies": ["affinity"]}}, "'policy' is a required property"),
        ("2.64", _body("2.64", policy="affinity", rules={"max_server_per_host": 2}), "Only anti-affinity policy"),
        ("2.64", _body("2.64", rules={"max_server_per_host": 0}), "0 is less than the minimum of 1"),
        ("2.64", _body("2.64", rules={"max_server_per_host": "x"}), "does not match"),
        ("2.64", _body("2.64", rules={"spread": 1}), "Additional properties are not allowed"),
        ("2.64", _body("2.64", rules=[1]), "is not of type 'object'"),
        ("2.64", _body("2.64", name=" g"), "Can not start or end with whitespace."),
        ("2.64", {"server_group": "g"}, "is not of type 'object'"),
        ("2.64", {}, "'server_group' is a required property"),
    ],
)
def test_bad_input_is_novas_400_and_makes_nothing(alice, client, version, body, expected):
    nova = nova_for(alice, client, version=version)
    assert expected in _fault(nova.post("os-server-groups", body), 400, "badRequest")
    assert not ServerGroup.objects.exists()


def test_the_quota_is_novas_403(alice, client):
    nova = nova_for(alice, client, version="2.64")
    for n in range(groups.SERVER_GROUPS_QUOTA):
        assert nova.post("os-server-groups", _body("2.64", f"g{n}")).status_code == 200
    refused = nova.post("os-server-groups", _body("2.64", "one-more"))
    assert _fault(refused, 403, "forbidden") == "Quota exceeded, too many server groups."
    assert ServerGroup.objects.count() == groups.SERVER_GROUPS_QUOTA


def test_another_projects_group_is_a_404_and_the_admin_sees_all_projects(alice, bob, ivy, client):
    alices = nova_for(alice, client, version="2.64")
    group = alices.post("os-server-groups", _body("2.64")).json()["server_group"]
    bobs = nova_for(bob, client, version="2.64")
    assert bobs.get("os-server-groups").json() == {"server_groups": []}
    for response in (bobs.get(f"os-server-groups/{group['id']}"), bobs.delete(f"os-server-groups/{group['id']}")):
        assert _fault(response, 404, "itemNotFound") == f"Instance group {group['id']} could not be found."
    assert _fault(bobs.get("os-server-groups/not-a-uuid"), 404, "itemNotFound")
    body = {"server": {"name": "w", "imageRef": CIRROS, "flavorRef": "1", "networks": "auto"}}
    hinted = bobs.post("servers", {**body, "OS-SCH-HNT:scheduler_hints": {"group": group["id"]}})
    assert _fault(hinted, 404, "itemNotFound") == f"Instance group {group['id']} could not be found."
    assert not Instance.objects.filter(name="w").exists()
    admin = nova_for(ivy, client, version="2.64")
    assert group["id"] not in [g["id"] for g in admin.get("os-server-groups").json()["server_groups"]]
    everyone = admin.get("os-server-groups?all_projects=True").json()["server_groups"]
    assert group["id"] in [g["id"] for g in everyone]
    # all_projects from a member is their own list, as Nova's policy scopes it.
    assert alices.get("os-server-groups?all_projects=True").json()["server_groups"][0]["id"] == group["id"]


def test_limit_and_offset(alice, client):
    nova = nova_for(alice, client, version="2.64")
    ids = [nova.post("os-server-groups", _body("2.64", f"g{n}")).json()["server_group"]["id"] for n in range(4)]
    page = nova.get("os-server-groups?limit=2&offset=1").json()["server_groups"]
    assert [g["id"] for g in page] == ids[1:3]
    assert "must be positive" in _fault(nova.get("os-server-groups?offset=-1"), 400, "badRequest")
    assert "does not match" in _fault(nova.get("os-server-groups?limit=x"), 400, "badRequest")


def test_a_hinted_boot_joins_the_group_and_the_server_shows_it_from_2_71(alice, client):
    nova = nova_for(alice, client, version="2.71")
    group = nova.post("os-server-groups", _body("2.71")).json()["server_group"]
    body = {"server": {"name": "w", "imageRef": CIRROS, "flavorRef": "1", "networks": "auto"}}
    response = nova.post("servers", {**body, "OS-SCH-HNT:scheduler_hints": {"group": group["id"]}})
    assert response.status_code == 202, response.content
    server_id = response.json()["server"]["id"]
    assert nova.get(f"os-server-groups/{group['id']}").json()["server_group"]["members"] == [server_id]
    assert nova.get(f"servers/{server_id}").json()["server"]["server_groups"] == [group["id"]]
    assert "server_groups" not in nova.get(f"servers/{server_id}", "2.70").json()["server"]
    bad = nova.post("servers", {**body, "OS-SCH-HNT:scheduler_hints": {"group": "nope"}})
    assert "is not a 'uuid'" in _fault(bad, 400, "badRequest")
    bad = nova.post("servers", {**body, "OS-SCH-HNT:scheduler_hints": {"group": [group["id"]]}})
    assert "is not of type 'string'" in _fault(bad, 400, "badRequest")


def test_the_quota_and_limits_count_the_groups(alice, client):
    from cloudlab.api.auth import project_id
    from cloudlab.identity.models import Project

    nova = nova_for(alice, client, version="2.64")
    nova.post("os-server-groups", _body("2.64"))
    tenant = project_id(Project.objects.for_user(alice).get())
    detail = nova.get(f"os-quota-sets/{tenant}/detail").json()["quota_set"]
    assert detail["server_groups"] == {"limit": 10, "in_use": 1, "reserved": 0}
    absolute = nova.get("limits").json()["limits"]["absolute"]
    assert (absolute["maxServerGroups"], absolute["totalServerGroupsUsed"]) == (10, 1)


@pytest.mark.parametrize("query", ["offset=1" + "0" * 30, "limit=١", "offset=1.5", "limit= 1"])
def test_odd_paging_is_a_400_never_a_500(alice, client, query):
    nova = nova_for(alice, client, version="2.64")
    assert "does not match" in _fault(nova.get(f"os-server-groups?{query}"), 400, "badRequest")
