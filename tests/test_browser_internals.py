"""Inside a Container in Chromium at 1366 px, in English and Chinese: each tab as a student uses
it. Namespaces: ps shows /bin/sh as PID 1, the host sees PID 4312, and turning CLONE_NEWPID or
CLONE_NEWUTS off leaks the host's processes and hostname. Cgroups: a bad knob is refused by name,
the demo run is throttled and then OOM-killed with memory.events counting. rootfs: copy-up, a
whiteout, an opaque directory, EXDEV, and docker diff's lines."""

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en-US": {"tab": "Namespaces (view isolation)", "exdev": "EXDEV", "refused": "memory.max", "isolated": "isolated"},
    "zh-CN": {"tab": "命名空间 Namespace（视图隔离）", "exdev": "EXDEV", "refused": "memory.max", "isolated": "已隔离"},
}


@pytest.fixture(params=["en-US", "zh-CN"])
def page(request, browser, live_server_url, demo_cloud, alice):
    context = browser.new_context(locale=request.param, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    log_in(page, live_server_url, "alice")
    page.goto(f"{live_server_url}/learn/inside-a-container/")
    page.words = WORDS[request.param]
    yield page
    context.close()


def fits(page):
    return page.evaluate("() => document.scrollingElement.scrollWidth <= window.innerWidth")


def first_pid(page, selector, command):
    """The PID of the first row running ``command`` (the nested shell is /bin/sh too)."""
    for cmd, pid in zip(cells(page, selector, 3), cells(page, selector, 1), strict=True):
        if cmd == command:
            return pid
    raise AssertionError(f"{command} not in {selector}")


def cells(page, selector, column):
    return page.locator(f"{selector} tbody tr td:nth-child({column})").all_inner_texts()


def test_namespaces_tab_shows_pid_1_and_what_leaks(page):
    expect(page.locator("#tab-namespaces-button")).to_have_text(page.words["tab"])
    assert page.locator("#ns-table tbody tr").count() == 8
    assert cells(page, "#ps-container", 1)[0] == "1" and cells(page, "#ps-container", 3)[0] == "/bin/sh"
    assert first_pid(page, "#ps-host", "/bin/sh") == "4312"
    assert "[kthreadd]" not in cells(page, "#ps-container", 3)
    uts = page.locator(".cl-ns-card[data-ns=uts]")
    expect(uts.locator(".cl-ns-container")).to_have_text("3f2a9c1b7d4e")
    expect(uts.locator(".badge")).to_have_text(page.words["isolated"])
    assert fits(page)

    page.locator("#ns-on-pid").press("Space")  # keyboard: the switch turns CLONE_NEWPID off
    expect(page.locator("#ps-container tbody tr").first).to_contain_text("/sbin/init")
    assert "[kthreadd]" in cells(page, "#ps-container", 3)
    assert first_pid(page, "#ps-container", "/bin/sh") == "4312"
    page.locator("#ns-on-uts").click()
    expect(uts.locator(".cl-ns-container")).to_have_text("compute-1")
    expect(page.locator(".cl-ns-card[data-ns=uts].cl-leak")).to_have_count(1)
    page.click("#ns-docker-default")
    expect(uts.locator(".cl-ns-container")).to_have_text("3f2a9c1b7d4e")
    assert cells(page, "#ps-container", 1)[0] == "1"


def test_cgroups_tab_refuses_a_bad_knob_then_throttles_and_oom_kills(page):
    page.click("#tab-cgroups-button")
    expect(page.locator("#cg-tree .cl-cg-container")).to_contain_text("docker-3f2a9c1b7d4e.scope")
    page.fill("#cg-memory-max", "1.5G")
    page.click("#cg-run")
    expect(page.locator("#cg-error")).to_be_visible()
    assert page.words["refused"] in page.locator("#cg-error").inner_text()
    page.fill("#cg-memory-max", "256M")
    page.fill("#cg-cpu-max", "50000 100000")
    page.click("#cg-run")
    expect(page.locator("#cg-error")).to_be_hidden()
    expect(page.locator("#cg-memory-events")).to_have_text("low 0\nhigh 0\nmax 0\noom 0\noom_kill 0")
    assert "nr_throttled 10" in page.locator("#cg-cpu-stat").inner_text()
    page.focus("#cg-next")
    for _ in range(6):  # keyboard: step to tick 7, where the hog meets memory.max
        page.keyboard.press("Enter")
    events = page.locator("#cg-memory-events").inner_text()
    assert re.search(r"high [1-9]", events) and "max 1\noom 1\noom_kill 1" in events
    expect(page.locator("#cg-tasks .cl-killed")).to_have_count(1)
    assert "4350" in page.locator("#cg-tasks .cl-killed").inner_text()
    assert page.locator("#cg-notes .cl-note-oom_kill").count() == 1
    assert fits(page)


def test_rootfs_tab_copy_up_whiteout_opaque_and_exdev(page):
    page.click("#tab-rootfs-button")
    expect(page.locator("#fs-layers .cl-layer")).to_have_count(5)
    init = page.locator(".cl-layer-init .cl-entry").evaluate_all("els => els.map(e => e.dataset.path)")
    assert {"/.dockerenv", "/etc/hosts", "/etc/resolv.conf", "/etc/hostname", "/dev/console", "/etc/mtab"} <= set(init)
    page.click("#fs-apply")  # append to /etc/passwd: copy-up of the whole file
    expect(page.locator("#fs-diff")).to_have_text("C /etc/passwd")
    assert page.locator("#fs-notes li").count() == 3
    page.locator("#fs-examples button", has_text="rm -r /etc/nginx").click()
    expect(page.locator(".cl-layer-container .cl-kind-whiteout[data-path='/etc/nginx']")).to_have_count(1)
    expect(page.locator("#fs-diff")).to_have_text("C /etc\nD /etc/nginx\nC /etc/passwd")
    page.locator("#fs-examples button", has_text="mkdir /etc/nginx").click()
    # The opaque directory's badge (the whiteout it replaces has a badge of its own: wait for this one,
    # or the next click races the mkdir's answer)
    opaque = ".cl-layer-container .cl-kind-dir[data-path='/etc/nginx'] .badge.text-bg-info"
    expect(page.locator(opaque)).to_have_count(1)
    page.locator("#fs-examples button", has_text="mv /etc/nginx").click()
    expect(page.locator("#fs-error")).to_be_visible()
    assert page.words["exdev"] in page.locator("#fs-error").inner_text()
    page.select_option("#fs-op", "delete")
    page.fill("#fs-path", "/etc/hosts")
    page.click("#fs-apply")
    expect(page.locator("#fs-error")).to_contain_text("EBUSY")
    page.click("#fs-undo")
    expect(page.locator("#fs-diff")).to_have_text("C /etc\nD /etc/nginx\nC /etc/passwd")
    assert fits(page)


@pytest.mark.parametrize("width", [1024, 1366, 1920])
@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_every_tab_fits_and_speaks_the_pages_language(browser, live_server_url, demo_cloud, alice, locale, width):
    """The fit rules of test_browser_fit and, in Chinese, the word rules of test_browser_chinese,
    on each tab (the page walk sees only the first)."""
    from tests.test_browser_chinese import CJK, HALF_WIDTH, TEXTS_JS, _allowed_words, _english
    from tests.test_browser_fit import PROBLEMS_JS

    allowed = _allowed_words()
    context = browser.new_context(locale=locale, viewport={"width": width, "height": 900})
    page = context.new_page()
    log_in(page, live_server_url, "alice")
    page.goto(f"{live_server_url}/learn/inside-a-container/")
    problems = []
    for tab in ("#tab-namespaces-button", "#tab-cgroups-button", "#tab-rootfs-button"):
        page.click(tab)
        page.wait_for_timeout(300)  # the tab's fade
        if tab == "#tab-rootfs-button":
            page.locator("#fs-examples button", has_text="rm -r /etc/nginx").click()
            expect(page.locator("#fs-diff")).to_contain_text("D /etc/nginx")
        problems += [f"{tab}: {p}" for p in page.evaluate(PROBLEMS_JS)]
        if locale == "zh-CN":
            for item in page.evaluate(TEXTS_JS)["texts"]:
                text, english = item["text"], _english(item["text"], allowed)
                if CJK.search(text):
                    if len(english) >= 4 or HALF_WIDTH.search(text):
                        problems.append(f"{tab}: {item['where']}: {text!r}")
                elif english:
                    problems.append(f"{tab}: {item['where']}: English {english!r} in {text!r}")
    context.close()
    assert not problems, "\n".join(problems)
