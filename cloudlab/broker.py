"""Kombu's Redis transport, made to survive a Redis restart while steps are in flight.

The fault (kombu 5.7.0, celery 5.7.0): when the broker connection drops, the worker's consumer
first ``collect()``s the connection (closing its channels and detaching the transport: its
``client`` becomes None), then ``close()``s it. Closing the task channel in ``collect`` fails
early (its pending BRPOP reads from the dead socket), so the channel stays open; the second close
then calls ``QoS.restore_unacked`` to push the worker's unacknowledged deliveries back, which
builds a new Redis pool from the detached transport and raises ``AttributeError``. That error is
not a connection error, ``ignore_errors`` lets it through, and the worker exits ("Unrecoverable
error").

Nothing can be restored at that moment anyway: Redis is unreachable. The deliveries are still in
Redis's unacked hash (if Redis kept its data), and ``restore_visible`` hands them out again once
they are older than the transport's ``visibility_timeout``; if Redis lost its data, the reaper
settles the instances whose steps are gone. So the patch skips the restore when the transport is
already detached, and lets every other case go through kombu's own code.
"""

from __future__ import annotations

import logging
from typing import Any

from kombu.transport import redis as kombu_redis

log = logging.getLogger(__name__)


class QoS(kombu_redis.QoS):  # type: ignore[misc]
    def restore_unacked(self, client: Any = None) -> Any:
        if client is None and self.channel.connection.client is None:
            # The connection was collected after it was lost: no client to restore with.
            if self._delivered:
                log.warning(
                    "broker connection lost with %d unacknowledged message(s); Redis redelivers them "
                    "after the visibility timeout",
                    len(self._delivered),
                )
            self._delivered.clear()
            return None
        return super().restore_unacked(client)


def install() -> None:
    """Use ``QoS`` in every Redis channel of this process (the worker's and the publishers')."""
    kombu_redis.Channel.QoS = QoS
