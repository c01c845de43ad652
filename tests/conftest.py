"""Shared fixtures: the demo cloud, named personas, a real Celery worker and a real Daphne.

Personas: ``alice`` and ``bob`` are students with a project each; ``ivy`` is the instructor.
Tests touch the real database, the real Redis (channel layer and broker) and real workers.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

DEMO = Path(settings.BASE_DIR) / "fixtures" / "demo"

#: ``cli_server`` and ``lab``: CloudLab on loopback for the real openstack CLI (tests/api_cli.py).
pytest_plugins = ["tests.api_cli"]


@pytest.fixture(autouse=True, scope="session")
def _test_settings() -> None:
    """Set for the whole session, before the browser tests' Daphne process is forked, so both
    agree: hashing demo passwords at full strength would dominate the suite's time, and worker
    threads must not keep connections open past their tasks (the test database is dropped)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


@pytest.fixture(autouse=True, scope="session")
def _no_keys_left_from_an_earlier_run() -> None:
    """A shared Redis (CI's) may hold keys an earlier, interrupted run of this prefix left: who
    was present in a class session, the events' numbers. The test database starts afresh, so its
    ids come back and would meet them. Only a prefix of its own is cleared (CI sets
    CLOUDLAB_CHANNEL_PREFIX), never the default one an installation uses; an embedded Redis is
    new anyway."""
    import redis

    prefix = settings.CLOUDLAB_KEY_PREFIX
    if settings.EMBEDDED_REDIS or prefix == "cloudlab":
        return
    connection = redis.Redis.from_url(settings.EVENTS_REDIS_URL)
    stale = list(connection.scan_iter(match=f"{prefix}:*", count=1000))
    if stale:
        connection.delete(*stale)


@pytest.fixture
def demo_cloud(db: None, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The demo cloud of fixtures/demo with pace 0 (every step instant) and its classroom.

    Afterwards every host's usage must equal what it holds (``manage.py audit``), unless the test
    unbalances the books on purpose (``@pytest.mark.books_unbalanced``), and every stored
    scheduling trace must have the declared shape (``scheduler.validate_trace``)."""
    from cloudlab.compute.audit import audit
    from cloudlab.compute.models import SchedulingRecord
    from cloudlab.compute.scenarios import create_cloud, enrol, load_yaml, parse_classroom
    from cloudlab.engine.scheduler import load_scenario_file, validate_trace

    cloud = create_cloud(load_scenario_file(DEMO / "cloud.yaml"), pace=0)
    enrol(cloud, parse_classroom(load_yaml(DEMO / "classroom.yaml")))
    yield cloud
    if not request.node.get_closest_marker("books_unbalanced"):
        problems = audit()
        assert not problems, "the books do not balance: " + "; ".join(map(str, problems))
    shapes = [
        f"record {pk}: {problem}"
        for pk, trace in SchedulingRecord.objects.values_list("pk", "trace")
        for problem in validate_trace(trace)
    ]
    assert not shapes, "stored traces that do not match their schema: " + "; ".join(shapes[:5])


def _user(name: str) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=name)


@pytest.fixture
def alice(demo_cloud: Any) -> Any:
    return _user("alice")


@pytest.fixture
def bob(demo_cloud: Any) -> Any:
    return _user("bob")


@pytest.fixture
def ivy(demo_cloud: Any) -> Any:
    return _user("ivy")


@pytest.fixture
def project_of() -> Callable[[Any], Any]:
    from cloudlab.identity.models import Project

    return lambda user: Project.objects.for_user(user).get()


@pytest.fixture
def launch(project_of: Callable[[Any], Any]) -> Callable[..., list[Any]]:
    """Launch through the same action the page calls: ``launch(alice, name="web")``."""
    from cloudlab.compute.actions import launch as launching

    def do(
        user: Any, *, name: str = "test", count: int = 1, image: str = "cirros", flavor: str = "m1.tiny"
    ) -> list[Any]:
        from cloudlab.compute.models import Flavor, Image

        project = project_of(user)
        image_obj = Image.objects.get(cloud=project.cloud, name=image)
        flavor_obj = Flavor.objects.get(cloud=project.cloud, name=flavor)
        request = launching.check_launch(
            user, project, name=name, count=count, image_id=str(image_obj.uuid), flavor_id=flavor_obj.flavorid
        )
        return launching.do_launch(user, request)

    return do


@pytest.fixture
def celery_worker(transactional_db: None) -> Iterator[Any]:
    """A real Celery worker (threads) consuming from the real broker, in this process.

    It asks Redis for work every 0.1 s rather than kombu's every 1 s (its BRPOP timeout; Redis 6
    and later take a fraction): stopping the worker waits out the BRPOP in flight, which added a
    second to the teardown of every test that uses it. Nothing else of the broker changes."""
    from celery.contrib.testing.worker import start_worker

    from cloudlab.celery import app

    options = app.conf.broker_transport_options
    app.conf.broker_transport_options = {**options, "polling_interval": 0.1}
    try:
        with start_worker(app, pool="threads", concurrency=4, perform_ping_check=False, shutdown_timeout=10) as worker:
            yield worker
    finally:
        app.conf.broker_transport_options = options


@pytest.fixture(autouse=True)
def _language_starts_as_the_default() -> Iterator[None]:
    """Each test starts in the default language: a request in Chinese (LocaleMiddleware) or a
    translation.activate() in one test must not turn the next one's messages Chinese."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(scope="module")
def live_server_url(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """Daphne (HTTP and WebSockets) in a child process, on a free loopback port, serving the
    test database."""
    from channels.testing.live import make_application
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    from tests.helpers import daphne_server

    with django_db_blocker.unblock():
        # Forked after the test database was set up: settings already name it.
        with daphne_server(partial(make_application, static_wrapper=ASGIStaticFilesHandler)) as url:
            yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (``playwright install`` cannot run here).

    Module-scoped: Playwright's sync API runs an event loop in this thread while it lives, which
    the other tests' ``asyncio.run`` must not meet."""
    playwright_sync = pytest.importorskip("playwright.sync_api")
    executable = "/usr/bin/chromium"
    if not Path(executable).exists():
        pytest.fail("Chromium is not installed: apt-get install -y chromium (.ci/run does it)")
    # Playwright's sync API keeps an event loop running in this thread; Django's ORM calls made
    # by the test itself are still synchronous (Django documents this flag for Playwright).
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(autouse=True, scope="session")
def _sent_event_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Watch every event sent, in this process and in the children forked after it (Daphne):
    session-scoped and autouse, so it is in place before any module's server starts."""
    from tests.helpers import SentEventLog

    log = SentEventLog(tmp_path_factory.mktemp("live") / "sent-events.jsonl")
    with log.watching():
        yield log


@pytest.fixture(autouse=True)
def sent_events(_sent_event_log: Any) -> Iterator[Any]:
    """Every test fails if an event it sent does not match its schema (cloudlab/live/schemas.py).

    Autouse fixtures are set up first, so this one is torn down last: after the test's worker
    and its last events."""
    from tests.helpers import SentEvents

    sent = SentEvents(_sent_event_log)
    yield sent
    problems = sent.problems()
    if problems:
        pytest.fail("events that do not match their schema:\n  " + "\n  ".join(problems), pytrace=False)


@pytest.fixture(autouse=True, scope="session")
def _fresh_sync_executor_in_forked_children() -> None:
    """A child forked from the test process (the browser tests' Daphne) starts with a fresh
    asgiref executor for ``sync_to_async``. Once a test here has run a consumer in-process, that
    executor has a worker thread, which does not survive a fork: the child's copy believes it
    still has it and queues every ``sync_to_async`` call (the consumer's access check) forever,
    so a page's socket never says hello."""
    from concurrent.futures import ThreadPoolExecutor

    from asgiref.sync import SyncToAsync

    def fresh_executor() -> None:
        SyncToAsync.single_thread_executor = ThreadPoolExecutor(max_workers=1)

    os.register_at_fork(after_in_child=fresh_executor)
