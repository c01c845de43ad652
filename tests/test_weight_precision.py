"""One precision for weights everywhere: the server's formatter (engine i18n.fmt_number, used by
the why-not sentences, the what-if labels, the command line and the instance page) and the
browser's (decision_model.js fmt, used by the weighing table, the chart, the why panel and the
what-if form) print every number alike, and in Chromium the same weight reads the same on the
decision's weighing table, in its why-not sentence and panel, and on the instance's Scheduling tab."""

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from cloudlab.compute.models import Host, SchedulingRecord
from cloudlab.engine.i18n import fmt_number
from tests import steps
from tests.helpers import log_in

MODEL = Path(settings.BASE_DIR) / "static" / "cloudlab" / "decision_model.js"


def _values() -> list[float]:
    rng = random.Random(10)
    ties = [k / 2**m for m in range(1, 12) for k in range(1, 2**m, 2)][:300]  # 0.03125 and kin
    plain = [1 / 3, 2 / 3, -1 / 3, 0.5, 1.5, 1536.0, -0.0, -0.00001, 1e-7, 0.00005, 0.00015, 123456.78949, 1e15 + 0.5]
    drawn = [rng.uniform(-3, 3) for _ in range(2000)] + [rng.uniform(-1e6, 1e6) for _ in range(500)]
    return plain + ties + [-t for t in ties] + drawn


def test_the_server_and_the_browser_format_every_number_alike(tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is not installed: apt-get install -y nodejs")
    values = _values()
    (tmp_path / "values.json").write_text(json.dumps(values))
    script = (
        f"const m = require({json.dumps(str(MODEL))}); const v = require({json.dumps(str(tmp_path / 'values.json'))});"
        "process.stdout.write(JSON.stringify(v.map((x) => m.fmt(x))));"
    )
    out = subprocess.run([node, "-e", script], capture_output=True, text=True, timeout=60, check=True).stdout
    browser = json.loads(out)
    server = [str(fmt_number(v)) for v in values]
    differ = [(v, s, b) for v, s, b in zip(values, server, browser, strict=True) if s != b]
    assert not differ, f"{len(differ)} numbers read differently (value, server, browser): {differ[:10]}"
    assert fmt_number(2 / 3) == "0.6667" and fmt_number(0.5) == "0.5" and fmt_number(-0.00001) == "0"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.books_unbalanced
def test_the_same_weight_reads_the_same_on_every_page(browser, live_server_url, demo_cloud, alice, launch):
    # Three hosts with RAM free in thirds: normalised weights 0, 0.3333…, 0.6667…, 1.
    for name, used in (("compute-kvm1", 0), ("compute-kvm2", 4000), ("compute-vbox", 9000)):
        Host.objects.filter(name=name).update(memory_mb_used=used)
    [instance] = launch(alice, name="vm", flavor="m1.tiny")
    steps.schedule(instance)
    record = SchedulingRecord.objects.get(instance=instance)
    ranking = record.trace["instances"][0]["ranking"]
    assert len(ranking) >= 3
    winner, loser = ranking[0], ranking[2]
    weight, margin = float(loser["weight"]), float(winner["weight"]) - float(loser["weight"])
    shown, shown_margin = str(fmt_number(weight)), str(fmt_number(margin))
    assert "." in shown and len(shown.split(".")[1]) == 4, shown  # a weight that needs the precision

    context = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    log_in(page, live_server_url, "alice")
    page.goto(f"{live_server_url}/project/decisions/{record.pk}/")
    page.select_option("#speed", "instant")
    last = int(page.locator("#stage-slider").get_attribute("max"))
    page.locator("#stage-slider").fill(str(last))
    page.locator("#stage-slider").dispatch_event("input")
    page.wait_for_selector(f"body[data-stage-index='{last}']")
    table_total = page.locator(f"#weighing-table tbody[data-host='{loser['host']}'] .cl-w-total").inner_text()
    assert table_total.strip() == shown

    page.locator(f".cl-host-card[data-host='{loser['host']}'] .cl-host-name").click()
    why = page.locator("#why-panel")
    page.wait_for_selector(f"#why-panel.show[data-host='{loser['host']}'][data-outcome='lost']")
    paragraphs = why.locator("p").all_text_contents()  # the offcanvas may still be sliding in
    sentence = next(p for p in paragraphs if "passed every filter but weighed" in p)  # the server's why-not
    assert f"weighed {shown}, {shown_margin} less than" in sentence, sentence
    assert any(f"was {shown_margin} less than" in p for p in paragraphs), paragraphs  # the browser's

    page.goto(f"{live_server_url}/project/instances/{instance.uuid}/")
    page.click("#tab-scheduling-button")
    ranked = page.locator("#scheduling ol li", has_text=loser["host"]).inner_text()
    assert ranked.split()[-1] == shown, ranked
    context.close()
