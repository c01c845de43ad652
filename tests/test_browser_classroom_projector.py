"""The projector view in Chromium at 1920×1080 and 1366×768, in English and Chinese: a student
of the session launches (the real worker, the cloud at a slow pace) and, without a reload, the
host the scheduler chose shows one more vCPU used and one more instance, the latest decision's
funnel plays to its outcome and the feed gets a line naming the student by nickname. The page
never scrolls sideways and its text is large enough for a lecture hall."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from playwright.sync_api import expect

from cloudlab.classroom.sessions import join, start_session
from cloudlab.compute.actions import launch as launching
from cloudlab.compute.models import Cloud, Flavor, Image, Instance, SchedulingRecord
from tests.helpers import log_in, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en-US": {"launched": "Li Lei launched web (m1.tiny)", "placed": "placed on", "hosts": "Hosts"},
    "zh-CN": {"launched": "Li Lei 启动了实例 web（m1.tiny）", "placed": "放置在", "hosts": "主机"},
}


def _in_a_thread(call, *args, **kwargs):
    """Run ``call`` outside the test's thread: its events are sent after commit, which cannot be
    done from the thread where Playwright's event loop runs."""

    def run():
        try:
            return call(*args, **kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def _session(ivy, cloud):
    session = start_session(ivy, cloud=cloud, name="Lecture 5", quota={"instances": 3, "cores": 4, "ram": 4096})
    return session, join(session, nickname="Li Lei")


def _launch(participant):
    project = participant.project
    request = launching.check_launch(
        participant.user,
        project,
        name="web",
        count=1,
        image_id=str(Image.objects.get(cloud=project.cloud, name="cirros").uuid),
        flavor_id=Flavor.objects.get(cloud=project.cloud, name="m1.tiny").flavorid,
    )
    [instance] = launching.do_launch(participant.user, request)
    return instance


@pytest.mark.parametrize(
    "viewport", [{"width": 1920, "height": 1080}, {"width": 1366, "height": 768}], ids=["1920", "1366"]
)
@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_a_student_launch_fills_a_host_and_reaches_the_feed_live(
    browser, live_server_url, celery_worker, demo_cloud, ivy, locale, viewport
):
    words = WORDS[locale]
    session, student = _in_a_thread(_session, ivy, demo_cloud)
    Cloud.objects.filter(pk=demo_cloud.pk).update(pace=0.4)  # the funnel plays for a few seconds
    page = browser.new_context(locale=locale, viewport=viewport).new_page()
    try:
        log_in(page, live_server_url, "ivy")
        page.goto(f"{live_server_url}/classroom/{session.pk}/projector/")
        page.wait_for_selector("#live-indicator[data-state=live]")
        expect(page.locator("#hosts-title")).to_contain_text(words["hosts"])
        expect(page.locator("#projector-code")).to_have_text(session.code)
        expect(page.locator("#feed-empty")).to_be_visible()
        cards = page.locator("#projector-hosts [data-host]").all()
        used_before = {
            h.get_attribute("data-host"): int(h.locator("[data-resource=vcpus]").get_attribute("data-used"))
            for h in cards
        }
        held_before = {h.get_attribute("data-host"): int(h.get_attribute("data-instances")) for h in cards}
        assert len(used_before) == demo_cloud.hosts.count()

        instance = _in_a_thread(_launch, student)
        record = wait_for(lambda: SchedulingRecord.objects.filter(instance=instance).first(), timeout=30)
        host = record.selected_host
        assert host

        # The latest decision's funnel plays to its outcome, then the feed tells it.
        decision = page.locator("#projector-decision")
        expect(decision).to_have_attribute("data-record", str(record.pk), timeout=15000)
        expect(decision).to_have_attribute("data-ended", "1", timeout=15000)
        expect(page.locator("#decision-outcome")).to_be_visible()
        line = page.locator(f"#projector-feed [data-record='{record.pk}']")
        expect(line).to_have_attribute("data-outcome", "claimed", timeout=15000)
        expect(line).to_contain_text(words["launched"])
        expect(line).to_contain_text(f"{words['placed']} {host}")
        expect(page.locator("#feed-empty")).to_be_hidden()

        # The chosen host's bar grew by the flavor's vCPU, without a reload.
        card = page.locator(f"#projector-hosts [data-host='{host}']")
        expect(card.locator("[data-resource=vcpus]")).to_have_attribute("data-used", str(used_before[host] + 1))
        expect(card).to_have_attribute("data-instances", str(held_before[host] + 1))
        wait_for(lambda: Instance.objects.get(pk=instance.pk).vm_state == "active", timeout=30)
        active = Instance.objects.filter(host__name=host, cloud=demo_cloud, vm_state="active").count()
        expect(card.locator("[data-status=ACTIVE] strong")).to_have_text(str(active), timeout=15000)

        # Whole on the screen, and readable from the back of the hall.
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        for selector in ("#projector-feed li", ".cl-pj-host-name", ".cl-pj-res-text", "#stage-caption"):
            size = page.locator(selector).first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
            assert size >= 16, (selector, size)
        assert page.locator("#projector-code").evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 40
        box = page.locator("#projector-join").bounding_box()
        assert box["x"] + box["width"] <= viewport["width"] and box["y"] < 120  # a corner, on screen
    finally:
        page.context.close()
        Cloud.objects.filter(pk=demo_cloud.pk).update(pace=0)
