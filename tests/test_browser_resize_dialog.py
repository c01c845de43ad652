"""The Resize dialog in Chromium offers only the flavors that can work and greys the others with
Nova's reason, as the writer would answer; an instance launched after the page loaded too."""

import pytest
from playwright.sync_api import expect

from cloudlab.compute.models import Instance
from cloudlab.identity.models import Quota
from tests.helpers import log_in, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _open_resize(page, name):
    row = page.locator("#instances-table tbody tr", has_text=name)
    row.locator("[data-status=ACTIVE]").wait_for(timeout=15000)
    primary = row.locator(".btn-group > button[data-action=resize]")
    if primary.count():
        primary.click()
    else:
        row.locator(".dropdown-toggle").click()
        row.locator(".dropdown-menu button[data-action=resize]").click()
    page.locator("#action-modal.show #action-flavor").wait_for()


def _options(page):
    return page.locator("#action-flavor option").evaluate_all(
        "els => Object.fromEntries(els.map(e => [e.value, e.disabled]))"
    )


def test_the_dialog_greys_flavors_with_novas_reason(browser, live_server_url, celery_worker, demo_cloud, alice, launch):
    Quota.objects.filter(project__name="alice").update(cores=2)
    [instance] = launch(alice, name="vm", flavor="m1.small")
    wait_for(lambda: Instance.objects.get(pk=instance.pk).vm_state == "active")
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    log_in(page, live_server_url, "alice")
    _open_resize(page, "vm")

    options = _options(page)
    assert options["2"] is True  # m1.small: the current flavor
    assert options["42"] is True  # m1.nano: no root disk
    assert options["4"] is True  # m1.large: 4 vCPUs over the quota of 2
    assert options["1"] is True  # m1.tiny: the driver cannot shrink 20 GB to 1 GB
    assert options["3"] is False  # m1.medium can work, and is the one chosen
    assert page.locator("#action-flavor").input_value() == "3"
    reasons = page.locator("#action-flavor-reasons")
    assert reasons.locator("li[data-flavor='2']").inner_text() == (
        "m1.small: When resizing, instances must change flavor!"
    )
    assert "Resize to zero disk flavor is not allowed." in reasons.locator("li[data-flavor='42']").inner_text()
    assert "Quota exceeded for cores: Requested 3, but already used 1 of 2 cores" in (
        reasons.locator("li[data-flavor='4']").inner_text()
    )
    assert "Resize error: Unable to resize disk down." in reasons.locator("li[data-flavor='1']").inner_text()
    assert reasons.locator("li[data-flavor='3']").count() == 0
    page.click("#action-modal .modal-footer [data-bs-dismiss=modal]")
    page.wait_for_selector("#action-modal", state="hidden")

    # An instance launched from this page after it loaded: the dialog reads the choices again.
    page.click("#launch-button")
    expect(page.locator("#launch-name")).to_be_focused()  # no string predicates: the CSP forbids eval
    page.fill("#launch-name", "later")
    page.select_option("#launch-image", label="cirros (21 MB)")
    page.check("#flavor-1")  # m1.tiny
    page.click("#launch-submit")
    page.wait_for_selector("#launch-modal", state="hidden")
    _open_resize(page, "later")
    page.locator("#action-flavor-reasons li[data-flavor='1']").wait_for()
    assert _options(page)["1"] is True and _options(page)["2"] is False
    assert "When resizing, instances must change flavor!" in (
        page.locator("#action-flavor-reasons li[data-flavor='1']").inner_text()
    )
    context.close()
