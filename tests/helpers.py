"""Helpers for tests: waiting on the real worker, listening to a stream of the channel layer,
and checking every event sent against its schema."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def database_url() -> str:
    """The test database as a DATABASE_URL, for a worker subprocess that must share it."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgresql://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def daphne_server(application: Callable[[], Any]) -> Iterator[str]:
    """Daphne (HTTP and WebSockets) serving ``application()`` in a child process on a free
    loopback port; yields its URL. Call with the database unblocked: no connection of ours may
    cross the fork (an SQLite or libpq connection; cloudlab/dbfork.py drops a pool), so ours are
    closed first and the child opens its own."""
    from daphne.testing import DaphneProcess
    from django.db import connections

    connections.close_all()
    process = DaphneProcess("127.0.0.1", application)
    process.start()
    while not process.ready.wait(timeout=1):
        if not process.is_alive():
            raise RuntimeError("Daphne did not start")
    try:
        yield f"http://127.0.0.1:{process.port.value}"
    finally:
        process.terminate()
        process.join()


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
    """Listens to a stream as a socket's process does (its Redis pub/sub channel,
    ``cloudlab.live.hub``), in a background thread; ``messages`` holds each frame decoded."""

    def __init__(self, stream: str) -> None:
        self.stream = stream
        self.messages: list[dict[str, Any]] = []
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> EventRecorder:
        self._thread.start()
        assert self._ready.wait(5), f"could not subscribe to {self.stream}"
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        import redis
        from django.conf import settings

        from cloudlab.live.hub import redis_channel

        connection = redis.Redis.from_url(settings.EVENTS_REDIS_URL)
        pubsub = connection.pubsub()
        pubsub.subscribe(redis_channel(self.stream))
        try:
            while not self._stop.is_set():
                message = pubsub.get_message(timeout=0.2)
                if message is None:
                    continue
                if message["type"] == "subscribe":
                    self._ready.set()
                elif message["type"] == "message":
                    frame = json.loads(message["data"])
                    self.messages.append({**frame, "text": message["data"].decode()})
        finally:
            pubsub.close()
            connection.close()


class SentEventLog:
    """Every event any process of the test session sends, with its schema problems: one JSON
    line per event in a file, because the browser tests' Daphne (a forked child) sends events too.

    ``watching()`` wraps the one place events leave (``cloudlab.live.events._group_send``); a
    child forked while it is active keeps the wrapper and writes to the same file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.path.touch()

    @contextmanager
    def watching(self) -> Iterator[None]:
        import pytest

        from cloudlab.live import events
        from cloudlab.live.schemas import validate_event

        send = events._group_send

        def checked(message: dict[str, Any]) -> None:
            entry = {
                "pid": os.getpid(),
                "stream": message["stream"],
                "seq": message["seq"],
                "event": message["event"],
                "problems": validate_event(message["event"], message["data"]),
            }
            # One write per line on a file opened for appending: lines of two processes never mix.
            with self.path.open("a", encoding="utf-8") as log:
                log.write(json.dumps(entry) + "\n")
            send(message)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(events, "_group_send", checked)
            yield

    def end(self) -> int:
        return self.path.stat().st_size

    def entries(self, start: int = 0) -> list[dict[str, Any]]:
        with self.path.open("rb") as log:
            log.seek(start)
            lines = log.read().decode("utf-8").splitlines()
        return [json.loads(line) for line in lines if line]


class SentEvents:
    """The events sent during one test (``sent_events`` fixture). The test fails afterwards if one
    does not match its schema; a test that sends a bad event on purpose calls ``forgive()``."""

    def __init__(self, log: SentEventLog) -> None:
        self.log = log
        self.start = log.end()

    def entries(self) -> list[dict[str, Any]]:
        return self.log.entries(self.start)

    def problems(self) -> list[str]:
        return [
            f"{e['event']} on {e['stream']} (seq {e['seq']}): {problem}"
            for e in self.entries()
            for problem in e["problems"]
        ]

    def forgive(self) -> None:
        self.start = self.log.end()


def log_in(page: Any, url: str, username: str) -> None:
    """Log a demo user in through the login form, as a student or instructor would."""
    page.goto(f"{url}/auth/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "cloudlab-demo")
    page.click("button[type=submit]")
    page.wait_for_selector("#instances-table")
    # The table is there before the page's scripts have run (they come last in the body): a test
    # that acts at once (the language picker's submit-on-change) would race them.
    page.wait_for_load_state("load")


def click_row_action(row: Any, action: str) -> None:
    """Click ``action`` in an Instances table row, as a user would: the primary button, or the
    item in the row's dropdown."""
    primary = row.locator(f".btn-group > button[data-action={action}]")
    if primary.count():
        primary.click()
        return
    row.locator(".dropdown-toggle").click()
    row.locator(f".dropdown-menu button[data-action={action}]").click()
