"""channels_redis's pub/sub layer with a bound on each consumer's queue.

``RedisPubSubChannelLayer`` publishes a group message once and fans it out inside each process,
but keeps an unbounded ``asyncio.Queue`` per consumer: a consumer that falls behind grows without
limit. ``BoundedPubSubChannelLayer`` gives each queue ``capacity`` messages (100, as
``RedisChannelLayer`` keeps per channel) and, when one is full, drops its oldest message, as the
default layer does: that page sees a gap in the sequence numbers and refetches its snapshot.
Nothing else changes (the per-loop layers, subscriptions, reconnects are channels_redis's own).
"""

from __future__ import annotations

import asyncio
from typing import Any

from channels_redis import pubsub


class _DropOldestQueue(asyncio.Queue[Any]):
    def put_nowait(self, item: Any) -> None:
        if self.full():
            self.get_nowait()  # the oldest goes; the page sees the gap in seq and refetches
        super().put_nowait(item)


class _BoundedLoopLayer(pubsub.RedisPubSubLoopLayer):
    def __init__(self, *args: Any, capacity: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.capacity = capacity

    async def _subscribe_to_channel(self, channel: str) -> None:
        self.channels[channel] = _DropOldestQueue(maxsize=self.capacity)
        await self._get_shard(channel).subscribe(channel)


class BoundedPubSubChannelLayer(pubsub.RedisPubSubChannelLayer):
    def __init__(self, *args: Any, capacity: int = 100, **kwargs: Any) -> None:
        if capacity < 1:
            raise ValueError(f"a consumer's queue must hold at least 1 message, not {capacity}")
        super().__init__(*args, **kwargs)
        self.capacity = capacity

    def _get_layer(self) -> pubsub.RedisPubSubLoopLayer:
        """channels_redis's own, making the bounded loop layer (one per event loop)."""
        loop = asyncio.get_running_loop()
        try:
            return self._layers[loop]
        except KeyError:
            layer = _BoundedLoopLayer(*self._args, **self._kwargs, channel_layer=self, capacity=self.capacity)
            self._layers[loop] = layer
            pubsub._wrap_close(self, loop)
            return layer
