"""Replay a past launch's flow in Chromium, in English and Chinese: from the instance page's action
log, the create event's flow link opens the replay; Play fills the sequence diagram in the flow
engine's order (the reference's table) while the messages cross the deployment view."""

import pytest

from cloudlab.compute.models import Instance
from cloudlab.engine import flow
from cloudlab.engine.lifecycle import BUILD, VmState
from tests.helpers import log_in, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {"en-US": ("Play", "Replay"), "zh-CN": ("播放", "回放")}


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_a_past_launch_replays_from_its_action_log(browser, live_server_url, alice, launch, celery_worker, locale):
    [instance] = launch(alice, name="replayed")
    wait_for(lambda: Instance.objects.get(pk=instance.pk).vm_state == VmState.ACTIVE)
    action = instance.actions.get(action="create")
    wait_for(lambda: type(action).objects.get(pk=action.pk).finish_time is not None)
    expected = [m.name for m in flow.flow(BUILD, action.context["flow"]["era"]).messages]
    context = browser.new_context(locale=locale, viewport={"width": 1366, "height": 900})
    context.clock.install()  # the replay's 0.6 s a message, played on Playwright's clock
    try:
        page = context.new_page()
        log_in(page, live_server_url, "alice")
        page.goto(f"{live_server_url}/project/instances/{instance.uuid}/")
        page.click("#tab-log-button")
        # the create action's first event links to the action's flow
        page.click("#action-log tr[data-action=create] + tr[data-event] a.cl-event-flow")
        page.wait_for_selector("#flow-play")
        assert action.request_id in page.url
        play_word, replay_word = WORDS[locale]
        assert page.text_content("#flow-play .cl-play-text") == play_word
        assert page.locator("#flow .cl-flow-log li").count() == 0
        page.click("#flow-play")
        page.clock.run_for(600)
        assert 1 <= page.locator("#flow .cl-flow-log li").count() < len(expected)  # one at a time
        page.clock.run_for(len(expected) * 600)
        page.wait_for_selector(f"#flow .cl-flow-log li:nth-child({len(expected)})")
        page.wait_for_function("document.querySelector('#flow-play').getAttribute('aria-pressed') === 'false'")
        assert page.locator("#flow .cl-flow-log li code.cl-flow-msgname").all_text_contents() == expected
        assert page.text_content("#flow-play .cl-play-text") == replay_word
        assert int(page.get_attribute("#deployment-svg", "data-sent")) == len(expected)
        # the scheduler's messages open the decision's funnel
        funnel = page.get_attribute("#flow .cl-flow-log a.cl-flow-funnel", "href")
        assert funnel and "/project/decisions/" in funnel
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()
