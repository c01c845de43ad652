"""A Service's page in Chromium, in English (walked at 1024 px) and Chinese (at 1920 px), each then
resized to the other widths: the rules wrap inside the page, "Send a request" plays the server's
walk until the packet reaches an endpoint pod, and the page follows the cluster live: a pod that
becomes an endpoint appears in the Endpoints and in the chain (probabilities 1/4 … 1/2 for four
endpoints), with no console error; a Service without endpoints refuses the request (REJECT), and
its deletion is shown live.

The cluster is an engine state written through ``cloudlab.kube.store`` (the helpers of
tests/test_kube_service_page.py); the new endpoint is published as the loop publishes a round."""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from cloudlab.kube import clusters
from tests.helpers import log_in
from tests.test_kube_service_page import THREE, add_pod, build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("CLOUDLAB_SHOTS")  # a directory: keep a screenshot of each run there

HEADINGS = {
    "en-US": ("Send a request", "kube-proxy's iptables rules"),
    "zh-CN": ("发送请求", "kube-proxy 的 iptables 规则"),
}
ENGLISH_PROSE = re.compile(r"\b(the|packet|rule|goes|jumps|endpoint|draw)\b")


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


@pytest.mark.parametrize(("locale", "width"), [("en-US", 1024), ("zh-CN", 1920)])
def test_a_request_reaches_an_endpoint_and_the_page_follows_new_endpoints(
    browser, live_server_url, alice, project_of, locale, width
):
    cluster = build(project_of(alice), pods=THREE, service_type="NodePort")
    context = browser.new_context(locale=locale, viewport={"width": width, "height": 900})
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        log_in(page, live_server_url, "alice")
        page.goto(f"{live_server_url}/project/kubernetes/{cluster.pk}/services/default/web/")
        page.wait_for_selector("#live-indicator[data-state=live]")
        for heading in HEADINGS[locale]:
            assert heading in page.text_content("#service-page")
        # the chains: three endpoints, iptables-save's probabilities, the NodePort chain
        probabilities = page.eval_on_selector_all(
            "#chains li[data-kind=endpoint]", "els => els.map(e => e.dataset.probability || null)"
        )
        assert probabilities == ["0.33333333349", "0.50000000000", None]
        assert page.locator("#chains [data-chain=KUBE-NODEPORTS]").count() == 1
        assert page.locator("#endpoints-table tbody tr[data-ready=true]").count() == 3
        # nothing wider than the window: the rules wrap
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        if locale == "zh-CN":  # the sentences are the reader's language, not English prose
            for why in page.locator("#chains .cl-svc-why").all_text_contents():
                assert not ENGLISH_PROSE.search(why), why

        # send a request from web-a: the packet ends on one of the endpoint pods
        page.select_option("#request-client", "default/web-a")
        page.click("#request-send")
        page.wait_for_selector("#request-panel[data-state=done]", timeout=20000)
        endpoint = page.get_attribute("#request-panel", "data-endpoint")
        assert endpoint in {"10.244.1.5:8080", "10.244.2.7:8080", "10.244.2.9:8080"}
        pod = page.get_attribute("#request-panel", "data-pod")
        assert page.get_attribute("#request-packet", "data-at") == f"default/{pod}"
        # the packet sits on that pod's box in the drawing
        box = page.locator(f'#request-svg [data-pod="default/{pod}"] rect').bounding_box()
        dot = page.locator("#request-packet").bounding_box()
        cx, cy = dot["x"] + dot["width"] / 2, dot["y"] + dot["height"] / 2
        assert box["x"] <= cx <= box["x"] + box["width"] and box["y"] <= cy <= box["y"] + box["height"]
        steps = page.eval_on_selector_all("#request-hops li", "els => els.map(e => e.dataset.step)")
        assert steps[0] == "send" and steps[-1] == "deliver"
        assert page.locator("#chains li.cl-svc-rule-hit[data-kind=dnat]").count() == 1
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/service-{locale}-{width}.png", full_page=True)
            for part in ("request-panel", "service-chains", "service-spec", "service-dns"):
                page.locator(f"#{part}").screenshot(path=f"{SHOTS}/{part}-{locale}-{width}.png")

        # a fourth pod becomes Ready: the page follows, the chain now draws 1/4, 1/3, 1/2
        _in_a_thread(add_pod, cluster, "web-d", "node-1", "10.244.1.9")
        page.wait_for_selector("#endpoints-table tbody tr[data-ip='10.244.1.9'][data-ready=true]")
        probabilities = page.eval_on_selector_all(
            "#chains li[data-kind=endpoint]", "els => els.map(e => e.dataset.probability || null)"
        )
        assert probabilities == ["0.25000000000", "0.33333333349", "0.50000000000", None]
        page.wait_for_selector("#request-svg [data-pod='default/web-d'].cl-svc-pod-ready")
        assert page.locator("#request-client option[value='default/web-d']").count() == 1
        for other in (1366, 1920 if width == 1024 else 1024):  # the walked page at the other widths
            page.set_viewport_size({"width": other, "height": 900})
            page.wait_for_timeout(300)  # the drawing's resize
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), other
            assert page.locator("#request-svg").bounding_box()["width"] <= other
        assert not errors, errors
    finally:
        context.close()


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_a_service_without_endpoints_refuses_the_request_then_is_deleted(
    browser, live_server_url, alice, project_of, locale
):
    pods = [("web-a", "node-1", "10.244.1.5", False), ("db", "node-2", "10.244.2.3", True, {"app": "db"})]
    cluster = build(project_of(alice), pods=pods)
    context = browser.new_context(locale=locale, viewport={"width": 1024, "height": 900})
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        log_in(page, live_server_url, "alice")
        page.goto(f"{live_server_url}/project/kubernetes/{cluster.pk}/services/default/web/")
        page.wait_for_selector("#live-indicator[data-state=live]")
        assert page.locator("#chains li[data-kind=reject]").count() == 1
        page.select_option("#request-client", "default/db")
        page.click("#request-send")
        page.wait_for_selector("#request-panel[data-state=done][data-verdict=REJECT]", timeout=20000)
        assert page.locator("#request-result.alert-danger").is_visible()
        assert page.get_attribute("#request-packet", "class").split().count("cl-svc-packet-refused") == 1
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/service-reject-{locale}.png", full_page=True)
        # the Service is deleted: the page says so and sends no more requests
        _in_a_thread(clusters.delete_object, cluster, "services", "default", "web")
        page.wait_for_selector("#service-deleted:not(.d-none)")
        assert page.is_disabled("#request-send")
        # its address now answers the 404 page that says so
        response = page.goto(f"{live_server_url}/project/kubernetes/{cluster.pk}/services/default/web/")
        assert response.status == 404 and page.locator("#service-missing").is_visible()
        page.wait_for_selector("#live-indicator[data-state=live]")
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/service-missing-{locale}.png")
        assert not errors, errors
    finally:
        context.close()
