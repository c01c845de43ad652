"""Learn → OpenStack → Deployment: the cloud's services per era, their health, who sees what."""

import pytest
from django.test import Client
from django.urls import reverse

from cloudlab.compute.actions.host import do_host_action
from cloudlab.compute.models import Cloud, Host


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _data(user):
    response = _client(user).get(reverse("motion:deployment-data"))
    assert response.status_code == 200
    return response.json()


def _compute(data, host):
    node = next(c for c in data["computes"] if c["name"] == host)
    return {s["id"]: s for s in node["services"]}


def test_a_student_sees_the_controller_and_every_compute_node_of_her_cloud(alice):
    data = _data(alice)
    assert [c["name"] for c in data["computes"]] == sorted(Host.objects.values_list("name", flat=True))
    controller = [s["id"] for s in data["controller"]["services"]]
    always = {"keystone", "glance-api", "nova-api", "nova-conductor", "nova-scheduler", "database", "rabbitmq"}
    assert always <= set(controller)
    page = _client(alice).get(reverse("motion:deployment"))
    assert page.status_code == 200
    assert b"deployment.js" in page.content and b"flow_diagram.js" in page.content
    # a student follows her project's stream only: the cloud stream is the instructors'
    assert [s.split("-")[0] for s in data["streams"]] == ["project"]


def test_the_instructor_follows_the_cloud_stream_too(ivy):
    assert sorted(s.split("-")[0] for s in _data(ivy)["streams"]) == ["cloud", "project"]


def test_anonymous_users_are_sent_to_log_in(demo_cloud):
    response = Client().get(reverse("motion:deployment-data"))
    assert response.status_code == 302 and "/auth/login/" in response["Location"]


@pytest.mark.parametrize(
    ("era", "has_placement", "agent"),
    [("classic", False, "nova-network"), ("placement", True, "neutron-openvswitch-agent")],
)
def test_the_services_follow_the_cloud_era(alice, era, has_placement, agent):
    Cloud.objects.update(era=era)
    data = _data(alice)
    controller = [s["id"] for s in data["controller"]["services"]]
    assert data["era"] == era
    assert ("placement-api" in controller) is has_placement
    assert ("neutron-server" in controller) is has_placement
    for node in data["computes"]:
        services = {s["id"]: s for s in node["services"]}
        assert services["network-agent"]["name"] == agent
        assert services["nova-compute"]["listens"] == "RPC compute." + node["name"]


def test_each_host_runs_the_hypervisor_of_its_class(alice):
    hypervisors = {c["name"]: _compute(_data(alice), c["name"])["hypervisor"]["name"] for c in _data(alice)["computes"]}
    by_type = dict(Host.objects.values_list("name", "hypervisor_type"))
    for host, name in hypervisors.items():
        expected = {"KVM": "libvirt · QEMU/KVM", "VirtualBox": "VirtualBox", "LXC": "libvirt · LXC"}[by_type[host]]
        assert name == expected


def test_a_host_marked_down_greys_its_nova_compute_only(alice, ivy):
    do_host_action(ivy, Host.objects.get(name="compute-kvm2"), "mark_down", "")
    services = _compute(_data(alice), "compute-kvm2")
    assert (services["nova-compute"]["state"], services["nova-compute"]["label"]) == ("down", "down")
    # Nova's forced_down is the nova-compute service's: the agent and the hypervisor keep running
    assert services["network-agent"]["state"] == services["hypervisor"]["state"] == "up"
    assert _compute(_data(alice), "compute-kvm1")["nova-compute"]["state"] == "up"
    do_host_action(ivy, Host.objects.get(name="compute-kvm2"), "bring_up", "")
    assert _compute(_data(alice), "compute-kvm2")["nova-compute"]["state"] == "up"


def test_a_disabled_service_shows_disabled_with_its_reason(alice, ivy):
    do_host_action(ivy, Host.objects.get(name="compute-kvm1"), "disable", "firmware upgrade")
    nova_compute = _compute(_data(alice), "compute-kvm1")["nova-compute"]
    assert (nova_compute["state"], nova_compute["reason"]) == ("disabled", "firmware upgrade")


def test_the_labels_read_in_chinese(alice):
    client = _client(alice)
    data = client.get(reverse("motion:deployment-data"), headers={"accept-language": "zh-hans"}).json()
    assert data["networks"]["internal"]["label"] == "内部网络（管理网络）"
    page = client.get(reverse("motion:deployment"), headers={"accept-language": "zh-hans"}).content.decode()
    assert "OpenStack 运转起来" in page and "部署" in page


# -- the Resource Tracker panel (motion/tracker.py) --------------------------------------------------


def test_everyone_reads_the_periodic_tasks_and_the_sync_rules_only_instructors_get_the_controls(alice, ivy):
    student = _client(alice).get(reverse("motion:deployment")).content.decode()
    assert "update_available_resource" in student and "_sync_power_states" in student
    assert 'data-rule="active_off"' in student and "compute_api.stop" in student
    assert "rt-power-off" not in student
    instructor = _client(ivy).get(reverse("motion:deployment")).content.decode()
    assert "rt-power-off" in instructor and "rt-run-now" in instructor


def test_a_student_cannot_power_off_a_guest_or_run_the_periodic_tasks(alice):
    client = _client(alice)
    assert client.post(reverse("motion:guest-power-off"), {"instance": "x"}).status_code == 404
    assert client.post(reverse("motion:periodic-tasks")).status_code == 404


@pytest.mark.parametrize("value", ["", "not-a-uuid", "1; DROP TABLE"])
def test_a_bad_instance_id_is_named_not_a_500(ivy, value):
    response = _client(ivy).post(reverse("motion:guest-power-off"), {"instance": value}, follow=True)
    assert response.status_code == 200
    assert "is not an instance ID" in response.content.decode()


def test_a_guest_that_is_not_running_cannot_power_itself_off(ivy, alice, launch):
    [building] = launch(alice, name="young")  # no worker: it stays building
    response = _client(ivy).post(reverse("motion:guest-power-off"), {"instance": str(building.uuid)}, follow=True)
    assert "is not running" in response.content.decode()
    unknown = _client(ivy).post(reverse("motion:guest-power-off"), {"instance": "00000000-0000-0000-0000-000000000000"})
    assert unknown.status_code == 404
