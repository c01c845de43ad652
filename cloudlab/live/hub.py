"""Fan-out of live events inside each ASGI process: one Redis subscription per stream, one frame
written to every socket that follows it.

Events used to reach sockets as channel-layer group messages: each socket had its own queue, its
own task woken per message and Channels' dispatch loop (``asyncio.wait`` over two tasks, a new
task per message) before its handler sent the frame. For a class of 300 that was most of the cost
of an event (``bench/ws_fanout.py``; docs/live-sessions.md, Capacity). Here an event is published
once (``publish``: the frame ``cloudlab.live.events`` encoded, on the Redis pub/sub channel of its
stream); every process that has sockets on that stream holds one subscription to it, and its hub
hands the frame to each socket's ``deliver`` in turn, with no queue and no task switch between
them.

Nothing is lost by it:

* **Sequence numbers and gaps** are the event's own (in the frame), as before; a socket that
  misses a frame (its process lost Redis for a moment) sees a gap on the next and refetches.
* **Several ASGI processes**: each subscribes for its own sockets, so every socket of every
  process gets every event.
* **A slow or dead client** never holds the others up: a frame is written to the socket's
  transport (Daphne buffers it) and the hub goes on to the next; nothing waits for a client to
  read.
* **Access** stays the consumer's: a socket is added to a stream only after its access check, and
  it is removed before it closes; access notices (logging out, a membership lost) still come
  through the channel layer (``cloudlab.live.revocation``).

Redis pub/sub channels are shared by every database of a server, so their names carry the channel
layer's prefix (``CLOUDLAB_CHANNEL_PREFIX``), as the layer's own keys do.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Protocol

import redis
import redis.asyncio as aioredis
from django.conf import settings

log = logging.getLogger(__name__)

#: Seconds a socket waits for its process's subscription to be confirmed before it gives up (the
#: consumer then closes it as a restarting server does, and the page retries).
SUBSCRIBE_TIMEOUT = 10.0


class Follower(Protocol):
    """What the hub needs of a socket (``LiveConsumer``)."""

    async def deliver(self, text: str) -> None: ...


def redis_channel(stream: str) -> str:
    """The Redis pub/sub channel a stream's frames travel on."""
    return f"{settings.CLOUDLAB_KEY_PREFIX}:live:{stream}"


@cache
def _publisher() -> redis.Redis:
    return redis.Redis.from_url(settings.EVENTS_REDIS_URL)


_batches = threading.local()


def publish(stream: str, text: str) -> None:
    """Send one encoded frame to every socket following ``stream``, in every process (inside
    ``publishing()``: when it ends, with the others)."""
    batch = getattr(_batches, "pipeline", None)
    if batch is not None:
        batch.publish(redis_channel(stream), text)
        return
    _publisher().publish(redis_channel(stream), text)


@contextmanager
def publishing() -> Iterator[None]:
    """The frames ``publish`` is given meanwhile leave together, in order, in one round trip."""
    if getattr(_batches, "pipeline", None) is not None:  # already inside one
        yield
        return
    _batches.pipeline = _publisher().pipeline(transaction=False)
    try:
        yield
        _batches.pipeline.execute()
    finally:
        _batches.pipeline = None


class Hub:
    """The sockets of one event loop (one ASGI process) and the subscriptions they need."""

    def __init__(self) -> None:
        self.members: dict[str, set[Follower]] = {}
        self.subscribed: dict[str, asyncio.Future[None]] = {}
        self.redis: aioredis.Redis | None = None
        self.pubsub: aioredis.client.PubSub | None = None
        self.reader: asyncio.Task[None] | None = None

    async def add(self, stream: str, follower: Follower) -> None:
        """Follow ``stream``; returns once this process's subscription to it is confirmed, so
        every event published from then on reaches ``follower``."""
        self.members.setdefault(stream, set()).add(follower)
        if stream not in self.subscribed:
            self.subscribed[stream] = asyncio.get_running_loop().create_future()
            await self._ensure_pubsub().subscribe(redis_channel(stream))
            self._ensure_reader()
        await asyncio.wait_for(asyncio.shield(self.subscribed[stream]), SUBSCRIBE_TIMEOUT)

    async def discard(self, stream: str, follower: Follower) -> None:
        members = self.members.get(stream)
        if members is None:
            return
        members.discard(follower)
        if members:
            return
        del self.members[stream]
        waiting = self.subscribed.pop(stream, None)
        if waiting is not None and not waiting.done():
            waiting.cancel()
        if self.pubsub is not None:
            try:
                await self.pubsub.unsubscribe(redis_channel(stream))
            except redis.RedisError:
                log.warning("could not unsubscribe from %s; the subscription ends with the connection", stream)
        if not self.members:
            await self.close()

    async def close(self) -> None:
        """Nobody follows anything here any more: stop reading and let the connection go."""
        reader, pubsub, connection = self.reader, self.pubsub, self.redis
        self.reader = self.pubsub = self.redis = None
        for waiting in self.subscribed.values():
            if not waiting.done():
                waiting.cancel()
        self.subscribed.clear()
        if reader is not None and reader is not asyncio.current_task():
            reader.cancel()
        if pubsub is not None:
            await pubsub.aclose()
        if connection is not None:
            await connection.aclose()

    def _ensure_pubsub(self) -> aioredis.client.PubSub:
        if self.pubsub is None:
            self.redis = aioredis.Redis.from_url(settings.EVENTS_REDIS_URL)
            self.pubsub = self.redis.pubsub()
        return self.pubsub

    def _ensure_reader(self) -> None:
        if self.reader is None or self.reader.done():
            self.reader = asyncio.get_running_loop().create_task(self._read(), name="cloudlab-live-hub")

    async def _read(self) -> None:
        prefix = redis_channel("")
        while self.pubsub is not None:
            pubsub = self.pubsub
            try:
                message = await pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except (redis.RedisError, OSError) as error:
                # redis-py subscribes again when it reconnects; frames sent meanwhile are lost,
                # and each page sees the gap on its next event and refetches.
                log.warning("live hub lost Redis (%s); reconnecting", error)
                await asyncio.sleep(0.5)
                continue
            if message is None:
                continue
            channel = message["channel"].decode() if isinstance(message["channel"], bytes) else message["channel"]
            stream = channel[len(prefix):]
            if message["type"] == "subscribe":
                waiting = self.subscribed.get(stream)
                if waiting is not None and not waiting.done():
                    waiting.set_result(None)
            elif message["type"] == "message":
                data = message["data"]
                await self._deliver(stream, data.decode() if isinstance(data, bytes) else data)

    async def _deliver(self, stream: str, text: str) -> None:
        for follower in list(self.members.get(stream, ())):
            try:
                await follower.deliver(text)
            except Exception:
                log.exception("could not hand a %s frame to a socket; the others still get it", stream)


_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}


def hub() -> Hub:
    """The hub of the running event loop (Daphne has one; a test may run several in turn)."""
    loop = asyncio.get_running_loop()
    for other in [other for other in _hubs if other.is_closed()]:
        del _hubs[other]
    if loop not in _hubs:
        _hubs[loop] = Hub()
    return _hubs[loop]
