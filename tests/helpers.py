"""Helpers for tests: waiting on the real worker, and listening to a stream of the channel layer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.05) -> Any:
    """Poll ``predicate`` until it returns something truthy (tests only; pages never poll)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {predicate}")
        time.sleep(interval)


class EventRecorder:
    """Listens on a stream's group of the real channel layer, in a background thread."""

    def __init__(self, stream: str) -> None:
        self.stream = stream
        self.messages: list[dict[str, Any]] = []
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> EventRecorder:
        self._thread.start()
        self._ready.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        import asyncio

        from channels import DEFAULT_CHANNEL_LAYER
        from channels.layers import channel_layers

        async def listen() -> None:
            layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)  # its own, for its own loop
            channel = await layer.new_channel()
            await layer.group_add(self.stream, channel)
            self._ready.set()
            try:
                while not self._stop.is_set():
                    try:
                        message = await asyncio.wait_for(layer.receive(channel), timeout=0.2)
                    except TimeoutError:
                        continue
                    self.messages.append(message)
            finally:
                await layer.group_discard(self.stream, channel)

        asyncio.run(listen())


def log_in(page: Any, url: str, username: str) -> None:
    """Log a demo user in through the login form, as a student or instructor would."""
    page.goto(f"{url}/auth/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "cloudlab-demo")
    page.click("button[type=submit]")
    page.wait_for_selector("#instances-table")
