"""The compute API over Django's test client: version documents and microversion negotiation,
Nova's error bodies for every kind of bad input (nothing is half-made), the 401 of a missing
token, the 403 of the quota and the policy, the 409 of the lifecycle gate, and the request id
that the action log keeps."""

from __future__ import annotations

import json

import pytest

from tests.api_compute_client import CIRROS, COURSE_WEB, Nova, nova_for

pytestmark = pytest.mark.django_db


def _fault(response, status: int, name: str) -> str:
    assert response.status_code == status, response.content
    body = response.json()
    assert list(body) == [name] and body[name]["code"] == status
    return body[name]["message"]


# -- discovery and microversions ----------------------------------------------------------------


def test_the_version_documents_answer_without_a_token(client):
    version = client.get("/compute/v2.1")
    assert version.status_code == 200
    assert version.json()["version"]["version"] == "2.100" and version.json()["version"]["min_version"] == "2.1"
    assert version["x-openstack-request-id"].startswith("req-")
    root = client.get("/compute/")
    assert [v["id"] for v in root.json()["versions"]] == ["v2.0", "v2.1"]
    assert client.get("/compute").json() == root.json() | {}  # the bare root answers the same


def test_no_header_is_2_1_latest_is_the_maximum_and_the_new_header_wins(alice, client):
    nova = nova_for(alice, client, version=None)
    server_id = nova.boot("web", version="2.100")
    plain = nova.get(f"servers/{server_id}")
    assert plain["OpenStack-API-Version"] == "compute 2.1" and plain["X-OpenStack-Nova-API-Version"] == "2.1"
    assert set(plain.json()["server"]["flavor"]) == {"id", "links"}  # before 2.47
    assert "locked" not in plain.json()["server"]
    latest = nova.get(f"servers/{server_id}", "latest")
    assert latest["OpenStack-API-Version"] == "compute 2.100"
    assert latest.json()["server"]["flavor"]["original_name"] == "m1.tiny"
    both = client.get(
        f"/compute/v2.1/servers/{server_id}",
        HTTP_X_AUTH_TOKEN=nova.token,
        HTTP_OPENSTACK_API_VERSION="compute 2.47",
        HTTP_X_OPENSTACK_NOVA_API_VERSION="2.1",
    )
    assert both["X-OpenStack-Nova-API-Version"] == "2.47" and "original_name" in both.json()["server"]["flavor"]
    assert "OpenStack-API-Version" in both["Vary"] and "X-OpenStack-Nova-API-Version" in both["Vary"]


def test_a_version_out_of_range_is_406_and_a_malformed_one_400(alice, client):
    nova = nova_for(alice, client)
    message = _fault(nova.get("servers", "3.0"), 406, "computeFault")
    assert message == "Version 3.0 is not supported by the API. Minimum is 2.1 and maximum is 2.100."
    assert _fault(nova.get("servers", "2.101"), 406, "computeFault").startswith("Version 2.101 is not supported")
    message = _fault(nova.get("servers", "2.x"), 400, "badRequest")
    assert message == "API Version String 2.x is of invalid format. Must be of format MajorNum.MinorNum."


def test_a_missing_or_unknown_token_is_keystonemiddlewares_401(client):
    for nova in (Nova(client, ""), Nova(client, "gAAAAA-not-a-token")):
        response = nova.get("servers/detail")
        assert response.status_code == 401
        assert response.json()["error"]["message"] == "The request you have made requires authentication."
        assert response["WWW-Authenticate"] == 'Keystone uri="http://testserver/identity"'
        assert response["x-openstack-request-id"].startswith("req-")


def test_the_session_cookie_is_not_a_token(alice, client):
    client.force_login(alice)
    assert Nova(client, "").get("servers").status_code == 401


# -- bad input: Nova's 400s, nothing created --------------------------------------------------

UNKNOWN_IMAGE = "0b7f5c3e-0000-4000-8000-000000000000"
GOOD = {"name": "web", "imageRef": CIRROS, "flavorRef": "1", "networks": "auto"}


@pytest.mark.parametrize(
    ("body", "version", "expected"),
    [
        (None, None, "Malformed message body: cannot understand JSON"),
        ([], None, "is not of type 'object'"),
        ({"servers": GOOD}, None, "'server' is a required property"),
        (
            {"server": "web"},
            None,
            "field/attribute server. Value: web. 'web' is not of type 'object'",
        ),
        ({"server": {**GOOD, "name": None}}, None, "None is not of type 'string'"),
        ({"server": {**GOOD, "name": "x" * 256}}, None, "is too long"),
        ({"server": {**GOOD, "name": ""}}, None, "'' is too short"),
        ({"server": {**GOOD, "name": " web"}}, None, "Can not start or end with whitespace."),
        ({"server": {**GOOD, "name": "we\u0007b"}}, None, "control character U+0007"),
        (
            {"server": {**GOOD, "colour": "red"}},
            None,
            "properties are not allowed ('colour' was unexpected)",
        ),
        ({"server": GOOD, "extra": 1}, None, "Additional properties are not allowed ('extra' was unexpected)"),
        ({"server": {**GOOD, "flavorRef": "m1.huge"}}, None, "Invalid flavorRef provided."),
        ({"server": {**GOOD, "flavorRef": ["1"]}}, None, "is not of type 'string'"),
        ({"server": {**GOOD, "imageRef": "cirros"}}, None, "Invalid imageRef provided."),
        (
            {"server": {**GOOD, "imageRef": "0b7f5c3e-0000-4000-8000-000000000000"}},
            None,
            "Can not find requested image",
        ),
        ({"server": {**GOOD, "min_count": "two"}}, None, "'two' does not match '^[0-9]*$'"),
        ({"server": {**GOOD, "min_count": 0}}, None, "0 is less than the minimum of 1"),
        ({"server": {**GOOD, "min_count": True}}, None, "True is not of type 'integer', 'string'"),
        ({"server": {**GOOD, "min_count": 3, "max_count": 2}}, None, "min_count must be <= max_count"),
        ({"server": {k: v for k, v in GOOD.items() if k != "networks"}}, None, "'networks' is a required property"),
        ({"server": GOOD}, "2.36", "'auto' is not of type 'array'"),
        ({"server": {**GOOD, "networks": "everything"}}, None, "is not one of ['none', 'auto']"),
        ({"server": {**GOOD, "networks": [{"uuid": CIRROS}]}}, None, f"Network {CIRROS} could not be found."),
        ({"server": {**GOOD, "availability_zone": "mars"}}, None, "The requested availability zone is not available"),
        ({"server": {**GOOD, "key_name": "mykey"}}, None, "Invalid key_name provided."),
        ({"server": GOOD, "OS-SCH-HNT:scheduler_hints": {"same_host": "web"}}, None, "'web' is not a 'uuid'"),
        ({"server": GOOD, "OS-SCH-HNT:scheduler_hints": {"different_host": [1]}}, None, "1 is not of type 'string'"),
        ({"server": GOOD, "OS-SCH-HNT:scheduler_hints": "near"}, None, "is not of type 'object'"),
        ({"server": {**GOOD, "networks": [], "description": "x"}}, "2.18", "('description' was unexpected)"),
    ],
)
def test_a_bad_create_is_novas_400_and_makes_nothing(alice, client, body, version, expected):
    from cloudlab.compute.models import Instance, InstanceAction

    nova = nova_for(alice, client)
    raw = b"{not json" if body is None else None
    message = _fault(nova.post("servers", body, version, raw=raw), 400, "badRequest")
    assert expected in message
    assert not Instance.objects.filter(project__name="alice").exists()
    assert not InstanceAction.objects.filter(project__name="alice").exists()


def test_a_huge_body_is_413_and_makes_nothing(alice, client):
    from cloudlab.compute.models import Instance

    nova = nova_for(alice, client)
    body = {"server": {**GOOD, "metadata": {"pad": "x" * 200_000}}}
    assert _fault(nova.post("servers", body), 413, "overLimit") == "Request is too large."
    assert not Instance.objects.filter(project__name="alice").exists()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"os-stop": None, "os-start": None}, "Malformed message body: too many body keys"),
        ({}, "Malformed message body: too many body keys"),
        ([], "Malformed message body: cannot understand JSON"),
        ({"fly": None}, "There is no such action: fly"),
        ({"reboot": None}, "None is not of type 'object'"),
        ({"reboot": {}}, "'type' is a required property"),
        ({"reboot": {"type": "SIDEWAYS"}}, "is not one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']"),
        ({"pause": {"now": True}}, "Additional properties are not allowed ('now' was unexpected)"),
        ({"resize": {}}, "'flavorRef' is a required property"),
        ({"createImage": {"name": ""}}, "'' is too short"),
        ({"rebuild": {"imageRef": "cirros"}}, "Invalid imageRef provided."),
    ],
)
def test_a_bad_action_is_novas_400_and_changes_nothing(alice, client, body, expected):
    from cloudlab.compute.models import Instance

    nova = nova_for(alice, client)
    server_id = nova.boot()
    before = Instance.objects.get(uuid=server_id)
    message = _fault(nova.post(f"servers/{server_id}/action", body), 400, "badRequest")
    assert expected in message
    after = Instance.objects.get(uuid=server_id)
    assert (after.vm_state, after.task_state, after.actions.count()) == (before.vm_state, before.task_state, 1)


# -- Nova's 403 and 409 -----------------------------------------------------------------------


def test_a_request_past_the_quota_is_novas_403_and_a_range_builds_what_fits(alice, client):
    from cloudlab.compute.models import Instance
    from cloudlab.identity.models import Quota

    Quota.objects.update_or_create(project=alice.projects.get(), defaults={"instances": 2})
    nova = nova_for(alice, client)
    message = _fault(nova.post("servers", {"server": {**GOOD, "min_count": 3}}), 403, "forbidden")
    assert message == "Quota exceeded for instances: Requested 3, but already used 0 of 2 instances"
    assert not Instance.objects.exists() or not Instance.objects.filter(project__name="alice").exists()
    # min_count 1, max_count 5 with room for 2: Nova builds 2.
    assert nova.post("servers", {"server": {**GOOD, "min_count": 1, "max_count": 5}}).status_code == 202
    assert sorted(Instance.objects.filter(project__name="alice").values_list("name", flat=True)) == ["web-1", "web-2"]


def test_a_member_is_refused_the_admin_apis_by_novas_policy(alice, client):
    nova = nova_for(alice, client)
    for path, rule in [
        ("os-hypervisors/detail", "os_compute_api:os-hypervisors:list-detail"),
        ("os-hypervisors", "os_compute_api:os-hypervisors:list"),
        ("os-services", "os_compute_api:os-services:list"),
        ("os-aggregates", "os_compute_api:os-aggregates:index"),
    ]:
        assert _fault(nova.get(path), 403, "forbidden") == f"Policy doesn't allow {rule} to be performed."


def test_an_action_the_state_forbids_is_novas_409_in_novas_words(ivy, client):
    nova = nova_for(ivy, client)
    message = _fault(nova.post(f"servers/{COURSE_WEB}/action", {"os-start": None}), 409, "conflictingRequest")
    assert message == f"Cannot 'start' instance {COURSE_WEB} while it is in vm_state active"
    message = _fault(nova.post(f"servers/{COURSE_WEB}/action", {"unpause": {}}), 409, "conflictingRequest")
    assert message == f"Cannot 'unpause' instance {COURSE_WEB} while it is in vm_state active"


def test_the_action_log_keeps_the_request_id_the_api_answered_with(ivy, client):
    from cloudlab.compute.models import InstanceAction

    nova = nova_for(ivy, client)
    response = nova.post(f"servers/{COURSE_WEB}/action", {"os-stop": None})
    assert response.status_code == 202 and response.content == b""
    assert response["x-openstack-request-id"] == response["x-compute-request-id"]
    record = InstanceAction.objects.get(instance__uuid=COURSE_WEB, action="stop")
    assert record.request_id == response["x-openstack-request-id"]
    listed = nova.get(f"servers/{COURSE_WEB}/os-instance-actions").json()["instanceActions"]
    assert listed[0]["request_id"] == record.request_id and listed[0]["action"] == "stop"
    shown = nova.get(f"servers/{COURSE_WEB}/os-instance-actions/{record.request_id}").json()["instanceAction"]
    assert shown["action"] == "stop" and "events" in shown
    missing = nova.get(f"servers/{COURSE_WEB}/os-instance-actions/req-nope")
    assert _fault(missing, 404, "itemNotFound") == f"Action for request_id req-nope on instance {COURSE_WEB} not found"


def test_a_create_records_its_request_id_zone_hints_and_networks_for_the_scheduler(alice, client):
    from cloudlab.compute.models import Instance
    from cloudlab.compute.scheduling import schedule_request

    nova = nova_for(alice, client)
    body = {
        "server": {**GOOD, "networks": "none", "availability_zone": "nova"},
        "OS-SCH-HNT:scheduler_hints": {"same_host": COURSE_WEB, "different_host": [CIRROS]},
    }
    response = nova.post("servers", body)
    assert response.status_code == 202
    assert response["Location"].endswith(f"/compute/v2.1/servers/{response.json()['server']['id']}")
    instance = Instance.objects.get(uuid=response.json()["server"]["id"])
    record = instance.actions.get()
    assert record.request_id == response["x-openstack-request-id"]
    assert record.context["networks"] == "none"
    request = schedule_request(instance)
    assert request.availability_zone == "nova"
    assert request.scheduler_hints.same_host == (COURSE_WEB,)
    assert request.scheduler_hints.different_host == (CIRROS,)
    shown = nova.get(f"servers/{instance.uuid}").json()["server"]
    assert shown["scheduler_hints"] == {"same_host": [COURSE_WEB], "different_host": [CIRROS]}
    assert shown["pinned_availability_zone"] == "nova"
    assert shown["OS-EXT-AZ:availability_zone"] == "nova"  # asked for, before a host is chosen


# -- scoping ---------------------------------------------------------------------------------


def test_a_token_of_one_project_never_reads_or_acts_on_anothers_servers(alice, bob, client):
    from cloudlab.api.auth import project_id
    from cloudlab.compute.models import Instance

    alices = nova_for(alice, client)
    server_id = alices.boot("secret")
    bobs = nova_for(bob, client)
    expected = f"Instance {server_id} could not be found."
    assert _fault(bobs.get(f"servers/{server_id}"), 404, "itemNotFound") == expected
    assert _fault(bobs.post(f"servers/{server_id}/action", {"os-stop": None}), 404, "itemNotFound") == expected
    assert _fault(bobs.put(f"servers/{server_id}", {"server": {"name": "mine"}}), 404, "itemNotFound") == expected
    assert _fault(bobs.delete(f"servers/{server_id}"), 404, "itemNotFound") == expected
    assert _fault(bobs.get(f"servers/{server_id}/os-instance-actions"), 404, "itemNotFound") == expected
    assert bobs.get("servers/detail").json()["servers"] == []
    assert bobs.get("servers?all_tenants=1").json()["servers"] == []  # not an admin: ignored
    alice_project = project_id(alice.projects.get())
    message = _fault(bobs.get(f"os-quota-sets/{alice_project}"), 403, "forbidden")
    assert message == "Policy doesn't allow os_compute_api:os-quota-sets:show to be performed."
    instance = Instance.objects.get(uuid=server_id)
    assert (instance.name, instance.task_state, instance.actions.count()) == ("secret", "scheduling", 1)


def test_the_clouds_admin_reaches_a_students_server_as_novas_admin_does(alice, ivy, client):
    server_id = nova_for(alice, client).boot("homework")
    admin = nova_for(ivy, client)
    assert admin.get(f"servers/{server_id}").json()["server"]["name"] == "homework"
    assert [s["name"] for s in admin.get("servers").json()["servers"]] == ["course-web"]  # own project by default
    everyone = {s["name"] for s in admin.get("servers?all_tenants=1").json()["servers"]}
    assert everyone == {"course-web", "homework"}


# -- servers: rename, delete, lists -------------------------------------------------------------


def test_rename_changes_the_name_the_dashboard_shows(alice, client):
    from cloudlab.compute.models import Instance

    nova = nova_for(alice, client)
    server_id = nova.boot("old")
    response = nova.put(f"servers/{server_id}", {"server": {"name": "new"}})
    assert response.status_code == 200 and response.json()["server"]["name"] == "new"
    assert Instance.objects.get(uuid=server_id).name == "new"
    bad = nova.put(f"servers/{server_id}", {"server": {"name": "x" * 256}})
    assert "is too long" in _fault(bad, 400, "badRequest")
    assert Instance.objects.get(uuid=server_id).name == "new"


def test_delete_is_204_through_the_same_action(alice, client):
    from cloudlab.compute.models import Instance

    nova = nova_for(alice, client)
    server_id = nova.boot()
    response = nova.delete(f"servers/{server_id}")
    assert response.status_code == 204 and response.content == b""
    instance = Instance.objects.get(uuid=server_id)
    assert instance.task_state == "deleting"
    assert instance.actions.filter(action="delete", request_id=response["x-openstack-request-id"]).exists()
    assert nova.delete(f"servers/{server_id}").status_code == 204  # already deleting: nothing more


def test_server_lists_filter_by_name_as_a_regex_by_status_and_page_with_a_marker(alice, client):
    nova = nova_for(alice, client)
    ids = [nova.boot(name) for name in ("web-a", "web-b", "db")]
    assert {s["name"] for s in nova.get("servers?name=^web").json()["servers"]} == {"web-a", "web-b"}
    assert [s["name"] for s in nova.get("servers/detail?name=db").json()["servers"]] == ["db"]
    assert nova.get("servers?name=(").json()["servers"] == []  # a broken pattern matches as text
    assert len(nova.get("servers/detail?status=BUILD").json()["servers"]) == 3
    assert nova.get("servers/detail?status=ACTIVE").json()["servers"] == []
    first = nova.get("servers?limit=2").json()
    assert [s["id"] for s in first["servers"]] == [ids[2], ids[1]]  # newest first
    assert "marker=" + ids[1] in first["servers_links"][0]["href"]
    rest = nova.get(f"servers?limit=2&marker={ids[1]}").json()
    assert [s["id"] for s in rest["servers"]] == [ids[0]] and "servers_links" not in rest
    assert _fault(nova.get("servers?marker=nope"), 400, "badRequest") == "marker [nope] not found"
    assert _fault(nova.get("servers?limit=-1"), 400, "badRequest") == "limit param must be positive"


def test_a_server_by_name_is_404_as_in_nova_and_the_clients_then_list(alice, client):
    nova = nova_for(alice, client)
    nova.boot("demo")
    assert _fault(nova.get("servers/demo"), 404, "itemNotFound") == "Instance demo could not be found."
    assert [s["name"] for s in nova.get("servers?name=demo").json()["servers"]] == ["demo"]


# -- flavors, networks, quota, limits, zones ----------------------------------------------------


def test_flavors_filter_by_min_ram_and_min_disk_and_page(alice, client):
    nova = nova_for(alice, client, version="2.61")
    every = nova.get("flavors/detail?is_public=None").json()["flavors"]
    assert {"m1.tiny", "m1.small", "m1.medium", "m1.large", "m1.xlarge"} <= {f["name"] for f in every}
    big = nova.get("flavors/detail?minRam=4096").json()["flavors"]
    assert big and all(f["ram"] >= 4096 for f in big)
    roomy = nova.get("flavors/detail?minDisk=40").json()["flavors"]
    assert roomy and all(f["disk"] >= 40 for f in roomy) and len(roomy) < len(every)
    page = nova.get("flavors?limit=2").json()
    assert len(page["flavors"]) == 2 and page["flavors_links"][0]["rel"] == "next"
    after = nova.get(f"flavors?marker={page['flavors'][1]['id']}").json()["flavors"]
    assert len(after) == len(every) - 2
    assert _fault(nova.get("flavors?minRam=lots"), 400, "badRequest") == "Invalid minRam filter [lots]"
    assert _fault(nova.get("flavors?marker=zzz"), 400, "badRequest") == "marker [zzz] not found"
    assert _fault(nova.get("flavors/m1.tiny"), 404, "itemNotFound") == "Flavor m1.tiny could not be found."
    tiny = nova.get("flavors/1").json()["flavor"]
    assert (tiny["name"], tiny["extra_specs"], tiny["swap"]) == ("m1.tiny", {}, "")  # swap "" before 2.75
    assert nova.get("flavors/1", "2.75").json()["flavor"]["swap"] == 0
    assert nova.get("flavors/1/os-extra_specs").json() == {"extra_specs": {}}


def test_the_os_networks_proxy_names_the_clouds_network_below_2_36(alice, client):
    nova = nova_for(alice, client, version="2.1")
    networks = nova.get("os-networks").json()["networks"]
    assert [n["label"] for n in networks] == ["private"]
    assert nova.get("os-networks/private").status_code == 404  # by name: 404, the client then lists
    assert nova.get(f"os-networks/{networks[0]['id']}").json()["network"]["label"] == "private"
    assert nova.get("os-networks", "2.36").status_code == 404
    created = nova.post("servers", {"server": {**GOOD, "networks": [{"uuid": networks[0]["id"]}]}}, "2.1")
    assert created.status_code == 202


def test_quota_and_limits_count_the_projects_servers(alice, client):
    from cloudlab.api.auth import project_id

    nova = nova_for(alice, client)
    nova.boot(min_count=2, max_count=2)
    tenant = project_id(alice.projects.get())
    quota = nova.get(f"os-quota-sets/{tenant}", "2.56").json()["quota_set"]
    assert quota["id"] == tenant and quota["instances"] == 10 and quota["injected_files"] == 5
    assert "injected_files" not in nova.get(f"os-quota-sets/{tenant}", "2.57").json()["quota_set"]
    detail = nova.get(f"os-quota-sets/{tenant}/detail").json()["quota_set"]
    assert detail["instances"] == {"limit": 10, "in_use": 2, "reserved": 0}
    assert detail["ram"] == {"limit": 51200, "in_use": 1024, "reserved": 0}
    absolute = nova.get("limits").json()["limits"]["absolute"]
    assert (absolute["totalInstancesUsed"], absolute["totalCoresUsed"], absolute["maxTotalInstances"]) == (2, 2, 10)
    zones = nova.get("os-availability-zone").json()["availabilityZoneInfo"]
    assert zones == [{"zoneName": "nova", "zoneState": {"available": True}, "hosts": None}]


def test_unknown_compute_paths_are_novas_404(alice, client):
    nova = nova_for(alice, client)
    assert _fault(nova.get("os-keypairs-of-doom"), 404, "itemNotFound") == "The resource could not be found."


def test_a_method_a_resource_does_not_have_is_405(alice, client):
    nova = nova_for(alice, client)
    response = client.patch("/compute/v2.1/flavors", json.dumps({}), content_type="application/json", **nova.headers())
    assert _fault(response, 405, "badMethod") == "The method specified is not allowed for this resource."


def test_a_rebuild_with_a_name_renames_and_answers_with_the_server(ivy, client):
    from cloudlab.compute.models import Instance

    nova = nova_for(ivy, client)
    response = nova.post(f"servers/{COURSE_WEB}/action", {"rebuild": {"imageRef": CIRROS, "name": "course-web-2"}})
    assert response.status_code == 202
    body = response.json()["server"]
    assert body["name"] == "course-web-2" and body["status"] == "REBUILD" and body["adminPass"]
    instance = Instance.objects.get(uuid=COURSE_WEB)
    assert instance.name == "course-web-2" and instance.actions.filter(action="rebuild").exists()
    bad = nova.post(f"servers/{COURSE_WEB}/action", {"rebuild": {"imageRef": CIRROS, "name": " x"}})
    assert "Can not start or end with whitespace." in _fault(bad, 400, "badRequest")
    assert Instance.objects.get(uuid=COURSE_WEB).actions.filter(action="rebuild").count() == 1


def test_cloudlabs_own_refusals_speak_the_callers_language(alice, client):
    nova = nova_for(alice, client)
    zone = {"availability_zone": "nova:compute-kvm1", "networks": "auto"}
    body = {"server": {"name": "w", "imageRef": CIRROS, "flavorRef": "1", **zone}}
    english = nova.post("servers", body)
    assert _fault(english, 400, "badRequest").startswith("Forcing a host with availability_zone 'zone:host'")
    chinese = client.post(
        "/compute/v2.1/servers", json.dumps(body), content_type="application/json",
        **nova.headers(HTTP_ACCEPT_LANGUAGE="zh-hans"),
    )  # fmt: skip
    assert _fault(chinese, 400, "badRequest").startswith("这里不能用 availability_zone 'zone:host' 强制指定主机")
    assert nova.get("servers").json()["servers"] == []


def test_the_image_proxy_shows_glances_images_below_2_36(alice, client):
    nova = nova_for(alice, client, version="2.1")
    listed = nova.get("images").json()["images"]
    assert {i["name"] for i in listed} == {"cirros", "ubuntu"}
    detail = nova.get(f"images/{CIRROS}").json()["image"]
    assert (detail["name"], detail["status"], detail["minRam"]) == ("cirros", "ACTIVE", 0)
    assert [i["name"] for i in nova.get("images/detail?name=ubuntu").json()["images"]] == ["ubuntu"]
    assert _fault(nova.get("images/cirros"), 404, "itemNotFound") == "Image not found."
    assert nova.get("images", "2.36").status_code == 404


def test_the_admin_disables_enables_and_forces_down_a_compute_service(ivy, alice, client):
    from cloudlab.compute.models import Host

    nova = nova_for(ivy, client, version="2.53")
    services = {s["host"]: s for s in nova.get("os-services").json()["services"]}
    kvm2 = services["compute-kvm2"]["id"]
    disabled = nova.put(f"os-services/{kvm2}", {"status": "disabled", "disabled_reason": "new RAM"}).json()["service"]
    assert (disabled["status"], disabled["disabled_reason"]) == ("disabled", "new RAM")
    host = Host.objects.get(name="compute-kvm2")
    assert (host.enabled, host.disabled_reason) == (False, "new RAM")
    again = nova.put(f"os-services/{kvm2}", {"status": "disabled"})
    assert again.status_code == 200  # already disabled: nothing changes, as in Nova
    down = nova.put(f"os-services/{kvm2}", {"status": "enabled", "forced_down": True}).json()["service"]
    assert (down["status"], down["state"], down["forced_down"]) == ("enabled", "down", True)
    assert nova.put(f"os-services/{kvm2}", {"forced_down": False}).json()["service"]["state"] == "up"
    bad = nova.put(f"os-services/{kvm2}", {"status": "enabled", "disabled_reason": "x"})
    assert _fault(bad, 400, "badRequest") == "Specifying 'disabled_reason' with status 'enabled' is invalid."
    assert _fault(nova.put(f"os-services/{kvm2}", {}), 400, "badRequest") == "'status' or 'forced_down' is required."
    scheduler = services["controller"]["id"]
    assert "Only nova-compute services can be updated." in _fault(
        nova.put(f"os-services/{scheduler}", {"status": "disabled"}), 400, "badRequest"
    )
    assert nova.put(f"os-services/{COURSE_WEB}", {"status": "disabled"}).status_code == 404
    student = nova_for(alice, client, version="2.53")
    refused = student.put(f"os-services/{kvm2}", {"status": "disabled"})
    assert (
        _fault(refused, 403, "forbidden") == "Policy doesn't allow os_compute_api:os-services:update to be performed."
    )
    assert Host.objects.get(name="compute-kvm2").enabled


def test_what_the_api_does_is_published_to_the_dashboards_live_streams(
    alice, client, sent_events, django_capture_on_commit_callbacks
):
    """The Instances page (the project's stream) and the instructor's views (the cloud's) see a
    server made, renamed or stopped from the command line, as they see a click."""
    from cloudlab.live.events import cloud_stream, project_stream

    project = alice.projects.get()
    nova = nova_for(alice, client)
    with django_capture_on_commit_callbacks(execute=True):
        server_id = nova.boot("live")
    with django_capture_on_commit_callbacks(execute=True):
        assert nova.put(f"servers/{server_id}", {"server": {"name": "alive"}}).status_code == 200
    sent = [(e["stream"], e["event"]) for e in sent_events.entries()]
    for stream in (project_stream(project.pk), cloud_stream(project.cloud_id)):
        assert (stream, "instance.created") in sent
        assert (stream, "instance.updated") in sent


def test_the_admin_evacuates_a_server_off_a_host_that_is_down(ivy, alice, client):
    from cloudlab.compute.actions.host import do_host_action
    from cloudlab.compute.models import Host

    nova = nova_for(ivy, client)
    still_up = nova.post(f"servers/{COURSE_WEB}/action", {"evacuate": {"host": "compute-kvm2"}})
    assert _fault(still_up, 400, "badRequest") == "Compute service of compute-kvm1 is still in use."
    do_host_action(ivy, Host.objects.get(name="compute-kvm1"), "mark_down")
    old = nova.post(f"servers/{COURSE_WEB}/action", {"evacuate": {"host": "compute-kvm2"}}, "2.13")
    assert "'onSharedStorage' is a required property" in _fault(old, 400, "badRequest")
    evacuated = nova.post(f"servers/{COURSE_WEB}/action", {"evacuate": {"host": "compute-kvm2"}})
    assert evacuated.status_code == 200 and evacuated.content == b""
    listed = nova.get(f"servers/{COURSE_WEB}/os-instance-actions").json()["instanceActions"]
    assert listed[0]["action"] == "evacuate" and listed[0]["request_id"] == evacuated["x-openstack-request-id"]
    refused = nova_for(alice, client).post(f"servers/{COURSE_WEB}/action", {"evacuate": {}})
    assert _fault(refused, 404, "itemNotFound")  # not the student's server at all


def test_changes_since_takes_an_iso_time_and_names_a_bad_one(alice, client):
    nova = nova_for(alice, client)
    nova.boot("recent")
    assert [s["name"] for s in nova.get("servers?changes-since=2000-01-01T00:00:00Z").json()["servers"]] == ["recent"]
    assert nova.get("servers?changes-since=2999-01-01T00:00:00").json()["servers"] == []
    for bad in ("yesterday", "2026-13-45T00:00:00"):
        assert "is not a 'date-time'" in _fault(nova.get(f"servers?changes-since={bad}"), 400, "badRequest")


def test_the_name_filter_anchors_and_wildcards_and_cannot_be_made_to_backtrack(alice, client):
    import time
    from urllib.parse import urlencode

    nova = nova_for(alice, client)
    for name in ("web(1)", "web-10", "a" * 40):
        nova.boot(name)

    def names(pattern: str) -> list[str]:
        return sorted(s["name"] for s in nova.get("servers?" + urlencode({"name": pattern})).json()["servers"])

    assert names("web(1)") == ["web(1)"]
    assert names("^web") == ["web(1)", "web-10"]
    assert names("web.1") == ["web(1)", "web-10"]
    assert names("^web-10$") == ["web-10"]
    started = time.monotonic()
    assert names("(a+)+b") == [] and names("(a|aa)*$x") == []
    assert time.monotonic() - started < 2


def test_migrations_are_the_admins_to_list(ivy, alice, client):
    assert nova_for(ivy, client).get("os-migrations").json() == {"migrations": []}
    refused = nova_for(alice, client).get("os-migrations")
    assert (
        _fault(refused, 403, "forbidden") == "Policy doesn't allow os_compute_api:os-migrations:index to be performed."
    )


@pytest.mark.parametrize("odd", ["²", "١", "99999999999", "-1", "1.0"])
def test_odd_integer_ids_in_paths_are_not_found(ivy, client, odd):
    nova = nova_for(ivy, client, version="2.1")
    assert (
        _fault(nova.get(f"os-hypervisors/{odd}"), 404, "itemNotFound")
        == f"Hypervisor with ID '{odd}' could not be found."
    )
    assert _fault(nova.get(f"os-aggregates/{odd}"), 404, "itemNotFound") == f"Aggregate {odd} could not be found."
    assert nova.get(f"flavors?minRam={odd}").status_code in (200, 400)
