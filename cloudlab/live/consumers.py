"""The one WebSocket a page holds. It authenticates, checks access, joins the streams the page
asked for and forwards small typed events. It never writes to the database.

Every refusal is a close code the page understands (static/cloudlab/live.js), so the socket is
accepted first and then closed: closed before the accept, Daphne answers the handshake with an
HTTP 403, which a browser reports as 1006, the same as a network failure, and the page would
reconnect forever. Access is not only checked once: logging out, a lost membership or a session
gone end it on open sockets too (``cloudlab.live.revocation``), and a timer re-checks it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from importlib import import_module
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib import auth

from . import hub, presence, revocation
from .access import StreamError, may_follow, origin_allowed

log = logging.getLogger(__name__)

#: Close codes in the 4000 range are ours; pages show why they are not live and stop there.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_BAD_REQUEST = 4400
MAX_STREAMS = 8
#: Not ours: "service restart", which pages retry (static/cloudlab/live.js).
CLOSE_SERVICE_RESTART = 1012


class LiveConsumer(AsyncWebsocketConsumer):
    streams: list[str]
    access_groups: list[str]

    async def connect(self) -> None:
        self.streams, self.access_groups, self.ended, self.present = [], [], False, False
        self.recheck_timer: asyncio.Task[None] | None = None
        self.held: list[str] | None = []  # frames that came before the hello, sent right after it
        await self.accept()
        if not origin_allowed(self.scope.get("headers", [])):
            await self.end(CLOSE_FORBIDDEN, "this origin may not open CloudLab's socket")
            return
        user = self.scope.get("user")
        session = self.scope.get("session")
        if user is None or not user.is_authenticated or session is None or not session.session_key:
            await self.end(CLOSE_UNAUTHENTICATED, "not logged in")
            return
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        requested = [s for value in query.get("streams", []) for s in value.split(",") if s]
        if not requested or len(requested) > MAX_STREAMS:
            await self.end(CLOSE_BAD_REQUEST, f"ask for 1 to {MAX_STREAMS} streams")
            return
        self.user_id, self.session_key = user.pk, session.session_key
        # Listen for access changes before checking access: one committed in between is heard.
        self.access_groups = [revocation.user_group(user.pk), revocation.session_group(self.session_key)]
        await self.join(self.access_groups)
        try:
            allowed = [await database_sync_to_async(may_follow)(user, s) for s in requested]
        except StreamError as exc:
            await self.end(CLOSE_BAD_REQUEST, str(exc)[:120])
            return
        if not all(allowed):
            await self.end(CLOSE_FORBIDDEN, "not allowed to follow these streams")
            return
        self.streams = requested
        try:
            for stream in self.streams:
                await hub.hub().add(stream, self)
        except (TimeoutError, OSError) as error:  # Redis is away: the page retries, as after a restart
            log.warning("could not subscribe a socket to %s: %s", self.streams, error)
            await self.drop()
            return
        await self.send_json({"type": "hello", "streams": self.streams})
        held, self.held = self.held or [], None
        for text in held:
            await self.send(text_data=text)
        self.present = True
        await presence.opened(self.user_id, self.streams)
        self.recheck_timer = asyncio.create_task(self.recheck_every(settings.CLOUDLAB_LIVE_RECHECK))

    async def disconnect(self, code: int) -> None:
        if self.recheck_timer is not None:
            self.recheck_timer.cancel()
        await self.leave()
        if self.present:  # who is here (a class session's presence, cloudlab.live.presence)
            self.present = False
            await presence.closed(self.user_id, self.streams)

    async def join(self, groups: list[str]) -> None:
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)

    async def leave(self) -> None:
        for stream in self.streams:
            await hub.hub().discard(stream, self)
        for group in self.access_groups:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def end(self, code: int, reason: str) -> None:
        """Close with ``code``, forwarding nothing more meanwhile."""
        if self.ended:
            return
        self.ended = True
        await self.leave()
        await self.close(code=code, reason=reason)

    # -- access that may have ended ---------------------------------------------------------

    async def live_session_ended(self, message: dict[str, Any]) -> None:
        await self.end(CLOSE_UNAUTHENTICATED, "logged out")

    async def live_drop(self, message: dict[str, Any]) -> None:
        """Close as a restarting server does (1012): the page reconnects and refetches its
        snapshot. How an operator sheds a process's sockets, and how the reconnect is tested."""
        await self.drop()

    async def drop(self) -> None:
        if self.ended:
            return
        self.ended = True
        await self.leave()
        await self.close(code=CLOSE_SERVICE_RESTART)

    async def live_recheck(self, message: dict[str, Any]) -> None:
        await self.recheck()

    async def recheck(self) -> None:
        if self.ended:
            return
        verdict = await database_sync_to_async(self.access_now)()
        if verdict is not None:
            await self.end(*verdict)

    def access_now(self) -> tuple[int, str] | None:
        """Read the session afresh (it may have expired, been deleted or changed hands), then ask
        the one access rule about every stream; ``None`` if everything is still allowed."""
        store = import_module(settings.SESSION_ENGINE).SessionStore(self.session_key)
        # Django's own get_user: the backend's user, still active, the session hash still valid.
        user = auth.get_user(SimpleNamespace(session=store))  # type: ignore[arg-type]
        if not user.is_authenticated or user.pk != self.user_id:
            return CLOSE_UNAUTHENTICATED, "the session has ended"
        if not all(may_follow(user, stream) for stream in self.streams):
            return CLOSE_FORBIDDEN, "no longer allowed to follow these streams"
        return None

    async def recheck_every(self, seconds: float) -> None:
        """A session that expires sends no signal; a re-check on a timer notices it. Joining the
        groups again renews them in the channel layer (which forgets a group after a day).

        The first wait is a random part of ``seconds``: a class that connects within a few
        seconds would otherwise re-check all together, every time, and each re-check is a few
        queries on the one thread Channels gives the database."""
        wait = random.uniform(0.5, 1.0) * seconds  # noqa: S311 - spreading load, not a secret
        while not self.ended:
            await asyncio.sleep(wait)
            wait = seconds
            try:
                await self.recheck()
                if not self.ended:
                    await self.join(self.access_groups)
                    if self.ended:  # closed while joining: leave again
                        await self.leave()
            except Exception:
                log.exception("could not re-check a live socket's access; trying again later")

    # -- what pages say and hear -----------------------------------------------------------

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

    async def deliver(self, text: str) -> None:
        """An event's frame, from this process's hub (``cloudlab.live.hub``): encoded once for
        every socket of its stream (``cloudlab.live.events.encode_event``)."""
        if self.ended:
            return
        if self.held is not None:  # subscribed, the hello not sent yet: it goes first
            self.held.append(text)
            return
        try:
            await self.send(text_data=text)
        except Exception as error:
            # The client went away between two frames (Daphne has not told the consumer yet):
            # this socket ends, the others are not concerned.
            log.debug("a live socket closed while a frame was sent to it: %s", error)
            self.ended = True

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, separators=(",", ":")))
