"""A poll in two Chromium contexts: the instructor opens a "which host wins?" poll; a student who
joined by code answers on their session page; the instructor's page counts the answer without a
reload and reveals; both pages play the scheduler's stages and show the correct answer, the
student's page their marking. At 1366 px, in English and Chinese."""

import pytest
from playwright.sync_api import expect

from cloudlab.classroom.models import Poll
from cloudlab.classroom.sessions import start_session
from tests.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en-US": {"count": "1 answer", "correct": "Correct answer:", "open": "Open"},
    "zh-CN": {"count": "1 个回答", "correct": "正确答案：", "open": "进行中"},
}


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_a_student_answers_and_both_pages_show_the_reveal_live(browser, live_server_url, demo_cloud, locale):
    from django.contrib.auth import get_user_model

    words = WORDS[locale]
    viewport = {"width": 1366, "height": 900}
    session = start_session(get_user_model().objects.get(username="ivy"), cloud=demo_cloud, name="Lecture 8")
    teacher = browser.new_context(locale=locale, viewport=viewport).new_page()
    student = browser.new_context(locale=locale, viewport=viewport).new_page()
    try:
        log_in(teacher, live_server_url, "ivy")
        teacher.goto(f"{live_server_url}/classroom/{session.pk}/polls/")
        teacher.select_option("#poll-kind", "host")
        teacher.click("#poll-open")
        teacher.wait_for_selector("#poll-panel[data-state=open]")
        teacher.wait_for_selector("#live-indicator[data-state=live]")
        expect(teacher.locator("#poll-state")).to_have_text(words["open"])
        poll = Poll.objects.get()

        student.goto(f"{live_server_url}/join/")
        student.fill("#join-code-input", session.code)
        student.click("#join-code-submit")
        student.fill("#nickname", "小红")
        student.click("#join-submit")
        student.wait_for_selector("#poll-panel[data-state=open]")
        student.click(f"#poll-choices [data-choice='{poll.choices[0]}']")
        expect(student.locator(f"#poll-choices [data-choice='{poll.choices[0]}']")).to_have_attribute(
            "aria-checked", "true"
        )
        # The instructor's page, never reloaded, counts the answer.
        expect(teacher.locator("#poll-count")).to_have_text(words["count"])

        teacher.click("#poll-reveal")
        for page in (teacher, student):
            expect(page.locator("#poll-panel")).to_have_attribute("data-revealed", "1", timeout=15000)
            expect(page.locator("#poll-result")).to_contain_text(words["correct"])
            assert page.locator("#poll-funnel li").count() >= 2
        poll.refresh_from_db()
        expect(student.locator(f"#poll-choices [data-choice='{poll.correct}']")).to_have_class(
            "btn cl-poll-choice btn-outline-primary cl-poll-correct"
            if poll.correct != poll.choices[0]
            else "btn cl-poll-choice btn-primary cl-poll-correct"
        )
        box = student.locator("#poll-panel").bounding_box()
        assert box["x"] + box["width"] <= viewport["width"]
    finally:
        teacher.context.close()
        student.context.close()
