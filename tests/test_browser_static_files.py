"""In Chromium, with static files collected: the pages name hashed files, which the browser tests'
Daphne (ASGIStaticFilesHandler, the finders only) still serves; Admin → Hypervisors loads Plotly
and charts, Project → Overview draws its quota donuts as SVG without loading Plotly."""

import pytest
from django.core.management import call_command
from django.test import override_settings

from tests.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """Collected before this module's Daphne is forked, so it names the same hashed files."""
    with override_settings(STATIC_ROOT=tmp_path_factory.mktemp("static")):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield


def _static_requests(page):
    seen = []
    page.on("response", lambda r: seen.append((r.url, r.status)) if "/static/" in r.url else None)
    return seen


def test_hashed_names_are_served_and_only_hypervisors_loads_plotly(collected, browser, live_server_url, demo_cloud):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    seen = _static_requests(page)
    log_in(page, live_server_url, "ivy")
    page.goto(f"{live_server_url}/project/overview/")
    page.locator("#chart-ram svg[aria-label^='RAM: Used']").wait_for()
    assert page.locator("#limit-summary svg").count() == 3
    assert page.locator("#chart-instances text").text_content().endswith("%")
    assert not [url for url, _status in seen if "plotly" in url]

    page.goto(f"{live_server_url}/admin/hypervisors/")
    page.locator("#chart-memory .main-svg").first.wait_for()  # Plotly drew the chart
    plotly = [(url, status) for url, status in seen if "plotly" in url]
    assert len(plotly) == 1 and plotly[0][1] == 200
    assert "/static/vendor/plotly/plotly.min." in plotly[0][0] and not plotly[0][0].endswith("plotly.min.js")
    scripts = [url for url, _status in seen if url.endswith(".js")]
    assert scripts and all(status == 200 for _url, status in seen)
    assert all(url.rsplit("/", 1)[-1].count(".") >= 2 for url in scripts)  # name.<hash>.js everywhere
    context.close()
