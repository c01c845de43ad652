"""Admin → Scheduler: validated like nova.conf, applied to the next request, announced live."""

import html

import pytest
from django.test import Client
from django.urls import reverse

from cloudlab.compute.models import Cloud, Host, SchedulingRecord
from cloudlab.compute.scheduling import scheduler_config
from cloudlab.live.events import cloud_stream, project_stream
from tests import steps
from tests.helpers import EventRecorder, wait_for


def _form(client):
    response = client.get(reverse("dashboard:scheduler-settings"))
    assert response.status_code == 200
    form = response.context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or value is False:
            continue
        data[name] = value
    return data


@pytest.fixture
def ivy_client(ivy):
    client = Client()
    client.force_login(ivy)
    return client


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"host_subset_size": "0"}, "scheduler.host_subset_size: must be a positive integer"),
        ({"max_attempts": "0"}, "scheduler.max_attempts"),
        ({"ram_weight_multiplier": "lots"}, "scheduler.ram_weight_multiplier: must be a number, not 'lots'"),
        ({"ram_allocation_ratio": "-1.5"}, "ram_allocation_ratio must be greater than 0."),
        ({"cpu_allocation_ratio": "sixteen"}, "cpu_allocation_ratio must be a number, not 'sixteen'."),
        ({"era": "future"}, "Select a valid choice"),
    ],
)
def test_a_bad_setting_is_refused_with_its_name_and_nothing_changes(ivy_client, demo_cloud, change, message):
    before = Cloud.objects.get(pk=demo_cloud.pk).scheduler_config
    data = _form(ivy_client)
    data.update(change)
    response = ivy_client.post(reverse("dashboard:scheduler-settings"), data)
    assert response.status_code == 200  # the form again, with the problem
    assert message in html.unescape(response.content.decode())
    assert Cloud.objects.get(pk=demo_cloud.pk).scheduler_config == before
    assert set(Host.objects.values_list("ram_allocation_ratio", flat=True)) == {1.5}


def test_the_filter_order_is_kept_and_applies_to_the_next_request(
    ivy_client, demo_cloud, alice, launch, django_capture_on_commit_callbacks
):
    data = _form(ivy_client)
    data.pop("filter_RetryFilter")
    data.update({"filter_CoreFilter": "on", "order_CoreFilter": "1", "host_subset_size": "2"})
    response = ivy_client.post(reverse("dashboard:scheduler-settings"), data)
    assert response.status_code == 302
    config = scheduler_config(Cloud.objects.get(pk=demo_cloud.pk))
    assert config.enabled_filters[0] == "CoreFilter" and "RetryFilter" not in config.enabled_filters
    assert config.host_subset_size == 2
    with django_capture_on_commit_callbacks(execute=False):
        [instance] = launch(alice)
        steps.schedule(instance)
    trace = SchedulingRecord.objects.get(instance=instance).trace
    assert trace["instances"][0]["filters"][0]["name"] == "CoreFilter"


def test_ratios_set_every_host(ivy_client, demo_cloud):
    data = _form(ivy_client)
    data["ram_allocation_ratio"] = "1.0"
    assert ivy_client.post(reverse("dashboard:scheduler-settings"), data).status_code == 302
    assert set(Host.objects.values_list("ram_allocation_ratio", flat=True)) == {1.0}


@pytest.mark.django_db(transaction=True)
def test_a_change_is_announced_to_students_and_instructors(demo_cloud, ivy, alice, project_of):
    client = Client()
    client.force_login(ivy)
    data = _form(client)
    data["host_subset_size"] = "3"
    with (
        EventRecorder(project_stream(project_of(alice).pk)) as students,
        EventRecorder(cloud_stream(demo_cloud.pk)) as instructors,
    ):
        assert client.post(reverse("dashboard:scheduler-settings"), data).status_code == 302
        wait_for(lambda: students.messages and instructors.messages, timeout=5)
    for recorder in (students, instructors):
        [message] = recorder.messages
        assert message["event"] == "cloud.scheduler_changed"
        assert message["data"] == {"changes": {"host_subset_size": [1, 3]}, "by": "ivy"}


def test_students_cannot_open_the_scheduler_settings(alice):
    client = Client()
    client.force_login(alice)
    assert client.get(reverse("dashboard:scheduler-settings")).status_code == 404
    assert client.post(reverse("dashboard:scheduler-settings"), {"era": "placement"}).status_code == 404
