"""An over-committed host in Chromium: its host card shows the usage beyond the limit in red,
with the numbers."""

import pytest

from cloudlab.compute.models import Host, SchedulingRecord
from tests import steps
from tests.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RED = "rgb(220, 53, 69)"  # Bootstrap's danger, the colour of the usage beyond the limit


@pytest.fixture
def vbox_over_committed(demo_cloud):
    """compute-vbox's RAM ratio lowered to 0.05: its reserved 512 MB are beyond 8192 × 0.05 = 409.6
    (the books still balance: nothing moved, the limit did)."""
    Host.objects.filter(name="compute-vbox").update(ram_allocation_ratio=0.05)


def test_the_host_card_shows_the_usage_beyond_the_limit_in_red(
    browser, live_server_url, vbox_over_committed, alice, launch
):
    [instance] = launch(alice, name="vm", flavor="m1.tiny")
    steps.schedule(instance)
    record = SchedulingRecord.objects.get(instance=instance)
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    log_in(page, live_server_url, "alice")
    page.goto(f"{live_server_url}/project/decisions/{record.pk}/")
    ram = page.locator(".cl-host-card[data-host='compute-vbox'] .cl-bar-ram")
    ram.wait_for()
    assert "cl-bar-overcommitted" in ram.get_attribute("class")
    assert ram.locator(".cl-bar-flag").is_visible() and ram.locator(".cl-bar-flag").inner_text() == "over-committed"
    assert ram.locator(".cl-bar-nums").inner_text().endswith("> 409.6")
    beyond = ram.locator(".cl-seg-beyond")
    assert beyond.evaluate("e => getComputedStyle(e).backgroundColor") == RED
    assert beyond.evaluate("e => e.getBoundingClientRect().width") > 0
    assert "over-committed: 512 used > limit 409.6" in ram.get_attribute("title")
    # The other resources, and the other hosts, are not marked.
    assert "cl-bar-overcommitted" not in page.locator(
        ".cl-host-card[data-host='compute-vbox'] .cl-bar-vcpu"
    ).get_attribute("class")
    kvm1 = page.locator(".cl-host-card[data-host='compute-kvm1'] .cl-bar-ram")
    assert "cl-bar-overcommitted" not in kvm1.get_attribute("class")
    assert kvm1.locator(".cl-seg-beyond").evaluate("e => e.getBoundingClientRect().width") == 0
    context.close()
