"""A row action's confirmation says what is true: Delete Instance cannot be undone; Shut Off and
the reboots can (Start, or the reboot's end, brings the instance back), so they do not say so."""

import pytest

from tests.helpers import click_row_action, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UNDONE = "This action cannot be undone."


@pytest.mark.parametrize(("action", "says_undone"), [("stop", False), ("reboot_soft", False), ("delete", True)])
def test_only_what_cannot_be_undone_says_so(browser, live_server_url, demo_cloud, ivy, action, says_undone):
    context = browser.new_context(locale="en-US")
    try:
        page = context.new_page()
        log_in(page, live_server_url, "ivy")  # the teaching project's course-web is active
        row = page.locator("#instances-table tbody tr", has_text="course-web")
        row.locator("[data-status=ACTIVE]").wait_for()
        click_row_action(row, action)
        page.wait_for_selector("#action-modal.show")
        text = page.inner_text("#action-body")
        assert "course-web" in text and "Please confirm your selection." in text
        assert (UNDONE in text) is says_undone
    finally:
        context.close()
