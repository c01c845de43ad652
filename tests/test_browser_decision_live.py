"""Watching a live decision in Chromium never runs ahead of the funnel: the outcome appears with
the stage that decides it, a decision that has ended offers a replay and drops the Live badge,
and the launch notice's link opens the decision at its first stage, whenever it is clicked.

The real worker publishes the stages at the cloud's pace (a stage is half a pace unit)."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from cloudlab.compute.models import Cloud, Instance, SchedulingRecord
from cloudlab.engine.scheduler import replay_stages
from tests.helpers import log_in, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: Each time the view draws a stage: its index, whether the outcome badge is hidden, and what
#: the play button offers. Set before any script of the page runs.
RECORD_STAGES = """
window.__stages = [];
new MutationObserver(function () {
  var badge = document.getElementById("decision-outcome"), play = document.getElementById("play-toggle");
  window.__stages.push({ index: Number(document.body.dataset.stageIndex),
                         outcomeHidden: !badge || badge.classList.contains("d-none"),
                         action: play ? play.dataset.action : null });
}).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-stage-index"] });
"""

REPLAY = {"en-US": "Replay", "zh-CN": "回放"}


def _slow(cloud, pace):
    Cloud.objects.filter(pk=cloud.pk).update(pace=pace)


def _in_a_thread(call, *args, **kwargs):
    """Run ``call`` outside the test's thread: its events are sent after commit, which cannot be
    done from a thread where Playwright's event loop runs."""

    def run():
        try:
            return call(*args, **kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def _settle(instance, cloud):
    """Let the build finish quickly once the funnel has been watched (no task left behind)."""
    _slow(cloud, 0)
    wait_for(lambda: Instance.objects.get(pk=instance.pk).vm_state == "active", timeout=30)


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_a_live_decision_shows_its_outcome_last_then_offers_a_replay_without_the_live_badge(
    browser, live_server_url, celery_worker, demo_cloud, alice, launch, locale
):
    context = browser.new_context(locale=locale)
    context.add_init_script(RECORD_STAGES)
    page = context.new_page()
    log_in(page, live_server_url, "alice")
    _slow(demo_cloud, 1.0)  # 0.5 s a stage
    [instance] = _in_a_thread(launch, alice, name="watched", flavor="m1.small")
    page.goto(f"{live_server_url}/project/instances/{instance.uuid}/decision/")  # waits, then follows
    page.wait_for_selector("#play-toggle[data-action=pause]")
    assert page.locator("#live-indicator").is_visible()
    record = wait_for(lambda: SchedulingRecord.objects.filter(instance=instance).first())
    last = len(replay_stages(record.trace)) - 1
    page.wait_for_selector("#play-toggle[data-action=replay]", timeout=15000)
    assert page.locator("body").get_attribute("data-stage-index") == str(last)
    drawn = page.evaluate("window.__stages")
    before = [s for s in drawn if 0 <= s["index"] < last]
    assert before, drawn  # the page followed some stages before the end
    assert all(s["outcomeHidden"] for s in before), drawn
    assert page.locator("#decision-outcome").is_visible()
    assert page.locator("#play-toggle .cl-play-text").inner_text() == REPLAY[locale]
    assert not page.locator("#live-indicator").is_visible()
    assert not page.locator("#follow-live").is_visible()
    page.click("#play-toggle")  # the replay starts again from the first stage
    page.wait_for_selector("body[data-stage-index='0']")
    context.close()
    _settle(instance, demo_cloud)


def test_the_launch_notice_opens_the_decision_at_its_first_stage(browser, live_server_url, celery_worker, demo_cloud):
    context = browser.new_context(locale="en-US")
    context.add_init_script(RECORD_STAGES)
    page = context.new_page()
    log_in(page, live_server_url, "alice")
    _slow(demo_cloud, 1.0)
    page.click("#launch-button")
    page.fill("#launch-name", "watched")
    page.select_option("#launch-image", label="cirros (21 MB)")
    page.check("#flavor-1")
    page.click("#launch-submit")
    notice = page.locator(".cl-notice-link", has_text="watch the scheduler decide")
    notice.wait_for()
    instance = wait_for(lambda: Instance.objects.filter(name="watched").first())
    wait_for(lambda: SchedulingRecord.objects.filter(instance=instance).exists())
    page.wait_for_timeout(1600)  # the class's funnel is three stages in by now
    notice.click()
    page.wait_for_url("**/project/decisions/*/?from=start")
    # Polled from here (page.evaluate is not subject to the CSP; a string predicate would be eval).
    wait_for(lambda: any(s["index"] >= 2 for s in page.evaluate("window.__stages || []")), timeout=15)
    drawn = [s["index"] for s in page.evaluate("window.__stages") if s["index"] >= 0]
    shown = [index for k, index in enumerate(drawn) if k == 0 or index != drawn[k - 1]]  # a refetch redraws
    assert shown[:3] == [0, 1, 2], drawn
    context.close()
    _settle(instance, demo_cloud)
