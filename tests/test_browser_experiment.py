"""A student in Chromium at 1366 px runs the VM vs Container experiment, in English and in
Chinese, and watches the charts fill from the live stream: points per started copy, the active
count beside the model's density, the factors with "no data" where the model has none, and every
hover naming a source."""

import pytest
from django.conf import settings

from tests.helpers import log_in, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHARTS = ("chart-start", "chart-overhead", "chart-density", "chart-factors")

#: What Plotly holds for each chart: per trace its role, kind, number of points and hover texts.
TRACES = (
    "() => Object.fromEntries(" + repr(list(CHARTS)) + ".map(id => [id, (document.getElementById(id).data || [])"
    ".map(t => ({role: (t.meta || {}).role, kind: (t.meta || {}).kind, points: (t.y || []).length,"
    " hover: t.hovertext || [], text: t.text || []}))]))"
)


@pytest.fixture(scope="module", autouse=True)
def _quick_pace():
    """A pace the builds can be watched at, set before the module's Daphne is forked (its runs
    create clouds with ``CLOUDLAB_PACE``)."""
    saved = settings.CLOUDLAB_PACE
    settings.CLOUDLAB_PACE = 0.2
    yield
    settings.CLOUDLAB_PACE = saved


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("en-US", {"title": "VM vs Container", "no_data": "no data", "source": "Source:"}),
        ("zh-CN", {"title": "虚拟机与容器", "no_data": "无数据", "source": "来源："}),
    ],
)
def test_a_student_runs_the_experiment_and_watches_the_charts_fill(
    browser, live_server_url, celery_worker, demo_cloud, locale, words
):
    context = browser.new_context(locale=locale, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    log_in(page, live_server_url, "alice")
    page.goto(f"{live_server_url}/learn/vm-vs-container/")
    assert page.locator("h1").inner_text() == words["title"]
    before = page.evaluate(TRACES)
    assert all(traces == [] for traces in before.values()), before  # nothing charted before a run

    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.fill("#experiment-copies", "3")
    page.click("#experiment-run")
    page.wait_for_selector("#live-indicator[data-state=live]")
    page.wait_for_selector("#experiment-status[data-settled=true]", timeout=60000)
    traces = wait_for(lambda: (t := page.evaluate(TRACES)) and all(t[c] for c in CHARTS) and t, timeout=20)

    start = [t for t in traces["chart-start"] if t["role"] == "copies"]
    assert sorted(t["kind"] for t in start) == ["container", "microvm", "type1", "type2"]
    assert all(t["points"] == 3 for t in start)  # one point per copy that became ACTIVE
    density = {t["kind"]: t for t in traces["chart-density"] if t["role"] == "launched"}
    assert len(density) == 4 and all(t["text"] == ["3"] for t in density.values())
    no_data = [t for t in traces["chart-factors"] if t["role"] == "no-data"]
    assert any(t["kind"] == "type2" and words["no_data"] in t["text"] for t in no_data)
    for chart, chart_traces in traces.items():
        for trace in chart_traces:
            assert trace["hover"], f"{chart}: a trace without hover text"
            assert all(words["source"] in h for h in trace["hover"]), f"{chart}: a hover that names no source"
    assert any("Felter 2014" in h for t in traces["chart-factors"] for h in t["hover"])
    rows = page.locator("#experiment-hosts tbody tr")
    assert rows.count() == 4 and rows.nth(0).locator(".cl-active").inner_text() == "3"
    assert not page.locator("#experiment-error").is_visible()
    assert navigations == []  # the charts filled from the stream, without a reload
    context.close()


def test_a_count_out_of_range_is_refused_in_the_page(browser, live_server_url, demo_cloud):
    context = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    log_in(page, live_server_url, "alice")
    page.goto(f"{live_server_url}/learn/vm-vs-container/")
    page.fill("#experiment-copies", "99")
    page.click("#experiment-run")
    error = page.locator("#experiment-error")
    error.wait_for()
    assert "you asked for 99" in error.inner_text()
    assert page.locator("#experiment-copies").get_attribute("aria-invalid") == "true"
    context.close()
