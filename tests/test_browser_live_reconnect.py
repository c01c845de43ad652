"""A student's page in a class session when the server drops its socket mid-session (1012, as a
restarting server does): the page says it is reconnecting, misses what happens meanwhile (the
session starts, another student joins), reconnects, refetches the snapshot and shows the state
as it is now; the next event applies in order. In Chromium at 1024, 1366 and 1920 px, English
and Chinese.

Time is Playwright's clock: the page's reconnect timer runs only when the test says, so the
events are certainly sent while the page is away, with no wait."""

import pytest
from playwright.sync_api import expect

from cloudlab.classroom import sessions
from cloudlab.classroom.models import State
from cloudlab.live.events import layer_send
from cloudlab.live.revocation import user_group
from tests.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en-US": {"lobby": "Lobby", "running": "Running", "frozen": "Frozen", "reconnecting": "Reconnecting…"},
    "zh-CN": {"lobby": "等候中", "running": "进行中", "frozen": "已冻结", "reconnecting": "正在重新连接…"},
}


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
@pytest.mark.parametrize("width", [1024, 1366, 1920])
def test_a_dropped_student_reconnects_and_misses_no_state(
    browser, live_server_url, demo_cloud, alice, bob, ivy, locale, width
):
    words = WORDS[locale]
    session = sessions.start_session(ivy, cloud=demo_cloud, name="Lecture 6")
    sessions.join(session, user=alice)
    context = browser.new_context(locale=locale, viewport={"width": width, "height": 800})
    context.clock.install()
    page = context.new_page()
    snapshots = []
    page.on("request", lambda r: snapshots.append(r.url) if r.url.endswith("/snapshot.json") else None)
    try:
        log_in(page, live_server_url, "alice")
        page.goto(f"{live_server_url}/classroom/{session.pk}/me/")
        page.wait_for_selector("#live-indicator[data-state=live]")
        expect(page.locator("#session-state")).to_have_text(words["lobby"])
        fetched_before = len(snapshots)

        layer_send(user_group(alice.pk), {"type": "live.drop"})  # the server closes her socket
        expect(page.locator("#live-indicator")).to_have_attribute("data-state", "offline")
        expect(page.locator("#live-indicator .cl-live-text")).to_have_text(words["reconnecting"])

        # While she is away: the session starts and Bob joins (two numbered events she misses).
        sessions.set_state(session, State.RUNNING, ivy)
        sessions.join(session, user=bob)
        expect(page.locator("#session-state")).to_have_text(words["lobby"])  # away: nothing applied

        context.clock.run_for(2000)  # the page's back-off (1 s) passes: it reconnects
        expect(page.locator("#live-indicator")).to_have_attribute("data-state", "live")
        expect(page.locator("#session-state")).to_have_text(words["running"])
        assert len(snapshots) > fetched_before, "the page did not refetch its snapshot after reconnecting"

        # Back in order: the next event applies live.
        sessions.set_state(session, State.FROZEN, ivy)
        expect(page.locator("#session-state")).to_have_text(words["frozen"])
        box = page.locator("#live-indicator").bounding_box()
        assert box["x"] + box["width"] <= width, "the indicator runs out of the window"
    finally:
        context.close()
