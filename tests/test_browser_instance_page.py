"""The instance page in Chromium, in English and Chinese: the Lifecycle tab's state diagram (every
edge of the engine's STATE_DIAGRAM labelled with its action, no label over another or over a
state, the current state and the edge in progress highlighted, the task_states listed in order),
and Horizon's Actions menu and the gate list's buttons running the row's actions live."""

import pytest

from cloudlab.compute.models import Instance
from cloudlab.engine.lifecycle import STATE_DIAGRAM
from tests.helpers import log_in, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1024, 1366, 1920)
ACTIONS = "elements => elements.map(e => e.dataset.action)"
PAGE_DATA = "() => JSON.parse(document.getElementById('page-data').textContent)"

#: Label boxes that overlap another label box or a state's box, and texts outside their box.
OVERLAPS = """() => {
  const svg = document.querySelector('#state-diagram svg');
  const name = (g) => g.dataset.state || g.dataset.junction || (g.dataset.source + '=' + g.dataset.target);
  const boxes = (sel) => [...svg.querySelectorAll(sel)].map(
    (g) => [name(g), g.querySelector('.cl-sd-box').getBoundingClientRect(), g]);
  const labels = boxes('.cl-sd-label'), nodes = boxes('.cl-sd-node');
  const hit = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5
    && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  const problems = [];
  labels.forEach(([n, a], i) => {
    labels.slice(i + 1).forEach(([m, b]) => { if (hit(a, b)) problems.push(n + ' over ' + m); });
    nodes.forEach(([m, b]) => { if (hit(a, b)) problems.push(n + ' over state ' + m); });
  });
  labels.concat(nodes).forEach(([n, box, g]) => g.querySelectorAll('text').forEach((t) => {
    const r = t.getBoundingClientRect();
    if (r.left < box.left - 0.5 || r.right > box.right + 0.5) problems.push(t.textContent + ' sticks out of ' + n);
  }));
  return problems;
}"""

#: The engine's edges that no drawn label names (with the action's label in the page's language).
UNLABELLED = """(diagram) => {
  const page = JSON.parse(document.getElementById('page-data').textContent);
  const svg = document.querySelector('#state-diagram svg');
  const words = (g) => g.textContent.replace(/\\s+/g, '');
  const says = (g, e) => {
    const label = e.action === 'launch' ? page.diagram.launch_label : page.labels.actions[e.action].label;
    return !!g && !!g.querySelector('text[data-action="' + e.action + '"]')
      && words(g).includes(label.replace(/\\s+/g, ''));
  };
  return diagram.edges.filter((e) => {
    if (e.source === e.target) return !says(svg.querySelector('.cl-sd-node[data-state="' + e.source + '"]'), e);
    const ends = [e.source, e.target].sort().join();
    const line = [...svg.querySelectorAll('.cl-sd-label[data-source]')].find((g) =>
      [g.dataset.source, g.dataset.target].sort().join() === ends
      && g.querySelector('text[data-action="' + e.action + '"]'));
    if (line) return !says(line, e);
    const joined = svg.querySelector('[data-edge="' + e.source + '>junction:' + e.action + '"]')
      || svg.querySelector('[data-edge="any>' + e.target + '"]');
    return !joined || !says(svg.querySelector('.cl-sd-junction[data-junction="' + e.action + '"]'), e);
  }).map((e) => e.source + ' ' + e.action + ' ' + e.target);
}"""

#: Whether the diagram was drawn for its column's present width.
REDRAWN = """() => {
  const c = document.getElementById('state-diagram'), s = getComputedStyle(c);
  const room = c.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
  return c.querySelector('svg').dataset.room === String(Math.round(room));
}"""

#: How much the diagram is drawn larger (or smaller) than its layout.
SCALE = """() => {
  const s = document.querySelector('#state-diagram svg');
  return s.clientWidth / s.viewBox.baseVal.width;
}"""

#: The edge in progress: its label's tasks in order, the one marked, and the row's task_state.
IN_PROGRESS = """() => {
  const label = document.querySelector('#state-diagram .cl-sd-label-live');
  if (!label) return null;
  return {
    action: label.querySelector('text.cl-sd-action-live').dataset.action,
    text: label.querySelector('text.cl-sd-action-live').textContent,
    tasks: [...label.querySelectorAll('text[data-task]')].map((t) => t.dataset.task),
    current: [...label.querySelectorAll('text.cl-sd-task-current')].map((t) => t.dataset.task),
    task_state: document.querySelector('#detail-states [data-field=task_state] code').textContent,
    live_lines: document.querySelectorAll('#state-diagram .cl-sd-edge-live').length,
  };
}"""


def _instance_page(browser, live_server_url, instance, locale, user="alice"):
    context = browser.new_context(locale=locale, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    log_in(page, live_server_url, user)
    page.goto(f"{live_server_url}/project/instances/{instance.uuid}/")
    page.wait_for_selector("#live-indicator[data-state=live]")
    return context, page


def _edge_tasks(source, action, target):
    [edge] = [e for e in STATE_DIAGRAM.edges if (e.source, e.action, e.target) == (source, action, target)]
    return list(edge.tasks)


@pytest.mark.parametrize(
    ("locale", "title", "stop"),
    [("en-US", "Instance state diagram", "Shut Off Instance"), ("zh-CN", "实例状态图", "关闭实例")],
)
def test_every_edge_is_labelled_and_no_label_covers_another_at_projector_widths(
    browser, live_server_url, celery_worker, demo_cloud, alice, launch, locale, title, stop
):
    [instance] = launch(alice, name="vm")
    wait_for(lambda: Instance.objects.get(pk=instance.pk).vm_state == "active")
    context, page = _instance_page(browser, live_server_url, instance, locale)
    page.click("#tab-lifecycle-button")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_function(REDRAWN)  # the diagram is drawn again for its column's new width
        assert page.evaluate(OVERLAPS) == [], width
        assert page.evaluate(UNLABELLED, STATE_DIAGRAM.as_dict()) == [], width
        # never drawn smaller than readable: the labels' 13.5 px at 0.85 at least
        assert page.evaluate(SCALE) >= 0.85 - 1e-3, width
    current = page.locator("#state-diagram .cl-node-current")
    assert current.get_attribute("data-state") == "active" and current.get_attribute("aria-current") == "true"
    assert page.locator("#state-diagram .cl-node-current").count() == 1
    # the actions allowed from here are drawn as such, the refused ones are not
    legal = set(page.locator("#state-diagram text.cl-sd-action-legal").evaluate_all(ACTIONS))
    assert {"stop", "reboot_soft", "resize", "delete"} <= legal
    assert not legal & {"start", "migrate", "live_migrate", "evacuate"}
    assert stop in page.locator("#state-diagram text.cl-sd-action-legal[data-action=stop]").text_content()
    svg = page.locator("#state-diagram svg")
    assert svg.get_attribute("role") == "img"
    assert page.locator("#cl-sd-title").text_content() == title
    assert "active" in page.locator("#cl-sd-desc").text_content() and stop in page.locator("#cl-sd-desc").text_content()
    assert svg.get_attribute("aria-labelledby") == "cl-sd-title cl-sd-desc"
    context.close()


def test_the_edge_in_progress_lists_its_tasks_in_order_in_both_languages(
    browser, live_server_url, celery_worker, demo_cloud, alice, launch
):
    [instance] = launch(alice, name="vm")
    wait_for(lambda: Instance.objects.get(pk=instance.pk).vm_state == "active")
    demo_cloud.pace = 2.0  # each phase of the resize stays on screen for seconds
    demo_cloud.save()
    english, en = _instance_page(browser, live_server_url, instance, "en-US")
    chinese, zh = _instance_page(browser, live_server_url, instance, "zh-CN", user="alice")
    for page in (en, zh):
        page.click("#tab-lifecycle-button")
        assert page.evaluate(IN_PROGRESS) is None  # nothing runs: no edge is live
    en.click("#instance-actions-button")
    en.click("#instance-actions-menu button[data-action=resize]")
    en.select_option("#action-flavor", "2")  # m1.small
    en.click("#action-confirm")
    resize = _edge_tasks("active", "resize", "resized")
    assert resize == ["resize_prep", "resize_migrating", "resize_migrated", "resize_finish"]
    for page, label in ((en, "Resize Instance"), (zh, "调整云主机类型")):
        page.wait_for_function(IN_PROGRESS)  # the page follows live: the edge lights up
        shown = page.evaluate(IN_PROGRESS)
        assert shown["action"] == "resize" and label in shown["text"]
        assert shown["tasks"] == resize  # the task_states of the edge in progress, in order
        assert shown["current"] == [shown["task_state"]]  # the one in progress is marked
        assert shown["live_lines"] >= 1
        assert page.evaluate(OVERLAPS) == []
    demo_cloud.pace = 0
    demo_cloud.save()
    for page in (en, zh):
        page.locator("#state-diagram .cl-node-current[data-state=resized]").wait_for(timeout=30000)
        assert page.evaluate(IN_PROGRESS) is None
    english.close()
    chinese.close()


def test_the_actions_menu_and_the_gate_list_run_the_rows_actions(
    browser, live_server_url, celery_worker, demo_cloud, alice, launch
):
    [instance] = launch(alice, name="vm")
    wait_for(lambda: Instance.objects.get(pk=instance.pk).vm_state == "active")
    context, page = _instance_page(browser, live_server_url, instance, "en-US")
    offered = page.evaluate(PAGE_DATA)["snapshot"]["detail"]["row"]["actions"]
    page.click("#instance-actions-button")
    menu = page.locator("#instance-actions-menu button[data-action]")
    assert menu.evaluate_all(ACTIONS) == offered  # the server's row, in its order
    assert "stop" in offered and "start" not in offered and "migrate" not in offered
    assert "text-danger" in page.locator("#instance-actions-menu button[data-action=delete]").get_attribute("class")

    page.click("#instance-actions-menu button[data-action=stop]")
    assert page.locator("#action-title").inner_text() == "Shut Off Instance"  # the table's confirmation
    assert "vm" in page.locator("#action-body").inner_text()
    page.click("#action-confirm")
    page.locator("#detail-status [data-status=SHUTOFF]").wait_for(timeout=15000)
    page.click("#tab-lifecycle-button")
    page.locator("#state-diagram .cl-node-current[data-state=stopped]").wait_for()
    assert page.locator("#action-gate li[data-action=stop] button").count() == 0  # refused now: no button

    # Start asks nothing: the gate list's button runs it at once
    start = page.locator("#action-gate li[data-action=start][data-allowed=true] button.cl-gate-run")
    assert start.get_attribute("aria-label") == "Run Start Instance"
    start.click()
    page.locator("#detail-status [data-status=ACTIVE]").wait_for(timeout=15000)
    page.locator("#state-diagram .cl-node-current[data-state=active]").wait_for()
    assert Instance.objects.get(pk=instance.pk).vm_state == "active"
    context.close()


def test_the_menu_and_the_dialogs_speak_chinese_and_an_instructor_gets_the_admin_actions(
    browser, live_server_url, celery_worker, demo_cloud, alice, ivy, launch
):
    [instance] = launch(alice, name="vm")
    wait_for(lambda: Instance.objects.get(pk=instance.pk).vm_state == "active")
    context, page = _instance_page(browser, live_server_url, instance, "zh-CN")
    assert page.locator("#instance-actions-button").inner_text() == "操作"
    page.click("#tab-lifecycle-button")
    # Create Snapshot asks for a name, in the table's dialog
    page.click("#action-gate li[data-action=create_snapshot] button.cl-gate-run")
    assert page.locator("#action-title").inner_text() == "创建快照"
    page.fill("#action-name", "vm-snap")
    page.click("#action-confirm")
    wait_for(lambda: instance.project.images.filter(name="vm-snap").exists(), timeout=20)
    page.locator("#state-diagram .cl-node-current[data-state=active]").wait_for()
    page.click("#instance-actions-button")
    assert page.locator("#instance-actions-menu button[data-action=stop]").inner_text() == "关闭实例"
    context.close()

    context, page = _instance_page(browser, live_server_url, instance, "en-US", user="ivy")
    page.click("#instance-actions-button")
    offered = page.locator("#instance-actions-menu button[data-action]").evaluate_all(ACTIONS)
    assert {"migrate", "live_migrate"} <= set(offered)  # an instructor's row
    context.close()
