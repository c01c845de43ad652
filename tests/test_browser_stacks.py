"""Chromium, Learn → Hosted vs Bare-Metal at 1366 px in English and Chinese: a disk write stepped
through both stacks (the Step button, then the → key on the stacks, then Back) highlights on each
stack the layer its step is on and the layers passed, and the narration read to screen readers
names both hops in the page's language; the bare-metal path reaches the hardware first.
"Efficiency" in the comparison plays the disk write and marks the hops the hosted path adds;
a figure shows its source and status on focus. In Chinese every step's words are Chinese."""


import pytest
from django.utils import translation

from cloudlab.architectures import stacks_model as model
from tests.helpers import log_in
from tests.test_browser_chinese import _allowed_words, chinese_text_problems
from tests.test_browser_fit import PROBLEMS_JS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = {"en-US": "en", "zh-CN": "zh-hans"}
DISK = model.OPERATIONS["disk_write"]


def _stack_state(page, stack_id):
    return page.locator(f"#stack-{stack_id}").evaluate(
        """(stack) => { const hops = [...stack.querySelectorAll('.cl-hops li')]; return {
          current: [...stack.querySelectorAll('.cl-layer.cl-current')].map((l) => l.dataset.layer),
          visited: [...stack.querySelectorAll('.cl-layer.cl-visited')].map((l) => l.dataset.layer),
          added: [...stack.querySelectorAll('.cl-layer.cl-added')].map((l) => l.dataset.layer),
          hop: stack.dataset.hop,
          currentHop: hops.findIndex((li) => li.getAttribute('aria-current') === 'step'),
          addedHops: hops.flatMap((li, i) => li.classList.contains('cl-step-added') ? [i] : []),
          position: stack.querySelector('[data-role=position]').innerText,
          title: stack.querySelector('[data-role=title]').innerText,
        }; }"""
    )


@pytest.mark.timeout(180)
@pytest.mark.parametrize("locale", list(LANGUAGES))
def test_a_disk_write_steps_down_both_stacks(browser, live_server_url, demo_cloud, alice, locale):
    hosted, bare = DISK.paths[model.HOSTED], DISK.paths[model.BARE_METAL]
    with translation.override(LANGUAGES[locale]):
        title = {stack_id: [translation.gettext(s.title) for s in path] for stack_id, path in DISK.paths.items()}
        arrived = translation.gettext("At the hardware after %(total)s hops.") % {"total": len(bare) - 1}
        hop = translation.gettext("hop %(n)s of %(total)s")
        explanation = translation.gettext(model.COMPARISON[0].show.explanation)
    allowed = _allowed_words() if locale == "zh-CN" else set()
    context = browser.new_context(locale=locale, viewport={"width": 1366, "height": 768})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        log_in(page, live_server_url, "alice")
        page.goto(f"{live_server_url}/learn/hypervisors/")
        page.wait_for_selector("#stack-hosted[data-hop='0']")
        assert page.is_checked("#operation-disk_write")
        assert page.is_disabled("#step-back")
        assert page.evaluate(PROBLEMS_JS) == []
        chinese = chinese_text_problems(page, allowed) if allowed else []

        for position in range(1, len(hosted)):
            if position <= 3:
                page.click("#step-forward")
            else:
                page.focus("#stacks")
                page.keyboard.press("ArrowRight")
            page.wait_for_selector(f"#player[data-position='{position}']")
            for stack_id, path in DISK.paths.items():
                index = min(position, len(path) - 1)
                state = _stack_state(page, stack_id)
                assert state["current"] == [path[index].layer], (stack_id, position)
                assert sorted(state["visited"]) == sorted({s.layer for s in path[: index + 1]}), (stack_id, position)
                assert (state["hop"], state["currentHop"]) == (str(index), index)
                assert state["title"] == title[stack_id][index]
                assert state["added"] == [] and state["addedHops"] == []  # marked only when a point asks
            narration = page.inner_text("#step-narration")
            assert title["hosted"][position] in narration
            assert title["bare-metal"][min(position, len(bare) - 1)] in narration
            assert hop % {"n": position, "total": len(hosted) - 1} in narration
            if allowed:
                chinese += chinese_text_problems(page, allowed)

        # The bare-metal write reached the disk two hops earlier; the hosted one only now.
        assert _stack_state(page, "bare-metal")["position"] == arrived
        assert _stack_state(page, "hosted")["current"] == ["hardware"]
        assert page.is_disabled("#step-forward")
        page.click("#step-back")
        page.wait_for_selector(f"#player[data-position='{len(hosted) - 2}']")
        assert _stack_state(page, "hosted")["current"] == ["host_os"]

        # "Efficiency and I/O" plays the disk write from the start and marks what the hosted path adds.
        # The page's clock is the test's from here: the play steps a hop every 1.6 s, which the
        # test lets pass at once, hop by hop (each hop one step further, none skipped).
        page.clock.install()
        page.click("#comparison tr[data-point=efficiency] .cl-show")
        page.wait_for_selector("#player[data-position='0']")
        assert page.get_attribute("#step-play", "aria-pressed") == "true"
        played = [0]
        for _ in range(20 * len(hosted)):  # the play's 1.6 s a hop, 400 ms at a time
            if page.get_attribute("#step-play", "aria-pressed") != "true":
                break
            page.clock.run_for(400)
            position = int(page.get_attribute("#player", "data-position"))
            if position != played[-1]:
                played.append(position)
        assert played == list(range(len(hosted))), played
        page.wait_for_selector(f"#player[data-position='{len(hosted) - 1}']")
        page.wait_for_selector("#step-play[aria-pressed=false]")
        state = _stack_state(page, "hosted")
        assert state["addedHops"] == list(model.added_steps(DISK)) == [3, 4, 5]
        assert state["added"] == ["host_os"]
        assert _stack_state(page, "bare-metal")["addedHops"] == []
        assert explanation in page.inner_text("#show-note")
        if allowed:
            chinese += chinese_text_problems(page, allowed)

        # A figure says where it comes from when it has the focus.
        figure = page.locator("#comparison tr[data-point=efficiency] td[data-stack=hosted] .cl-figure")
        figure.locator("button").focus()
        tip = figure.locator(".cl-figure-tip")
        assert tip.is_visible()
        box = tip.bounding_box()
        assert 0 <= box["x"] and box["x"] + box["width"] <= 1366
        text = tip.inner_text()
        assert (
            ("status P" in text and "Source: P. Barham" in text)
            if locale == "en-US"
            else ("状态 P" in text and "来源：P. Barham" in text)
        )
        assert figure.locator("button").inner_text() == "< 0.33"
        assert errors == []
        assert sorted(set(chinese)) == []
    finally:
        context.close()
