"""What a decision was for, in Chromium and in both languages: the scheduling view's header and
the decisions list name the operation, a multi-create's record says which instance it is for,
and a move's source host is a greyed card that says it was left out, at every stage."""

import pytest

from cloudlab.compute.actions.instance import do_instance_action
from cloudlab.compute.models import Instance, SchedulingRecord
from cloudlab.identity.models import Quota
from tests import steps
from tests.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en-US": {
        "resize": "resize to m1.small",
        "migrate": "cold migrate",
        "excluded": "left out of the request",
        "second": "Instance 2 of 3",
    },
    "zh-CN": {
        "resize": "调整为 m1.small",
        "migrate": "冷迁移",
        "excluded": "未纳入本次请求",
        "second": "第 2 个实例（共 3 个）",
    },
}


def _active(launch, alice):
    [instance] = launch(alice, name="vm", flavor="m1.tiny")
    steps.run_to_end(instance)
    return Instance.objects.get(pk=instance.pk)


def _move(user, instance, action, **params):
    do_instance_action(user, Instance.objects.get(pk=instance.pk), action, params)
    steps.run_next_step(instance)
    return SchedulingRecord.objects.filter(instance=instance).latest("id")


def _open(browser, url, user, path, locale):
    context = browser.new_context(locale=locale)
    page = context.new_page()
    log_in(page, url, user)
    page.goto(f"{url}{path}")
    page.wait_for_selector("body[data-stage-index]")
    return context, page


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_header_and_the_list_name_a_resize(browser, live_server_url, demo_cloud, alice, launch, locale):
    record = _move(alice, _active(launch, alice), "resize", flavor="2")
    context, page = _open(browser, live_server_url, "alice", f"/project/decisions/{record.pk}/", locale)
    assert page.locator("#decision-operation").inner_text() == WORDS[locale]["resize"]
    assert page.locator("#decision-attempt").count() == 0  # the resize's first pass: no retry to count
    page.goto(f"{live_server_url}/project/decisions/")
    row = page.locator(f"#decisions-table tr[data-record='{record.pk}']")
    assert row.locator(".cl-operation").inner_text() == WORDS[locale]["resize"]
    assert row.locator(".cl-attempt").inner_text() == "1"
    context.close()


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_a_moves_source_host_is_a_greyed_card_left_out_at_every_stage(
    browser, live_server_url, demo_cloud, alice, ivy, launch, locale
):
    instance = _active(launch, alice)
    source = instance.host.name
    record = _move(ivy, instance, "migrate")
    context, page = _open(browser, live_server_url, "ivy", f"/project/decisions/{record.pk}/?stage=0", locale)
    assert page.locator("#decision-operation").inner_text() == WORDS[locale]["migrate"]
    card = page.locator(f".cl-host-card[data-host='{source}']")
    for stage in ("0", page.locator("#stage-slider").get_attribute("max")):
        page.locator("#stage-slider").fill(stage)
        page.locator("#stage-slider").dispatch_event("input")
        page.wait_for_selector(f"body[data-stage-index='{stage}']")
        assert card.get_attribute("data-state") == "excluded" and "cl-removed" not in card.get_attribute("class")
        assert "ignore_hosts" in card.locator(".cl-excluded-reason").inner_text()
        assert card.locator(".cl-card-badge").inner_text() == WORDS[locale]["excluded"]
    assert page.locator(".cl-host-card").count() == 4  # the three hosts of the decision and the source
    assert page.locator(".cl-nvh-host", has_text=source).count() == 0
    card.locator(".cl-host-name").click()
    why = page.locator("#why-panel")
    page.wait_for_selector("#why-panel.show")
    assert why.get_attribute("data-host") == source and why.get_attribute("data-outcome") == "excluded"
    assert "ignore_hosts" in why.inner_text()
    context.close()


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_a_multi_creates_record_says_which_instance_it_is_for(
    browser, live_server_url, demo_cloud, alice, launch, locale
):
    Quota.objects.update(instances=-1, cores=-1, ram=-1)
    instances = launch(alice, name="web", count=3, flavor="m1.tiny")
    steps.schedule(instances[0])
    second = SchedulingRecord.objects.get(instance=instances[1])
    context, page = _open(browser, live_server_url, "alice", f"/project/decisions/{second.pk}/", locale)
    assert page.locator("#decision-instance").inner_text() == WORDS[locale]["second"]
    assert page.locator("#decision-operation").get_attribute("data-operation") == "create"
    context.close()
