"""Every page fits a laptop, the classroom projector and a wide screen (1024, 1366 and 1920 px), in
both languages: nothing a student clicks or types into lies beyond the screen's edges (vertical
scrolling is fine; a table that scrolls sideways on its own hides its actions too, so that counts
as beyond the edge), no table is wider than the screen or scrolls sideways in its box (the
decision's weighing table, Admin → Scheduler's filter table), no table header stacks its letters
one per line, no identifier (RamFilter, RAMWeigher, host_subset_size) breaks between two of its
letters, and no chart's legend sits on its plot. Project → Overview prints no "None" (a quota
without a value). The decision page is also looked at on its last stage, where the weighing shows.

Each page is loaded once per language and measured at each width (``tests.page_walk.survey``, the
walk the policy and Chinese tests read too)."""

import pytest

from tests.page_walk import HEIGHT, WIDTHS, survey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: Run in the page; returns one sentence per problem found.
PROBLEMS_JS = r"""
() => {
  const problems = [];
  const width = document.documentElement.clientWidth;
  const shown = (el) => { const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden"; };
  const describe = (el) => {
    const text = (el.innerText || el.value || el.getAttribute("aria-label") || el.id || "").trim().replace(/\s+/g, " ");
    return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " " + JSON.stringify(text.slice(0, 40));
  };
  const isVisuallyHidden = (el) => el.closest(".visually-hidden, .visually-hidden-focusable") !== null;

  // 1. Interactive elements: inside the viewport and inside every ancestor that clips sideways.
  const interactive = "a[href], button, input:not([type=hidden]), select, textarea, [role=button], " +
    "[tabindex]:not([tabindex='-1'])";
  document.querySelectorAll(interactive).forEach((el) => {
    if (!shown(el) || isVisuallyHidden(el)) return;
    const r = el.getBoundingClientRect();
    let left = 0, right = width;
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const overflow = getComputedStyle(a).overflowX;
      if (overflow === "visible") continue;
      const box = a.getBoundingClientRect();
      left = Math.max(left, box.left); right = Math.min(right, box.right);
    }
    if (r.left < left - 1 || r.right > right + 1)
      problems.push("off screen: " + describe(el) + " spans x " + Math.round(r.left) + "–" + Math.round(r.right) +
                    ", the visible part is " + Math.round(left) + "–" + Math.round(right));
  });

  // 1b. Tables: no wider than the screen or than the box they are in, and none that scrolls sideways
  //     inside its box.
  document.querySelectorAll("table").forEach((table) => {
    if (!shown(table) || isVisuallyHidden(table)) return;
    const r = table.getBoundingClientRect();
    const name = "table" + (table.id ? "#" + table.id : "." + [...table.classList].join("."));
    if (r.left < -1 || r.right > width + 1)
      problems.push("table wider than the screen: " + name + " spans x " + Math.round(r.left) + "–" +
                    Math.round(r.right));
    const box = table.parentElement;
    if (box && r.width > box.clientWidth + 1)
      problems.push("table overflows its box: " + name + " is " + Math.round(r.width) + " px wide in a box of " +
                    box.clientWidth);
    for (let a = table.parentElement; a && a !== document.body; a = a.parentElement) {
      const overflow = getComputedStyle(a).overflowX;
      if (overflow === "visible") continue;
      if (a.scrollWidth > a.clientWidth + 1)
        problems.push("table scrolls sideways: " + name + " is " + a.scrollWidth + " px wide in a box of " +
                      a.clientWidth);
      break;
    }
  });

  // The lines a piece of text takes: distinct line boxes of its characters.
  const lineTops = (node) => {
    const range = document.createRange(), tops = [];
    const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
    for (let t = walker.nextNode(); t; t = walker.nextNode()) {
      for (let i = 0; i < t.length; i++) {
        range.setStart(t, i); range.setEnd(t, i + 1);
        const rects = range.getClientRects();
        if (!rects.length || !/\S/.test(t.data[i])) continue;
        const top = rects[0].top;
        if (!tops.some((seen) => Math.abs(seen - top) < 4)) tops.push(top);
      }
    }
    return tops.length;
  };
  const CJK = /[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]/;

  // 2. Header cells: no more lines than words.
  document.querySelectorAll("thead th, th[scope=col]").forEach((th) => {
    if (!shown(th)) return;
    const text = th.innerText.trim();
    if (!text) return;
    const lines = lineTops(th);
    // CJK: two lines at most, and never one character a line (实/例).
    const chars = text.replace(/\s+/g, "").length;
    const most = CJK.test(text) ? Math.min(2, Math.ceil(chars / 2)) : text.split(/\s+/).length;
    if (lines > most)
      problems.push("header wraps: " + JSON.stringify(text) + " takes " + lines + " lines (at most " + most + ")");
  });

  // 3. No line break between two letters of a word (RAMWeighe|r, compute-kvm|1 is fine at the hyphen).
  const range = document.createRange();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, { acceptNode: (t) => {
    const p = t.parentElement;
    if (!p || p.closest("script, style, svg, .visually-hidden") || !/[A-Za-z0-9_]{2}/.test(t.data))
      return NodeFilter.FILTER_REJECT;
    return shown(p) ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT;
  }});
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    let previous = null;
    for (let i = 0; i < t.length; i++) {
      const word = /[A-Za-z0-9_]/.test(t.data[i]);
      if (!word) { previous = null; continue; }
      range.setStart(t, i); range.setEnd(t, i + 1);
      const rect = range.getClientRects()[0];
      if (!rect) { previous = null; continue; }
      if (previous && rect.top > previous.bottom - 2) {
        const start = t.data.lastIndexOf(" ", i) + 1, end = t.data.indexOf(" ", i);
        const word = t.data.slice(start, end < 0 ? undefined : end).trim();
        problems.push("word broken across lines: " + JSON.stringify(word) + " in " + describe(t.parentElement));
        break;
      }
      previous = rect;
    }
  }

  // 4. Plotly charts: each legend entry inside the chart, off its plot area and off the axes'
  //    labels (the host names), and the legend never scrolls.
  const overlap = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 2 &&
    Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 2;
  document.querySelectorAll(".js-plotly-plot").forEach((chart) => {
    if (!shown(chart)) return;
    const name = chart.id || chart.parentElement.id, c = chart.getBoundingClientRect();
    const axes = ".nsewdrag, g.xtick text, g.ytick text, .g-xtitle, .g-ytitle";
    const covered = [...chart.querySelectorAll(axes)].map((e) => e.getBoundingClientRect()).filter((r) => r.width > 0);
    chart.querySelectorAll("g.legend .traces").forEach((entry) => {
      const l = entry.getBoundingClientRect(), label = entry.textContent.trim();
      if (covered.some((r) => overlap(l, r)))
        problems.push("legend entry " + JSON.stringify(label) + " covers chart " + name);
      if (l.left < c.left - 1 || l.right > c.right + 1 || l.top < c.top - 1 || l.bottom > c.bottom + 1)
        problems.push("legend entry " + JSON.stringify(label) + " is outside chart " + name);
    });
    const scrollbar = chart.querySelector("g.legend .scrollbar");
    if (scrollbar && scrollbar.getBoundingClientRect().height > 0)
      problems.push("legend of chart " + name + " scrolls");
  });
  return problems;
}
"""


@pytest.mark.timeout(600)
@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_every_page_fits_the_screen(request, locale):
    walk = survey(request, locale)
    found = [f"{walk.where(look)}: {problem}" for look in walk.looks for problem in look.problems]
    found += [
        f"{walk.where(look)}: prints None"
        for look in walk.looks
        if look.stop.name == "project overview" and "None" in look.main
    ]
    widths = ", ".join(map(str, WIDTHS))
    assert walk.pages >= 15, f"the walk saw only {walk.pages} pages"
    assert not found, f"{len(found)} problems at {widths} × {HEIGHT} ({locale}):\n  " + "\n  ".join(found)
