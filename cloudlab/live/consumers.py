"""The one WebSocket a page holds. It authenticates, checks access, joins the streams the page
asked for and forwards small typed events. It never writes to the database."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from .access import StreamError, may_follow

#: Close codes in the 4000 range are ours; pages show why they are not live.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_BAD_REQUEST = 4400
MAX_STREAMS = 8


class LiveConsumer(AsyncWebsocketConsumer):
    streams: list[str]

    async def connect(self) -> None:
        self.streams = []
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        requested = [s for value in query.get("streams", []) for s in value.split(",") if s]
        if not requested or len(requested) > MAX_STREAMS:
            await self.close(code=CLOSE_BAD_REQUEST)
            return
        try:
            allowed = [await database_sync_to_async(may_follow)(user, s) for s in requested]
        except StreamError:
            await self.close(code=CLOSE_BAD_REQUEST)
            return
        if not all(allowed):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        for stream in requested:
            await self.channel_layer.group_add(stream, self.channel_name)
        self.streams = requested
        await self.accept()
        await self.send_json({"type": "hello", "streams": self.streams})

    async def disconnect(self, code: int) -> None:
        for stream in self.streams:
            await self.channel_layer.group_discard(stream, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Pages only listen; a ping is answered, anything else gets an error that says why."""
        try:
            message = json.loads(text_data or "")
        except ValueError:
            await self.send_json({"type": "error", "message": "messages must be JSON objects"})
            return
        if not isinstance(message, dict) or message.get("type") != "ping":
            await self.send_json(
                {"type": "error", "message": 'unknown message; this socket only accepts {"type": "ping"}'}
            )
            return
        await self.send_json({"type": "pong"})

    async def live_event(self, message: dict[str, Any]) -> None:
        await self.send_json(
            {
                "type": "event",
                "stream": message["stream"],
                "seq": message["seq"],
                "event": message["event"],
                "data": message["data"],
            }
        )

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, separators=(",", ":")))
