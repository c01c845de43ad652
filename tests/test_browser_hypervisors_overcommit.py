"""An over-committed host in Chromium: its Admin → Hypervisors row shows the usage beyond the
limit in red, with the numbers."""

import pytest

from cloudlab.compute.models import Host
from tests.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RED = "rgb(220, 53, 69)"  # Bootstrap's danger


@pytest.fixture
def vbox_over_committed(demo_cloud):
    """compute-vbox's RAM ratio lowered to 0.05: its reserved 512 MB are beyond 8192 × 0.05 = 409.6."""
    Host.objects.filter(name="compute-vbox").update(ram_allocation_ratio=0.05)


def test_the_hypervisors_row_shows_the_usage_beyond_the_limit_in_red(browser, live_server_url, vbox_over_committed):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    log_in(page, live_server_url, "ivy")
    page.goto(f"{live_server_url}/admin/hypervisors/")
    cell = page.locator("#hosts-table tr[data-host='compute-vbox'] td.cl-res-memory_mb")
    cell.wait_for()
    assert cell.inner_text().splitlines() == ["512 / 8192 > 409.6 MB", "over-committed"]
    numbers = cell.locator(".cl-overcommitted").first
    assert numbers.evaluate("e => getComputedStyle(e).color") == RED
    assert "over-committed: 512 MB used > limit 409.6 MB" in numbers.get_attribute("title")
    vcpus = page.locator("#hosts-table tr[data-host='compute-vbox'] td.cl-res-vcpus")
    assert vcpus.locator(".cl-overcommitted").count() == 0
    assert page.locator("#hosts-table tr[data-host='compute-kvm1'] .cl-overcommitted").count() == 0
    context.close()
