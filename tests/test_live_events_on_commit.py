"""Events leave after the transaction that caused them commits, and never if it rolls back
(Zulip's send_event_on_commit), through the real Redis channel layer.

To tell "not sent yet" from "slow", each test sends a marker straight away (``send_now``) after
the publish and waits for it: one channel reads its group's messages in the order they were
sent, so an event published before the commit would have arrived ahead of the marker."""

import pytest
from django.db import transaction

from cloudlab.compute.actions.host import do_host_action
from cloudlab.compute.models import Host
from cloudlab.live.events import cloud_stream, project_stream, publish_on_commit, send_now
from tests.helpers import EventRecorder, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

STREAM = project_stream(424242)


class Rollback(Exception):
    pass


def _stage(record):
    return {"record": record, "instance": "on-commit-test", "index": 0}


def _events(recorder):
    return [(m["event"], m["data"].get("record", m["data"].get("name"))) for m in recorder.messages]


def _marker(recorder, record):
    """Send a marker now and wait until it arrives: whatever was sent before it has arrived too."""
    send_now(recorder.stream, "scheduler.stage", _stage(record))
    wait_for(lambda: ("scheduler.stage", record) in _events(recorder), timeout=5)


def test_an_event_published_in_a_transaction_waits_for_the_commit():
    with EventRecorder(STREAM) as recorder:
        with transaction.atomic():
            publish_on_commit(STREAM, "scheduler.stage", _stage(1))
            _marker(recorder, -1)
            assert _events(recorder) == [("scheduler.stage", -1)]  # not before the commit
        wait_for(lambda: ("scheduler.stage", 1) in _events(recorder), timeout=5)
    assert _events(recorder) == [("scheduler.stage", -1), ("scheduler.stage", 1)]


def test_an_event_published_in_a_rolled_back_transaction_is_never_sent():
    with EventRecorder(STREAM) as recorder:
        with pytest.raises(Rollback), transaction.atomic():
            publish_on_commit(STREAM, "scheduler.stage", _stage(2))
            raise Rollback
        _marker(recorder, -2)
    assert _events(recorder) == [("scheduler.stage", -2)]


def test_an_event_published_in_a_rolled_back_savepoint_is_never_sent():
    with EventRecorder(STREAM) as recorder:
        with transaction.atomic():
            publish_on_commit(STREAM, "scheduler.stage", _stage(3))
            with pytest.raises(Rollback), transaction.atomic():
                publish_on_commit(STREAM, "scheduler.stage", _stage(4))
                raise Rollback
        wait_for(lambda: ("scheduler.stage", 3) in _events(recorder), timeout=5)
        _marker(recorder, -3)
    assert _events(recorder) == [("scheduler.stage", 3), ("scheduler.stage", -3)]


def _host_action():
    from cloudlab.compute.actions.host import do_host_action

    return do_host_action


def test_a_host_action_in_a_rolled_back_transaction_announces_nothing(demo_cloud, ivy):
    host = Host.objects.filter(cloud=demo_cloud, enabled=True).order_by("name").first()
    with EventRecorder(cloud_stream(demo_cloud.pk)) as recorder:
        with pytest.raises(Rollback), transaction.atomic():
            do_host_action(ivy, host, "disable", "maintenance")
            _marker(recorder, -4)
            raise Rollback
        _marker(recorder, -5)
    assert _events(recorder) == [("scheduler.stage", -4), ("scheduler.stage", -5)]
    assert Host.objects.get(pk=host.pk).enabled


def test_a_host_action_is_announced_once_its_transaction_commits(demo_cloud, ivy):
    host = Host.objects.filter(cloud=demo_cloud, enabled=True).order_by("name").first()
    with EventRecorder(cloud_stream(demo_cloud.pk)) as recorder:
        with transaction.atomic():
            do_host_action(ivy, host, "disable", "maintenance")
            _marker(recorder, -6)
            assert _events(recorder) == [("scheduler.stage", -6)]
        wait_for(lambda: ("host.updated", host.name) in _events(recorder), timeout=5)
    [update] = [m for m in recorder.messages if m["event"] == "host.updated"]
    assert update["data"]["enabled"] is False and update["data"]["by"] == "ivy"


def test_a_launch_in_a_rolled_back_transaction_announces_nothing(demo_cloud, alice, launch, project_of):
    stream = project_stream(project_of(alice).pk)
    with EventRecorder(stream) as recorder:
        with pytest.raises(Rollback), transaction.atomic():
            launch(alice, name="never")
            raise Rollback
        _marker(recorder, -7)
    assert _events(recorder) == [("scheduler.stage", -7)]
