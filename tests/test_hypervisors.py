"""Admin → Hypervisors: capacity and service of every host; the instructor's service actions."""

import pytest
from django.test import Client
from django.urls import reverse

from cloudlab.compute.models import Host, SchedulingRecord
from cloudlab.live.events import cloud_stream
from tests import steps
from tests.helpers import EventRecorder, wait_for


@pytest.fixture
def ivy_client(ivy):
    client = Client()
    client.force_login(ivy)
    return client


def _act(client, host, action, reason=""):
    return client.post(reverse("dashboard:host-action", args=[host]), {"action": action, "reason": reason}, follow=True)


def test_the_page_lists_every_host_with_usage_and_limits(ivy_client):
    hosts = {h["name"]: h for h in ivy_client.get(reverse("dashboard:hypervisors-rows")).json()["hosts"]}
    kvm1 = hosts["compute-kvm1"]
    assert kvm1["memory_mb_used"] == 512 + 2048 and kvm1["instances"] == 1
    assert kvm1["limits"]["memory_mb"] == 32768 * 1.5 and kvm1["limits"]["vcpus"] == 16 * 16.0
    assert hosts["compute-vbox"]["architecture"] == "hosted"
    page = ivy_client.get(reverse("dashboard:hypervisors"))
    assert b"vendor/plotly/plotly.min.js" in page.content


def test_disable_with_a_reason_and_computefilter_skips_the_host(
    ivy_client, alice, launch, django_capture_on_commit_callbacks
):
    response = _act(ivy_client, "compute-kvm1", "disable", "firmware upgrade")
    assert response.status_code == 200
    host = Host.objects.get(name="compute-kvm1")
    assert (host.enabled, host.disabled_reason) == (False, "firmware upgrade")
    with django_capture_on_commit_callbacks(execute=False):
        [instance] = launch(alice)
        steps.schedule(instance)
    trace = SchedulingRecord.objects.get(instance=instance).trace
    compute = next(f for f in trace["instances"][0]["filters"] if f["name"] == "ComputeFilter")
    assert compute["verdicts"]["compute-kvm1"]["passed"] is False
    # the reason the instructor typed is in the verdict (Nova's ComputeFilter logs it too)
    assert compute["verdicts"]["compute-kvm1"]["reason"] == (
        "the nova-compute service is disabled, reason: firmware upgrade"
    )
    assert trace["selected_hosts"] != ["compute-kvm1"]


def test_a_repeated_action_says_why_nothing_changed(ivy_client):
    _act(ivy_client, "compute-kvm2", "mark_down")
    response = _act(ivy_client, "compute-kvm2", "mark_down")
    assert "compute-kvm2 is already down." in response.content.decode()
    host = Host.objects.get(name="compute-kvm2")
    assert host.up is False and host.down_since is not None
    _act(ivy_client, "compute-kvm2", "bring_up")
    assert Host.objects.get(name="compute-kvm2").up is True


def test_bad_host_actions_are_refused(ivy_client):
    response = _act(ivy_client, "compute-kvm1", "explode")
    assert "Unknown host action" in response.content.decode()
    response = _act(ivy_client, "compute-kvm1", "disable", "x" * 300)
    assert "at most 255 are allowed" in response.content.decode()
    assert Host.objects.get(name="compute-kvm1").enabled is True
    assert _act(ivy_client, "no-such-host", "disable").status_code == 404


def test_students_never_see_the_hypervisors(alice):
    client = Client()
    client.force_login(alice)
    assert client.get(reverse("dashboard:hypervisors")).status_code == 404
    assert _act(client, "compute-kvm1", "disable").status_code == 404
    assert Host.objects.get(name="compute-kvm1").enabled is True


@pytest.mark.django_db(transaction=True)
def test_a_host_action_is_announced_to_instructors(demo_cloud, ivy):
    client = Client()
    client.force_login(ivy)
    with EventRecorder(cloud_stream(demo_cloud.pk)) as recorder:
        _act(client, "compute-lxc", "mark_down")
        wait_for(lambda: recorder.messages, timeout=5)
    [message] = recorder.messages
    assert message["event"] == "host.updated"
    assert (
        message["data"]["name"] == "compute-lxc" and message["data"]["up"] is False and message["data"]["by"] == "ivy"
    )


def test_each_row_offers_the_service_actions_available_now_in_the_pages_words(ivy_client):
    def actions_of(name):
        hosts = ivy_client.get(reverse("dashboard:hypervisors-rows")).json()["hosts"]
        return next(h for h in hosts if h["name"] == name)["actions"]

    assert actions_of("compute-kvm1") == ["disable", "mark_down"]
    _act(ivy_client, "compute-kvm1", "disable", "firmware upgrade")
    _act(ivy_client, "compute-kvm1", "mark_down")
    assert actions_of("compute-kvm1") == ["enable", "bring_up"]
    words = ivy_client.get(reverse("dashboard:hypervisors")).context["page"]["host_actions"]
    assert set(words) == {"disable", "enable", "mark_down", "bring_up"}
    assert words["disable"] == {"label": "Disable Service", "destructive": True, "asks_reason": True}


@pytest.mark.parametrize(
    ("action", "said"),
    [
        ("disable", "The compute service of compute-kvm2 is disabled: new instances will not be scheduled there."),
        ("mark_down", "compute-kvm2 is down: its heartbeat has stopped."),
    ],
)
def test_a_host_action_says_what_it_did(ivy_client, action, said):
    response = _act(ivy_client, "compute-kvm2", action, "maintenance")
    assert said in response.content.decode()


def test_every_host_action_has_its_confirmation_words():
    from cloudlab.compute.host_services import HOST_ACTIONS
    from cloudlab.dashboard.hypervisors import DONE

    assert set(DONE) == set(HOST_ACTIONS)
