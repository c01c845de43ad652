"""Opening the real consumer in-process, as a page would, with a user's session cookie.

Refusals are accepted and then closed with a 44xx code (a close before the accept reaches a
browser as an HTTP 403, code 1006), so ``open_socket`` answers what the page would see: the
``hello`` of an open socket, or the close code."""

from __future__ import annotations

import json
from typing import Any

from channels.testing import WebsocketCommunicator
from django.test import Client

from cloudlab.asgi import application

#: How long a consumer told that its socket is gone may take to end before it is cancelled (as
#: Daphne cancels one after its ``application_close_timeout``). It ends within milliseconds,
#: except when the disconnect comes while its channel-layer receive (channels_redis, on the test's
#: fresh event loop) is still starting: that cancelled receive does not return at all (seen still
#: pending after 12 s), so waiting 5 s only sat the 5 s out. ``communicator.wait`` raises the
#: consumer's own exception if it failed, and cancels it if it has not ended by then.
ENDED_WITHIN = 1.0


def session_cookie(user: Any, client: Client | None = None) -> str:
    client = client or Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def communicator_factory(path: str, user: Any = None, origin: bytes | None = b"http://localhost", session=None):
    """Built outside the event loop (the session cookie comes from the database); call the
    result inside it. ``session`` names a session key to use instead of logging ``user`` in."""
    headers = [(b"host", b"localhost")]
    if origin is not None:
        headers.append((b"origin", origin))
    if session is None and user is not None:
        session = session_cookie(user)
    if session is not None:
        headers.append((b"cookie", f"sessionid={session}".encode()))
    return lambda: WebsocketCommunicator(application, path, headers=headers)


async def closed_with(communicator: WebsocketCommunicator, timeout: float = 5) -> int:
    """Wait for the server to close an accepted socket; its close code. Then, as a server
    would, tell the consumer the socket is gone and let it end (no task left behind)."""
    output = await communicator.receive_output(timeout)
    assert output["type"] == "websocket.close", f"expected a close, got {output}"
    code = output.get("code", 1000)
    await communicator.send_input({"type": "websocket.disconnect", "code": code})
    await communicator.wait(min(timeout, ENDED_WITHIN))
    return code


async def open_socket(communicator: WebsocketCommunicator) -> tuple[dict[str, Any] | None, int | None]:
    """``(hello, None)`` for a socket that joined its streams, ``(None, code)`` for a refusal."""
    connected, _ = await communicator.connect(timeout=5)
    assert connected, "the consumer must accept every socket, then close it with a reason"
    output = await communicator.receive_output(5)
    if output["type"] == "websocket.send":
        return json.loads(output["text"]), None
    assert output["type"] == "websocket.close", f"unexpected {output}"
    code = output.get("code", 1000)
    await communicator.send_input({"type": "websocket.disconnect", "code": code})
    await communicator.wait(ENDED_WITHIN)
    return None, code
