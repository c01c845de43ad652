"""Admin → Scheduler: validated like nova.conf, applied to the next request, announced live."""

import html
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, pgettext

from cloudlab.compute.models import Cloud, Host, SchedulingRecord
from cloudlab.compute.scheduling import scheduler_config
from cloudlab.engine.scheduler import ERA_DEFAULT_FILTERS, ERA_DEFAULT_WEIGHERS, FILTER_NAMES
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


AT_LEAST = "Ensure this value is greater than or equal to %(limit_value)s."
REMOVED = (
    "%(name)s was removed from Nova in %(release)s: in the placement era %(replaced_by)s. "
    "Untick it, or choose the classic era."
)
SHARED = "%(filters)s are all at position %(position)d. Give each enabled filter its own position."


def _errors(response):
    """The problems listed above the form, as the reader sees them."""
    body = response.content.decode()
    assert response.status_code == 200  # the form again, with the problems
    start = body.index('id="scheduler-errors"')
    block = body[start : body.index("</div>\n  <div", start)]
    return [html.unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in re.findall(r"<li>(.*?)</li>", block, re.S)]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize(
    ("change", "label", "message", "values"),
    [
        ({"host_subset_size": "0"}, "host_subset_size", AT_LEAST, {"limit_value": 1}),
        ({"max_attempts": "0"}, "max_attempts", AT_LEAST, {"limit_value": 1}),
        ({"max_attempts": "three"}, "max_attempts", "Enter a whole number.", {}),
        ({"max_io_ops_per_host": "-1"}, "max_io_ops_per_host", AT_LEAST, {"limit_value": 0}),
        ({"seed": "1.5"}, "seed", "Enter a whole number.", {}),
        ({"ram_weight_multiplier": "lots"}, "ram_weight_multiplier", "Enter a number.", {}),
        ({"soft_affinity_weight_multiplier": "-1"}, "soft_affinity_weight_multiplier", AT_LEAST, {"limit_value": 0}),
        ({"ram_allocation_ratio": "-1.5"}, "ram_allocation_ratio", "Enter a number greater than 0.", {}),
        ({"cpu_allocation_ratio": "sixteen"}, "cpu_allocation_ratio", "Enter a number.", {}),
        (
            {"era": "future"},
            "Era",
            "Select a valid choice. %(value)s is not one of the available choices.",
            {"value": "future"},
        ),
        (
            {"era": "placement"},
            "enabled_filters",
            REMOVED,
            {"name": "RetryFilter", "release": "Victoria (22)", "replaced_by": "alternates replace retries"},
        ),  # the classic list kept (no script ran)
        (
            {"order_RamFilter": "2"},
            "enabled_filters",
            SHARED,
            {"filters": "AvailabilityZoneFilter, RamFilter", "position": 2},
        ),
    ],
)
def test_a_bad_setting_is_refused_in_the_pages_words_and_language(
    ivy_client, demo_cloud, language, change, label, message, values
):
    """The list above the form names the field as the page labels it, in the reader's language,
    never by the engine's path (scheduler.max_attempts), and nothing changes."""
    before = Cloud.objects.get(pk=demo_cloud.pk).scheduler_config
    data = _form(ivy_client)
    data.update(change)
    response = ivy_client.post(reverse("dashboard:scheduler-settings"), data, HTTP_ACCEPT_LANGUAGE=language)
    with translation.override(language):
        values = {k: gettext(v) if k == "replaced_by" else v for k, v in values.items()}  # the page's words
        expected = gettext(message) % values
        expected = gettext(label) + pgettext("between a field and its error", ": ") + expected
    errors = _errors(response)
    assert expected in errors
    assert not any("scheduler." in e for e in errors)
    assert Cloud.objects.get(pk=demo_cloud.pk).scheduler_config == before
    assert set(Host.objects.values_list("ram_allocation_ratio", flat=True)) == {1.5}


def test_a_chinese_reader_reads_djangos_own_words_for_numbers(ivy_client, demo_cloud):
    data = _form(ivy_client)
    data["max_attempts"] = "0"
    response = ivy_client.post(reverse("dashboard:scheduler-settings"), data, HTTP_ACCEPT_LANGUAGE="zh-hans")
    [error] = _errors(response)
    assert error.startswith("max_attempts：") and "大于或等于" in error and "Ensure" not in error  # full-width colon


def test_every_removed_filter_is_named_when_the_era_switches_without_the_page_script(ivy_client, demo_cloud):
    data = _form(ivy_client)
    data["era"] = "placement"
    errors = _errors(ivy_client.post(reverse("dashboard:scheduler-settings"), data))
    assert [e.split(" ")[1] for e in errors] == ["RetryFilter", "AvailabilityZoneFilter", "RamFilter"]


def test_the_placement_eras_offer_is_its_defaults_and_the_classic_offer_the_saved_settings(ivy_client, demo_cloud):
    response = ivy_client.get(reverse("dashboard:scheduler-settings"))
    offers = response.context["page"]["era_offers"]
    placement = offers["placement"]
    assert placement["filters"] == list(ERA_DEFAULT_FILTERS["placement"])
    assert placement["orders"]["ComputeFilter"] == 1
    assert placement["weighers"] == list(ERA_DEFAULT_WEIGHERS["placement"])
    assert placement["ratios"] == {
        "cpu_allocation_ratio": "4",
        "ram_allocation_ratio": "1",
        "disk_allocation_ratio": "1",
    }
    classic = offers["classic"]
    assert classic["filters"] == [n for n in FILTER_NAMES if n in ERA_DEFAULT_FILTERS["classic"]]
    assert classic["orders"]["RetryFilter"] == 1 and classic["orders"]["RamFilter"] == 3
    assert classic["weighers"] == ["RAMWeigher", "IoOpsWeigher", "MetricsWeigher"]
    assert classic["ratios"]["ram_allocation_ratio"] == "1.5"


def test_the_placement_eras_offer_saves_as_it_is(ivy_client, demo_cloud):
    """What the page fills in for the placement era is a valid nova.conf: Save takes it."""
    offer = ivy_client.get(reverse("dashboard:scheduler-settings")).context["page"]["era_offers"]["placement"]
    data = {k: v for k, v in _form(ivy_client).items() if not k.startswith(("filter_", "order_"))}
    data.update({"era": "placement", "weight_classes": offer["weighers"], **offer["ratios"]})
    for name in offer["filters"]:
        data.update({f"filter_{name}": "on", f"order_{name}": str(offer["orders"][name])})
    assert ivy_client.post(reverse("dashboard:scheduler-settings"), data).status_code == 302
    config = scheduler_config(Cloud.objects.get(pk=demo_cloud.pk))
    assert (config.era, config.enabled_filters) == ("placement", ERA_DEFAULT_FILTERS["placement"])
    assert set(Host.objects.values_list("cpu_allocation_ratio", flat=True)) == {4.0}


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
