"""One clock: every time on every page is in the course's time zone, in one format, with the zone
named in the top bar, whatever the browser's own zone (issue 10, item 6)."""

from datetime import UTC, datetime

import pytest
from django.test import override_settings
from django.urls import reverse

from cloudlab.dashboard.clock import clock, zone_label
from tests import steps
from tests.helpers import log_in


def test_the_server_shows_times_in_the_course_zone():
    moment = datetime(2026, 12, 1, 14, 5, 9, tzinfo=UTC)
    assert clock(moment) == "2026-12-01 22:05:09"  # Asia/Shanghai, the default
    assert zone_label(moment) == "Asia/Shanghai (UTC+8)"
    assert clock(None) == "–"
    with override_settings(TIME_ZONE="Asia/Kolkata"):
        assert clock(moment) == "2026-12-01 19:35:09"
        assert zone_label(moment) == "Asia/Kolkata (UTC+5:30)"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_page_and_the_server_read_one_clock(browser, live_server_url, alice, launch, locale):
    [instance] = launch(alice, name="timed")
    steps.schedule(instance)
    steps.run_to_end(instance)
    instance.refresh_from_db()
    # a browser far from the course: the page must not use its zone
    context = browser.new_context(locale=locale, timezone_id="America/New_York")
    try:
        page = context.new_page()
        log_in(page, live_server_url, "alice")
        assert "Asia/Shanghai (UTC+8)" in page.inner_text("#course-clock")
        page.goto(live_server_url + reverse("dashboard:instance", args=[instance.uuid]))
        page.wait_for_selector("#detail-overview dd")
        assert clock(instance.created_at) in page.inner_text("#detail-overview")
        page.goto(live_server_url + reverse("dashboard:decisions"))
        record = instance.scheduling_records.get()
        assert clock(record.created_at) in page.inner_text("body")
    finally:
        context.close()
