"""A resize the host's driver refused, on the instance page in Chromium: the fault box and the
action log's failed compute_resize_instance event show Nova's message, translated on a Chinese
page with Nova's English kept beside it (as a student meets it in real logs)."""

import pytest
from django.urls import reverse

from cloudlab.compute.actions.instance import do_instance_action
from cloudlab.compute.models import Instance
from tests.helpers import log_in, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOVA = "Resize error: Unable to resize disk down."
SHOWN = {"en-US": [NOVA], "zh-CN": ["调整大小出错：无法缩小磁盘。", NOVA]}


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_instance_page_shows_the_drivers_refusal(browser, live_server_url, celery_worker, demo_cloud, alice,
                                                     launch, locale):  # fmt: skip
    [instance] = launch(alice, name="shrinker", flavor="m1.small")
    wait_for(lambda: Instance.objects.get(pk=instance.pk).vm_state == "active")
    do_instance_action(alice, Instance.objects.get(pk=instance.pk), "resize", {"flavor": "1"})
    wait_for(lambda: (Instance.objects.get(pk=instance.pk).fault or {}).get("message") == NOVA)

    context = browser.new_context(locale=locale, viewport={"width": 1366, "height": 768})
    page = context.new_page()
    log_in(page, live_server_url, "alice")
    page.goto(live_server_url + reverse("dashboard:instance", args=[instance.uuid]))
    page.locator("#fault-box").wait_for()
    fault = page.locator("#fault-box").inner_text()
    for text in SHOWN[locale]:
        assert text in fault
    event = page.locator("#action-log tbody tr", has_text="compute_resize_instance")
    assert all(text in event.inner_text() for text in SHOWN[locale])
    context.close()
