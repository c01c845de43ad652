"""The real `openstack` CLI (python-openstackclient through openstacksdk) with server groups:
``server group create --policy anti-affinity``, two ``server create --hint group=<id> --wait``
that the real build task places on different hosts, ``server group show`` listing both members,
``server group list`` and ``server group delete``."""

from __future__ import annotations

import pytest

from tests.api_cli import needs_openstack_cli

needs_openstack_cli()

pytestmark = pytest.mark.django_db(transaction=True)



def test_an_anti_affinity_group_from_the_command_line(lab):
    from cloudlab.compute.models import Instance, ServerGroup

    group = lab.openstack_json("server", "group", "create", "--policy", "anti-affinity", "g")
    assert group["name"] == "g" and group["policy"] == "anti-affinity" and group["members"] in ("", [])
    ids = []
    for name in ("sg-a", "sg-b"):
        created = lab.openstack_json(
            "server", "create", "--flavor", "m1.tiny", "--image", "cirros", "--hint", f"group={group['id']}",
            "--wait", name,
        )  # fmt: skip
        assert created["status"] == "ACTIVE"
        ids.append(created["id"])
    shown = lab.openstack_json("server", "group", "show", "g")
    members = shown["members"]
    listed = members if isinstance(members, list) else [m.strip() for m in members.split(",")]
    assert sorted(listed) == sorted(ids)
    hosts = {i.host.name for i in Instance.objects.select_related("host").filter(uuid__in=ids)}
    assert len(hosts) == 2  # the anti-affinity filter kept them apart
    assert [g["Name"] for g in lab.openstack_json("server", "group", "list")] == ["g"]
    deleted = lab.openstack("server", "group", "delete", "g")
    assert deleted.returncode == 0, deleted.stderr
    assert not ServerGroup.objects.exists()
    for server_id in ids:
        lab.openstack("server", "delete", "--wait", server_id)
