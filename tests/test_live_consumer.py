"""The WebSocket: authenticated, origin-checked, joined only to streams the user may see. Every
refusal is accepted, then closed with the code the page reads (4400, 4401, 4403)."""

import pytest

from cloudlab.live.events import cloud_stream, project_stream, send_now
from tests.live_sockets import communicator_factory, open_socket

pytestmark = pytest.mark.django_db(transaction=True)


def _communicator(path, user=None, origin=b"http://localhost"):
    return communicator_factory(path, user, origin=origin)


async def _connect(communicator):
    """``(True, None)`` for a socket that joined its streams, else ``(False, close code)``:
    what the page sees."""
    hello, code = await open_socket(communicator)
    return hello is not None, code


def _stage(instance):
    """A small event that matches its schema (every event sent in a test is checked)."""
    return {"record": 1, "instance": instance, "index": 0}


def run(coro):
    import asyncio

    return asyncio.run(coro)


def test_a_student_receives_her_projects_events_and_not_others(alice, bob, project_of):
    alice_stream = project_stream(project_of(alice).pk)
    bob_stream = project_stream(project_of(bob).pk)

    make = _communicator(f"/ws/live/?streams={alice_stream}", alice)

    async def scenario():
        communicator = make()
        hello, _ = await open_socket(communicator)
        assert hello == {"type": "hello", "streams": [alice_stream]}
        from asgiref.sync import sync_to_async

        await sync_to_async(send_now)(bob_stream, "scheduler.stage", _stage("bobs"))
        seq = await sync_to_async(send_now)(alice_stream, "scheduler.stage", _stage("alices"))
        message = await communicator.receive_json_from(timeout=5)
        assert message == {
            "type": "event",
            "stream": alice_stream,
            "seq": seq,
            "event": "scheduler.stage",
            "data": _stage("alices"),
        }
        assert await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()

    run(scenario())


def test_a_student_cannot_join_another_projects_stream(alice, bob, project_of):
    make = _communicator(f"/ws/live/?streams={project_stream(project_of(bob).pk)}", alice)

    async def scenario():
        communicator = make()
        connected, code = await _connect(communicator)
        assert not connected and code == 4403

    run(scenario())


def test_a_student_cannot_join_the_instructors_stream(alice, demo_cloud):
    make = _communicator(f"/ws/live/?streams={cloud_stream(demo_cloud.pk)}", alice)

    async def scenario():
        communicator = make()
        connected, code = await _connect(communicator)
        assert not connected and code == 4403

    run(scenario())


def test_the_instructor_joins_the_cloud_stream(ivy, demo_cloud):
    make = _communicator(f"/ws/live/?streams={cloud_stream(demo_cloud.pk)}", ivy)

    async def scenario():
        communicator = make()
        connected, _ = await _connect(communicator)
        assert connected
        await communicator.disconnect()

    run(scenario())


def test_a_socket_without_a_session_is_closed(demo_cloud, alice, project_of):
    make = _communicator(f"/ws/live/?streams={project_stream(project_of(alice).pk)}")

    async def scenario():
        communicator = make()
        connected, code = await _connect(communicator)
        assert not connected and code == 4401

    run(scenario())


@pytest.mark.parametrize("origin", [b"http://evil.example", b"http://localhost.evil.example", b"null", None])
def test_a_socket_from_another_origin_is_closed_as_forbidden(alice, project_of, origin):
    make = _communicator(f"/ws/live/?streams={project_stream(project_of(alice).pk)}", alice, origin=origin)

    async def scenario():
        communicator = make()
        connected, code = await _connect(communicator)
        assert not connected and code == 4403

    run(scenario())


def test_a_socket_from_an_allowed_host_on_another_port_is_accepted(alice, project_of):
    """ALLOWED_HOSTS names hosts, not ports (Channels' matching): the run command's own port."""
    make = _communicator(f"/ws/live/?streams={project_stream(project_of(alice).pk)}", alice, b"http://127.0.0.1:8000")

    async def scenario():
        communicator = make()
        connected, _ = await _connect(communicator)
        assert connected
        await communicator.disconnect()

    run(scenario())


@pytest.mark.parametrize("streams", ["", "project-abc", "host-1", ",".join(f"project-{i}" for i in range(1, 10))])
def test_a_malformed_stream_request_is_refused(alice, streams):
    make = _communicator(f"/ws/live/?streams={streams}", alice)

    async def scenario():
        communicator = make()
        connected, code = await _connect(communicator)
        assert not connected and code == 4400

    run(scenario())


def test_a_message_the_socket_does_not_understand_gets_an_error(alice, project_of):
    make = _communicator(f"/ws/live/?streams={project_stream(project_of(alice).pk)}", alice)

    async def scenario():
        communicator = make()
        assert (await _connect(communicator))[0]
        await communicator.send_to(text_data="not json")
        assert (await communicator.receive_json_from(timeout=5))["type"] == "error"
        await communicator.send_json_to({"type": "launch"})
        error = await communicator.receive_json_from(timeout=5)
        assert error["type"] == "error" and "ping" in error["message"]
        await communicator.send_json_to({"type": "ping"})
        assert await communicator.receive_json_from(timeout=5) == {"type": "pong"}
        await communicator.disconnect()

    run(scenario())


def test_an_idle_socket_stays_open_past_the_redis_read_timeout(alice, project_of):
    """redis-py 8 gives up on a read after 5 s, as long as channels_redis blocks for a message;
    an idle page must not lose its socket (regression: consumers died every few seconds)."""
    stream = project_stream(project_of(alice).pk)
    make = _communicator(f"/ws/live/?streams={stream}", alice)

    async def scenario():
        import asyncio

        from asgiref.sync import sync_to_async

        communicator = make()
        assert (await _connect(communicator))[0]
        await asyncio.sleep(6.5)
        seq = await sync_to_async(send_now)(stream, "scheduler.stage", _stage("later"))
        message = await communicator.receive_json_from(timeout=5)
        assert message["seq"] == seq
        await communicator.disconnect()

    run(scenario())
