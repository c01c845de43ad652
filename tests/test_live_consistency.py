"""Every live view stays right (Zulip's verify_action): a snapshot, plus the events an action
sends, equals a fresh snapshot afterwards. The pages apply events exactly this way: an
instance.* event replaces the row with the same id; a deleted row goes away."""

import pytest
from django.test import Client
from django.urls import reverse

from cloudlab.compute.actions.instance import do_instance_action
from cloudlab.compute.models import Instance
from cloudlab.live.events import cloud_stream, project_stream
from tests.helpers import EventRecorder, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _apply(rows, messages):
    by_id = {row["id"]: row for row in rows}
    for message in sorted(messages, key=lambda m: m["seq"]):
        if not message["event"].startswith("instance."):
            continue
        row = message["data"]
        if row["vm_state"] == "deleted":
            by_id.pop(row["id"], None)
        else:
            by_id[row["id"]] = row
    return sorted(by_id.values(), key=lambda r: r["id"])


def _snapshot(client, url):
    return sorted(client.get(url).json()["rows"], key=lambda r: r["id"])


def _quiet():
    return (
        not Instance.objects.exclude(task_state=None).exists()
        and not Instance.objects.filter(vm_state="building").exists()
    )


@pytest.mark.parametrize("viewer", ["alice", "ivy"])
def test_snapshot_plus_events_equals_a_fresh_snapshot(
    viewer, celery_worker, demo_cloud, alice, ivy, launch, project_of
):
    user = {"alice": alice, "ivy": ivy}[viewer]
    client = Client()
    client.force_login(user)
    if viewer == "alice":
        url, stream = reverse("dashboard:instances-rows"), project_stream(project_of(alice).pk)
    else:
        url, stream = reverse("dashboard:admin-instances-rows"), cloud_stream(demo_cloud.pk)
    before = _snapshot(client, url)
    with EventRecorder(stream) as recorder:
        first, second = launch(alice, name="web", count=2)
        wait_for(lambda: Instance.objects.filter(pk__in=[first.pk, second.pk], vm_state="active").count() == 2)
        do_instance_action(alice, Instance.objects.get(pk=first.pk), "stop")
        do_instance_action(alice, Instance.objects.get(pk=second.pk), "delete")
        wait_for(_quiet, timeout=20)
        fresh = _snapshot(client, url)
        wait_for(lambda: _apply(before, recorder.messages) == fresh, timeout=5)
    assert {r["name"] for r in fresh} >= {"web-1"} and "web-2" not in {r["name"] for r in fresh}
