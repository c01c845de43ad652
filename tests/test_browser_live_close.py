"""The live indicator in Chromium when the socket closes: logged out in another tab, the page says
"log in again" in the reader's language (with a link to the login page) and never reconnects;
a network loss or a server restart (1006, 1011, 1012) is retried, the page saying so.

Time is Playwright's clock: the test runs the page's timers a minute ahead instead of waiting,
so "never reconnects" is a count of sockets after every retry the page could have made."""

import pytest

from tests.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOGGED_OUT = {
    "en-US": "Your session has ended: log in again to see live updates.",
    "zh-CN": "你的会话已结束：请重新登录以查看实时更新。",
}
LOG_IN = {"en-US": "Log in", "zh-CN": "登录"}
RECONNECTING = {"en-US": "Reconnecting…", "zh-CN": "正在重新连接…"}
LIVE_SOCKET = "**/ws/live/**"
A_MINUTE = 60_000  # ms: more than every back-off the page could wait (1, 2, 4, 8, 15 s …)


def _sockets(page):
    opened = []
    page.on("websocket", lambda ws: opened.append(ws) if "/ws/live/" in ws.url else None)
    return opened


def _indicator_fits(page):
    """The indicator's words stay on the header line and inside the window."""
    box = page.locator("#live-indicator").bounding_box()
    launch = page.locator("#launch-button").bounding_box()
    width = page.viewport_size["width"]
    assert box["x"] + box["width"] <= width, "the indicator runs out of the window"
    assert box["x"] + box["width"] <= launch["x"], "the indicator runs under the Launch button"


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
@pytest.mark.parametrize("width", [1024, 1366, 1920])
def test_a_page_logged_out_elsewhere_says_log_in_again_and_stops(
    browser, live_server_url, demo_cloud, locale, width
):
    context = browser.new_context(locale=locale, viewport={"width": width, "height": 800})
    context.clock.install()
    page = context.new_page()
    log_in(page, live_server_url, "alice")
    page.wait_for_selector("#live-indicator[data-state=live]")
    sockets = _sockets(page)

    other_tab = context.new_page()
    other_tab.goto(f"{live_server_url}/")
    other_tab.locator(".dropdown-toggle", has_text="alice").click()
    other_tab.click("#logout-button")
    other_tab.wait_for_url("**/auth/login/**")

    indicator = page.locator("#live-indicator[data-state=closed]")
    indicator.wait_for(timeout=10000)
    assert indicator.get_attribute("data-close-code") == "4401"
    assert indicator.locator(".cl-live-text").inner_text() == LOGGED_OUT[locale]
    login = indicator.locator("a.cl-live-login")
    assert login.is_visible() and login.inner_text() == LOG_IN[locale]
    assert login.get_attribute("href").startswith("/auth/login/?next=")
    _indicator_fits(page)

    page.clock.run_for(A_MINUTE)
    assert sockets == [], "the page reconnected after the server said the session had ended"
    assert indicator.locator(".cl-live-text").inner_text() == LOGGED_OUT[locale]

    login.click()
    page.wait_for_url("**/auth/login/?next=**")
    context.close()


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
@pytest.mark.parametrize("code", [1006, 1011, 1012])
def test_a_network_loss_or_a_server_restart_is_retried(browser, live_server_url, demo_cloud, locale, code):
    """The first socket is closed as a broken network (1006), a server error (1011) or a restart
    (1012) would; the page says it reconnects, does, and is live again."""
    context = browser.new_context(locale=locale, viewport={"width": 1024, "height": 800})
    context.clock.install()
    page = context.new_page()
    attempts = []

    def first_one_fails(ws):
        attempts.append(ws.url)
        if len(attempts) == 1:
            ws.close(code=code)
        else:
            ws.connect_to_server()

    page.route_web_socket(LIVE_SOCKET, first_one_fails)
    log_in(page, live_server_url, "alice")
    offline = page.locator("#live-indicator[data-state=offline]")
    offline.wait_for(timeout=10000)
    assert offline.inner_text().strip() == RECONNECTING[locale]
    assert not page.locator("#live-indicator a.cl-live-login").is_visible()
    page.clock.run_for(A_MINUTE)
    page.wait_for_selector("#live-indicator[data-state=live]", timeout=10000)
    assert len(attempts) == 2
    context.close()


def test_a_forbidden_stream_says_so_and_stops(browser, live_server_url, demo_cloud):
    """4403 (a membership lost while the page was open) is final too, without the login link."""
    context = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 800})
    context.clock.install()
    page = context.new_page()
    attempts = []

    def forbidden(ws):
        attempts.append(ws.url)
        ws.close(code=4403)

    page.route_web_socket(LIVE_SOCKET, forbidden)
    log_in(page, live_server_url, "alice")
    indicator = page.locator("#live-indicator[data-state=closed]")
    indicator.wait_for(timeout=10000)
    assert indicator.inner_text().strip() == "You may not follow these updates."
    assert not indicator.locator("a.cl-live-login").is_visible()
    page.clock.run_for(A_MINUTE)
    assert len(attempts) == 1
    context.close()
