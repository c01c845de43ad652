"""An instructor's what-if in Chromium reads right: every verdict badge is readable on its row,
the header shows the what-if's own outcome while watching it, a change that changes nothing
changes no verdict, sentences count instances from 1, the host what-if can turn a compute
service back on, and the link to a stage points at the what-if being watched."""

import pytest

from cloudlab.compute.models import Host, SchedulingRecord
from tests import steps
from tests.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.books_unbalanced]

WORDS = {
    "en-US": {
        "placed": "would be placed on compute-kvm1",
        "passed": "passed every filter",
        "same": "Both decisions choose compute-kvm1. No host changed verdict.",
        "enabled": "enabled",
        "field": "compute service enabled",
    },
    "zh-CN": {
        "placed": "将放置到 compute-kvm1",
        "passed": "通过了所有过滤器",
        "same": "两次决策都选择 compute-kvm1。没有主机的结论发生变化。",
        "enabled": "已启用",
        "field": "计算服务已启用",
    },
}

#: WCAG's contrast of a badge's text on its own background; the background must be opaque, so
#: the row's colour (white, the changed rows' yellow) cannot show through the text.
CONTRASTS = """els => els.map(el => {
  const s = getComputedStyle(el);
  const rgb = c => c.match(/[\\d.]+/g).map(Number);
  const channel = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const fg = lum(rgb(s.color)), bg = rgb(s.backgroundColor);
  const alpha = bg.length > 3 ? bg[3] : 1, l = lum(bg);
  return { text: el.textContent, alpha: alpha, ratio: (Math.max(fg, l) + 0.05) / (Math.min(fg, l) + 0.05) };
})"""


def _decide(launch, alice):
    """compute-vbox full (RamFilter removes it), compute-lxc disabled (ComputeFilter)."""
    Host.objects.filter(name="compute-vbox").update(memory_mb_used=12000)
    Host.objects.filter(name="compute-lxc").update(enabled=False)
    [instance] = launch(alice, name="vm", flavor="m1.small")
    steps.schedule(instance)
    return SchedulingRecord.objects.get(instance=instance)


def _open(browser, url, record, locale, query=""):
    context = browser.new_context(locale=locale)
    page = context.new_page()
    log_in(page, url, "ivy")
    page.goto(f"{url}/project/decisions/{record.pk}/{query}")
    page.wait_for_selector("body[data-stage-index]")
    return context, page


def _run(page, kind, **fields):
    form = page.locator("#whatif-form")
    form.locator("[name=kind]").select_option(kind)
    for name, value in fields.items():
        form.locator(f"select[name={name}]:not([disabled])").select_option(value)
    form.locator("button[type=submit]").click()
    page.locator("#whatif-compare").wait_for(timeout=10000)


def _to_stage(page, stage):
    page.locator("#stage-slider").fill(str(stage))
    page.locator("#stage-slider").dispatch_event("input")
    page.wait_for_selector(f"body[data-stage-index='{stage}']")


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_verdict_badges_are_readable_on_every_row_and_the_header_shows_the_what_ifs_outcome(
    browser, live_server_url, demo_cloud, alice, launch, locale
):
    record = _decide(launch, alice)
    context, page = _open(browser, live_server_url, record, locale)
    _run(page, "filter", name="RamFilter", enabled="false")
    changed = page.locator("#whatif-compare tr[data-changed=true]")
    assert changed.count() == 1 and "table-warning" in changed.get_attribute("class")
    badges = page.locator("#whatif-compare .badge").evaluate_all(CONTRASTS)
    assert len(badges) == 8  # four hosts, before and after
    for badge in badges:
        assert badge["alpha"] == 1 and badge["ratio"] >= 4.5, badge
    assert (
        page.locator("#whatif-compare tr[data-host=compute-kvm2] .badge").first.inner_text() == WORDS[locale]["passed"]
    )

    page.select_option("#speed", "instant")
    page.click("#whatif-watch")
    last = int(page.locator("#stage-slider").get_attribute("max"))
    page.wait_for_selector(f"body[data-stage-index='{last}']")
    outcome = page.locator("#decision-outcome")
    assert outcome.is_visible() and outcome.inner_text() == WORDS[locale]["placed"]
    assert outcome.get_attribute("data-outcome") == "selected"
    _to_stage(page, 0)
    assert not outcome.is_visible()  # not before the stage that decides it
    context.close()


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_a_change_that_changes_nothing_lists_no_changed_host(
    browser, live_server_url, demo_cloud, alice, launch, locale
):
    record = _decide(launch, alice)
    context, page = _open(browser, live_server_url, record, locale)
    _run(page, "multiplier")  # the form offers the multiplier's current value
    assert page.locator("#whatif-compare tr[data-changed=true]").count() == 0
    assert page.locator("#whatif-summary").inner_text() == WORDS[locale]["same"]
    assert "0" not in page.locator("#whatif-summary").inner_text()  # no "instance 0"
    context.close()


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_after_a_computefilter_no_valid_host_a_what_if_turns_the_service_on(
    browser, live_server_url, demo_cloud, alice, launch, locale
):
    Host.objects.update(enabled=False)
    [instance] = launch(alice, name="vm", flavor="m1.small")
    steps.schedule(instance)
    record = SchedulingRecord.objects.get(instance=instance)
    context, page = _open(browser, live_server_url, record, locale)
    form = page.locator("#whatif-form")
    form.locator("[name=kind]").select_option("host")
    form.locator("[name=host]").select_option("compute-kvm1")
    form.locator("[name=field]").select_option("enabled")
    assert form.locator("[name=field] option[value=enabled]").inner_text() == WORDS[locale]["field"]
    flag = form.locator("#whatif-flag")
    assert flag.is_visible() and not form.locator("#whatif-value").is_visible()
    assert flag.input_value() == "true"  # the other state than the host's: what if it were enabled?
    assert flag.locator("option[value=true]").inner_text() == WORDS[locale]["enabled"]
    form.locator("button[type=submit]").click()
    row = page.locator("#whatif-compare tr[data-host=compute-kvm1]")
    row.wait_for(timeout=10000)
    assert row.get_attribute("data-changed") == "true"
    assert "cl-why-chosen" in row.locator("td").nth(1).locator(".badge").get_attribute("class")
    context.close()


def test_the_stage_link_points_at_the_what_if_being_watched(browser, live_server_url, demo_cloud, alice, launch):
    record = _decide(launch, alice)
    context, page = _open(browser, live_server_url, record, "en-US")
    _run(page, "filter", name="RamFilter", enabled="false")
    page.select_option("#speed", "instant")
    page.click("#whatif-watch")
    page.wait_for_selector("#whatif-banner:not(.d-none)")
    _to_stage(page, 2)
    link = page.locator("#stage-link").input_value()
    assert "stage=2" in link and "whatif=" in link
    page.click("#whatif-back")
    page.wait_for_selector("#whatif-banner.d-none", state="attached")
    assert "whatif=" not in page.locator("#stage-link").input_value()  # the real decision's own link

    page.goto(link)
    page.wait_for_selector("#whatif-banner:not(.d-none)")
    page.wait_for_selector("body[data-stage-index='2']")
    assert page.locator(".cl-stage[data-name=RamFilter]").count() == 0  # the what-if's stages, not the real ones
    assert page.locator("#decision-whatif").is_visible()
    context.close()
