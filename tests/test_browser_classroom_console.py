"""The instructor console in two Chromium contexts (issue 13): the instructor starts a session on a
fresh copy of the demo scenario and opens the console; alice joins by code and opens her
Instances panel. The instructor freezes launches and her Launch dialog shows the refusal naming
the freeze, in her language; unfrozen, the same launch goes through, and her heat-map tile on the
console (never reloaded) counts the instance by state. Each width (1024, 1366, 1920) in English
and Chinese over the tests: no element of the console off-screen, no English on the Chinese one.

After "Reset to the scenario", alice's open Instances page empties and her session page reads
its snapshot again, without a reload."""

import pytest
from playwright.sync_api import expect

from cloudlab.classroom.models import ClassSession, Participant, State
from cloudlab.classroom.sessions import join, set_state, start_session
from cloudlab.compute.models import Instance
from tests.helpers import log_in, wait_for
from tests.test_browser_chinese import _allowed_words, chinese_text_problems
from tests.test_browser_fit import PROBLEMS_JS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en-US": {"frozen": "Launches are frozen", "running": "Running", "frozen_badge": "Frozen"},
    "zh-CN": {"frozen": "启动已冻结", "running": "进行中", "frozen_badge": "已冻结"},
}


def _console_problems(page, locale):
    """What the fit walk and the Chinese walk would say of the console as it stands."""
    problems = [f"fit: {p}" for p in page.evaluate(PROBLEMS_JS)]
    if locale == "zh-CN":
        problems += chinese_text_problems(page, _allowed_words())
    return problems


def _fill_launch(page, name):
    page.click("#launch-button")
    page.wait_for_selector("#launch-modal.show #launch-flavors tbody tr")
    page.fill("#launch-name", name)
    page.select_option("#launch-image", page.locator("#launch-image option", has_text="cirros").get_attribute("value"))
    page.check("#launch-flavors tr[data-flavor='m1.tiny'] input")


@pytest.mark.timeout(240)
@pytest.mark.parametrize(("locale", "width"), [("en-US", 1024), ("zh-CN", 1366), ("zh-CN", 1920)])
def test_the_console_freezes_launches_and_the_heatmap_follows_a_launch(
    browser, live_server_url, celery_worker, demo_cloud, locale, width
):
    words = WORDS[locale]
    viewport = {"width": width, "height": 800}
    teacher = browser.new_context(locale=locale, viewport=viewport, timezone_id="Asia/Shanghai").new_page()
    student = browser.new_context(locale=locale, viewport=viewport, timezone_id="Asia/Shanghai").new_page()
    try:
        log_in(teacher, live_server_url, "ivy")
        teacher.goto(f"{live_server_url}/classroom/")
        teacher.fill("#session-name", "Lecture 6")
        teacher.select_option("#session-source", "scenario:demo")
        teacher.fill("#session-pace", "0")
        teacher.click("#start-session")
        code = teacher.locator("#join-code").inner_text().strip()
        session = ClassSession.objects.get()
        teacher.click("#open-console")
        teacher.wait_for_selector("#live-indicator[data-state=live]")
        teacher.click("#unfreeze-button")  # in the lobby it starts the session
        expect(teacher.locator("#session-state")).to_have_text(words["running"])

        log_in(student, live_server_url, "alice")
        student.goto(f"{live_server_url}/join/")
        student.fill("#join-code-input", code)
        student.click("#join-code-submit")
        student.click("#join-submit")
        student.wait_for_selector("#my-nickname")
        participant = Participant.objects.get(session=session)
        student.click("#open-instances")
        student.wait_for_selector("#instances-table")
        student.wait_for_selector("#live-indicator[data-state=live]")

        teacher.click("#freeze-button")
        expect(teacher.locator("#session-state")).to_have_text(words["frozen_badge"])
        _fill_launch(student, "web")
        student.click("#launch-submit")
        refusal = student.locator("#launch-error")
        expect(refusal).to_be_visible()
        expect(refusal).to_contain_text(words["frozen"])
        expect(refusal).to_contain_text("Lecture 6")
        assert not Instance.objects.filter(project=participant.project).exists()

        teacher.click("#unfreeze-button")
        expect(teacher.locator("#session-state")).to_have_text(words["running"])
        tile = teacher.locator(f"#heatmap [data-participant='{participant.pk}']")
        expect(tile).to_have_attribute("data-heat", "idle")
        teacher.wait_for_selector("#live-indicator[data-state=live]")
        reloads = []
        teacher.on("framenavigated", lambda frame: reloads.append(frame.url))

        student.click("#launch-submit")  # the same dialog, the same choices, now let through
        row = student.locator("#instances-table tbody tr", has_text="web")
        row.locator("[data-status=ACTIVE]").wait_for(timeout=20000)
        expect(tile.locator("[data-vm-state=active]")).to_have_text("active 1")
        expect(tile).to_have_attribute("data-heat", "active")
        assert reloads == []  # the tile moved because events arrived

        problems = _console_problems(teacher, locale)
        assert not problems, f"the console at {width} px ({locale}):\n  " + "\n  ".join(problems)
    finally:
        teacher.context.close()
        student.context.close()


@pytest.mark.timeout(240)
@pytest.mark.parametrize(("locale", "width"), [("zh-CN", 1024), ("en-US", 1366), ("en-US", 1920)])
def test_a_students_open_instances_page_empties_after_a_reset(
    browser, live_server_url, celery_worker, demo_cloud, ivy, alice, locale, width
):
    session = start_session(
        ivy, scenario="demo", name="Lecture 7", pace=0, quota={"instances": 3, "cores": 8, "ram": 16384}
    )
    set_state(session, State.RUNNING, ivy)
    participant = join(session, user=alice)
    from cloudlab.compute.actions import launch as launching
    from cloudlab.compute.models import Flavor, Image

    project = participant.project
    request = launching.check_launch(
        alice,
        project,
        name="web",
        count=1,
        image_id=str(Image.objects.get(cloud=project.cloud, name="cirros").uuid),
        flavor_id=Flavor.objects.get(cloud=project.cloud, name="m1.tiny").flavorid,
    )
    [web] = launching.do_launch(alice, request)
    wait_for(lambda: Instance.objects.get(pk=web.pk).vm_state == "active", timeout=20)

    viewport = {"width": width, "height": 800}
    teacher = browser.new_context(locale=locale, viewport=viewport, timezone_id="Asia/Shanghai").new_page()
    context = browser.new_context(locale=locale, viewport=viewport, timezone_id="Asia/Shanghai")
    instances, session_page = context.new_page(), context.new_page()
    try:
        log_in(instances, live_server_url, "alice")
        instances.goto(f"{live_server_url}/classroom/{session.pk}/me/")
        instances.click("#open-instances")  # her session project's Instances panel
        instances.wait_for_selector(f"#instances-table tbody tr[data-id='{web.uuid}']")
        instances.wait_for_selector("#live-indicator[data-state=live]")
        session_page.goto(f"{live_server_url}/classroom/{session.pk}/me/")
        session_page.wait_for_selector("#live-indicator[data-state=live]")
        reloads = []
        for page in (instances, session_page):
            page.on("framenavigated", lambda frame: reloads.append(frame.url))

        log_in(teacher, live_server_url, "ivy")
        teacher.goto(f"{live_server_url}/classroom/{session.pk}/console/")
        teacher.on("dialog", lambda dialog: dialog.accept())
        with session_page.expect_response(lambda r: r.url.endswith(f"/classroom/{session.pk}/snapshot.json")):
            teacher.click("#reset-button")
            teacher.wait_for_selector(".alert-success")
        expect(instances.locator("#instances-table tbody tr")).to_have_count(0)
        expect(instances.locator("#instances-empty")).to_be_visible()
        assert not Instance.objects.filter(project=project).exists()
        assert reloads == []
        expect(teacher.locator(f"#heatmap [data-participant='{participant.pk}']")).to_have_attribute(
            "data-heat", "idle"
        )
    finally:
        teacher.context.close()
        context.close()
