"""The compute API's bodies have exactly the fields Nova's API has at each advertised
microversion: JSON schemas written from Tempest's response schemas
(tempest/lib/api_schema/response/compute/v2_*), strict as Tempest's are (no extra key, none of
the required missing), checked for a member and for the admin, a building server and an active
one, list, detail and show."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api_compute_client import COURSE_WEB, nova_for

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema comes with openstacksdk (requirements-dev.txt)")

pytestmark = pytest.mark.django_db

STR, INT, BOOL, OBJ, ARR = (
    {"type": "string"},
    {"type": "integer"},
    {"type": "boolean"},
    {"type": "object"},
    {"type": "array"},
)
NULLSTR = {"type": ["string", "null"]}
LINKS = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"href": STR, "rel": STR},
        "additionalProperties": False,
        "required": ["href", "rel"],
    },
}


NETWORK_NAME = "^[a-zA-Z0-9-_.]+$"


def strict(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "additionalProperties": False, "required": required}


def at(version: str, since: str) -> bool:
    return tuple(map(int, version.split("."))) >= tuple(map(int, since.split(".")))


def server_schema(version: str, *, show: bool) -> dict[str, Any]:
    """Tempest's get_server / list_servers_detail item at ``version``."""
    address = strict(
        {
            "version": INT,
            "addr": STR,
            "OS-EXT-IPS:type": STR,
            "OS-EXT-IPS-MAC:mac_addr": {"type": "string", "pattern": "(?:[a-f0-9]{2}:){5}[a-f0-9]{2}"},
        },
        ["version", "addr"],
    )
    image_props = {"id": STR, "links": LINKS}
    if at(version, "2.98"):
        image_props["properties"] = OBJ
    if at(version, "2.47"):
        flavor = strict(
            {
                "vcpus": INT,
                "ram": INT,
                "disk": INT,
                "ephemeral": INT,
                "swap": INT,
                "original_name": STR,
                "extra_specs": OBJ,
            },
            ["vcpus", "ram", "disk", "ephemeral", "swap", "original_name"],
        )
    else:
        flavor = strict({"id": STR, "links": LINKS}, [])
    properties: dict[str, Any] = {
        "id": STR, "name": STR, "status": STR,
        "image": {"oneOf": [strict(image_props, ["id", "links"]), {"type": ["string", "null"]}]},
        "flavor": flavor,
        "fault": strict({"code": INT, "created": STR, "message": STR, "details": STR}, ["code", "created", "message"]),
        "user_id": STR, "tenant_id": STR, "created": STR, "updated": STR, "progress": INT, "metadata": OBJ,
        "links": LINKS,
        "addresses": {"type": "object", "patternProperties": {NETWORK_NAME: {"type": "array", "items": address}}},
        "hostId": STR, "OS-DCF:diskConfig": STR, "accessIPv4": STR, "accessIPv6": STR,
        "key_name": NULLSTR, "security_groups": ARR,
        "OS-SRV-USG:launched_at": NULLSTR, "OS-SRV-USG:terminated_at": NULLSTR, "OS-EXT-AZ:availability_zone": STR,
        "OS-EXT-STS:task_state": NULLSTR, "OS-EXT-STS:vm_state": STR, "OS-EXT-STS:power_state": INT,
        "OS-EXT-SRV-ATTR:host": NULLSTR, "OS-EXT-SRV-ATTR:instance_name": STR,
        "OS-EXT-SRV-ATTR:hypervisor_hostname": NULLSTR,
        "os-extended-volumes:volumes_attached": {"type": "array", "items": strict({"id": STR}, [])},
        "config_drive": STR,
    }  # fmt: skip
    required = ["id", "name", "status", "image", "flavor", "user_id", "tenant_id", "created", "updated", "metadata",
                "links", "addresses", "hostId"]  # fmt: skip
    if at(version, "2.3"):
        properties.update(
            {
                "OS-EXT-SRV-ATTR:reservation_id": NULLSTR, "OS-EXT-SRV-ATTR:launch_index": INT,
                "OS-EXT-SRV-ATTR:kernel_id": NULLSTR, "OS-EXT-SRV-ATTR:ramdisk_id": NULLSTR,
                "OS-EXT-SRV-ATTR:hostname": STR, "OS-EXT-SRV-ATTR:root_device_name": NULLSTR,
                "OS-EXT-SRV-ATTR:user_data": NULLSTR,
            }
        )  # fmt: skip
    for since, key, schema in [
        ("2.9", "locked", BOOL),
        ("2.19", "description", NULLSTR),
        ("2.26", "tags", {"type": "array", "items": STR}),
        ("2.63", "trusted_image_certificates", {"type": ["array", "null"]}),
        ("2.73", "locked_reason", NULLSTR),
        ("2.96", "pinned_availability_zone", NULLSTR),
        ("2.100", "scheduler_hints", {"type": "object", "additionalProperties": True}),
    ]:
        if at(version, since):
            properties[key] = schema
            required.append(key)
    if at(version, "2.16"):
        properties["host_status"] = STR
    if at(version, "2.71") and show:
        properties["server_groups"] = {"type": "array", "items": STR}
        required.append("server_groups")
    return strict(properties, required)


VERSIONS = ["2.1", "2.3", "2.9", "2.47", "2.63", "2.71", "2.90", "2.96", "2.100"]


@pytest.mark.parametrize("version", VERSIONS)
def test_a_members_servers_match_novas_schema(alice, client, version):
    nova = nova_for(alice, client, version=version)
    server_id = nova.boot("web", version="2.100")
    show = nova.get(f"servers/{server_id}").json()
    jsonschema.validate(show, strict({"server": server_schema(version, show=True)}, ["server"]))
    detail = nova.get("servers/detail").json()
    item = server_schema(version, show=False)
    jsonschema.validate(
        detail, strict({"servers": {"type": "array", "items": item}, "servers_links": LINKS}, ["servers"])
    )
    summary = strict({"id": STR, "links": LINKS, "name": STR}, ["id", "links", "name"])
    listed = nova.get("servers").json()
    jsonschema.validate(
        listed, strict({"servers": {"type": "array", "items": summary}, "servers_links": LINKS}, ["servers"])
    )
    # A member sees no host attributes, except the hostname from 2.90.
    assert "OS-EXT-SRV-ATTR:host" not in show["server"]
    assert ("OS-EXT-SRV-ATTR:hostname" in show["server"]) == at(version, "2.90")


@pytest.mark.parametrize("version", VERSIONS)
def test_the_admins_view_of_an_active_server_matches_novas_schema(ivy, client, version):
    nova = nova_for(ivy, client, version=version)
    show = nova.get(f"servers/{COURSE_WEB}").json()
    jsonschema.validate(show, strict({"server": server_schema(version, show=True)}, ["server"]))
    server = show["server"]
    assert server["status"] == "ACTIVE" and server["OS-EXT-SRV-ATTR:host"] == "compute-kvm1"
    assert server["addresses"] == {} or all(a["version"] == 4 for a in next(iter(server["addresses"].values())))
    assert server["hostId"] and server["hostId"] != "compute-kvm1"


@pytest.mark.parametrize("version", ["2.1", "2.74", "2.75", "2.100"])
def test_a_renamed_server_answers_with_the_update_shape(alice, client, version):
    nova = nova_for(alice, client, version=version)
    server_id = nova.boot("web", version="2.100")
    body = nova.put(f"servers/{server_id}", {"server": {"name": "renamed"}}).json()
    schema = server_schema(version, show=True)
    if not at(version, "2.75"):  # Tempest's update_server: the common fields only
        common = {"OS-DCF:diskConfig", "accessIPv4", "accessIPv6", "progress", "fault", "locked", "description",
                  "tags", "trusted_image_certificates", "server_groups", "locked_reason", "pinned_availability_zone",
                  "scheduler_hints", "OS-EXT-SRV-ATTR:hostname", *schema["required"]}  # fmt: skip
        schema = strict({k: v for k, v in schema["properties"].items() if k in common}, schema["required"])
    jsonschema.validate(body, strict({"server": schema}, ["server"]))
    assert body["server"]["name"] == "renamed"


def test_a_server_in_error_shows_its_fault(alice, client):
    from cloudlab.compute.models import Instance

    nova = nova_for(alice, client)
    server_id = nova.boot()
    fault = {"code": 500, "message": "No valid host was found. ", "created": "2026-12-02T05:00:00+00:00"}
    Instance.objects.filter(uuid=server_id).update(vm_state="error", task_state=None, fault=fault)
    server = nova.get(f"servers/{server_id}").json()["server"]
    jsonschema.validate(server, server_schema("2.100", show=True))
    assert server["status"] == "ERROR" and server["fault"]["message"] == "No valid host was found. "
    assert "details" not in server["fault"]  # the admin's only


# -- flavors, hypervisors, services, aggregates, actions, quota, limits --------------------------


@pytest.mark.parametrize("version", ["2.1", "2.55", "2.61", "2.75"])
def test_flavors_match_novas_schema(alice, client, version):
    nova = nova_for(alice, client, version=version)
    properties = {
        "id": STR, "name": STR, "ram": INT, "disk": INT, "vcpus": INT, "links": LINKS,
        "OS-FLV-EXT-DATA:ephemeral": INT, "OS-FLV-DISABLED:disabled": BOOL, "os-flavor-access:is_public": BOOL,
        "swap": INT if at(version, "2.75") else {"type": ["integer", "string"]}, "rxtx_factor": {"type": "number"},
    }  # fmt: skip
    required = ["id", "name", "ram", "disk", "vcpus", "links", "swap", "OS-FLV-EXT-DATA:ephemeral",
                "OS-FLV-DISABLED:disabled", "os-flavor-access:is_public", "rxtx_factor"]  # fmt: skip
    if at(version, "2.55"):
        properties["description"] = NULLSTR
        required.append("description")
    if at(version, "2.61"):
        properties["extra_specs"] = OBJ
    flavor = strict(properties, required)
    jsonschema.validate(
        nova.get("flavors/detail").json(), strict({"flavors": {"type": "array", "items": flavor}}, ["flavors"])
    )
    jsonschema.validate(nova.get("flavors/2").json(), strict({"flavor": flavor}, ["flavor"]))
    summary = strict({"id": STR, "name": STR, "links": LINKS, "description": NULLSTR}, ["id", "name", "links"])
    jsonschema.validate(
        nova.get("flavors").json(), strict({"flavors": {"type": "array", "items": summary}}, ["flavors"])
    )


@pytest.mark.parametrize("version", ["2.1", "2.28", "2.53", "2.88"])
def test_hypervisors_match_novas_schema(ivy, client, version):
    nova = nova_for(ivy, client, version=version)
    id_type = STR if at(version, "2.53") else INT
    service = strict({"host": STR, "id": id_type, "disabled_reason": NULLSTR}, ["host", "id", "disabled_reason"])
    properties: dict[str, Any] = {
        "id": id_type, "hypervisor_hostname": STR, "state": STR, "status": STR, "host_ip": NULLSTR,
        "hypervisor_type": STR, "hypervisor_version": INT, "service": service, "servers": ARR,
    }  # fmt: skip
    required = ["id", "hypervisor_hostname", "state", "status", "host_ip", "hypervisor_type", "hypervisor_version",
                "service"]  # fmt: skip
    if at(version, "2.88"):
        properties["uptime"] = NULLSTR
        required.append("uptime")
    else:
        for key in ("vcpus", "vcpus_used", "memory_mb", "memory_mb_used", "local_gb", "local_gb_used", "free_ram_mb",
                    "free_disk_gb", "running_vms", "current_workload", "disk_available_least"):  # fmt: skip
            properties[key] = INT
            required.append(key)
        properties["cpu_info"] = OBJ if at(version, "2.28") else STR
        required.append("cpu_info")
    detail = strict(properties, required)
    body = nova.get("os-hypervisors/detail").json()
    jsonschema.validate(body, strict({"hypervisors": {"type": "array", "items": detail}}, ["hypervisors"]))
    first = body["hypervisors"][0]
    jsonschema.validate(
        nova.get(f"os-hypervisors/{first['id']}").json(), strict({"hypervisor": detail}, ["hypervisor"])
    )
    summary = strict(
        {"id": id_type, "hypervisor_hostname": STR, "state": STR, "status": STR},
        ["id", "hypervisor_hostname", "state", "status"],
    )
    jsonschema.validate(
        nova.get("os-hypervisors").json(), strict({"hypervisors": {"type": "array", "items": summary}}, ["hypervisors"])
    )
    if at(version, "2.53"):
        assert nova.get("os-hypervisors/compute-kvm1").json()["badRequest"]["message"] == "Invalid uuid compute-kvm1"
    if at(version, "2.88"):
        assert nova.get(f"os-hypervisors/{first['id']}/uptime").status_code == 404
        assert nova.get("os-hypervisors/statistics").status_code == 404
    else:
        uptime = nova.get(f"os-hypervisors/{first['id']}/uptime").json()["hypervisor"]
        assert " up " in uptime["uptime"] and "load average" in uptime["uptime"]
        statistics = nova.get("os-hypervisors/statistics").json()["hypervisor_statistics"]
        assert statistics["count"] == 4 and statistics["running_vms"] == 1


@pytest.mark.parametrize("version", ["2.1", "2.11", "2.53"])
def test_services_match_novas_schema(ivy, client, version):
    nova = nova_for(ivy, client, version=version)
    properties = {"id": STR if at(version, "2.53") else INT, "binary": STR, "host": STR, "zone": STR, "status": STR,
                  "state": STR, "updated_at": NULLSTR, "disabled_reason": NULLSTR}  # fmt: skip
    required = list(properties)
    if at(version, "2.11"):
        properties["forced_down"] = BOOL
        required.append("forced_down")
    body = nova.get("os-services").json()
    jsonschema.validate(
        body, strict({"services": {"type": "array", "items": strict(properties, required)}}, ["services"])
    )
    assert {s["host"] for s in body["services"] if s["binary"] == "nova-compute"} == {
        "compute-kvm1", "compute-kvm2", "compute-vbox", "compute-lxc",
    }  # fmt: skip


@pytest.mark.parametrize("version", ["2.1", "2.41"])
def test_aggregates_match_novas_schema(ivy, client, version):
    nova = nova_for(ivy, client, version=version)
    properties = {"id": INT, "name": STR, "availability_zone": NULLSTR, "hosts": {"type": ["array", "null"]},
                  "metadata": OBJ, "created_at": STR, "updated_at": NULLSTR, "deleted": BOOL,
                  "deleted_at": NULLSTR}  # fmt: skip
    required = list(properties)
    if at(version, "2.41"):
        properties["uuid"] = STR
        required.append("uuid")
    body = nova.get("os-aggregates").json()
    jsonschema.validate(
        body, strict({"aggregates": {"type": "array", "items": strict(properties, required)}}, ["aggregates"])
    )
    assert [(a["name"], a["hosts"]) for a in body["aggregates"]] == [("ssd", ["compute-kvm1"])]


@pytest.mark.parametrize("version", ["2.1", "2.51", "2.58", "2.62", "2.84"])
def test_instance_actions_match_novas_schema(ivy, client, version):
    nova = nova_for(ivy, client, version=version)
    assert nova.post(f"servers/{COURSE_WEB}/action", {"os-stop": None}, "2.100").status_code == 202
    action = {"action": STR, "request_id": STR, "user_id": NULLSTR, "project_id": NULLSTR, "start_time": STR,
              "message": NULLSTR, "instance_uuid": STR}  # fmt: skip
    required = list(action)
    if at(version, "2.58"):
        action["updated_at"] = NULLSTR
        required.append("updated_at")
    listed = nova.get(f"servers/{COURSE_WEB}/os-instance-actions").json()
    jsonschema.validate(
        listed,
        strict(
            {"instanceActions": {"type": "array", "items": strict(action, required)}, "links": LINKS},
            ["instanceActions"],
        ),
    )
    event = {"event": STR, "start_time": STR, "finish_time": NULLSTR, "result": NULLSTR, "traceback": NULLSTR}
    event_required = ["event", "start_time", "finish_time", "result", "traceback"]
    if at(version, "2.62"):
        event.update({"host": STR, "hostId": STR})
        event_required += ["hostId"]
    if at(version, "2.84"):
        event["details"] = NULLSTR
        event_required.append("details")
    shown_schema = strict({**action, "events": {"type": "array", "items": strict(event, event_required)}}, required)
    request_id = listed["instanceActions"][0]["request_id"]
    shown = nova.get(f"servers/{COURSE_WEB}/os-instance-actions/{request_id}").json()
    jsonschema.validate(shown, strict({"instanceAction": shown_schema}, ["instanceAction"]))


@pytest.mark.parametrize("version", ["2.1", "2.36", "2.57"])
def test_quota_sets_and_limits_match_novas_schema(alice, client, version):
    from cloudlab.api.auth import project_id

    nova = nova_for(alice, client, version=version)
    keys = ["instances", "cores", "ram", "key_pairs", "metadata_items", "server_groups", "server_group_members"]
    if not at(version, "2.57"):
        keys += ["injected_files", "injected_file_content_bytes", "injected_file_path_bytes"]
    if not at(version, "2.36"):
        keys += ["fixed_ips", "floating_ips", "security_groups", "security_group_rules"]
    tenant = project_id(alice.projects.get())
    quota = strict({"id": STR, **dict.fromkeys(keys, INT)}, ["id", *keys])
    jsonschema.validate(nova.get(f"os-quota-sets/{tenant}").json(), strict({"quota_set": quota}, ["quota_set"]))
    usage = strict({"limit": INT, "in_use": INT, "reserved": INT}, ["limit", "in_use", "reserved"])
    detail = strict({"id": STR, **dict.fromkeys(keys, usage)}, ["id", *keys])
    jsonschema.validate(nova.get(f"os-quota-sets/{tenant}/detail").json(), strict({"quota_set": detail}, ["quota_set"]))
    absolute = ["maxServerMeta", "maxTotalInstances", "maxTotalCores", "maxTotalRAMSize", "maxTotalKeypairs",
                "maxServerGroups", "maxServerGroupMembers", "totalCoresUsed", "totalInstancesUsed", "totalRAMUsed",
                "totalServerGroupsUsed"]  # fmt: skip
    if not at(version, "2.57"):
        absolute += ["maxPersonality", "maxPersonalitySize", "maxImageMeta"]
    if not at(version, "2.36"):
        absolute += ["maxSecurityGroups", "maxSecurityGroupRules", "maxTotalFloatingIps", "totalFloatingIpsUsed",
                     "totalSecurityGroupsUsed"]  # fmt: skip
    limits = {"absolute": strict(dict.fromkeys(absolute, INT), absolute)}
    if not at(version, "2.39"):
        limits["rate"] = ARR
    body = nova.get("limits").json()
    jsonschema.validate(body, strict({"limits": strict(limits, list(limits))}, ["limits"]))


@pytest.mark.parametrize("version", ["2.1", "2.23", "2.59", "2.80"])
def test_migrations_match_novas_schema(ivy, client, version):
    from cloudlab.compute.models import Flavor, Host, Instance, Migration

    instance = Instance.objects.get(uuid=COURSE_WEB)
    Migration.objects.create(
        instance=instance,
        kind=Migration.Kind.LIVE_MIGRATION,
        status=Migration.Status.COMPLETED,  # over: the hosts' books owe it nothing
        source_host=instance.host,
        dest_host=Host.objects.get(name="compute-kvm2"),
        old_flavor=instance.flavor,
        new_flavor=Flavor.objects.get(cloud=instance.cloud, name="m1.small"),
        old_vm_state="active",
    )
    nova = nova_for(ivy, client, version=version)
    properties: dict[str, Any] = {
        "id": INT, "status": STR, "instance_uuid": STR, "source_node": NULLSTR, "dest_node": NULLSTR,
        "source_compute": NULLSTR, "dest_compute": NULLSTR, "dest_host": NULLSTR, "source_region": NULLSTR,
        "dest_region": NULLSTR, "old_instance_type_id": INT, "new_instance_type_id": INT, "created_at": STR,
        "updated_at": NULLSTR,
    }  # fmt: skip
    required = list(properties)
    if at(version, "2.23"):
        properties.update({"migration_type": {"enum": ["migration", "resize", "live-migration", "evacuation"]}})
        properties["links"] = LINKS
        required.append("migration_type")
    if at(version, "2.59"):
        properties["uuid"] = STR
        required.append("uuid")
    if at(version, "2.80"):
        properties.update({"user_id": NULLSTR, "project_id": STR})
        required += ["user_id", "project_id"]
    body = nova.get("os-migrations").json()
    schema = strict(
        {"migrations": {"type": "array", "items": strict(properties, required)}, "migrations_links": LINKS},
        ["migrations"],
    )
    jsonschema.validate(body, schema)
    (move,) = body["migrations"]
    assert (move["source_compute"], move["dest_compute"]) == ("compute-kvm1", "compute-kvm2")
    assert move["status"] == "completed"
    assert "links" not in move  # only an in-progress live migration links to itself
