"""Kombu's Redis transport, made to survive a Redis restart while steps are in flight.

The fault (kombu 5.7.0, celery 5.7.0): when the broker connection drops, the worker's consumer
first ``collect()``s the connection, which detaches its transport from the channels (the
channel's ``connection``, or that transport's ``client``, becomes None), then ``close()``s it.
Whatever still talks to Redis through such a channel afterwards builds a new Redis pool from the
detached transport and raises ``AttributeError``:

- closing the task channel a second time restores its unacknowledged deliveries
  (``QoS.restore_unacked``: the first close, in ``collect``, failed early on the dead socket);
- a step that was running when the connection dropped is acknowledged when it ends
  (``QoS.ack``, late acknowledgement).

``AttributeError`` is not one of the connection errors celery and kombu expect there
(``ignore_errors``, ``Message.ack_log_error``), so it ends the worker ("Unrecoverable error").

The one seam: a detached channel raises redis-py's ``ConnectionError`` when asked for a client,
which is what it is, and every caller already handles it. Nothing is lost by not talking to Redis
then: the deliveries are still in Redis's unacked hash (if Redis kept its data), and
``restore_visible`` hands them out again once they are older than the transport's
``visibility_timeout`` (a second run of a step that had committed is a no-op: every step is a
compare-and-swap); if Redis lost its data, the reaper settles the instances whose steps are gone.
"""

from __future__ import annotations

from typing import Any

import redis
from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):  # type: ignore[misc]
    def _create_client(self, asynchronous: bool = False) -> Any:
        transport = self.connection
        if transport is None or transport.client is None:
            raise redis.exceptions.ConnectionError("the broker connection of this channel was closed")
        return super()._create_client(asynchronous=asynchronous)


def install() -> None:
    """Every Redis broker connection of this process (the worker's and the publishers') uses
    ``Channel``."""
    kombu_redis.Transport.Channel = Channel
