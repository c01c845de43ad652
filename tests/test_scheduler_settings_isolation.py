"""Admin → Scheduler carries AggregateImagePropertiesIsolation's options (namespace, separator)
through a save, refuses bad ones by the page's label in the reader's language, and a placement-era
cloud whose saved settings still name AvailabilityZoneFilter (removed from Nova in 2023.2) is read
without it, with a message, never a 500."""

import importlib

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from cloudlab.compute.models import Cloud
from cloudlab.compute.scheduling import scheduler_config
from cloudlab.engine.scheduler import ERA_DEFAULT_FILTERS

NAMESPACE = "aggregate_image_properties_isolation_namespace"
SEPARATOR = "aggregate_image_properties_isolation_separator"


@pytest.fixture
def ivy_client(ivy):
    client = Client()
    client.force_login(ivy)
    return client


def _isolation(config):
    return config.aggregate_image_properties_isolation_namespace, config.aggregate_image_properties_isolation_separator


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


def test_saving_keeps_the_isolation_namespace_and_separator(ivy_client, demo_cloud):
    data = _form(ivy_client)
    assert data[SEPARATOR] == "." and NAMESPACE not in data  # Nova's defaults: no namespace, '.'
    data.update({NAMESPACE: "hw", SEPARATOR: "_"})
    response = ivy_client.post(reverse("dashboard:scheduler-settings"), data)
    assert response.status_code == 302
    config = scheduler_config(Cloud.objects.get(pk=demo_cloud.pk))
    assert _isolation(config) == ("hw", "_")

    # Saving again something else entirely (max_attempts) keeps them: the form carries them.
    again = _form(ivy_client)
    assert (again[NAMESPACE], again[SEPARATOR]) == ("hw", "_")
    again["max_attempts"] = "5"
    assert ivy_client.post(reverse("dashboard:scheduler-settings"), again).status_code == 302
    config = scheduler_config(Cloud.objects.get(pk=demo_cloud.pk))
    assert config.max_attempts == 5
    assert _isolation(config) == ("hw", "_")

    # An empty namespace is Nova's None: every key is compared.
    again = _form(ivy_client)
    again[NAMESPACE] = ""
    assert ivy_client.post(reverse("dashboard:scheduler-settings"), again).status_code == 302
    assert scheduler_config(Cloud.objects.get(pk=demo_cloud.pk)).aggregate_image_properties_isolation_namespace is None


@pytest.mark.parametrize(
    ("language", "label", "words"),
    [("en", "Separator", "Enter it without spaces."), ("zh-hans", "分隔符", "请输入不含空格的值。")],
)
def test_a_separator_with_a_space_is_refused_by_its_label(ivy_client, demo_cloud, language, label, words):
    before = Cloud.objects.get(pk=demo_cloud.pk).scheduler_config
    data = _form(ivy_client)
    data[SEPARATOR] = ". "
    response = ivy_client.post(reverse("dashboard:scheduler-settings"), data, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    body = response.content.decode()
    errors = body[body.index('id="scheduler-errors"') :]
    assert label in errors and words in errors
    assert Cloud.objects.get(pk=demo_cloud.pk).scheduler_config == before

    data[SEPARATOR] = ""
    response = ivy_client.post(reverse("dashboard:scheduler-settings"), data, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200 and 'id="scheduler-errors"' in response.content.decode()


def _stale_placement_cloud(cloud):
    """A placement-era cloud saved while AvailabilityZoneFilter was still offered there."""
    Cloud.objects.filter(pk=cloud.pk).update(
        era="placement",
        scheduler_config={"enabled_filters": ["AvailabilityZoneFilter", *ERA_DEFAULT_FILTERS["placement"]]},
    )


@pytest.mark.parametrize(("language", "words"), [("en", "left out below"), ("zh-hans", "下面已将其略去")])
def test_settings_that_name_a_filter_the_placement_era_lacks_open_with_a_message(
    ivy_client, demo_cloud, language, words
):
    _stale_placement_cloud(demo_cloud)
    response = ivy_client.get(reverse("dashboard:scheduler-settings"), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    body = response.content.decode()
    assert words in body and "AvailabilityZoneFilter" in body
    assert not response.context["form"].initial.get("filter_AvailabilityZoneFilter")
    # Saving the page as it is fixes the saved settings.
    assert ivy_client.post(reverse("dashboard:scheduler-settings"), _form(ivy_client)).status_code == 302
    assert scheduler_config(Cloud.objects.get(pk=demo_cloud.pk)).enabled_filters == ERA_DEFAULT_FILTERS["placement"]


def test_the_migration_takes_the_filter_out_of_placement_clouds_only(demo_cloud):
    _stale_placement_cloud(demo_cloud)
    classic = Cloud.objects.create(
        name="old", era="classic", scheduler_config={"enabled_filters": list(ERA_DEFAULT_FILTERS["classic"])}
    )
    migration = importlib.import_module(
        "cloudlab.compute.migrations.0010_placement_clouds_without_availability_zone_filter"
    )
    migration.without_az_filter(apps, None)
    assert scheduler_config(Cloud.objects.get(pk=demo_cloud.pk)).enabled_filters == ERA_DEFAULT_FILTERS["placement"]
    assert Cloud.objects.get(pk=classic.pk).scheduler_config["enabled_filters"] == list(ERA_DEFAULT_FILTERS["classic"])
