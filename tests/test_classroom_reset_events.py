"""After "Reset to the scenario" every open page follows (issue 13): the removed instances are
announced as deleted on their project's stream (the participant's Instances panel) and the cloud's
(the instructors'), the scenario's own instances as created on the cloud's, then the
``session.control``; applied to the rows a page held before, the events give what a fresh
snapshot says. Heard through the real consumer on the Redis layer."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from cloudlab.classroom.controls import reset_cloud
from cloudlab.classroom.live import session_stream
from cloudlab.classroom.models import State
from cloudlab.classroom.sessions import join, set_state, start_session
from cloudlab.compute.models import Instance
from cloudlab.dashboard.instances import _project_snapshot
from cloudlab.live.events import cloud_stream, project_stream
from cloudlab.live.schemas import validate_event
from tests.live_sockets import communicator_factory, open_socket
from tests.test_classroom_console import _launch

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _a_layer_per_event_loop():
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def lecture(ivy, demo_cloud):
    session = start_session(ivy, scenario="demo", name="Lecture 7", quota={"instances": 3, "cores": 8, "ram": 16384})
    return set_state(session, State.RUNNING, ivy)


def _apply(rows, event, data):
    """What instances.js does with an instance event: a deleted row leaves, another replaces or
    joins by id."""
    rows = {r["id"]: r for r in rows}
    if event in ("instance.created", "instance.updated"):
        if data["vm_state"] == "deleted":
            rows.pop(data["id"], None)
        else:
            rows[data["id"]] = data
    return rows


async def _until(communicator, event):
    heard = []
    while True:
        message = await communicator.receive_json_from(timeout=5)
        assert not validate_event(message["event"], message["data"]), message
        heard.append(message)
        if message["event"] == event:
            return heard


def test_a_reset_announces_every_removed_instance_to_its_panel(ivy, alice, lecture):
    participant = join(lecture, user=alice)
    web = _launch(participant, alice, name="web")[0]
    db = _launch(participant, alice, name="db")[0]
    before = _project_snapshot(participant.project, for_instructor=False)["rows"]
    assert {r["name"] for r in before} == {"web", "db"}
    scenario_instances = set(
        Instance.objects.filter(cloud=lecture.cloud).exclude(project=participant.project).values_list("name", flat=True)
    )
    panel = communicator_factory(f"/ws/live/?streams={project_stream(participant.project_id)}", alice)
    page = communicator_factory(f"/ws/live/?streams={session_stream(lecture.pk)}", alice)
    admin = communicator_factory(f"/ws/live/?streams={cloud_stream(lecture.cloud_id)}", ivy)
    expected_on_cloud = 2 + 2 * len(scenario_instances)

    async def scenario():
        instances, student_page, instructor = panel(), page(), admin()
        for communicator in (instances, student_page, instructor):
            assert (await open_socket(communicator))[0]
        await sync_to_async(reset_cloud)(lecture, ivy)
        heard = await _until(instances, "instance.updated")
        heard += await _until(instances, "instance.updated")
        control = await _until(student_page, "session.control")
        on_cloud = []
        while len(on_cloud) < expected_on_cloud:
            on_cloud += [m for m in await _until(instructor, "instance.created")]
        for communicator in (instances, student_page, instructor):
            await communicator.disconnect(timeout=5)
        return heard, control, on_cloud

    heard, control, sent = asyncio.run(scenario())
    rows = {r["id"]: r for r in before}
    for message in heard:
        rows = _apply(rows.values(), message["event"], message["data"])
    assert rows == {}
    assert {m["data"]["id"] for m in heard} == {str(web.uuid), str(db.uuid)}
    assert all(m["data"]["status"] == "DELETED" for m in heard)
    assert control[-1]["data"] == {"control": "reset", "detail": {"scenario": "demo"}, "by": "ivy"}
    assert _project_snapshot(participant.project, for_instructor=False)["rows"] == []

    # The instructors' cloud stream: the two removed rows as deleted, the scenario's as created
    # (new uuids, so a page that held the old ones drops them and shows the new).
    deleted = [e for e in sent if e["event"] == "instance.updated"]
    created = [e for e in sent if e["event"] == "instance.created"]
    assert {e["data"]["name"] for e in deleted} == {"web", "db"} | scenario_instances
    assert all(e["data"]["vm_state"] == "deleted" for e in deleted)
    assert {e["data"]["name"] for e in created} == scenario_instances
    fresh = {str(u) for u in Instance.objects.filter(cloud=lecture.cloud).values_list("uuid", flat=True)}
    assert {e["data"]["id"] for e in created} == fresh
