"""The real `openstack` CLI (python-openstackclient 10.5.0, through openstacksdk 4.22.0) drives
CloudLab's compute API: flavors, a server's whole life (create --wait, list, show, the power
actions with Nova's 409 for a repeated stop, reboot --wait, event list, delete --wait), the
scheduler hints obeyed by the placement, the admin's hypervisors and services, the quota with
usage. Each ``openstack`` call is a process (~1-2 s), so the tests group many steps."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tests.api_cli import ApiCloud, needs_openstack_cli

needs_openstack_cli()

pytestmark = pytest.mark.django_db(transaction=True)



def _instance(name: str) -> Any:
    from cloudlab.compute.models import Instance

    return Instance.objects.select_related("host").get(name=name)


def test_flavor_list_and_show_and_the_quota_with_its_usage(lab):
    flavors = lab.openstack_json("flavor", "list")
    assert {"m1.tiny", "m1.small"} <= {f["Name"] for f in flavors}
    tiny = lab.openstack_json("flavor", "show", "m1.tiny")
    assert (tiny["id"], tiny["ram"], tiny["vcpus"], tiny["disk"]) == ("1", 512, 1, 1)
    lab.openstack_json("server", "create", "--flavor", "m1.small", "--image", "cirros", "--wait", "quota-use")
    quota = lab.openstack_json("quota", "show", "--usage")
    rows = {row["Resource"]: row for row in quota} if isinstance(quota, list) else None
    assert rows is not None, quota
    assert rows["instances"]["Limit"] == 10 and rows["instances"]["In Use"] == 1
    assert rows["cores"]["In Use"] == 1 and rows["ram"]["In Use"] == 2048


def test_a_server_lives_its_whole_life_from_the_command_line(lab):
    created = lab.openstack_json("server", "create", "--flavor", "m1.tiny", "--image", "cirros", "--wait", "demo")
    assert created["status"] == "ACTIVE"
    instance = _instance("demo")
    assert created["id"] == str(instance.uuid) and instance.host is not None  # the real build task placed it
    listed = lab.openstack_json("server", "list")
    rows = [(s["Name"], s["Status"], s["Image"], s["Flavor"]) for s in listed]
    assert rows == [("demo", "ACTIVE", "cirros", "m1.tiny")]
    assert listed[0]["Networks"] == {"private": [instance.fixed_ip]}
    shown = lab.openstack_json("server", "show", "demo")
    # -f json prints the raw power_state (the table view says "Running").
    assert shown["OS-EXT-STS:vm_state"] == "active" and shown["OS-EXT-STS:power_state"] == 1

    assert lab.openstack("server", "stop", "demo").returncode == 0
    _wait_for_status(lab, "demo", "SHUTOFF")
    again = lab.openstack("server", "stop", "demo")
    assert again.returncode == 1
    assert f"Cannot 'stop' instance {instance.uuid} while it is in vm_state stopped" in again.stderr
    assert lab.openstack("server", "start", "demo").returncode == 0
    _wait_for_status(lab, "demo", "ACTIVE")
    assert lab.openstack("server", "reboot", "--wait", "demo").returncode == 0
    for action, status in (("pause", "PAUSED"), ("unpause", "ACTIVE"), ("suspend", "SUSPENDED"), ("resume", "ACTIVE")):
        result = lab.openstack("server", action, "demo")
        assert result.returncode == 0, result.stderr
        _wait_for_status(lab, "demo", status)

    events = lab.openstack_json("server", "event", "list", "demo")
    actions = [e["Action"] for e in events]
    assert actions == ["resume", "suspend", "unpause", "pause", "reboot", "start", "stop", "create"]
    # Each row's request id is the one the API answered that request with, as the log keeps it.
    from cloudlab.compute.models import InstanceAction

    assert {e["Request ID"] for e in events} == set(
        InstanceAction.objects.filter(instance=instance).values_list("request_id", flat=True)
    )
    create_event = lab.openstack_json("server", "event", "show", "demo", events[-1]["Request ID"])
    assert create_event["action"] == "create" and create_event["events"]

    assert lab.openstack("server", "delete", "--wait", "demo").returncode == 0
    gone = lab.openstack("server", "show", str(instance.uuid))
    assert gone.returncode == 1 and f"No Server found for {instance.uuid}" in gone.stderr


def _host(name: str) -> Any:
    from cloudlab.compute.models import Host

    return Host.objects.get(name=name)


def _wait_for_status(lab: ApiCloud, name: str, status: str) -> None:
    from tests.helpers import wait_for

    wait_for(lambda: _instance(name).status == status, timeout=20, interval=0.2)


def test_scheduler_hints_place_the_server_beside_or_away_from_another(lab):
    from django.contrib.auth.models import User

    from cloudlab.compute.actions.scheduler_settings import do_update_scheduler
    from cloudlab.compute.models import Cloud
    from cloudlab.compute.scheduling import scheduler_config

    cloud = Cloud.objects.get(pk=lab.cloud_id)
    config = scheduler_config(cloud)
    with_hints = replace(config, enabled_filters=(*config.enabled_filters, "SameHostFilter", "DifferentHostFilter"))
    do_update_scheduler(User.objects.get(username="ivy"), cloud, with_hints, {})

    first = lab.openstack_json("server", "create", "--flavor", "m1.tiny", "--image", "cirros", "--wait", "anchor")
    beside = lab.openstack_json(
        "server", "create", "--flavor", "m1.tiny", "--image", "cirros", "--wait",
        "--hint", f"same_host={first['id']}", "beside",
    )  # fmt: skip
    away = lab.openstack_json(
        "server", "create", "--flavor", "m1.tiny", "--image", "cirros", "--wait",
        "--hint", f"different_host={first['id']}", "--hint", f"different_host={beside['id']}", "away",
    )  # fmt: skip
    anchor_host = _instance("anchor").host
    assert _instance("beside").host == anchor_host
    assert _instance("away").host != anchor_host
    # At 2.100 the hints come back, as lists, in server show.
    assert beside["scheduler_hints"] == {"same_host": [first["id"]]}
    assert away["scheduler_hints"] == {"different_host": [first["id"], beside["id"]]}


def test_the_instructor_lists_and_shows_hypervisors_and_services_a_student_is_refused(lab):
    hypervisors = lab.openstack_json("hypervisor", "list", username="ivy")
    names = {h["Hypervisor Hostname"] for h in hypervisors}
    assert names == {"compute-kvm1", "compute-kvm2", "compute-vbox", "compute-lxc"}
    shown = lab.openstack_json("hypervisor", "show", "compute-kvm1", username="ivy")
    assert shown["hypervisor_type"] == "KVM" and shown["state"] == "up" and shown["aggregates"] == ["ssd"]
    services = lab.openstack_json("compute", "service", "list", username="ivy")
    listed = {(s["Binary"], s["Host"]) for s in services}
    assert listed >= {("nova-compute", "compute-lxc"), ("nova-scheduler", "controller")}
    disabled = lab.openstack(
        "compute", "service", "set", "--disable", "--disable-reason", "new RAM", "compute-kvm2", "nova-compute",
        username="ivy",
    )  # fmt: skip
    assert disabled.returncode == 0, disabled.stderr
    kvm2 = _host("compute-kvm2")
    assert (kvm2.enabled, kvm2.disabled_reason) == (False, "new RAM")
    listed = lab.openstack_json("compute", "service", "list", "--host", "compute-kvm2", username="ivy")
    assert [(s["Status"], s["State"]) for s in listed] == [("disabled", "up")]
    refused = lab.openstack("hypervisor", "list")
    assert refused.returncode == 1
    assert "Policy doesn't allow os_compute_api:os-hypervisors:list-detail to be performed." in refused.stderr


def test_the_further_actions_work_from_the_command_line(lab):
    """Networks none/named, rename, resize and confirm, lock, rescue, rebuild, a snapshot that
    Glance lists, shelve and unshelve; and the admin's live migration to a named host."""
    nonet = lab.openstack_json(
        "server", "create", "--flavor", "m1.tiny", "--image", "cirros", "--nic", "none", "--wait", "nonet"
    )
    assert nonet["addresses"] == {} and _instance("nonet").fixed_ip is None
    named = lab.openstack_json(
        "server", "create", "--flavor", "m1.tiny", "--image", "cirros", "--network", "private",
        "--availability-zone", "nova", "--wait", "web",
    )  # fmt: skip
    assert named["addresses"] == {"private": [_instance("web").fixed_ip]}
    assert lab.openstack("server", "set", "--name", "quiet", "nonet").returncode == 0
    assert _instance("quiet").pk

    assert lab.openstack("server", "resize", "--flavor", "m1.small", "--wait", "web").returncode == 0
    assert _instance("web").status == "VERIFY_RESIZE"
    assert lab.openstack("server", "resize", "confirm", "web").returncode == 0
    _wait_for_status(lab, "web", "ACTIVE")
    assert _instance("web").flavor.name == "m1.small"

    assert lab.openstack("server", "lock", "web").returncode == 0
    locked = lab.openstack("server", "pause", "web")
    assert locked.returncode == 1 and f"Instance {named['id']} is locked" in locked.stderr
    assert lab.openstack("server", "unlock", "web").returncode == 0
    assert lab.openstack("server", "rescue", "web").returncode == 0
    _wait_for_status(lab, "web", "RESCUE")
    assert lab.openstack("server", "unrescue", "web").returncode == 0
    _wait_for_status(lab, "web", "ACTIVE")
    assert lab.openstack("server", "rebuild", "--image", "cirros", "--wait", "web").returncode == 0

    snapshot = lab.openstack_json("server", "image", "create", "--name", "web-snap", "--wait", "web")
    assert snapshot["status"] == "active"
    assert "web-snap" in {image["Name"] for image in lab.openstack_json("image", "list")}

    assert lab.openstack("server", "shelve", "quiet").returncode == 0
    _wait_for_status(lab, "quiet", "SHELVED_OFFLOADED")
    assert lab.openstack("server", "unshelve", "--wait", "quiet").returncode == 0
    assert _instance("quiet").status == "ACTIVE"

    refused = lab.openstack("server", "migrate", "web")
    assert "Policy doesn't allow os_compute_api:os-migrate-server:migrate to be performed." in refused.stderr
    moved = lab.openstack(
        "server", "migrate", "--live-migration", "--host", "compute-kvm2", "--wait", "course-web", username="ivy"
    )
    assert moved.returncode == 0, moved.stderr
    assert _instance("course-web").host.name == "compute-kvm2"
    migrations = lab.openstack_json("server", "migration", "list", username="ivy")
    by_type = {(m["Type"], m["Status"]): m for m in migrations}
    live = by_type[("live-migration", "completed")]
    assert (live["Source Compute"], live["Dest Compute"]) == ("compute-kvm1", "compute-kvm2")
    assert ("resize", "confirmed") in by_type
    events = lab.openstack_json("server", "event", "list", "web")
    assert [e["Action"] for e in events][:3] == ["createImage", "rebuild", "unrescue"]
