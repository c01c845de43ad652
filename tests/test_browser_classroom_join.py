"""A class session in two Chromium contexts: the instructor starts a session from Classroom →
Class Sessions, a visitor in another browser joins by typing the code and a nickname, and the
lobby shows the guest (online) without a reload; the instructor starts the session and the
student's page says so live. At 1366 px, in English and Chinese."""

import pytest
from playwright.sync_api import expect

from cloudlab.classroom.models import ClassSession, Participant
from tests.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en-US": {"lobby": "Lobby", "running": "Running", "count": "1 joined · 1 online", "start": "Start the session"},
    "zh-CN": {"lobby": "等候中", "running": "进行中", "count": "1 人已加入 · 1 人在线", "start": "开始上课"},
}


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_a_guest_joins_by_code_and_the_lobby_shows_them_live(browser, live_server_url, demo_cloud, locale):
    words = WORDS[locale]
    viewport = {"width": 1366, "height": 900}
    teacher = browser.new_context(locale=locale, viewport=viewport).new_page()
    student = browser.new_context(locale=locale, viewport=viewport).new_page()
    try:
        log_in(teacher, live_server_url, "ivy")
        teacher.click("a.cl-panel[href='/classroom/']")
        teacher.fill("#session-name", "Lecture 5")
        teacher.select_option("#session-source", f"cloud:{demo_cloud.pk}")
        teacher.click("#start-session")
        teacher.wait_for_selector("#live-indicator[data-state=live]")
        code = teacher.locator("#join-code").inner_text().strip()
        session = ClassSession.objects.get()
        assert code == session.code
        expect(teacher.locator("#session-state")).to_have_text(words["lobby"])
        # The code, the link and the QR code are on the screen, side by side.
        qr = teacher.locator("#join-qr svg").bounding_box()
        assert qr["width"] >= 200 and qr["x"] + qr["width"] <= viewport["width"]
        assert teacher.locator("#join-code").bounding_box()["height"] >= 80  # huge type
        expect(teacher.locator("#no-participants")).to_be_visible()

        student.goto(f"{live_server_url}/join/")
        student.fill("#join-code-input", code.lower())
        student.click("#join-code-submit")
        student.fill("#nickname", "Li Lei")
        student.click("#join-submit")
        student.wait_for_selector("#live-indicator[data-state=live]")
        expect(student.locator("#my-nickname")).to_have_text("Li Lei")
        expect(student.locator("#session-state")).to_have_text(words["lobby"])

        # The lobby, never reloaded, shows the guest arriving and online.
        guest = teacher.locator("#participants [data-participant]", has_text="Li Lei")
        expect(guest).to_have_attribute("data-online", "1")
        expect(teacher.locator("#participant-count")).to_have_text(words["count"])
        expect(teacher.locator("#no-participants")).to_be_hidden()
        assert Participant.objects.get(session=session).is_guest

        # Starting the session reaches the student's page live.
        teacher.click(f"[data-state-button=running]:has-text('{words['start']}')")
        expect(student.locator("#session-state")).to_have_text(words["running"])
        expect(student.locator("#open-instances")).to_be_visible()
    finally:
        teacher.context.close()
        student.context.close()
