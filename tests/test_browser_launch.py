"""A student in Chromium: log in, launch `test` from cirros with m1.tiny, and watch the row go
from Build to Active/Running without a reload. The page follows the browser's language."""

import pytest

from tests.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_student_launches_and_watches_the_row_reach_active(browser, live_server_url, celery_worker, demo_cloud):
    demo_cloud.pace = 0.3  # slow enough to see the build steps, fast enough for CI
    demo_cloud.save()
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    log_in(page, live_server_url, "alice")
    page.wait_for_selector("#live-indicator[data-state=live]")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    page.click("#launch-button")
    page.fill("#launch-name", "test")
    page.select_option("#launch-image", label="cirros (21 MB)")
    page.check("#flavor-1")  # m1.tiny
    page.click("#launch-submit")

    row = page.locator("#instances-table tbody tr", has_text="test")
    row.locator("[data-status=BUILD]").wait_for(timeout=10000)
    row.locator("[data-status=ACTIVE]").wait_for(timeout=20000)
    assert row.locator(".cl-power").inner_text() == "Running"
    assert row.locator(".cl-task").inner_text() == "None"
    assert row.locator(".cl-ip").inner_text() == "10.0.0.3"
    assert row.locator(".cl-flavor").inner_text() == "m1.tiny"
    assert navigations == []  # no reload: the row moved because events arrived
    context.close()


def test_greyed_out_flavors_say_why(browser, live_server_url, demo_cloud):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    log_in(page, live_server_url, "alice")
    page.click("#launch-button")
    page.select_option("#launch-image", label="ubuntu (660 MB)")
    nano = page.locator("#launch-flavors tr[data-flavor='m1.nano']")
    assert nano.locator("input").is_disabled()
    assert "needs at least 512 MB (min_ram)" in nano.inner_text()
    assert page.locator("#flavor-3").is_enabled()  # m1.medium boots ubuntu
    context.close()


def test_the_page_is_chinese_when_the_browser_asks_for_it(browser, live_server_url, demo_cloud):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server_url}/auth/login/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("h1").inner_text() == "登录"
    log_in(page, live_server_url, "alice")
    assert page.locator("h1").inner_text() == "实例"
    assert page.locator("#launch-button").inner_text().strip() == "启动实例"
    context.close()


def test_the_language_switcher_changes_the_page(browser, live_server_url, demo_cloud):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    log_in(page, live_server_url, "alice")
    assert page.locator("h1").inner_text() == "Instances"
    page.select_option("#language-picker", "zh-hans")  # the form posts itself; the page comes back in Chinese
    page.locator("h1", has_text="实例").wait_for(timeout=15000)
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    context.close()
