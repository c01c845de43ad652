"""Watching the scheduler think, in Chromium: the funnel removes hosts with the reasons and the
numbers, ends at the stage that emptied it on NoValidHost, and replays at a chosen stage."""

import pytest

from cloudlab.compute.models import Host, SchedulingRecord
from tests import steps
from tests.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.books_unbalanced]


def _decide(launch, alice, flavor="m1.small"):
    [instance] = launch(alice, name="vm", flavor=flavor)
    steps.schedule(instance)
    return SchedulingRecord.objects.get(instance=instance)


def _last_stage(page):
    page.select_option("#speed", "instant")
    last = int(page.locator("#stage-slider").get_attribute("max"))
    page.locator("#stage-slider").fill(str(last))
    page.locator("#stage-slider").dispatch_event("input")
    page.wait_for_selector(f"body[data-stage-index='{last}']")
    return last


def test_the_funnel_shows_ramfilter_and_computefilter_removing_hosts(
    browser, live_server_url, demo_cloud, alice, launch
):
    Host.objects.filter(name__in=["compute-vbox", "compute-lxc"]).update(memory_mb_used=12000)  # full
    Host.objects.filter(name="compute-kvm2").update(enabled=False)
    record = _decide(launch, alice)
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    log_in(page, live_server_url, "alice")
    page.goto(f"{live_server_url}/project/decisions/{record.pk}/")
    _last_stage(page)
    for full in ("compute-vbox", "compute-lxc"):
        card = page.locator(f".cl-host-card[data-host='{full}']")
        assert "cl-removed" in card.get_attribute("class")
        assert "usable RAM" in card.locator(".cl-removed-reason").inner_text()
    disabled = page.locator(".cl-host-card[data-host='compute-kvm2']")
    assert "cl-removed" in disabled.get_attribute("class")
    assert "disabled" in disabled.locator(".cl-removed-reason").inner_text()
    assert "cl-chosen" in page.locator(".cl-host-card[data-host='compute-kvm1']").get_attribute("class")
    assert page.locator("#funnel-count").inner_text().startswith("4")
    assert page.locator("#funnel-count").inner_text().strip().endswith("1")

    page.locator(".cl-host-card[data-host='compute-vbox']").click()
    why = page.locator("#why-panel")
    assert why.get_attribute("data-host") == "compute-vbox" and why.get_attribute("data-outcome") == "filtered"
    assert "RamFilter" in why.inner_text()
    context.close()


def test_no_valid_host_names_the_emptying_filter_and_every_hosts_reason(
    browser, live_server_url, demo_cloud, alice, launch
):
    Host.objects.update(enabled=False)
    record = _decide(launch, alice)
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    log_in(page, live_server_url, "alice")
    page.goto(f"{live_server_url}/project/decisions/{record.pk}/")
    _last_stage(page)
    panel = page.locator("#nvh-panel")
    assert panel.is_visible()
    assert "No valid host was found." in panel.inner_text() and "ComputeFilter" in panel.inner_text()
    assert panel.locator(".cl-nvh-host").count() == 4
    context.close()


def test_a_replay_link_opens_the_same_stage(browser, live_server_url, demo_cloud, alice, launch):
    record = _decide(launch, alice)
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    log_in(page, live_server_url, "alice")
    page.goto(f"{live_server_url}/project/decisions/{record.pk}/?stage=2")
    page.wait_for_selector("body[data-stage-index='2']")
    assert page.locator(".cl-stage.active").get_attribute("data-index") == "2"
    assert "stage=2" in page.locator("#stage-link").input_value()
    context.close()


def test_an_instructor_reruns_a_decision_without_ramfilter(browser, live_server_url, demo_cloud, alice, launch):
    Host.objects.filter(name="compute-vbox").update(memory_mb_used=12000)  # RamFilter removes it
    record = _decide(launch, alice)
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    log_in(page, live_server_url, "ivy")
    page.goto(f"{live_server_url}/project/decisions/{record.pk}/")
    form = page.locator("#whatif-form")
    form.locator("[name=kind]").select_option("filter")
    form.locator("[name=name]").select_option("RamFilter")
    form.locator("[name=enabled]").select_option("false")
    form.locator("button[type=submit]").click()
    page.locator("#whatif-compare .cl-compare-row[data-changed=true]").first.wait_for(timeout=10000)
    changed = page.locator("#whatif-compare .cl-compare-row[data-changed=true]")
    assert changed.count() == 1 and changed.get_attribute("data-host") == "compute-vbox"
    assert Host.objects.get(name="compute-vbox").memory_mb_used == 12000  # the live cloud is unchanged
    context.close()
