"""The bridge page in Chromium, in both languages at 1024, 1366 and 1920 px: both columns and both
charts are drawn, the replica pills switch rows and charts, nothing lies off-screen, the
console stays quiet and the Chinese page says everything in Chinese (Kubernetes' and Nova's own
messages kept as they are)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cloudlab.compute.models import Flavor
from tests.helpers import log_in
from tests.test_browser_chinese import _allowed_words, chinese_text_problems
from tests.test_browser_fit import PROBLEMS_JS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1024, 1366, 1920)
#: Set to a folder to keep a full-page screenshot per language and width (for the docs).
SHOTS = os.environ.get("CLOUDLAB_SCREENSHOTS", "")
#: Kubernetes' words as the course keeps them (glossary-zh.md: Pod, Node, Kubernetes) and its
#: resource names and quantity units as kubectl prints them (cpu 500m, memory 512Mi).
KUBERNETES_WORDS = {"Kubernetes", "Pod", "Node", "cpu", "memory", "pods", "m", "Mi", "Ki", "Gi"}


def _problems(page, locale):
    problems = [f"fit: {p}" for p in page.evaluate(PROBLEMS_JS)]
    if locale == "zh-CN":
        words = _allowed_words() | KUBERNETES_WORDS
        # the sidebar is base.html's (the Chinese page walk checks it); this test reads the page
        problems += [p for p in chinese_text_problems(page, words) if " in a.cl-panel:" not in p]
    return problems


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_both_schedulers_side_by_side_with_charts(browser, live_server_url, demo_cloud, locale):
    context = browser.new_context(locale=locale, viewport={"width": WIDTHS[0], "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, live_server_url, "alice")
    large = Flavor.objects.get(cloud=demo_cloud, name="m1.large").flavorid
    page.goto(f"{live_server_url}/project/kubernetes/bridge/?flavor={large}&anti_affinity=on&members=3")
    page.wait_for_selector("#bridge-chart-nova-0 .main-svg")
    page.wait_for_selector("#bridge-chart-kube-0 .main-svg")
    first = page.locator('.cl-bridge-replica[data-replica="0"]')
    assert first.locator('.cl-bridge-cell[data-side="nova"] [data-stage="RamFilter"]').count() == 1
    assert (
        first.locator('.cl-bridge-cell[data-side="kube"] [data-stage="NodeResourcesFit"]').count() == 2
    )  # filter, score
    # m1.large fits Nova's RAM × 1.5 on the 8 GB hosts but not their allocatable
    out = first.locator('.cl-bridge-cell[data-side="kube"] [data-stage="NodeResourcesFit"] .cl-bridge-out')
    assert "Insufficient memory" in out.first.inner_text()
    assert first.locator(".cl-bridge-note").count() >= 4

    # the third replica: Nova still finds a host, the pod stays Pending
    page.click('#bridge-replicas [data-replica="2"]')
    third = page.locator('.cl-bridge-replica[data-replica="2"]')
    third.wait_for(state="visible")
    assert not first.is_visible()
    assert third.locator(".nova-selected").count() == 1
    assert "0/4 nodes are available:" in third.locator(".kube-message").inner_text()
    page.wait_for_selector("#bridge-chart-nova-2 .main-svg")

    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.wait_for_timeout(200)
        for replica in ("2", "0"):
            page.click(f'#bridge-replicas [data-replica="{replica}"]')
            page.wait_for_timeout(100)
            problems = _problems(page, locale)
            assert problems == [], "\n".join([f"{width} {locale} {replica}", *problems])
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            height = page.evaluate("document.documentElement.scrollHeight")
            for i, y in enumerate(range(0, height, 800)):
                page.evaluate(f"window.scrollTo(0, {y})")
                page.screenshot(path=f"{SHOTS}/bridge-{locale}-{width}-{i}.png")
            page.evaluate("window.scrollTo(0, 0)")
    assert errors == []

    # bad input: the form says why, the page still fits
    page.goto(f"{live_server_url}/project/kubernetes/bridge/?anti_affinity=on&members=42")
    assert page.locator("#bridge-error").is_visible()
    assert page.locator("#bridge-members.is-invalid").count() == 1
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.wait_for_timeout(150)
        assert _problems(page, locale) == [], (width, locale, "bad input")
    # the browser reports the page's own 400 as a failed load, and nothing else
    assert [e for e in errors if "status of 400" not in e] == []
    context.close()
