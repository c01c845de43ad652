"""Admin → Hypervisors in Chromium: Mark Down asks first (a heartbeat stopped by a slip would
empty a host of new instances mid-class), Cancel changes nothing, and the page says what was done."""

import pytest

from cloudlab.compute.models import Host
from tests.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("locale", "done"), [("en-US", "compute-kvm2 is down"), ("zh-CN", "compute-kvm2")])
def test_mark_down_asks_first_and_says_what_it_did(browser, live_server_url, demo_cloud, locale, done):
    context = browser.new_context(locale=locale)
    try:
        page = context.new_page()
        log_in(page, live_server_url, "ivy")
        page.goto(live_server_url + "/admin/hypervisors/")
        row = page.locator("tr[data-host=compute-kvm2]")
        row.locator("button[data-action=mark_down]").click()
        page.wait_for_selector("#mark-down-modal.show")
        assert "compute-kvm2" in page.inner_text("#mark-down-text")
        page.click("#mark-down-modal [data-bs-dismiss=modal].btn-outline-secondary")
        page.wait_for_selector("#mark-down-modal", state="hidden")
        assert Host.objects.get(name="compute-kvm2").up is True  # Cancel changed nothing
        row.locator("button[data-action=mark_down]").click()
        page.wait_for_selector("#mark-down-modal.show")
        page.click("#mark-down-confirm")
        page.wait_for_selector(".alert-success")
        assert done in page.inner_text(".alert-success")
        assert Host.objects.get(name="compute-kvm2").up is False
    finally:
        context.close()
