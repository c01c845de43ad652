"""Bounded database connections (issue 11, item 1): a pool per process on PostgreSQL, and a 503
with a clear message, never a traceback, for a request that cannot get a connection in time.

The first tests run on any database: the settings, and what a pool timeout answers (a real
PoolTimeout from a real psycopg pool, raised where Django connects). The last ones need
PostgreSQL (CI's database): a Daphne child with a pool of two connections, launches fired at
it all at once, and a real Celery worker.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import connection, connections
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.urls import path
from psycopg_pool import ConnectionPool, PoolTimeout

from bench.burst import ConnectionPeak, Student, choice_ids, fire_at_once, libpq_conninfo
from cloudlab import dbpool, env
from tests.helpers import daphne_server, wait_for

BUSY_EN = "CloudLab is busy: every database connection is in use. Nothing was changed. Try again in a few seconds."
BUSY_ZH = "CloudLab 繁忙：数据库连接已全部占用。未做任何更改，请几秒后重试。"
ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
needs_postgresql = pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="needs PostgreSQL (DATABASE_URL=postgresql://…, as CI sets it): SQLite has no connection pool",
)


# -- settings ---------------------------------------------------------------------------------------


def _settings_with(**environ: str) -> subprocess.CompletedProcess[str]:
    script = (
        "import json, cloudlab.settings as s; d = s.DATABASES['default'];"
        "print(json.dumps({'max_age': d.get('CONN_MAX_AGE'), 'pool': d.get('OPTIONS', {}).get('pool')}))"
    )
    variables = {**os.environ, **environ}
    return subprocess.run([sys.executable, "-c", script], env=variables, capture_output=True, text=True, check=False)


def test_postgresql_gets_a_pool_sized_from_the_environment_and_no_persistent_connections():
    done = _settings_with(
        DATABASE_URL="postgresql://cloudlab@127.0.0.1:5432/cloudlab",
        CLOUDLAB_DB_POOL_MIN="1",
        CLOUDLAB_DB_POOL_MAX="7",
        CLOUDLAB_DB_POOL_TIMEOUT="2.5",
    )
    assert done.returncode == 0, done.stderr
    database = json.loads(done.stdout)
    assert database == {"max_age": 0, "pool": {"min_size": 1, "max_size": 7, "timeout": 2.5, "name": "cloudlab"}}


def test_sqlite_keeps_working_without_a_pool(tmp_path):
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    script = "import cloudlab.settings as s; d = s.DATABASES['default']; print(d['ENGINE'], d['OPTIONS'].get('pool'))"
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**environ, "CLOUDLAB_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["django.db.backends.sqlite3", "None"]


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"CLOUDLAB_DB_POOL_MIN": "5", "CLOUDLAB_DB_POOL_MAX": "3"},
            "CLOUDLAB_DB_POOL_MAX=3 must be at least CLOUDLAB_DB_POOL_MIN=5",
        ),
        ({"CLOUDLAB_DB_POOL_MAX": "0"}, "CLOUDLAB_DB_POOL_MAX=0 must be at least 1"),
        ({"CLOUDLAB_DB_POOL_MIN": "-1"}, "CLOUDLAB_DB_POOL_MIN=-1 must be at least 0"),
        ({"CLOUDLAB_DB_POOL_MAX": "ten"}, "CLOUDLAB_DB_POOL_MAX='ten' is not an integer"),
        ({"CLOUDLAB_DB_POOL_TIMEOUT": "0"}, "CLOUDLAB_DB_POOL_TIMEOUT=0 must be more than 0 seconds"),
        ({"CLOUDLAB_DB_POOL_TIMEOUT": "nan"}, "CLOUDLAB_DB_POOL_TIMEOUT='nan' must be a finite number"),
    ],
)
def test_a_bad_pool_size_stops_cloudlab_with_a_message_naming_it(monkeypatch, environ, message):
    for name in ("CLOUDLAB_DB_POOL_MIN", "CLOUDLAB_DB_POOL_MAX", "CLOUDLAB_DB_POOL_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(env.ConfigError) as refused:
        env.envintrange("CLOUDLAB_DB_POOL_MIN", "CLOUDLAB_DB_POOL_MAX", (2, 10))
        env.envseconds("CLOUDLAB_DB_POOL_TIMEOUT", 10.0)
    assert str(refused.value) == message


# -- a pool timeout answers 503 ------------------------------------------------------------------------


def _unreachable_pool() -> ConnectionPool:
    """A real psycopg pool whose server never answers (nothing listens on port 1): asked for a
    connection, it raises a real PoolTimeout after a tenth of a second."""
    return ConnectionPool("host=127.0.0.1 port=1 connect_timeout=1", min_size=0, max_size=1, timeout=0.1, open=True)


def _connect_view(request: HttpRequest) -> HttpResponse:
    """Connects as Django's ensure_connection does with a pool: ``pool.getconn()`` inside the
    connection's own wrap_database_errors (on PostgreSQL the PoolTimeout comes out as
    django.db.OperationalError from PoolTimeout, as in production)."""
    pool = _unreachable_pool()
    try:
        with connection.wrap_database_errors:
            pool.getconn()
    finally:
        pool.close()
    return HttpResponse("connected")  # never: nothing listens there


def _broken_view(request: HttpRequest) -> HttpResponse:
    with connection.wrap_database_errors:
        raise psycopg.OperationalError("server closed the connection unexpectedly")


urlpatterns = [path("connect/", _connect_view), path("broken/", _broken_view)]


@pytest.fixture
def busy_client(client, settings):
    settings.ROOT_URLCONF = __name__
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "message"), [("en", BUSY_EN), ("zh-hans", BUSY_ZH)])
def test_a_pool_timeout_answers_503_with_the_message_as_json(busy_client, language, message):
    response = busy_client.get("/connect/", headers={"accept": "application/json", "accept-language": language})
    assert response.status_code == 503
    assert response.json() == {"ok": False, "field": None, "message": message}
    assert response["Retry-After"] == "5"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "title", "message"), [("en", "CloudLab is busy", BUSY_EN), ("zh-hans", "CloudLab 繁忙", BUSY_ZH)]
)
def test_a_pool_timeout_answers_a_small_page_to_a_browser(busy_client, language, title, message):
    response = busy_client.get(
        "/connect/", headers={"accept": "text/html,application/xhtml+xml,*/*;q=0.8", "accept-language": language}
    )
    assert response.status_code == 503
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert f'<h1 class="h3 mb-3">{title}</h1>' in html
    assert f'<p class="lead" id="busy-message">{message}</p>' in html
    assert 'href="/connect/"' in html  # Try again: the same page
    assert "Traceback" not in html


@pytest.mark.django_db
def test_another_database_error_is_not_passed_off_as_busy(busy_client):
    busy_client.raise_request_exception = False
    response = busy_client.get("/broken/", headers={"accept": "application/json"})
    assert response.status_code == 500


def test_the_pool_timeout_is_recognised_through_djangos_wrapper():
    from django.db import OperationalError

    pool = _unreachable_pool()
    try:
        pool.getconn()
    except PoolTimeout as error:
        wrapped = OperationalError(*error.args)  # what DatabaseErrorWrapper raises, from the original
        wrapped.__cause__ = error
    finally:
        pool.close()
    assert dbpool.pool_exhausted(wrapped)
    assert not dbpool.pool_exhausted(OperationalError("deadlock detected"))


# -- PostgreSQL: a small pool under simultaneous launches ---------------------------------------------

POOL_SIZE = 2
POOL_WAIT = 1.0  # seconds a request waits for a connection before its 503
SERVER_APPLICATION = "cloudlab-test-daphne"


def _small_pool_application() -> Any:
    """Runs in the Daphne child, before it serves: its own pool of POOL_SIZE connections, named
    so pg_stat_activity tells its sessions from the test process's."""
    from channels.testing.live import make_application
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    options = connections["default"].settings_dict["OPTIONS"]
    options["pool"] = {"min_size": 1, "max_size": POOL_SIZE, "timeout": POOL_WAIT}
    options["application_name"] = SERVER_APPLICATION
    return make_application(static_wrapper=ASGIStaticFilesHandler)


@pytest.fixture(scope="module")
def small_pool_server(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    if not ON_POSTGRESQL:
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgresql://…, as CI sets it): SQLite has no connection pool")
    with django_db_blocker.unblock(), daphne_server(_small_pool_application) as url:
        yield url


def _conninfo() -> str:
    database = connection.settings_dict
    return libpq_conninfo(
        f"postgresql://{database['USER'] or 'postgres'}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
        f"/{database['NAME']}"
    )


def _logged_in(base_url: str, *usernames: str) -> list[Student]:
    students = [Student(base_url, name, timeout=60) for name in usernames]
    for student in students:
        student.log_in("cloudlab-demo")
    return students


def _transitional(uuids: list[str]) -> int:
    from cloudlab.compute.models import Instance
    from cloudlab.engine import lifecycle

    return (
        Instance.objects.filter(uuid__in=uuids)
        .filter(Q(task_state__isnull=False) | Q(vm_state=lifecycle.VmState.BUILDING))
        .count()
    )


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_requests_beyond_the_pool_wait_then_answer_503_and_the_server_never_opens_more(
    small_pool_server, celery_worker, demo_cloud
):
    alice, bob = _logged_in(small_pool_server, "alice", "bob")
    image_id, flavor_id = choice_ids(alice.launch_choices())
    with psycopg.connect(_conninfo(), autocommit=True) as locker, ConnectionPeak(
        _conninfo(), application=SERVER_APPLICATION, exclude_application=None
    ) as peak:
        # Every request reads its session first: while the table is locked, a request that got
        # a connection holds it and waits. Two of them hold the whole pool.
        locker.execute("BEGIN; LOCK TABLE django_session IN ACCESS EXCLUSIVE MODE")
        held: list[Any] = []
        holders = [
            threading.Thread(target=lambda s=s: held.append(s.launch(f"held-{s.username}", image_id, flavor_id)))
            for s in (alice, bob)
        ]
        for thread in holders:
            thread.start()
        waiting = "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND wait_event_type = 'Lock'"
        wait_for(lambda: locker.execute(waiting, [SERVER_APPLICATION]).fetchone()[0] == POOL_SIZE)

        launch = alice.launch("turned-away", image_id, flavor_id)
        chinese = bob.request("/project/instances/rows/", language="zh-hans")
        page_status, page = alice.page("/project/instances/")
        locker.execute("COMMIT")
        for thread in holders:
            thread.join(30)

    assert (launch.status, launch.body) == (503, {"ok": False, "field": None, "message": BUSY_EN})
    assert (chinese.status, chinese.body["message"]) == (503, BUSY_ZH)
    assert page_status == 503 and BUSY_EN in page and "Traceback" not in page
    assert sorted(answer.status for answer in held) == [202, 202]  # the two that waited got through
    assert peak.peak <= POOL_SIZE
    uuids = [row["id"] for answer in held for row in answer.body["rows"]]
    wait_for(lambda: _transitional(uuids) == 0, timeout=60)
    from cloudlab.compute.models import Instance

    assert not Instance.objects.filter(name="turned-away").exists()  # nothing half-written


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_simultaneous_launches_are_all_answered_and_every_accepted_one_settles(
    small_pool_server, celery_worker, alice, bob, project_of
):
    from cloudlab.compute.audit import audit
    from cloudlab.compute.models import Instance

    students = _logged_in(small_pool_server, "alice", "bob")
    image_id, flavor_id = choice_ids(students[0].launch_choices())
    launches = 40  # 20 each, over Nova's default quota of 10 instances
    with ConnectionPeak(_conninfo(), application=SERVER_APPLICATION, exclude_application=None) as peak:
        answers = fire_at_once(
            [lambda i=i: students[i % 2].launch(f"burst-{i}", image_id, flavor_id) for i in range(launches)]
        )
    statuses = Counter(answer.status for answer in answers)
    unexpected = [answer for answer in answers if answer.status not in (202, 403, 503)]
    assert not unexpected, f"answers: {dict(statuses)}; for example {unexpected[:3]}"
    assert statuses[202] >= 1
    assert peak.peak <= POOL_SIZE, f"the server held {peak.peak} connections with a pool of {POOL_SIZE}"
    for answer in answers:
        if answer.status == 503:
            assert answer.body["message"] == BUSY_EN
    uuids = [row["id"] for answer in answers if answer.status == 202 for row in answer.body["rows"]]
    assert len(uuids) == statuses[202]
    wait_for(lambda: _transitional(uuids) == 0, timeout=120)  # none stuck
    for user in (alice, bob):
        assert Instance.objects.filter(project=project_of(user)).live().count() <= 10  # nobody past the quota
    assert not audit(), "the books do not balance"
