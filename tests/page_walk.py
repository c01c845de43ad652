"""Every page of the dashboard, as the user who sees it, over a cloud where something happened:
a built instance, an action on it (stopped), and a launch that met NoValidHost, so the pages show
faults, events, outcomes and decisions. Shared by the browser tests that walk all pages (fit on a
screen, no Content-Security-Policy violation, every word in Chinese) and by throwaway screenshot
scripts (``walk``).

The tests share one walk per language (``survey``): each page is loaded once, at the first of
``WIDTHS``, where the Chinese texts are read; then its fit is measured at each width in turn (the
viewport resized, the page's own resize handlers let finish), and the policy violations it
reported are collected after each. The survey is kept for the session, so the three tests of one
language read the same walk; each reports its own problems, naming the page, width and language.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connections

from tests.helpers import log_in, wait_for

#: The instance page's tabs, by the id of their button (the first is open on arrival).
INSTANCE_TABS = ("", "#tab-lifecycle-button", "#tab-log-button", "#tab-scheduling-button")


@dataclass(frozen=True)
class Stop:
    """One page to look at: its name in failure messages, its path, who opens it, what to wait
    for, and what to click once it is there (a tab), or what else to do (open a dialog)."""

    name: str
    path: str
    user: str | None
    click: str = ""
    ready: str = ""
    act: Callable[[Any], None] | None = None


def _flow_path(instance: Any) -> str:
    """The flow replay of the instance's create action (cloudlab/motion/replay.py)."""
    return f"/learn/openstack/flow/{instance.uuid}/{instance.actions.get(action='create').request_id}/"


def _play_the_flow(page: Any) -> None:
    """Every message of the action shown (Step to the end): the diagram at its tallest and widest."""
    while page.is_enabled("#flow-step"):
        page.click("#flow-step")
    page.wait_for_selector("#flow .cl-flow-log li")


def _open_launch_dialog(page: Any) -> None:
    """The Launch Instance dialog with the ubuntu image: flavors too small for it are greyed,
    each with its reason."""
    page.click("#launch-button")
    page.wait_for_selector("#launch-modal.show #launch-flavors tbody tr")
    page.select_option("#launch-image", page.locator("#launch-image option", has_text="ubuntu").get_attribute("value"))
    page.wait_for_selector("#launch-flavors .cl-flavor-reason")


def _decision_at_its_last_stage(page: Any) -> None:
    """The decision on its last stage: the weighing table and chart shown."""
    page.select_option("#speed", "instant")
    last = int(page.locator("#stage-slider").get_attribute("max"))
    page.locator("#stage-slider").fill(str(last))
    page.locator("#stage-slider").dispatch_event("input")
    page.wait_for_selector(f"body[data-stage-index='{last}']")
    page.wait_for_selector("#weighing-panel:not(.d-none) #weighing-table tbody")
    page.wait_for_timeout(400)  # the chart's first draw


def _refused_scheduler_settings(page: Any) -> None:
    """Admin → Scheduler sent back with its errors: no filter enabled, a size below Nova's minimum."""
    page.locator("#filter-table input[type=checkbox]:checked").evaluate_all("els => els.forEach(e => e.click())")
    page.fill("#id_host_subset_size", "0")
    page.click("#scheduler-save")
    page.wait_for_selector(".alert-danger")


def populate(launch: Callable[..., list[Any]], alice: Any) -> dict[str, Any]:
    """A real worker builds ``web`` and stops it; ``nvh`` finds no valid host (every compute
    service disabled for its pass, then enabled again). Needs the ``celery_worker`` fixture.

    Runs in a thread of its own: the module's Playwright keeps an event loop running in the
    test's thread, where the actions' after-commit events could not be sent."""
    result: dict[str, Any] = {}
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.update(_populate(launch, alice))
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(90)
    if errors:
        raise errors[0]
    assert result, "the cloud was not populated in 90 s"
    return result


def _populate(launch: Callable[..., list[Any]], alice: Any) -> dict[str, Any]:
    from cloudlab.compute.actions.instance import do_instance_action
    from cloudlab.compute.models import Host, Instance, SchedulingRecord

    def settled(instance: Any, vm_state: str) -> Any:
        return wait_for(
            lambda: (
                (fresh := Instance.objects.get(pk=instance.pk)).vm_state == vm_state
                and fresh.task_state is None
                and fresh
            ),
            timeout=30,
        )

    [web] = launch(alice, name="web")
    web = settled(web, "active")
    do_instance_action(alice, web, "stop")
    web = settled(web, "stopped")
    Host.objects.update(enabled=False)
    try:
        [nvh] = launch(alice, name="nvh")
        nvh = settled(nvh, "error")
    finally:
        Host.objects.update(enabled=True)
    session = _class_session(web.cloud)
    return {
        "session": session,
        "web": web,
        "nvh": nvh,
        "web_decision": SchedulingRecord.objects.filter(instance=web).latest("pk"),
        "nvh_decision": SchedulingRecord.objects.filter(instance=nvh).latest("pk"),
    }


def _class_session(cloud: Any) -> Any:
    """A class session on the demo cloud, started by ivy and running, alice joined (her session
    project sorts after her own, which stays the one her Project pages open on)."""
    from django.contrib.auth import get_user_model

    from cloudlab.classroom.sessions import join, set_state, start_session

    users = get_user_model().objects
    ivy, alice = users.get(username="ivy"), users.get(username="alice")
    session = start_session(ivy, cloud=cloud, name="Lecture 5")
    join(session, user=alice)
    return set_state(session, "running", ivy)


def stops(cloud: dict[str, Any]) -> list[Stop]:
    """Every page, as the right user: students see the Project panels, the instructor the Admin ones."""
    web, nvh = cloud["web"], cloud["nvh"]
    instance_pages = [
        Stop(f"instance {instance.name} {tab or '#overview'}", f"/project/instances/{instance.uuid}/", "alice", tab)
        for instance in (web, nvh)
        for tab in INSTANCE_TABS
    ]
    return [
        Stop("login", "/auth/login/", None),
        Stop("project overview", "/project/overview/", "alice"),
        Stop("project instances", "/project/instances/", "alice", ready="#instances-table tbody tr"),
        Stop(
            "launch dialog", "/project/instances/", "alice", ready="#instances-table tbody tr", act=_open_launch_dialog
        ),
        *instance_pages,
        Stop("project decisions", "/project/decisions/", "alice"),
        Stop("project server groups", "/project/server-groups/", "alice"),
        Stop("hosted vs bare-metal", "/learn/hypervisors/", "alice", ready="#stack-hosted[data-hop='0']"),
        Stop("inside a container", "/learn/inside-a-container/", "alice", ready="#ps-container tbody tr"),
        Stop("vm vs container", "/learn/vm-vs-container/", "alice", ready="#experiment-hosts tbody tr"),
        Stop(
            "openstack deployment",
            "/learn/openstack/deployment/",
            "alice",
            ready="#deployment-svg [data-service='nova-api']",
        ),
        Stop(
            "flow replay (web's create, played)",
            _flow_path(web),
            "alice",
            ready="#deployment-svg [data-service='nova-api']",
            act=_play_the_flow,
        ),
        Stop("decision (placed)", f"/project/decisions/{cloud['web_decision'].pk}/", "alice", ready="#host-cards > *"),
        Stop(
            "decision (weighing)",
            f"/project/decisions/{cloud['web_decision'].pk}/",
            "alice",
            ready="#host-cards > *",
            act=_decision_at_its_last_stage,
        ),
        Stop(
            "decision (NoValidHost)",
            f"/project/decisions/{cloud['nvh_decision'].pk}/",
            "alice",
            ready="#host-cards > *",
        ),
        Stop("admin instances", "/admin/instances/", "ivy", ready="#instances-table tbody tr"),
        Stop("hypervisors", "/admin/hypervisors/", "ivy", ready="#hosts-table tbody tr"),
        Stop("scheduler settings", "/admin/scheduler/", "ivy"),
        Stop("scheduler settings refused", "/admin/scheduler/", "ivy", act=_refused_scheduler_settings),
        Stop("admin decisions", "/admin/decisions/", "ivy"),
        Stop("class sessions", "/classroom/", "ivy"),
        *_session_stops(cloud["session"]),
        Stop("join a session", "/join/", None),
        Stop("join: no such session", "/join/AAAAAA/", None),
    ]


def _session_stops(session: Any) -> list[Stop]:
    """The class session's pages: its lobby and console (ivy), its page for a participant (alice)."""
    return [
        Stop("class session lobby", f"/classroom/{session.pk}/", "ivy", ready="#participants [data-participant]"),
        Stop("instructor console", f"/classroom/{session.pk}/console/", "ivy", ready="#heatmap [data-participant]"),
        Stop("session page", f"/classroom/{session.pk}/me/", "alice", ready="#live-indicator[data-state=live]"),
        Stop("session polls", f"/classroom/{session.pk}/polls/", "ivy", ready="#live-indicator[data-state=live]"),
        Stop("session summary", f"/classroom/{session.pk}/summary/", "ivy"),
    ]


def _arrive(page: Any, url: str, stop: Stop) -> None:
    """Open the stop's page and wait until it is drawn (its tab opened, its act done)."""
    page.goto(url + stop.path)
    page.wait_for_load_state("networkidle")
    if stop.ready:
        page.wait_for_selector(stop.ready)
    if stop.click:
        page.click(stop.click)
        page.wait_for_timeout(400)  # the tab's fade, and a chart's first draw
    if stop.act:
        stop.act(page)
    page.wait_for_timeout(200)


def walk(
    browser: Any, url: str, cloud: dict[str, Any], *, locale: str, viewport: dict[str, int]
) -> Iterator[tuple[Stop, Any]]:
    """Open every page in a browser context of that locale and size; yield each page once it is
    drawn. One context per user, logged in through the form."""
    contexts: dict[str | None, Any] = {}
    try:
        for stop in stops(cloud):
            if stop.user not in contexts:
                context = browser.new_context(locale=locale, viewport=viewport, timezone_id="Asia/Shanghai")
                page = context.new_page()
                if stop.user is not None:
                    log_in(page, url, stop.user)
                contexts[stop.user] = page
            page = contexts[stop.user]
            _arrive(page, url, stop)
            yield stop, page
    finally:
        for page in contexts.values():
            page.context.close()


# -- one walk per language, shared by the fit, policy and Chinese tests ----------------------

#: A laptop, the classroom projector and a wide screen; each page is loaded at the first.
WIDTHS = (1366, 1024, 1920)
HEIGHT = 768

#: Resolves once the page has answered a resize: two frames drawn, then no change to the DOM for
#: longer than the pages' own debounce (Plotly's responsive charts wait 100 ms, the lifecycle
#: diagram 200 ms). A page that never stops changing (a live clock) is let go after 3 s.
SETTLE_JS = """
() => new Promise((resolve) => {
  const QUIET = 300, MOST = 3000, start = performance.now();
  let last = performance.now();
  const observer = new MutationObserver(() => { last = performance.now(); });
  observer.observe(document.documentElement, { subtree: true, childList: true, attributes: true, characterData: true });
  const check = () => {
    const now = performance.now();
    if (now - last >= QUIET || now - start >= MOST) { observer.disconnect(); resolve(now - start >= MOST); }
    else setTimeout(check, 50);
  };
  requestAnimationFrame(() => requestAnimationFrame(() => { last = performance.now(); check(); }));
})
"""


@dataclass
class Look:
    """One page at one width: the fit problems found (``PROBLEMS_JS``), the policy violations
    reported since the last look, and the text of its ``main``."""

    stop: Stop
    width: int
    problems: list[str]
    violations: list[str]
    main: str


@dataclass
class Survey:
    """Every page of one language at every width (``survey``)."""

    locale: str
    policy: str = ""  #: the Content-Security-Policy header the first page was served with
    looks: list[Look] = field(default_factory=list)
    #: Chinese walks only: each page's texts (``TEXTS_JS``) at the first width, by stop name,
    texts: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: what ``CloudLab.recorded`` makes of every recorded message (on Project → Overview),
    recorded: list[Any] = field(default_factory=list)
    #: and the words a Chinese page may keep, read from the walk's database.
    allowed: set[str] = field(default_factory=set)
    #: violations Chromium logged to the console (by the page being looked at when they came).
    console: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return len({look.stop.name for look in self.looks})

    def where(self, look: Look) -> str:
        return f"{look.stop.name} at {look.width} px ({self.locale})"


_SURVEYS: dict[str, Survey] = {}


def survey(request: Any, locale: str) -> Survey:
    """The walk of ``locale``, made the first time a test of the session asks for it (with that
    test's live server, worker and demo cloud) and kept. A test that meets a kept one asks for
    none of those fixtures."""
    if locale not in _SURVEYS:
        value = request.getfixturevalue
        browser, url = value("browser"), value("live_server_url")
        value("celery_worker")
        cloud = populate(value("launch"), value("alice"))
        _SURVEYS[locale] = _survey(browser, url, cloud, locale)
    return _SURVEYS[locale]


def _survey(browser: Any, url: str, cloud: dict[str, Any], locale: str) -> Survey:
    from tests.test_browser_chinese import TEXTS_JS, allowed_words
    from tests.test_browser_fit import PROBLEMS_JS
    from tests.test_recorded_messages import RECORDED
    from tests.test_security_csp_browser import LISTEN_JS, is_policy_message

    result = Survey(locale)
    chinese = locale.startswith("zh")
    looking: list[str] = ["(before the first page)"]

    def watch(page: Any) -> None:
        page.on(
            "console",
            lambda message: (
                result.console.append(f"{looking[-1]}: console: {message.text}")
                if is_policy_message(message.text)
                else None
            ),
        )

    contexts: dict[str | None, Any] = {}
    try:
        for stop in stops(cloud):
            if stop.user not in contexts:
                context = browser.new_context(
                    locale=locale, viewport={"width": WIDTHS[0], "height": HEIGHT}, timezone_id="Asia/Shanghai"
                )
                context.add_init_script(LISTEN_JS)
                context.on("page", watch)
                page = context.new_page()
                if stop.user is not None:
                    log_in(page, url, stop.user)
                contexts[stop.user] = page
            page = contexts[stop.user]
            if page.viewport_size["width"] != WIDTHS[0]:
                page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
            looking.append(f"{stop.name} ({locale})")
            _arrive(page, url, stop)
            if not result.looks:
                headers = page.request.get(url + stop.path).headers
                result.policy = {k.lower(): v for k, v in headers.items()}.get("content-security-policy", "")
            if chinese:
                result.texts[stop.name] = page.evaluate(TEXTS_JS)
                if stop.name == "project overview":
                    result.recorded = page.evaluate("(messages) => messages.map((m) => CloudLab.recorded(m))", RECORDED)
            for width in WIDTHS:
                if page.viewport_size["width"] != width:
                    page.set_viewport_size({"width": width, "height": HEIGHT})
                    page.evaluate(SETTLE_JS)
                looking.append(f"{stop.name} at {width} px ({locale})")
                result.looks.append(
                    Look(
                        stop,
                        width,
                        problems=page.evaluate(PROBLEMS_JS),
                        violations=page.evaluate("(window.__csp || []).splice(0)"),
                        main=page.evaluate("() => (document.querySelector('main') || {}).innerText || ''"),
                    )
                )
        if chinese:
            result.allowed = allowed_words()
    finally:
        for page in contexts.values():
            page.context.close()
    return result
