"""Who is here: the consumer tells the app that owns a kind of stream when a socket following one
opens or closes (a class session's participants come online and go, ``cloudlab.classroom.live``).

A kind with no hooks costs nothing: no thread hop, no query. Hooks run on a worker thread
(they may touch the database and publish events); a failing hook is logged and never closes or
keeps open a socket.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from channels.db import database_sync_to_async

log = logging.getLogger(__name__)

Hook = Callable[[int, int], None]  # (user id, the stream's id)


@dataclass(frozen=True)
class _Hooks:
    opened: Hook
    closed: Hook


_HOOKS: dict[str, _Hooks] = {}


def register(kind: str, *, opened: Hook, closed: Hook) -> None:
    """``opened(user_id, ident)`` / ``closed(user_id, ident)`` for every socket on ``<kind>-<ident>``."""
    _HOOKS[kind] = _Hooks(opened, closed)


def _calls(streams: list[str], which: str) -> list[tuple[Hook, int]]:
    calls = []
    for stream in streams:
        kind, _, ident = stream.rpartition("-")  # session-staff-7 is kind "session-staff"
        hooks = _HOOKS.get(kind)
        if hooks is not None and ident.isdigit():
            calls.append((getattr(hooks, which), int(ident)))
    return calls


def _run(calls: list[tuple[Hook, int]], user_id: int) -> None:
    for hook, ident in calls:
        try:
            hook(user_id, ident)
        except Exception:
            log.exception("presence hook %s failed for user %s on %s", hook.__name__, user_id, ident)


async def opened(user_id: int, streams: list[str]) -> None:
    calls = _calls(streams, "opened")
    if calls:
        await database_sync_to_async(_run)(calls, user_id)


async def closed(user_id: int, streams: list[str]) -> None:
    calls = _calls(streams, "closed")
    if calls:
        await database_sync_to_async(_run)(calls, user_id)
