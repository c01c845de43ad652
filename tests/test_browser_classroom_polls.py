"""A poll in two Chromium contexts: the instructor opens a "which host wins?" poll; a student who
joined by code answers on their session page; the instructor's page counts the answer and its
Plotly chart grows without a reload; the instructor reveals; both pages play the reveal's funnel
stage by stage (the scheduling view's strip) and only then show the correct answer, the student's
page their marking. At 1366 px, in English and Chinese, with no script error or CSP violation."""

from typing import Any

import pytest
from playwright.sync_api import expect

from cloudlab.classroom.models import ClassSession, Poll
from cloudlab.classroom.sessions import start_session
from tests.helpers import log_in, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en-US": {"count": "1 answer", "correct": "Correct answer:", "open": "Open", "hosts": "Hosts"},
    "zh-CN": {"count": "1 个回答", "correct": "正确答案：", "open": "进行中", "hosts": "主机"},
}

#: Records every stage the reveal's funnel shows and whether the marks were up by then (run by
#: page.evaluate, which the pages' CSP allows: it is the browser's devtools, not the page's eval).
WATCH_STAGES = """() => {
  window.__stages = [];
  const section = document.getElementById("poll-decision");
  new MutationObserver(() => {
    const stage = Number(section.dataset.stage);
    if (stage >= 0 && window.__stages.at(-1)?.stage !== stage) {
      window.__stages.push({ stage, marked: !document.getElementById("poll-result").classList.contains("d-none") });
    }
  }).observe(section, { attributes: true, attributeFilter: ["data-stage"] });
}"""

CHART_COUNTS = """() => {
  const chart = document.getElementById("poll-chart");
  return chart && chart.data && chart.data[0] ? { x: chart.data[0].x, y: chart.data[0].y } : null;
}"""


def _watch_errors(page: Any, errors: list[str]) -> None:
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_a_student_answers_and_both_pages_show_the_reveal_live(browser, live_server_url, demo_cloud, locale):
    from django.contrib.auth import get_user_model

    words = WORDS[locale]
    viewport = {"width": 1366, "height": 900}
    session = start_session(get_user_model().objects.get(username="ivy"), cloud=demo_cloud, name="Lecture 8")
    ClassSession.objects.filter(pk=session.pk).update(pace=1.0)  # half a second a stage
    errors: list[str] = []
    teacher = browser.new_context(locale=locale, viewport=viewport).new_page()
    student = browser.new_context(locale=locale, viewport=viewport).new_page()
    _watch_errors(teacher, errors)
    _watch_errors(student, errors)
    try:
        log_in(teacher, live_server_url, "ivy")
        teacher.goto(f"{live_server_url}/classroom/{session.pk}/polls/")
        teacher.select_option("#poll-kind", "host")
        teacher.click("#poll-open")
        teacher.wait_for_selector("#poll-panel[data-state=open]")
        teacher.wait_for_selector("#live-indicator[data-state=live]")
        expect(teacher.locator("#poll-state")).to_have_text(words["open"])
        poll = Poll.objects.get()
        # The live chart: one bar per choice, none answered yet.
        empty = wait_for(lambda: teacher.evaluate(CHART_COUNTS))
        assert len(empty["x"]) == len(poll.choices) and sum(empty["y"]) == 0

        student.goto(f"{live_server_url}/join/")
        student.fill("#join-code-input", session.code)
        student.click("#join-code-submit")
        student.fill("#nickname", "小红")
        student.click("#join-submit")
        student.wait_for_selector("#poll-panel[data-state=open]")
        assert student.locator("#poll-chart").count() == 0  # no one's answers on a student's page
        student.click(f"#poll-choices [data-choice='{poll.choices[0]}']")
        expect(student.locator(f"#poll-choices [data-choice='{poll.choices[0]}']")).to_have_attribute(
            "aria-checked", "true"
        )
        # The instructor's page, never reloaded, counts the answer and its chart's bar grows.
        expect(teacher.locator("#poll-count")).to_have_text(words["count"])
        grown = wait_for(lambda: (c := teacher.evaluate(CHART_COUNTS)) and sum(c["y"]) == 1 and c)
        assert grown["y"][0] == 1

        for page in (teacher, student):
            page.evaluate(WATCH_STAGES)
        teacher.click("#poll-reveal")
        for page in (teacher, student):
            expect(page.locator("#poll-decision")).to_have_attribute("data-ended", "1", timeout=20000)
            expect(page.locator("#poll-panel")).to_have_attribute("data-revealed", "1")
            expect(page.locator("#poll-result")).to_contain_text(words["correct"])
            expect(page.locator("#poll-decision .cl-funnel-label")).to_have_text(words["hosts"])
        poll.refresh_from_db()
        chips = teacher.locator("#poll-decision-stages .cl-stage")
        last = chips.count() - 1
        assert last >= 1 and chips.nth(last).get_attribute("data-kind") in ("selected", "no_valid_host")
        for page in (teacher, student):
            shown = page.evaluate("() => window.__stages")
            stages = [s["stage"] for s in shown]
            # One by one to the last stage, the marks only at the end.
            assert len(stages) >= 2 and stages[-1] == last, stages
            assert stages == list(range(stages[0], last + 1)), stages
            assert [s["marked"] for s in shown[:-1]] == [False] * (len(shown) - 1), shown
        expect(student.locator(f"#poll-choices [data-choice='{poll.correct}']")).to_have_class(
            "btn cl-poll-choice btn-outline-primary cl-poll-correct"
            if poll.correct != poll.choices[0]
            else "btn cl-poll-choice btn-primary cl-poll-correct"
        )
        for page in (teacher, student):
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{width} px wide at {viewport['width']} px"
        assert errors == []
    finally:
        teacher.context.close()
        student.context.close()
