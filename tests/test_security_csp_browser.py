"""Every page, with CloudLab's Content-Security-Policy enforced, runs in Chromium without a single
violation: no inline script, no inline event handler, nothing loaded from elsewhere. Chromium
fires ``securitypolicyviolation`` for each blocked thing and logs it to the console; both are
collected and any one fails the walk. The walk is the one the fit and Chinese tests read
(``tests.page_walk.survey``): each page loaded once per language, then resized to each width."""

from __future__ import annotations

from typing import Any

import pytest

from tests.page_walk import survey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: Installed before any page script runs (Playwright's init scripts are not subject to the CSP).
LISTEN_JS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
                    (e.sourceFile ? " at " + e.sourceFile + ":" + e.lineNumber : "") +
                    (e.sample ? " (" + e.sample + ")" : ""));
});
"""


def is_policy_message(text: str) -> bool:
    """Whether a console message is Chromium reporting a blocked thing."""
    return "Content Security Policy" in text or "Content-Security-Policy" in text


class Violations:
    """What the pages of one browser context reported: events and console messages."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def watch(self, page: Any) -> None:
        page.on(
            "console",
            lambda message: self.found.append("console: " + message.text) if is_policy_message(message.text) else None,
        )

    def collect(self, name: str, page: Any) -> None:
        self.found.extend(f"{name}: {v}" for v in page.evaluate("window.__csp || []"))


@pytest.fixture
def watched_browser(browser: Any) -> Any:
    """The module's Chromium, whose every new page listens for violations."""
    violations = Violations()

    class Watched:
        def new_context(self, **kwargs: Any) -> Any:
            context = browser.new_context(**kwargs)
            context.add_init_script(LISTEN_JS)
            context.on("page", violations.watch)
            return context

    Watched.violations = violations  # type: ignore[attr-defined]
    return Watched()


@pytest.mark.timeout(600)
@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_every_page_runs_under_the_policy_without_a_violation(request, locale):
    walk = survey(request, locale)
    assert "script-src 'self'" in walk.policy and "unsafe-eval" not in walk.policy, walk.policy
    assert walk.pages >= 15, f"the walk saw only {walk.pages} pages"
    found = [f"{walk.where(look)}: {v}" for look in walk.looks for v in look.violations] + walk.console
    assert not found, f"CSP violations ({locale}):\n  " + "\n  ".join(found)


def test_the_waiting_page_and_the_admin_login_run_under_the_policy(live_server_url, watched_browser, alice, project_of):
    """Two pages the walk does not reach: the page that waits for the scheduler (its script was
    inline) and Django's admin login."""
    from django.db import connections

    from cloudlab.compute.models import Flavor, Image, Instance

    project = project_of(alice)
    waiting = Instance.objects.create(
        cloud=project.cloud,
        project=project,
        user=alice,
        name="waiting",
        flavor=Flavor.objects.get(cloud=project.cloud, name="m1.tiny"),
        image=Image.objects.get(cloud=project.cloud, name="cirros"),
        vm_state="building",
        task_state="scheduling",
    )  # no build task: it waits for a decision that never comes
    connections.close_all()
    violations = watched_browser.violations
    context = watched_browser.new_context(locale="en-US", viewport={"width": 1366, "height": 900})
    try:
        page = context.new_page()
        page.goto(live_server_url + "/django-admin/login/")
        page.wait_for_load_state("networkidle")
        violations.collect("django admin login", page)
        from tests.helpers import log_in

        log_in(page, live_server_url, "alice")
        page.goto(f"{live_server_url}/project/instances/{waiting.uuid}/decision/")
        page.wait_for_selector("#waiting-text")
        page.wait_for_load_state("networkidle")
        violations.collect("decision waiting", page)
        assert not violations.found, "CSP violations:\n  " + "\n  ".join(violations.found)
        # The page's own script ran (from its file): its WebSocket is up and the indicator says so.
        page.wait_for_selector("#live-indicator[data-state=live]")
    finally:
        context.close()
    waiting.delete()
    assert not violations.found, "CSP violations:\n  " + "\n  ".join(violations.found)
