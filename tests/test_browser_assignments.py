"""A student in Chromium at 1366 px, in English and in Chinese, opens a published assignment,
checks her work (web-1 missing), opens her sandbox in the dashboard (the banner names the
assignment), launches web-1 and shuts it off through the Instances panel (the real worker
paces it), checks again and reads the feedback change to a pass."""

import pytest
from django.conf import settings

from cloudlab.assignments.loader import load_assignment
from cloudlab.assignments.work import do_publish
from tests.helpers import click_row_action, log_in
from tests.test_assignments_work import EXAMPLE

# The example's scenario presets usage on compute2 that no instance accounts for (on purpose).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.books_unbalanced]


@pytest.fixture(scope="module", autouse=True)
def _quick_pace():
    """Sandboxes are created with ``CLOUDLAB_PACE``: quick enough for CI, set before Daphne forks."""
    saved = settings.CLOUDLAB_PACE
    settings.CLOUDLAB_PACE = 0.2
    yield
    settings.CLOUDLAB_PACE = saved


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        (
            "en-US",
            {
                "check": "Check my work",
                "missing": "Expected instance web-1, but there is none.",
                "passes": "Instance web-1 has status = SHUTOFF, as required.",
                "hidden": "1 hidden task, graded after the due date (2 points)",
            },
        ),
        (
            "zh-CN",
            {
                "check": "检查我的作业",
                "missing": "应当有实例 web-1，但没有找到。",
                "passes": "实例 web-1 满足 status = SHUTOFF，符合要求。",
                "hidden": "1 项隐藏任务，截止后评分（共 2 分）",
            },
        ),
    ],
)
def test_a_student_works_the_assignment_and_sees_the_feedback_change(
    browser, live_server_url, celery_worker, demo_cloud, ivy, locale, words
):
    do_publish(ivy, load_assignment(EXAMPLE), demo_cloud)
    context = browser.new_context(locale=locale, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    log_in(page, live_server_url, "alice")
    page.click("#sidebar-assignments")
    page.click("#my-assignments a")
    page.wait_for_selector("#assignment-title")
    assert page.locator("#check-my-work").inner_text().strip() == words["check"]
    assert page.locator("#hidden-tasks").inner_text().strip() == words["hidden"]

    page.click("#check-my-work")
    stopped = page.locator("#task-list li[data-task=stopped] .cl-feedback")
    assert stopped.get_attribute("data-passed") == "false"
    assert words["missing"] in stopped.inner_text()

    page.click("#open-sandbox")
    page.wait_for_selector("#instances-table")
    assert page.locator("#assignment-banner").is_visible()
    page.wait_for_selector("#live-indicator[data-state=live]")
    page.click("#launch-button")
    page.fill("#launch-name", "web-1")
    cirros = page.locator("#launch-image option", has_text="cirros").get_attribute("value")
    page.select_option("#launch-image", cirros)
    page.check("#flavor-2")  # m1.small
    page.click("#launch-submit")
    row = page.locator("#instances-table tbody tr", has_text="web-1")
    row.locator("[data-status=ACTIVE]").wait_for(timeout=30000)
    click_row_action(row, "stop")
    page.click("#action-confirm")
    row.locator("[data-status=SHUTOFF]").wait_for(timeout=30000)

    page.click("#banner-open-assignment")
    page.click("#check-my-work")
    stopped = page.locator("#task-list li[data-task=stopped] .cl-feedback")
    assert stopped.get_attribute("data-passed") == "true"
    assert words["passes"] in stopped.inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1366, f"the page scrolls sideways ({width} px)"
    context.close()


@pytest.mark.parametrize("width", [1024, 1920])
def test_the_assignment_page_and_the_gradebook_fit_the_screen(browser, live_server_url, demo_cloud, ivy, width):
    do_publish(ivy, load_assignment(EXAMPLE), demo_cloud)
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    for user, path, selector in (
        ("alice", "/assignments/example-scheduler/", "#check-my-work"),
        ("ivy", "/assignments/example-scheduler/manage/", "#gradebook"),
    ):
        page = context.new_page()
        log_in(page, live_server_url, user)
        page.goto(f"{live_server_url}{path}")
        page.wait_for_selector(selector)
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"{path} scrolls sideways at {width} px ({scroll} px)"
        page.context.clear_cookies()
        page.close()
    context.close()
