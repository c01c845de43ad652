"""Publishing live events: small typed messages on streams, each with a sequence number.

A stream is what one kind of viewer may see: ``project-<id>`` (the members of a project),
``cloud-<id>`` (the instructors of a cloud), ``session-<id>`` (the people of a live class
session) and ``session-staff-<id>`` (its instructors only: who comes and goes). Every event is
sent *after* the transaction that caused it commits (Zulip's ``send_event_on_commit``), numbered
per stream by a Redis counter, so a page that sees a gap in the numbers knows it missed
something and refetches a snapshot.

What each event carries is declared in ``cloudlab.live.schemas``; a name not declared there is
refused.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from functools import cache
from typing import Any

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from . import hub
from .schemas import EVENT_SCHEMAS

log = logging.getLogger(__name__)


def project_stream(project_id: int) -> str:
    return f"project-{project_id}"


def cloud_stream(cloud_id: int) -> str:
    return f"cloud-{cloud_id}"


def session_stream(session_id: int) -> str:
    """A live class session's stream: its participants and instructors (``cloudlab.classroom``)."""
    return f"session-{session_id}"


def session_staff_stream(session_id: int) -> str:
    """What only a session's instructors follow: its participants joining, coming online and
    going (a participant's page needs none of it, and sending every arrival to every student's
    socket made a class arriving cost N² messages)."""
    return f"session-staff-{session_id}"


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.EVENTS_REDIS_URL)


def _seq_key(stream: str) -> str:
    return f"{settings.CLOUDLAB_KEY_PREFIX}:seq:{stream}"


def current_seqs(streams: list[str]) -> dict[str, int]:
    """The last sequence number sent on each stream (a snapshot is consistent from there on)."""
    if not streams:
        return {}
    values = _redis().mget([_seq_key(s) for s in streams])
    return {s: int(v or 0) for s, v in zip(streams, values, strict=True)}


def _check_declared(event: str) -> None:
    if event not in EVENT_SCHEMAS:
        raise ValueError(f"{event!r} is not a declared live event: add it to cloudlab/live/schemas.py")


def send_now(stream: str, event: str, data: dict[str, Any]) -> int:
    """Number and send one event immediately. Callers inside a transaction use ``publish_on_commit``."""
    return send_many([(stream, event, data)])[0]


def send_many(items: list[tuple[str, str, dict[str, Any]]]) -> list[int]:
    """Number and send several events at once, in order: one round trip to Redis for their
    numbers and one for the frames, however many (an instance's row goes to its project's and
    its cloud's stream together; a class launching together sends thousands). Their numbers."""
    for _stream, event, _data in items:
        _check_declared(event)
    counters = _redis().pipeline(transaction=False)
    for stream, _event, _data in items:
        counters.incr(_seq_key(stream))
    seqs = [int(seq) for seq in counters.execute()]
    with hub.publishing():
        for (stream, event, data), seq in zip(items, seqs, strict=True):
            message = {"stream": stream, "seq": seq, "event": event, "data": data}
            message["text"] = encode_event(stream, seq, event, data)
            _group_send(message)
    return seqs


def encode_event(stream: str, seq: int, event: str, data: dict[str, Any]) -> str:
    """The frame a page receives, encoded once per event, here: every socket sends this text."""
    return json.dumps(
        {"type": "event", "stream": stream, "seq": seq, "event": event, "data": data}, separators=(",", ":")
    )


def _group_send(message: dict[str, Any]) -> None:
    """Where every event leaves, for the sockets of its stream in every process
    (``cloudlab.live.hub``); the test suite checks each one here against its schema
    (tests/conftest.py), whichever process sends it."""
    hub.publish(message["stream"], message["text"])


def layer_send(group: str, message: dict[str, Any]) -> None:
    """``group_send`` from synchronous code: the access notices of ``revocation``."""
    layer = get_channel_layer()
    assert layer is not None, "CHANNEL_LAYERS is not configured"
    send = async_to_sync(layer.group_send)
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # the usual case: a worker thread, a view's thread, a command
        send(group, message)
        return
    # A synchronous caller on a thread that runs an event loop (a test driving Chromium through
    # Playwright's sync API): async_to_sync refuses that thread, so send from a helper thread.
    helper = threading.Thread(target=send, args=(group, message))
    helper.start()
    helper.join()


def publish_on_commit(stream: str, event: str, data: dict[str, Any]) -> None:
    """Send ``event`` on ``stream`` once the current transaction commits (at once if none).

    An undeclared event name raises ``ValueError`` here, in the caller, not later in the hook."""
    publish_many_on_commit([(stream, event, data)])


def publish_many_on_commit(items: list[tuple[str, str, dict[str, Any]]]) -> None:
    """``publish_on_commit`` for several events that go together, sent together (``send_many``)."""
    for _stream, event, _data in items:
        _check_declared(event)

    def send() -> None:
        try:
            send_many(items)
        except redis.RedisError:
            # A lost event is recoverable (pages refetch on the next gap or reconnect); a failed
            # action because Redis blinked is not.
            log.exception("could not publish %s", ", ".join(f"{event} on {stream}" for stream, event, _ in items))

    transaction.on_commit(send, robust=True)
