"""The instance page's Scheduling tab says which operation each decision was for, as the
decisions list does (boot, then resize to m1.small …), in English and Chinese."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from cloudlab.compute.actions.instance import do_instance_action
from cloudlab.compute.models import Flavor, Instance, SchedulingRecord
from cloudlab.dashboard.labels import operation_label
from cloudlab.engine import lifecycle
from tests import steps
from tests.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.books_unbalanced]


def _booted_then_resized(launch, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        [instance] = launch(alice, name="vm", flavor="m1.tiny")
        steps.run_to_end(instance, lifecycle.BUILD)
    small = Flavor.objects.get(cloud=instance.cloud, name="m1.small")
    with django_capture_on_commit_callbacks(execute=False):
        do_instance_action(alice, Instance.objects.get(pk=instance.pk), "resize", {"flavor": small.flavorid})
        steps.run_to_end(instance, "resize")
    return instance


@pytest.mark.parametrize(("locale", "language"), [("en-US", "en"), ("zh-CN", "zh-hans")])
def test_the_scheduling_tab_names_each_decisions_operation(
    browser, live_server_url, demo_cloud, alice, launch, django_capture_on_commit_callbacks, locale, language
):
    instance = _booted_then_resized(launch, alice, django_capture_on_commit_callbacks)
    assert SchedulingRecord.objects.filter(instance=instance).count() == 2
    with translation.override(language):
        expected = [operation_label("create"), operation_label("resize", flavor="m1.small")]
    client = Client()
    client.force_login(alice)
    listed = client.get(reverse("dashboard:decisions"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert all(label in listed for label in expected)  # the decisions list says the same words

    context = browser.new_context(locale=locale)
    page = context.new_page()
    log_in(page, live_server_url, "alice")
    page.goto(f"{live_server_url}/project/instances/{instance.uuid}/")
    page.click("#tab-scheduling-button")
    shown = page.locator("#scheduling .cl-scheduling .cl-operation")
    assert shown.all_inner_texts() == expected
    assert [shown.nth(i).get_attribute("data-operation") for i in range(2)] == ["create", "resize"]
    context.close()
