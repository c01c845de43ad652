"""A pod's scheduling decision in Chromium: the Nova scheduling view fed the kube-scheduler's
trace shows the funnel of Filter plugins, the Score plugins' chart (score × weight) and
FailedScheduling in Kubernetes' words, in English and Chinese at 1024, 1366 and 1920 px, with no
console error and nothing wider than the window.

The cluster is built with the engine and its loop's rounds run here (no worker): the reconcile
the writes would queue is not sent, so no round runs behind the test's back."""

import os

import pytest
from django.urls import reverse
from django.utils import translation

from cloudlab.kube import clusters, loop
from cloudlab.kube.models import PodDecision
from tests.helpers import log_in
from tests.test_kube_decisions import make_cluster, pod, rounds

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FILTER_PLUGINS = ("NodeUnschedulable", "TaintToleration", "NodeResourcesFit", "InterPodAffinity")
SHOTS = os.environ.get("KUBE_DECISION_SHOTS")  # a folder: save each page's screenshot there


@pytest.fixture
def decided(alice, project_of, monkeypatch):
    monkeypatch.setattr(clusters, "enqueue_reconcile", lambda *a, **k: None)
    monkeypatch.setattr(loop, "enqueue_reconcile", lambda *a, **k: None)
    lab = make_cluster(project_of(alice))
    clusters.apply_manifest(lab, pod("hog", cpu="500m", memory="512Mi"))
    rounds(lab)
    clusters.apply_manifest(lab, pod("web") + "---" + pod("huge", cpu="4"))
    rounds(lab)
    return lab, {d.pod: d for d in PodDecision.objects.filter(cluster=lab)}


def _open(browser, url, locale, width):
    context = browser.new_context(locale=locale, viewport={"width": width, "height": 900})
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page, errors


def _go_to(page, kind):
    """The stage of this kind, through the replay's own chip."""
    page.select_option("#speed", "instant")
    chip = page.locator(f".cl-stage[data-kind='{kind}']").first
    chip.click()
    page.wait_for_selector(f"body[data-stage-index='{chip.get_attribute('data-index')}']")


def _shot(page, name):
    """With KUBE_DECISION_SHOTS set: the window as a student sees it, and the whole page."""
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png")
        page.screenshot(path=f"{SHOTS}/{name}-full.png", full_page=True)


def _no_overflow(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_a_pods_decision_shows_the_filter_plugins_and_the_score_chart(browser, live_server_url, decided, locale):
    lab, by_pod = decided
    web, huge = by_pod["web"], by_pod["huge"]
    language = "zh-hans" if locale == "zh-CN" else "en"
    with translation.override(language):
        filter_plugins, score_plugins = translation.gettext("Filter plugins"), translation.gettext("Score plugins")
        play = (translation.gettext("Play"), translation.gettext("Replay"))
    for width in (1024, 1366, 1920):
        context, page, errors = _open(browser, live_server_url, locale, width)
        log_in(page, live_server_url, "alice")
        page.goto(live_server_url + reverse("kube:pod-decision-latest", args=[lab.pk, "default", "web"]))
        page.wait_for_selector("body[data-stage-index]")
        assert page.url.endswith(reverse("kube:pod-decision", args=[lab.pk, web.pk]))
        assert page.locator("#cluster-tabs .active").get_attribute("data-section") == "workloads"
        chips = page.locator(".cl-stage[data-kind='filter']").evaluate_all("els => els.map(e => e.dataset.name)")
        assert all(name in chips for name in FILTER_PLUGINS)
        assert page.locator("#filter-panel h2").inner_text() == filter_plugins
        assert page.locator("#play-toggle .cl-play-text").inner_text() in play
        # the control plane is rejected by TaintToleration, with Kubernetes' reason
        _go_to(page, "weighing")
        cp = page.locator(".cl-host-card[data-host='cp']")
        assert "cl-removed" in cp.get_attribute("class")
        assert "untolerated taint" in cp.locator(".cl-removed-reason").inner_text()
        assert page.locator("#weighing-title").inner_text() == score_plugins
        page.wait_for_selector("#weighing-chart .main-svg")
        legend = page.locator("#weighing-chart .legendtext").evaluate_all("els => els.map(e => e.textContent)")
        assert "NodeResourcesFit" in legend and "NodeResourcesBalancedAllocation" in legend
        _go_to(page, "selected")
        assert "cl-chosen" in page.locator(f".cl-host-card[data-host='{web.node}']").get_attribute("class")
        assert page.locator(".cl-host-card[data-host='worker-1'] .cl-bar-cpu .cl-bar-nums").inner_text().endswith("m")
        _shot(page, f"web-selected-{locale}-{width}")
        page.locator(f".cl-host-card[data-host='{by_pod['hog'].node}'] .cl-host-name").click()
        why = page.locator("#why-panel")
        page.wait_for_selector("#why-panel.show")
        assert why.get_attribute("data-outcome") == "lost"
        _no_overflow(page)
        _shot(page, f"web-{locale}-{width}")

        page.goto(live_server_url + reverse("kube:pod-decision", args=[lab.pk, huge.pk]))
        page.wait_for_selector("body[data-stage-index]")
        _go_to(page, "no_valid_host")
        assert page.locator("#nvh-panel").is_visible()
        assert page.locator("#nvh-message").inner_text() == huge.message
        assert page.locator(".cl-nvh-host[data-host='worker-1']").get_attribute("data-filter") == "NodeResourcesFit"
        page.locator(".cl-host-card[data-host='worker-1'] .cl-host-name").click()
        page.wait_for_selector("#why-panel.show")
        assert "NodeResourcesFit" in page.locator("#why-panel").inner_text()
        _no_overflow(page)
        _shot(page, f"huge-{locale}-{width}")

        page.goto(live_server_url + reverse("kube:pod-decisions", args=[lab.pk]))
        assert page.locator("#pod-decisions tr").count() == 3
        _no_overflow(page)
        _shot(page, f"list-{locale}-{width}")
        assert errors == []
        context.close()


def test_a_new_decision_for_the_pod_is_linked_live(browser, live_server_url, decided):
    """The pod's FailedScheduling page and the decisions list stay open while hog is deleted: the
    next round schedules mid, its kube.changed event names the decision, and both pages link it."""
    lab, _ = decided
    clusters.apply_manifest(lab, pod("mid", cpu="950m"))
    rounds(lab)
    mid = PodDecision.objects.get(cluster=lab, pod="mid")
    assert mid.outcome == "FailedScheduling"
    context, page, errors = _open(browser, live_server_url, "en-US", 1366)
    log_in(page, live_server_url, "alice")
    page.goto(live_server_url + reverse("kube:pod-decision", args=[lab.pk, mid.pk]))
    page.wait_for_selector("#live-indicator[data-state='live']")
    listing = context.new_page()
    listing.goto(live_server_url + reverse("kube:pod-decisions", args=[lab.pk]))
    listing.wait_for_selector("#live-indicator[data-state='live']")
    assert page.locator("#pod-newer").is_hidden()

    clusters.delete_object(lab, "pods", "default", "hog")
    for _ in range(5):
        rounds(lab)
        if PodDecision.objects.filter(cluster=lab, pod="mid", outcome="Scheduled").exists():
            break
    again = PodDecision.objects.get(cluster=lab, pod="mid", outcome="Scheduled")
    page.wait_for_selector("#pod-newer:not(.d-none)")
    assert again.node in page.locator("#pod-newer").inner_text()
    assert page.locator("#pod-newer a").get_attribute("href") == reverse("kube:pod-decision", args=[lab.pk, again.pk])
    listing.wait_for_selector(f"#pod-decisions tr[data-decision='{again.pk}']")
    assert listing.locator("#pod-decisions tr").first.get_attribute("data-decision") == str(again.pk)
    assert errors == []
    context.close()
