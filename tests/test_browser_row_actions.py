"""A student drives the lifecycle from the Instances table in Chromium: stop, start, reboot and
resize-confirm from the row menus, watching the cells change live; illegal actions are not offered."""

import pytest

from cloudlab.compute.models import Instance
from tests.helpers import click_row_action, log_in, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _offered(row):
    return set(row.locator("button[data-action]").evaluate_all("els => els.map(e => e.dataset.action)"))


def test_stop_start_reboot_and_resize_from_the_rows(browser, live_server_url, celery_worker, demo_cloud, alice, launch):
    [instance] = launch(alice, name="vm")
    wait_for(lambda: Instance.objects.get(pk=instance.pk).vm_state == "active")
    demo_cloud.pace = 0.2
    demo_cloud.save()
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    log_in(page, live_server_url, "alice")
    page.wait_for_selector("#live-indicator[data-state=live]")
    row = page.locator("#instances-table tbody tr", has_text="vm")
    row.locator("[data-status=ACTIVE]").wait_for()
    assert "start" not in _offered(row) and "stop" in _offered(row) and "migrate" not in _offered(row)

    click_row_action(row, "stop")
    page.click("#action-confirm")  # Shut Off asks for confirmation
    row.locator(".cl-task", has_text="Powering Off").wait_for(timeout=10000)
    row.locator("[data-status=SHUTOFF]").wait_for(timeout=15000)
    assert row.locator(".cl-power").inner_text() == "Shut Down"
    assert "stop" not in _offered(row) and "start" in _offered(row)

    click_row_action(row, "start")
    row.locator("[data-status=ACTIVE]").wait_for(timeout=15000)
    assert row.locator(".cl-power").inner_text() == "Running"

    click_row_action(row, "reboot_soft")
    page.click("#action-confirm")
    row.locator("[data-status=REBOOT]").wait_for(timeout=10000)
    row.locator("[data-status=ACTIVE]").wait_for(timeout=15000)

    click_row_action(row, "resize")
    page.select_option("#action-flavor", "2")  # m1.small
    page.click("#action-confirm")
    row.locator("[data-status=VERIFY_RESIZE]").wait_for(timeout=20000)
    assert row.locator(".cl-flavor").inner_text() == "m1.small"
    click_row_action(row, "confirm_resize")
    row.locator("[data-status=ACTIVE]").wait_for(timeout=15000)
    assert Instance.objects.get(pk=instance.pk).flavor.name == "m1.small"
    context.close()


def test_the_state_diagram_follows_the_instance(browser, live_server_url, celery_worker, demo_cloud, alice, launch):
    [instance] = launch(alice, name="vm")
    wait_for(lambda: Instance.objects.get(pk=instance.pk).vm_state == "active")
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    log_in(page, live_server_url, "alice")
    page.goto(f"{live_server_url}/project/instances/{instance.uuid}/")
    page.click("#tab-lifecycle-button")
    page.locator("#state-diagram .cl-node-current[data-state=active]").wait_for()
    assert page.locator("#action-gate li[data-action=start]").get_attribute("data-allowed") == "false"
    assert "while it is in vm_state active" in page.locator("#action-gate li[data-action=start]").inner_text()
    assert page.locator("#action-gate li[data-action=stop]").get_attribute("data-allowed") == "true"
    context.close()
