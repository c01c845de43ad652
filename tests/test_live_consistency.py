"""Every live view stays right (Zulip's verify_action), checked on the real page in Chromium: the
Instances tables (Project → Instances for alice, Admin → Instances for ivy) follow the events the
actions send over the WebSocket, and once the instances settle each shows exactly what a fresh
snapshot from its rows URL says."""

import json
import os

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from cloudlab.compute.models import Instance
from tests.helpers import click_row_action, log_in, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: What the page shows: each row's data as the page holds it, in the table's order, with what
#: the row's cells render from it.
READ_TABLE = """() => Array.from(document.querySelectorAll("#instances-table tbody tr")).map(tr => ({
  id: tr.dataset.id,
  status: tr.querySelector("[data-status]").dataset.status,
  name: tr.querySelector(".cl-name a").textContent,
  row: tr.__row,
}))"""

FETCH_JSON = """url => fetch(url, {headers: {Accept: "application/json"}, credentials: "same-origin"})
  .then(r => r.json())"""


class Viewer:
    """One person's browser on one Instances table."""

    def __init__(self, context, base_url, username, rows_url, path=None):
        self.username = username
        self.context = context
        self.page = context.new_page()
        self.rows_url = rows_url
        log_in(self.page, base_url, username)
        if path:
            self.page.goto(base_url + path)
            self.page.wait_for_selector("#instances-table")
        self.page.wait_for_selector("#live-indicator[data-state=live]")

    def table(self):
        shown = self.page.evaluate(READ_TABLE)
        for cell in shown:  # the cells say what the row's data says
            assert (cell["id"], cell["status"], cell["name"]) == (
                cell["row"]["id"],
                cell["row"]["status"],
                cell["row"]["name"],
            )
        return [cell["row"] for cell in shown]

    def snapshot(self):
        return self.page.evaluate(FETCH_JSON, self.rows_url)["rows"]

    def close(self):
        self.context.close()


def _settled():
    return (
        not Instance.objects.exclude(task_state=None).exists()
        and not Instance.objects.filter(vm_state="building").exists()
    )


def assert_table_matches_a_fresh_snapshot(viewer, timeout=10.0):
    """Once the instances settle, the table must come to equal a fresh snapshot (the last events
    may still be on their way when the database is quiet)."""
    wait_for(_settled, timeout=30)
    fresh = viewer.snapshot()
    try:
        wait_for(lambda: viewer.table() == fresh, timeout=timeout, interval=0.2)
    except AssertionError:
        raise AssertionError(
            f"{viewer.username}'s table differs from a fresh snapshot:\n  "
            + "\n  ".join(_differences(viewer.table(), fresh))
        ) from None


def _differences(shown, fresh):
    shown_by_id, fresh_by_id = {r["id"]: r for r in shown}, {r["id"]: r for r in fresh}
    lines = [f"shown, not in the snapshot: {json.dumps(shown_by_id[i])}" for i in shown_by_id.keys() - fresh_by_id]
    lines += [f"in the snapshot, not shown: {json.dumps(fresh_by_id[i])}" for i in fresh_by_id.keys() - shown_by_id]
    for i in shown_by_id.keys() & fresh_by_id.keys():
        a, b = shown_by_id[i], fresh_by_id[i]
        lines += [
            f"{a['name']}.{k}: shown {a.get(k)!r}, snapshot {b.get(k)!r}" for k in sorted(a | b) if a.get(k) != b.get(k)
        ]
    if not lines:
        lines.append(f"order: shown {[r['name'] for r in shown]}, snapshot {[r['name'] for r in fresh]}")
    return lines


def _row(page, name):
    return page.locator("#instances-table tbody tr", has_text=name)


def _posted(path_part):
    """Wait for the page's POST to ``path_part`` (the settle check must not run before it lands)."""
    return lambda response: path_part in response.url and response.request.method == "POST"


def _launch(page, name, count):
    page.click("#launch-button")
    # The dialog focuses the name once it is shown; typing before that would land in the name.
    expect(page.locator("#launch-name")).to_be_focused()  # no string predicates: the CSP forbids eval
    page.fill("#launch-name", name)
    page.fill("#launch-count", str(count))
    page.select_option("#launch-image", label="cirros (21 MB)")
    page.check("#flavor-1")  # m1.tiny
    with page.expect_response(_posted("/launch/")) as response:
        page.click("#launch-submit")
    assert response.value.status == 202
    page.wait_for_selector("#launch-modal", state="hidden")


def _act(page, name, action, *, confirm=False):
    """Run ``action`` from the row's menu, as the user would, until the server has accepted it."""
    with page.expect_response(_posted("/action/")) as response:
        click_row_action(_row(page, name), action)
        if confirm:
            page.click("#action-confirm")
    assert response.value.status == 202


def _viewers(browser, live_server_url):
    alice = Viewer(browser.new_context(locale="en-US"), live_server_url, "alice", reverse("dashboard:instances-rows"))
    ivy = Viewer(
        browser.new_context(locale="en-US"),
        live_server_url,
        "ivy",
        reverse("dashboard:admin-instances-rows"),
        path=reverse("dashboard:admin-instances"),
    )
    return alice, ivy


def test_the_instances_tables_follow_the_events_to_a_fresh_snapshot(
    browser, live_server_url, celery_worker, demo_cloud, alice, ivy, sent_events
):
    # Paced, so an action's HTTP answer (which the page applies too) reaches the page before the
    # worker's next step: at pace 0 the answer can land after a newer event and leave the row stale.
    demo_cloud.pace = 0.2
    demo_cloud.save()
    alice_page, ivy_page = _viewers(browser, live_server_url)
    viewers = (alice_page, ivy_page)

    _launch(alice_page.page, "web", 2)  # instance.created, then the build's instance.updated
    for viewer in viewers:
        assert_table_matches_a_fresh_snapshot(viewer)
    assert {r["name"]: r["status"] for r in alice_page.table()} == {"web-1": "ACTIVE", "web-2": "ACTIVE"}

    _act(alice_page.page, "web-1", "stop", confirm=True)
    for viewer in viewers:
        assert_table_matches_a_fresh_snapshot(viewer)

    _act(alice_page.page, "web-2", "delete", confirm=True)
    for viewer in viewers:
        assert_table_matches_a_fresh_snapshot(viewer)
    assert [r["name"] for r in ivy_page.table() if r["project"] == "alice"] == ["web-1"]

    # The instructor acts from Admin → Instances; the student's table follows too.
    _act(ivy_page.page, "web-1", "start")
    for viewer in viewers:
        assert_table_matches_a_fresh_snapshot(viewer)
    assert [(r["name"], r["status"], r["host"]) for r in ivy_page.table() if r["project"] == "alice"] == [
        ("web-1", "ACTIVE", Instance.objects.get(name="web-1").host.name)
    ]
    for viewer in viewers:
        viewer.close()
    # The suite checked these events against their schemas, the web server's (Daphne) included.
    created_by = {e["pid"] for e in sent_events.entries() if e["event"] == "instance.created"}
    assert created_by and os.getpid() not in created_by


def test_the_check_notices_a_page_that_ignores_instance_updated(browser, live_server_url, celery_worker, demo_cloud):
    """The check above can fail: a page whose instances.js drops ``instance.updated`` keeps the
    row the launch answered with (Build), and the comparison says so."""
    demo_cloud.pace = 0.1
    demo_cloud.save()
    context = browser.new_context(locale="en-US")

    def ignore_updates(route):
        script = route.fetch().text()
        broken = script.replace('event === "instance.updated" ||', "")
        assert broken != script, "instances.js no longer reads as this test expects"
        route.fulfill(body=broken, content_type="application/javascript")

    context.route("**/static/cloudlab/instances.js*", ignore_updates)
    viewer = Viewer(context, live_server_url, "alice", reverse("dashboard:instances-rows"))
    _launch(viewer.page, "web", 1)
    with pytest.raises(AssertionError, match="differs from a fresh snapshot"):
        assert_table_matches_a_fresh_snapshot(viewer, timeout=3)
    viewer.close()


def test_a_late_answer_never_replaces_a_newer_row(browser, live_server_url, celery_worker, demo_cloud):
    """An action's HTTP answer carries the row as the request left it; a step's event may have
    arrived first. The table keeps the newer row (rows carry the instance's write version)."""
    context = browser.new_context(locale="en-US")
    try:
        page = Viewer(context, live_server_url, "alice", reverse("dashboard:instances-rows")).page
        _launch(page, "versioned", 1)
        wait_for(lambda: page.evaluate(READ_TABLE) and page.evaluate(READ_TABLE)[0]["status"] == "ACTIVE")
        current = page.evaluate(READ_TABLE)[0]["row"]
        stale = {**current, "status": "BUILD", "vm_state": "building", "version": current["version"] - 1}
        page.evaluate("row => CloudLab.instancesTable.upsert(row)", stale)
        assert page.evaluate(READ_TABLE)[0]["status"] == "ACTIVE"
        newer = {**current, "status": "SHUTOFF", "vm_state": "stopped", "version": current["version"] + 1}
        page.evaluate("row => CloudLab.instancesTable.upsert(row)", newer)
        assert page.evaluate(READ_TABLE)[0]["status"] == "SHUTOFF"
    finally:
        context.close()


@pytest.mark.parametrize(
    ("actions", "primary"),
    [
        (["reboot_hard", "rebuild", "rescue", "lock", "delete"], "reboot_hard"),  # error
        (["lock", "delete"], "delete"),  # building
        (["create_snapshot", "stop", "reboot_soft", "pause", "rescue", "lock", "delete"], "create_snapshot"),  # active
        (["start", "create_snapshot", "rescue", "lock", "delete"], "start"),  # shut off
        (["confirm_resize", "revert_resize", "lock", "delete"], "confirm_resize"),  # verify resize
    ],
)
def test_the_rows_primary_button_is_the_one_horizon_shows(browser, live_server_url, demo_cloud, actions, primary):
    context = browser.new_context(locale="en-US")
    try:
        page = Viewer(context, live_server_url, "alice", reverse("dashboard:instances-rows")).page
        row = {
            "id": "00000000-0000-4000-8000-0000000000aa", "name": "probe", "image": "cirros", "ip": None,
            "flavor": "m1.tiny", "status": "ACTIVE", "vm_state": "active", "task_state": None, "power_state": 1,
            "created_at": "2026-12-01T00:00:00+00:00", "locked": False, "fault": None, "host_down": False,
            "actions": actions, "version": 1,
        }  # fmt: skip
        page.evaluate("row => CloudLab.instancesTable.upsert(row)", row)
        shown = page.locator(f"tr[data-id='{row['id']}'] .btn-group > button[data-action]").first
        assert shown.get_attribute("data-action") == primary
    finally:
        context.close()
