"""CLOUDLAB_CHANNEL_LAYER=pubsub loses nothing the live pipeline relies on: numbered events reach
every socket of a stream, a consumer that falls behind loses only its own oldest messages (its
queue is bounded, as the default layer's), the per-user access group still closes a logged-out socket (4401), and
a server-side drop is still a close the page retries (1012)."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.test import override_settings

from cloudlab.live.events import project_stream, send_now
from cloudlab.live.revocation import SESSION_ENDED, user_group
from tests.live_sockets import closed_with, communicator_factory, open_socket

pytestmark = pytest.mark.django_db(transaction=True)

PUBSUB = {
    "default": {
        "BACKEND": settings.CHANNEL_LAYER_BACKENDS["pubsub"],
        "CONFIG": {**settings.CHANNEL_LAYERS["default"]["CONFIG"], "prefix": "cloudlab-pubsub-test"},
    }
}


@pytest.fixture(autouse=True)
def _pubsub_layer():
    with override_settings(CHANNEL_LAYERS=PUBSUB):
        assert type(get_channel_layer()).__name__ == "BoundedPubSubChannelLayer"
        yield


def _stage(instance):
    return {"record": 1, "instance": instance, "index": 0}


def test_numbered_events_reach_every_socket_of_the_stream(alice, project_of):
    stream = project_stream(project_of(alice).pk)
    makers = [communicator_factory(f"/ws/live/?streams={stream}", alice) for _ in range(3)]

    async def scenario():
        sockets = [make() for make in makers]
        for socket in sockets:
            hello, _ = await open_socket(socket)
            assert hello == {"type": "hello", "streams": [stream]}
        seqs = [await sync_to_async(send_now)(stream, "scheduler.stage", _stage(f"i{n}")) for n in range(3)]
        got = [[(await s.receive_json_from(5))["seq"] for _ in range(3)] for s in sockets]
        for socket in sockets:
            await socket.disconnect()
        return seqs, got

    seqs, got = asyncio.run(scenario())
    assert seqs == [seqs[0], seqs[0] + 1, seqs[0] + 2]
    assert got == [seqs, seqs, seqs]


def test_logging_out_still_closes_the_socket(alice, project_of):
    make = communicator_factory(f"/ws/live/?streams={project_stream(project_of(alice).pk)}", alice)

    async def scenario():
        socket = make()
        await open_socket(socket)
        await get_channel_layer().group_send(user_group(alice.pk), {"type": SESSION_ENDED})
        return await closed_with(socket)

    assert asyncio.run(scenario()) == 4401


def test_a_server_side_drop_is_still_retried(alice, project_of):
    make = communicator_factory(f"/ws/live/?streams={project_stream(project_of(alice).pk)}", alice)

    async def scenario():
        socket = make()
        await open_socket(socket)
        await get_channel_layer().group_send(user_group(alice.pk), {"type": "live.drop"})
        return await closed_with(socket)

    assert asyncio.run(scenario()) == 1012


def test_a_consumer_that_falls_behind_loses_only_its_oldest_messages():
    """150 messages to a consumer that reads none: its queue keeps the newest 100 (the page sees
    the gap and refetches), and a consumer that keeps up misses nothing."""

    async def scenario():
        layer = get_channel_layer()
        behind, keeper, marker = await layer.new_channel(), await layer.new_channel(), await layer.new_channel()
        for channel in (behind, keeper):
            await layer.group_add("bound-test", channel)
        kept_up = []
        for n in range(1, 151):
            await layer.group_send("bound-test", {"type": "live.event", "n": n})
            kept_up.append((await asyncio.wait_for(layer.receive(keeper), 10))["n"])
        # One connection delivers in order: once the marker is in, so is every group message.
        await layer.send(marker, {"type": "live.event", "n": 0})
        await asyncio.wait_for(layer.receive(marker), 10)
        held = [(await layer.receive(behind))["n"] for _ in range(100)]
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(layer.receive(behind), 0.3)
        return kept_up, held

    kept_up, held = asyncio.run(scenario())
    assert kept_up == list(range(1, 151))
    assert held == list(range(51, 151))
