"""Access ends on open sockets too: logging out closes that session's sockets with 4401, a lost
membership or role closes the sockets that followed what it gave with 4403, and a session
deleted or expired server-side ends with 4401. Nothing else is closed on the way."""

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.contrib.sessions.models import Session
from django.db.models.signals import post_delete
from django.test import Client
from django.utils import timezone

from cloudlab.identity.models import Membership, Role
from cloudlab.live.events import cloud_stream, project_stream, send_now
from tests.live_sockets import closed_with, communicator_factory, open_socket, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


def _stage(instance):
    return {"record": 1, "instance": instance, "index": 0}


async def _still_streams(communicator, stream):
    """The socket is open and forwards the stream's next event."""
    seq = await sync_to_async(send_now)(stream, "scheduler.stage", _stage("still-here"))
    message = await communicator.receive_json_from(timeout=5)
    assert (message["type"], message["seq"]) == ("event", seq)


@pytest.fixture(params=["session-rows", "no-session-rows"])
def session_store(request):
    """Logging out is heard twice with the database's sessions (``user_logged_out``, then the row's
    deletion); a session engine without rows (cache, signed cookies) has only the first."""
    from cloudlab.live import revocation

    if request.param == "no-session-rows":
        post_delete.disconnect(sender=Session, dispatch_uid="live-session-deleted")
        yield request.param
        post_delete.connect(revocation._session_deleted, sender=Session, dispatch_uid="live-session-deleted")
    else:
        yield request.param


def test_logging_out_closes_that_sessions_socket_and_no_other(alice, project_of, session_store):
    stream = project_stream(project_of(alice).pk)
    laptop, phone = Client(), Client()
    on_laptop = communicator_factory(f"/ws/live/?streams={stream}", session=session_cookie(alice, laptop))
    on_phone = communicator_factory(f"/ws/live/?streams={stream}", session=session_cookie(alice, phone))

    async def scenario():
        laptop_socket, phone_socket = on_laptop(), on_phone()
        assert (await open_socket(laptop_socket))[0] and (await open_socket(phone_socket))[0]
        response = await sync_to_async(laptop.post)("/auth/logout/")
        assert response.status_code == 302
        assert await closed_with(laptop_socket) == 4401
        await _still_streams(phone_socket, stream)
        await phone_socket.disconnect()

    asyncio.run(scenario())


def test_losing_the_membership_closes_the_projects_socket(alice, bob, project_of):
    alice_stream, bob_stream = project_stream(project_of(alice).pk), project_stream(project_of(bob).pk)
    alices = communicator_factory(f"/ws/live/?streams={alice_stream}", alice)
    bobs = communicator_factory(f"/ws/live/?streams={bob_stream}", bob)

    async def scenario():
        alice_socket, bob_socket = alices(), bobs()
        assert (await open_socket(alice_socket))[0] and (await open_socket(bob_socket))[0]
        await sync_to_async(lambda: Membership.objects.get(user=alice).delete())()
        assert await closed_with(alice_socket) == 4403
        # Bob kept his project: his socket heard nothing of it.
        await _still_streams(bob_socket, bob_stream)
        await bob_socket.disconnect()

    asyncio.run(scenario())


def test_an_instructor_demoted_to_student_loses_the_cloud_stream(ivy, demo_cloud):
    socket = communicator_factory(f"/ws/live/?streams={cloud_stream(demo_cloud.pk)}", ivy)

    def demote():
        membership = Membership.objects.get(user=ivy, role=Role.INSTRUCTOR)
        membership.role = Role.STUDENT
        membership.save()

    async def scenario():
        communicator = socket()
        assert (await open_socket(communicator))[0]
        await sync_to_async(demote)()
        assert await closed_with(communicator) == 4403

    asyncio.run(scenario())


def test_a_change_that_keeps_access_keeps_the_socket(alice, project_of):
    """A recheck that still says yes leaves the socket streaming (a role saved unchanged)."""
    stream = project_stream(project_of(alice).pk)
    socket = communicator_factory(f"/ws/live/?streams={stream}", alice)

    async def scenario():
        communicator = socket()
        assert (await open_socket(communicator))[0]
        await sync_to_async(lambda: Membership.objects.get(user=alice).save())()
        await _still_streams(communicator, stream)
        await communicator.disconnect()

    asyncio.run(scenario())


@pytest.mark.parametrize(
    "end_it",
    [
        pytest.param(lambda key, user: Session.objects.filter(session_key=key).delete(), id="session-deleted"),
        pytest.param(lambda key, user: user.__class__.objects.filter(pk=user.pk).delete(), id="user-deleted"),
        pytest.param(lambda key, user: (setattr(user, "is_active", False), user.save()), id="user-deactivated"),
        pytest.param(lambda key, user: (user.set_password("a-new-one-123"), user.save()), id="password-changed"),
    ],
)
def test_a_session_ended_server_side_closes_its_socket(alice, project_of, end_it):
    stream = project_stream(project_of(alice).pk)
    key = session_cookie(alice)
    socket = communicator_factory(f"/ws/live/?streams={stream}", session=key)

    async def scenario():
        communicator = socket()
        assert (await open_socket(communicator))[0]
        await sync_to_async(end_it)(key, alice)
        assert await closed_with(communicator) == 4401

    asyncio.run(scenario())


def test_an_expired_session_is_noticed_by_the_timed_recheck(alice, project_of, settings):
    """Expiry sends no signal: the row is only past its date (an update, no post_save)."""
    settings.CLOUDLAB_LIVE_RECHECK = 1.0
    stream = project_stream(project_of(alice).pk)
    key = session_cookie(alice)
    socket = communicator_factory(f"/ws/live/?streams={stream}", session=key)

    async def scenario():
        communicator = socket()
        assert (await open_socket(communicator))[0]
        await _still_streams(communicator, stream)
        past = timezone.now() - timedelta(seconds=1)
        await sync_to_async(lambda: Session.objects.filter(session_key=key).update(expire_date=past))()
        assert await closed_with(communicator, timeout=10) == 4401

    asyncio.run(scenario())
