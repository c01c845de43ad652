"""Fan-out: an event is encoded once and every socket sends that text; a channel that is full (its
consumer stopped reading) loses only its own messages, which its page sees as a gap, and the
publisher never waits for it; a server-side drop (1012) is a close the page retries."""

import asyncio
import json
import os

import pytest
from asgiref.sync import sync_to_async
from channels_redis.core import RedisChannelLayer
from django.conf import settings

from cloudlab.live import events
from cloudlab.live.events import encode_event, project_stream, send_now
from cloudlab.live.revocation import user_group
from tests.live_sockets import closed_with, communicator_factory, open_socket

pytestmark = pytest.mark.django_db(transaction=True)


def _stage(instance):
    return {"record": 1, "instance": instance, "index": 0}


def test_every_socket_gets_the_text_encoded_once_for_the_event(alice, project_of, monkeypatch):
    stream = project_stream(project_of(alice).pk)
    sent = []
    real = events._group_send

    def spaced(message):
        # Re-encoded with spaces, so a frame shows whether the consumer sent this text as it is.
        message["text"] = json.dumps(json.loads(message["text"]))
        sent.append(message)
        real(message)

    monkeypatch.setattr(events, "_group_send", spaced)
    make_first = communicator_factory(f"/ws/live/?streams={stream}", alice)
    make_second = communicator_factory(f"/ws/live/?streams={stream}", alice)

    async def scenario():
        first, second = make_first(), make_second()
        await open_socket(first)
        await open_socket(second)
        seq = await sync_to_async(send_now)(stream, "scheduler.stage", _stage("once"))
        frames = [(await c.receive_output(5))["text"] for c in (first, second)]
        await first.disconnect()
        await second.disconnect()
        return seq, frames

    seq, frames = asyncio.run(scenario())
    [message] = sent
    assert frames == [message["text"], message["text"]]
    assert ", " in frames[0]
    assert json.loads(frames[0]) == {
        "type": "event", "stream": stream, "seq": seq, "event": "scheduler.stage", "data": _stage("once")
    }
    assert json.loads(encode_event(stream, seq, "scheduler.stage", _stage("once"))) == json.loads(message["text"])


def test_a_server_side_drop_closes_the_socket_with_a_code_the_page_retries(alice, project_of):
    stream = project_stream(project_of(alice).pk)
    make = communicator_factory(f"/ws/live/?streams={stream}", alice)

    async def scenario():
        communicator = make()
        hello, _ = await open_socket(communicator)
        assert hello is not None
        from channels.layers import get_channel_layer

        await get_channel_layer().group_send(user_group(alice.pk), {"type": "live.drop"})
        return await closed_with(communicator)

    # 1012 is not one of live.js's final codes (44xx): the page reconnects and refetches.
    assert asyncio.run(scenario()) == 1012


def _small_layer(capacity):
    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    return RedisChannelLayer(hosts=config["hosts"], prefix=config["prefix"] + "-fanout-test", capacity=capacity)


def test_a_full_channel_loses_only_its_own_oldest_messages_and_its_reader_sees_a_gap():
    """Consumers of one process share one Redis key per group message; the process hands it to
    each consumer's own buffer, which holds ``capacity`` messages and drops the oldest when full.
    So a consumer that stops reading costs the others nothing: they get every message, every
    group_send returns, and the stalled one later finds a hole in the numbers (its page refetches)."""

    async def scenario():
        layer = _small_layer(capacity=3)
        reader, stalled = await layer.new_channel(), await layer.new_channel()
        await layer.group_add("session-fanout", reader)
        await layer.group_add("session-fanout", stalled)
        read = []
        for seq in range(1, 11):
            await layer.group_send("session-fanout", {"type": "live.event", "seq": seq})
            read.append((await asyncio.wait_for(layer.receive(reader), 5))["seq"])
        kept = [(await asyncio.wait_for(layer.receive(stalled), 5))["seq"] for _ in range(3)]
        await layer.flush()
        return read, kept

    read, kept = asyncio.run(scenario())
    assert read == list(range(1, 11))
    assert kept == [8, 9, 10]  # 1…7 dropped for it alone: after its last read it sees 8, a gap


def test_the_channel_layer_comes_from_the_environment(tmp_path):
    import subprocess
    import sys

    def backend(value, connections="1000"):
        environment = {
            **os.environ, "CLOUDLAB_CHANNEL_LAYER": value, "CLOUDLAB_CHANNEL_LAYER_CONNECTIONS": connections
        }
        return subprocess.run(
            [sys.executable, "-c", "from django.conf import settings as s; import django; django.setup(); "
             "print(s.CHANNEL_LAYERS['default']['BACKEND'], s.CHANNEL_LAYERS['default']['CONFIG']['hosts'][0]"
             "['max_connections'])"],
            env={**environment, "DJANGO_SETTINGS_MODULE": "cloudlab.settings"},
            capture_output=True, text=True, cwd=settings.BASE_DIR,
        )

    assert backend("pubsub").stdout.strip() == "cloudlab.live.layers.BoundedPubSubChannelLayer 1000"
    assert backend("redis", "2000").stdout.strip() == "channels_redis.core.RedisChannelLayer 2000"
    too_few = backend("redis", "5")
    assert too_few.returncode != 0 and "CLOUDLAB_CHANNEL_LAYER_CONNECTIONS" in too_few.stderr
    refused = backend("bogus")
    assert refused.returncode != 0
    assert "CLOUDLAB_CHANNEL_LAYER must be one of redis, pubsub, not 'bogus'" in refused.stderr
