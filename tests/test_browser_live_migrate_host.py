"""Live Migrate in Chromium at 1366 px, in English and Chinese: Horizon's dialog (the current host,
"New Host" with "Automatically schedule new host." first and every other compute host), the
instance goes where the instructor sent it, and the decision says the request named that host."""

import pytest
from django.urls import reverse

from cloudlab.compute.models import Host, Instance, SchedulingRecord
from tests.helpers import click_row_action, log_in, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en-US": {
        "new_host": "New Host",
        "current": "Current Host",
        "auto": "Automatically schedule new host.",
        "not_requested": "not the requested destination {host}",
    },
    "zh-CN": {
        "new_host": "新主机",
        "current": "当前主机",
        "auto": "自动调度新主机。",
        "not_requested": "不是请求指定的目标主机 {host}",
    },
}


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_live_migrate_to_a_chosen_host(browser, live_server_url, celery_worker, demo_cloud, alice, launch, locale):
    words = WORDS[locale]
    [instance] = launch(alice, name="mover", flavor="m1.tiny")
    wait_for(lambda: Instance.objects.get(pk=instance.pk).vm_state == "active")
    instance = Instance.objects.select_related("host").get(pk=instance.pk)
    others = sorted(Host.objects.filter(cloud=demo_cloud).exclude(pk=instance.host_id).values_list("name", flat=True))
    target = others[-1]

    context = browser.new_context(locale=locale, viewport={"width": 1366, "height": 768})
    page = context.new_page()
    log_in(page, live_server_url, "ivy")
    page.goto(live_server_url + reverse("dashboard:admin-instances"))
    row = page.locator("#instances-table tbody tr", has_text="mover")
    row.locator("[data-status=ACTIVE]").wait_for(timeout=15000)
    click_row_action(row, "live_migrate")
    page.locator("#action-modal.show #action-host").wait_for()

    assert page.locator("label[for=action-host]").inner_text() == words["new_host"]
    assert page.locator("label[for=action-current-host]").inner_text() == words["current"]
    assert page.locator("#action-current-host").input_value() == instance.host.name
    options = page.locator("#action-host option").evaluate_all("els => els.map(e => [e.value, e.textContent])")
    assert options[0] == ["", words["auto"]]  # the default: the scheduler chooses
    assert [value for value, _ in options[1:]] == others  # every other compute host, not its own
    assert page.locator("#action-host").input_value() == ""
    box = page.locator("#action-modal .modal-content").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 1366
    confirm = page.locator("#action-confirm").bounding_box()
    assert confirm is not None and confirm["y"] + confirm["height"] <= 768  # Live Migrate is on screen

    page.select_option("#action-host", target)
    page.click("#action-confirm")
    page.wait_for_selector("#action-modal", state="hidden")
    wait_for(lambda: Instance.objects.filter(pk=instance.pk, host__name=target, task_state=None).exists())
    row.locator("td", has_text=target).wait_for(timeout=15000)  # the row follows live

    record = SchedulingRecord.objects.filter(instance=instance).latest("id")
    assert record.trace["request"]["requested_destination"] == target
    page.goto(live_server_url + reverse("dashboard:decision", args=[record.pk]))
    greyed = [h for h in others if h != target]
    page.wait_for_function(
        "text => document.body.innerText.includes(text)", arg=words["not_requested"].format(host=target)
    )
    assert greyed, "the demo cloud has hosts besides the source and the target"
    context.close()
