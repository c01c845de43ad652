"""The session's streams on the real Redis channel layer: a join and a participant's sockets coming
and going reach the lobby as events on the staff stream (presence counted, last_seen kept) and
no student's socket, the session's stream is the session's people's only and the staff stream
its instructors', a guest's access ends with the session (4401), and the snapshot plus the
events equals a fresh snapshot."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.test import Client

from cloudlab.classroom.live import present_ids, session_staff_stream, session_stream, snapshot
from cloudlab.classroom.models import Participant
from cloudlab.classroom.sessions import end_session, join, record_guest_login, set_state, start_session
from cloudlab.live.schemas import validate_event
from tests.live_sockets import communicator_factory, open_socket, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _a_layer_per_event_loop():
    """Each test runs its sockets in an event loop of its own (asyncio.run); channels_redis keeps
    its receive lock on the layer object, made for one loop per process (as Daphne runs it), so
    each test gets a fresh layer instead of one whose lock a previous loop created."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def lecture(ivy, demo_cloud):
    return start_session(ivy, cloud=demo_cloud, name="Lecture 5")


def _socket(stream, user=None, session=None):
    return communicator_factory(f"/ws/live/?streams={stream}", user, session=session)


def _guest_login(participant):
    client = Client()
    key = session_cookie(participant.user, client)
    record_guest_login(participant, key)
    return key


async def _closed_after_events(communicator):
    """The close code of a socket that may hear a few events first (presence, the state)."""
    while (output := await communicator.receive_output(5))["type"] == "websocket.send":
        pass
    await communicator.send_input({"type": "websocket.disconnect", "code": output.get("code", 1000)})
    await communicator.wait(5)
    return output["type"] == "websocket.close" and output.get("code")


async def _event(communicator, name):
    message = await communicator.receive_json_from(timeout=5)
    assert message["type"] == "event" and message["event"] == name, message
    assert not validate_event(name, message["data"])
    return message


def _lobby_streams(session):
    return f"{session_stream(session.pk)},{session_staff_stream(session.pk)}"


def test_a_join_and_a_participants_socket_reach_the_lobby(ivy, alice, lecture):
    stream = session_stream(lecture.pk)
    lobby = _socket(_lobby_streams(lecture), ivy)
    on_phone, on_laptop = _socket(stream, alice), _socket(stream, alice)

    async def scenario():
        instructor = lobby()
        hello = {"type": "hello", "streams": [stream, session_staff_stream(lecture.pk)]}
        assert (await open_socket(instructor))[0] == hello
        participant = await sync_to_async(join)(lecture, user=alice)
        joined = await _event(instructor, "session.participant_joined")
        assert joined["data"]["participant"]["nickname"] == "Alice"
        assert (joined["data"]["participant"]["online"], joined["data"]["present"]) == (False, 0)

        # Her page opens its socket: she is online. A second tab changes nothing.
        phone, laptop = on_phone(), on_laptop()
        assert (await open_socket(phone))[0]
        online = await _event(instructor, "session.participant_joined")
        assert online["data"]["participant"]["id"] == participant.pk
        assert (online["data"]["participant"]["online"], online["data"]["present"]) == (True, 1)
        assert online["data"]["participant"]["last_seen"] is not None
        assert (await open_socket(laptop))[0]
        assert await instructor.receive_nothing(timeout=0.3)
        assert await sync_to_async(present_ids)(lecture.pk) == {participant.pk}

        await phone.disconnect(timeout=5)
        assert await instructor.receive_nothing(timeout=0.3)  # still there in the other tab
        await laptop.disconnect(timeout=5)
        left = await _event(instructor, "session.participant_left")
        assert (left["data"]["participant"]["online"], left["data"]["present"]) == (False, 0)
        assert await sync_to_async(present_ids)(lecture.pk) == set()
        await instructor.disconnect(timeout=5)

    asyncio.run(scenario())
    assert Participant.objects.get(user=alice).last_seen is not None


def test_a_students_socket_hears_no_one_come_or_go(ivy, alice, bob, lecture):
    """Presence is the instructors' (the staff stream): a student's page hears the session's
    state and controls, gap-free, and none of the class arriving; their snapshot names no one."""
    join(lecture, user=alice)
    stream = session_stream(lecture.pk)
    alices, bobs = _socket(stream, alice), _socket(stream, bob)
    lobby = _socket(_lobby_streams(lecture), ivy)

    async def scenario():
        student, instructor = alices(), lobby()
        assert (await open_socket(instructor))[0]
        assert (await open_socket(student))[0]
        assert (await _event(instructor, "session.participant_joined"))["data"]["participant"]["nickname"] == "Alice"
        await sync_to_async(join)(lecture, user=bob)
        assert (await _event(instructor, "session.participant_joined"))["data"]["participant"]["nickname"] == "Bob"
        other = bobs()
        assert (await open_socket(other))[0]
        assert (await _event(instructor, "session.participant_joined"))["data"]["present"] == 2
        await other.disconnect(timeout=5)
        assert (await _event(instructor, "session.participant_left"))["data"]["present"] == 1
        seq_before = (await sync_to_async(snapshot)(lecture, staff=False))["streams"][stream]
        await sync_to_async(set_state)(lecture, "running", ivy)
        # The first thing Alice's socket hears is the state, numbered right after her snapshot.
        state = await _event(student, "session.state")
        assert (state["stream"], state["seq"]) == (stream, seq_before + 1)
        assert await student.receive_nothing(timeout=0.3)
        await student.disconnect(timeout=5)
        await instructor.disconnect(timeout=5)

    asyncio.run(scenario())
    mine = snapshot(lecture, staff=False)
    assert set(mine) == {"streams", "session"} and set(mine["streams"]) == {stream}
    assert len(snapshot(lecture, staff=True)["participants"]) == 2


def test_the_stream_is_the_sessions_people_only(ivy, alice, bob, demo_cloud, lecture):
    other = start_session(ivy, cloud=demo_cloud, name="Other")
    guest_elsewhere = join(other, nickname="Han Meimei")
    join(lecture, user=alice)
    stream = session_stream(lecture.pk)
    staff = session_staff_stream(lecture.pk)
    attempts = {
        "a guest of another session": _socket(stream, session=_guest_login(guest_elsewhere)),
        "a student not in it": _socket(stream, bob),
        "a student in it asking for both": _socket(f"{stream},{session_stream(other.pk)}", alice),
        "a student in it asking for the staff stream": _socket(f"{stream},{staff}", alice),
        "the instructor of another session": _socket(staff, bob),
    }
    other.co_instructors.add(bob)  # teaching one session is not teaching the other
    tom = get_user_model().objects.create_user("tom")
    lecture.co_instructors.add(tom)
    allowed = {"the owner": _socket(f"{stream},{staff}", ivy), "a co-instructor": _socket(staff, tom)}

    async def scenario():
        for who, make in attempts.items():
            hello, code = await open_socket(make())
            assert (hello, code) == (None, 4403), who
        for who, make in allowed.items():
            communicator = make()
            hello, _code = await open_socket(communicator)
            assert hello and hello["type"] == "hello", who
            await communicator.disconnect(timeout=5)

    asyncio.run(scenario())


def test_a_guests_access_ends_with_the_session(ivy, alice, lecture):
    guest = join(lecture, nickname="Li Lei")
    student = join(lecture, user=alice)
    stream = session_stream(lecture.pk)
    guests = _socket(f"{stream},project-{guest.project_id}", session=_guest_login(guest))
    alices = _socket(stream, alice)
    lobby = _socket(_lobby_streams(lecture), ivy)

    async def scenario():
        guest_socket, alice_socket, instructor = guests(), alices(), lobby()
        for communicator in (guest_socket, alice_socket, instructor):
            assert (await open_socket(communicator))[0]
        await sync_to_async(end_session)(lecture, ivy)
        assert await _closed_after_events(guest_socket) == 4401
        # The others hear that the session ended, and stay connected; only the lobby hears who left.
        for communicator in (alice_socket, instructor):
            while (message := await communicator.receive_json_from(timeout=5))["event"] != "session.state":
                assert communicator is instructor and message["event"].startswith("session.participant_")
                assert message["stream"] == session_staff_stream(lecture.pk)
            assert message["data"]["state"] == "ended" and message["data"]["by"] == "ivy"
        await alice_socket.disconnect(timeout=5)
        await instructor.disconnect(timeout=5)

    asyncio.run(scenario())
    guest.user.refresh_from_db()
    assert not guest.user.is_active
    assert Participant.objects.get(pk=student.pk).user.is_active


def test_the_snapshot_and_its_events_equal_a_fresh_snapshot(ivy, alice, lecture):
    """Zulip's verify_action: apply each action's events to the snapshot taken before it."""
    stream = session_stream(lecture.pk)
    lobby = _socket(_lobby_streams(lecture), ivy)
    alices = _socket(stream, alice)

    def apply(state, message):
        data = message["data"]
        if message["event"] == "session.state":
            state["session"].update({k: data[k] for k in ("state", "started_at", "ended_at")})
            state["session"]["state_label"] = fresh_label(data["state"])
        else:
            rows = {p["id"]: p for p in state["participants"]}
            rows[data["participant"]["id"]] = data["participant"]
            state["participants"] = sorted(rows.values(), key=lambda p: (p["joined_at"], p["id"]))
            state["present"] = data["present"]
        state["streams"][message["stream"]] = message["seq"]

    def fresh_label(state):
        from cloudlab.classroom.models import State

        return str(State(state).label)

    async def scenario():
        instructor = lobby()
        assert (await open_socket(instructor))[0]
        actions = [
            (lambda: join(lecture, user=alice), 1),
            (lambda: join(lecture, nickname="Li Lei"), 1),
            (lambda: set_state(lecture, "running", ivy), 1),
            (lambda: set_state(lecture, "frozen", ivy), 1),
        ]
        for action, count in actions:
            before = await sync_to_async(snapshot)(lecture, staff=True)
            await sync_to_async(action)()
            for _ in range(count):
                apply(before, await instructor.receive_json_from(timeout=5))
            assert before == await sync_to_async(snapshot)(lecture, staff=True)
        # A socket coming and going is an action too.
        before = await sync_to_async(snapshot)(lecture, staff=True)
        alice_socket = alices()
        assert (await open_socket(alice_socket))[0]
        apply(before, await instructor.receive_json_from(timeout=5))
        assert before == await sync_to_async(snapshot)(lecture, staff=True)
        await alice_socket.disconnect(timeout=5)
        apply(before, await instructor.receive_json_from(timeout=5))
        assert before == await sync_to_async(snapshot)(lecture, staff=True)
        await instructor.disconnect(timeout=5)

    asyncio.run(scenario())
