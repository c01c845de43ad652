"""Server groups in Chromium, in both languages at 1024, 1366 and 1920 px: the Server Groups
panel fits and says everything in the page's language, a group made there is offered by the
Launch dialog, the launched instance joins it, and its page names the group."""

from __future__ import annotations

import pytest

from cloudlab.compute.models import Instance, ServerGroup
from tests.helpers import log_in, wait_for
from tests.test_browser_chinese import _allowed_words, chinese_text_problems
from tests.test_browser_fit import PROBLEMS_JS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1024, 1366, 1920)
NAMES = {"en-US": "spread", "zh-CN": "分散组"}


def _problems(page, locale):
    problems = [f"fit: {p}" for p in page.evaluate(PROBLEMS_JS)]
    if locale == "zh-CN":
        problems += chinese_text_problems(page, _allowed_words())
    return problems


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_panel_fits_and_a_launch_joins_the_group(browser, live_server_url, demo_cloud, locale):
    context = browser.new_context(locale=locale, viewport={"width": WIDTHS[0], "height": 768})
    page = context.new_page()
    log_in(page, live_server_url, "alice")
    page.goto(f"{live_server_url}/project/server-groups/")
    page.fill("#group-name", NAMES[locale])
    page.select_option("#group-policy", "anti-affinity")
    page.fill("#group-max", "2")
    page.click("#group-create")
    page.wait_for_selector("#server-groups-table tr[data-group]")
    group = ServerGroup.objects.get()
    assert group.rules == {"max_server_per_host": 2}
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 768})
        page.wait_for_timeout(150)
        assert _problems(page, locale) == [], (width, locale)

    page.goto(f"{live_server_url}/project/instances/")
    page.click("#launch-button")
    page.wait_for_selector("#launch-modal.show #launch-flavors tbody tr")
    page.fill("#launch-name", "grouped")
    page.select_option("#launch-image", page.locator("#launch-image option", has_text="cirros").get_attribute("value"))
    page.check("#launch-flavors tr[data-flavor='m1.tiny'] input")
    page.select_option("#launch-server-group", str(group.uuid))
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 768})
        page.wait_for_timeout(150)
        assert _problems(page, locale) == [], (width, locale, "launch dialog")
    page.click("#launch-submit")
    instance = wait_for(lambda: Instance.objects.filter(name="grouped").first())
    assert list(group.live_members()) == [instance]

    page.goto(f"{live_server_url}/project/instances/{instance.uuid}/")
    line = page.locator("#detail-server-group [data-field=server_group]")
    assert NAMES[locale] in line.inner_text()
    assert ("anti-affinity" if locale == "en-US" else "反亲和性") in line.inner_text()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 768})
        page.wait_for_timeout(150)
        assert [p for p in _problems(page, locale) if "server" in p.lower() or "组" in p] == [], (width, locale)
    context.close()
