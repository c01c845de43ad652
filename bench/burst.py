"""A class launching at once: N simultaneous launches over HTTP against CloudLab on PostgreSQL.

Steps:
1. Prepare: a cloud named ``burst`` (eight roomy KVM hosts, the default flavors and images) with
   S students (``burst-001`` …, one project each, Nova's default quota of 10 instances), loaded
   with ``manage.py load_scenario --replace`` into the given database.
2. Serve: with ``--url``, a CloudLab already running on that database; otherwise start one here,
   as the run command does: a Celery worker (``cloudlab.__main__.worker_command``, 8 threads) and
   Daphne on a free loopback port, against the given database and Redis.
3. Log every student in (the login form, CSRF and all), then fire N launches of one m1.tiny
   cirros instance at once (one thread each, released together), student i taking launch i.
4. Count the answers: 202 accepted, 403 over quota, 503 no database connection, anything else,
   and requests that got no answer at all. Meanwhile poll ``pg_stat_activity`` for the peak of
   CloudLab's connections (this database) and of all clients of the server.
5. Wait until every accepted instance settled (no task_state, not building), then print the time
   that took, the final states, projects over their quota, and the audit (``manage.py audit``:
   every host's usage equals what its instances hold).

Nothing is asserted: the numbers are printed (the closing note of issue 11 quotes them).

    .venv/bin/python bench/burst.py --launches 240 \\
        --database-url postgresql://postgres@127.0.0.1:55432/burst --redis-url redis://127.0.0.1:6379/5
    .venv/bin/python bench/burst.py --launches 60 --url http://127.0.0.1:8000 --database-url …

The database must be PostgreSQL (SQLite has no pool to bound). Everything binds to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import psycopg

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: The bench's own database sessions carry this name, so the peak counts CloudLab's only.
BENCH_APPLICATION = "cloudlab-burst-bench"
PASSWORD = "burst-password"  # noqa: S105 - students of a throw-away benchmark cloud
T = TypeVar("T")


# -- HTTP: a student's browser session, without the browser -----------------------------------


@dataclass
class Answer:
    status: int | None  # None: no answer at all (connection refused, reset, timed out)
    body: dict[str, Any] = field(default_factory=dict)
    error: str = ""


class Student:
    """One logged-in student: cookies (session, csrftoken) and the requests the pages make."""

    def __init__(self, base_url: str, username: str, *, timeout: float = 120.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.username = username
        self.timeout = timeout
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def _cookie(self, name: str) -> str:
        return next((c.value or "" for c in self.cookies if c.name == name), "")

    def request(
        self, path: str, data: dict[str, str] | None = None, *, accept: str = "application/json", language: str = "en"
    ) -> Answer:
        headers = {"Accept": accept, "Accept-Language": language, "Referer": self.base_url + "/"}
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
            headers["X-CSRFToken"] = self._cookie("csrftoken")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(self.base_url + path, data=body, headers=headers)  # noqa: S310 - loopback
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return Answer(response.status, _json(response.read()))
        except urllib.error.HTTPError as error:
            return Answer(error.code, _json(error.read()))
        except (OSError, urllib.error.URLError) as error:
            return Answer(None, error=f"{type(error).__name__}: {error}")

    def page(self, path: str, *, language: str = "en") -> tuple[int | None, str]:
        """A page as a browser asks for it (text/html): status and text."""
        request = urllib.request.Request(  # noqa: S310 - loopback
            self.base_url + path, headers={"Accept": "text/html,*/*;q=0.8", "Accept-Language": language}
        )
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()
        except (OSError, urllib.error.URLError):
            return None, ""

    def log_in(self, password: str) -> None:
        status, html = self.page("/auth/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        if status != 200 or token is None:
            raise RuntimeError(f"{self.username}: the login page answered {status}")
        request = urllib.request.Request(  # noqa: S310 - loopback
            self.base_url + "/auth/login/",
            data=urllib.parse.urlencode(
                {"username": self.username, "password": password, "csrfmiddlewaretoken": token.group(1)}
            ).encode(),
            headers={"Referer": self.base_url + "/auth/login/", "Accept": "text/html"},
        )
        with self.opener.open(request, timeout=self.timeout) as response:
            if "/auth/login/" in response.url:
                raise RuntimeError(f"{self.username}: the login was refused")

    def log_in_patiently(self, password: str, *, tries: int = 5) -> int:
        """Log in as a person would when CloudLab says it is busy: wait Retry-After, try again.
        Returns how many 503s it met."""
        for busy in range(tries):
            try:
                self.log_in(password)
                return busy
            except urllib.error.HTTPError as error:
                if error.code != 503 or busy == tries - 1:
                    raise
                time.sleep(float(error.headers.get("Retry-After", "5")))
        raise AssertionError("unreachable")

    def launch_choices(self) -> dict[str, Any]:
        answer = self.request("/project/instances/launch/choices/")
        if answer.status != 200:
            raise RuntimeError(f"{self.username}: the launch choices answered {answer.status} {answer.error}")
        return answer.body

    def launch(self, name: str, image_id: str, flavor_id: str) -> Answer:
        return self.request(
            "/project/instances/launch/", {"name": name, "count": "1", "image": image_id, "flavor": flavor_id}
        )


def _json(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError:
        return {"text": raw[:200].decode(errors="replace")}
    return value if isinstance(value, dict) else {"value": value}


def choice_ids(choices: dict[str, Any], image: str = "cirros", flavor: str = "m1.tiny") -> tuple[str, str]:
    image_id = next(i["id"] for i in choices["images"] if i["name"] == image)
    flavor_id = next(f["id"] for f in choices["flavors"] if f["name"] == flavor)
    return image_id, flavor_id


def concurrently(calls: Sequence[Callable[[], T]], width: int) -> list[T]:
    """Run the calls ``width`` at a time; results in call order."""
    with ThreadPoolExecutor(max_workers=width) as executor:
        return list(executor.map(lambda call: call(), calls))


def fire_at_once(calls: Sequence[Callable[[], T]]) -> list[T]:
    """Run every call in its own thread, all released by one barrier; results in call order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], T]) -> None:
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, c), daemon=True) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


# -- PostgreSQL: how many connections are open ---------------------------------------------------


class ConnectionPeak:
    """Polls pg_stat_activity in a background thread and keeps the largest counts seen: the
    client sessions of one database (optionally only those of one application_name, or all but
    one) and the client sessions of the whole server."""

    def __init__(
        self,
        conninfo: str,
        *,
        application: str | None = None,
        exclude_application: str | None = BENCH_APPLICATION,
        interval: float = 0.02,
    ) -> None:
        self.conninfo = conninfo
        self.application = application
        self.exclude_application = exclude_application
        self.interval = interval
        self.peak = 0
        self.peak_server = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def count(self, connection: psycopg.Connection[Any]) -> tuple[int, int]:
        row = connection.execute(
            """
            SELECT count(*) FILTER (
                       WHERE datname = current_database() AND pid <> pg_backend_pid()
                         AND (%(only)s::text IS NULL OR application_name = %(only)s::text)
                         AND (%(but)s::text IS NULL OR application_name <> %(but)s::text)),
                   count(*)
              FROM pg_stat_activity WHERE backend_type = 'client backend'
            """,
            {"only": self.application, "but": self.exclude_application},
        ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    def _run(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True, application_name=BENCH_APPLICATION) as connection:
            while not self._stop.is_set():
                mine, server = self.count(connection)
                self.peak, self.peak_server = max(self.peak, mine), max(self.peak_server, server)
                self.samples += 1
                self._stop.wait(self.interval)

    def __enter__(self) -> ConnectionPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)


def libpq_conninfo(database_url: str) -> str:
    """A postgresql:// URL as libpq takes it (dj-database-url also accepts postgres://, pgsql://)."""
    parts = urllib.parse.urlsplit(database_url)
    return urllib.parse.urlunsplit(("postgresql", *parts[1:]))


# -- the server under test ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _child_env(database_url: str, redis_url: str | None) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k != "PGAPPNAME"}
    environ["DATABASE_URL"] = database_url
    if redis_url:
        environ["REDIS_URL"] = redis_url
        # Its own channel prefix and queue: other users of that Redis do not see its traffic.
        environ.setdefault("CLOUDLAB_CHANNEL_PREFIX", "cloudlab-burst")
        environ.setdefault("CLOUDLAB_CELERY_QUEUE", "cloudlab-burst")
    return environ


def manage(environ: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=environ, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def daphne_command(port: int, backlog: int) -> list[str]:
    """Daphne on loopback, with Twisted's listen backlog raised from its default of 50: a burst of
    connections beyond the backlog is reset by the kernel before Daphne ever sees it."""
    endpoint = f"tcp:port={port}:interface=127.0.0.1:backlog={backlog}"
    return [sys.executable, "-m", "daphne", "-e", endpoint, "cloudlab.asgi:application"]


@contextmanager
def own_server(environ: dict[str, str], log_dir: Path, threads: int, backlog: int) -> Iterator[str]:
    """A worker and Daphne, as the run command starts them; yields the base URL."""
    from cloudlab.__main__ import worker_command

    port = free_port()
    processes: list[subprocess.Popen[bytes]] = []
    with ExitStack() as files:
        try:
            for name, command in (
                ("worker", worker_command(threads, None)),
                ("daphne", daphne_command(port, backlog)),
            ):
                log = files.enter_context((log_dir / f"{name}.log").open("wb"))
                processes.append(
                    subprocess.Popen(  # noqa: S603 - our own server
                        command, cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                    )
                )
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while Student(base, "-").page("/auth/login/")[0] != 200:
                if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                    tails = "".join(
                        f"\n--- {log.name} (last lines)\n"
                        + "".join(log.read_text(errors="replace").splitlines(True)[-15:])
                        for log in sorted(log_dir.glob("*.log"))
                    )
                    raise RuntimeError("the server did not start" + tails)
                time.sleep(0.3)
            yield base
        finally:
            for process in processes:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def write_cloud(folder: Path, students: int) -> tuple[Path, Path]:
    hosts = "\n".join(
        f"  - {{name: burst-{h:02d}, host_ip: 192.168.40.{10 + h}, hypervisor_type: KVM, hypervisor_version: 8002000,\n"
        f"     architecture: bare-metal, vcpus: 32, memory_mb: 131072, local_gb: 2000}}"
        for h in range(1, 9)
    )
    cloud = folder / "burst.yaml"
    cloud.write_text(f"name: burst\ndescription: {{en: bench/burst.py, zh-hans: bench/burst.py}}\nhosts:\n{hosts}\n")
    people = folder / "burst-people.yaml"
    people.write_text(
        "people:\n"
        + "".join(
            f"  - {{username: burst-{s:03d}, password: {PASSWORD}, role: student, projects: [burst-{s:03d}]}}\n"
            for s in range(1, students + 1)
        )
    )
    return cloud, people


# -- the run -------------------------------------------------------------------------------------------


def settle_report(uuids: list[str], timeout: float, started: float) -> tuple[float | None, Counter[str], int]:
    """Wait until no accepted instance is transitional; (seconds since the burst or None, final
    states, how many are still transitional)."""
    from django.db import close_old_connections
    from django.db.models import Q

    from cloudlab.compute.models import Instance
    from cloudlab.engine import lifecycle

    transitional = Q(task_state__isnull=False) | Q(vm_state=lifecycle.VmState.BUILDING)
    deadline = time.monotonic() + timeout
    while True:
        close_old_connections()
        left = Instance.objects.filter(uuid__in=uuids).filter(transitional).count()
        if left == 0 or time.monotonic() > deadline:
            settled_at = time.monotonic() - started if left == 0 else None
            states = Counter(Instance.objects.filter(uuid__in=uuids).values_list("vm_state", flat=True))
            return settled_at, states, left
        time.sleep(0.2)


def own_pace_times(uuids: list[str], fired_at: float) -> list[tuple[float, float, str]]:
    """Per settled instance: (seconds from ``fired_at``, a ``time.time()``, to when its build
    ended; its own pace time; its host). Its own pace time is what the pacing model gives that
    launch alone: the API's phase, every phase its steps start on the host it landed on (a Type II
    guest boots slower than a Type I one, a container faster) and its decision's funnel. One
    launch alone lands on one host, so its time says nothing of a burst's instances elsewhere."""
    from cloudlab.compute.models import InstanceAction, SchedulingRecord
    from cloudlab.compute.runner import pace_time
    from cloudlab.engine.pacing import funnel_seconds
    from cloudlab.engine.scheduler import replay_stages

    rows = []
    actions = InstanceAction.objects.filter(instance__uuid__in=uuids, action="create").select_related(
        "instance__host", "instance__image", "instance__cloud"
    )
    for record in actions:
        if record.finish_time is None:
            continue
        instance = record.instance
        decision = SchedulingRecord.objects.filter(action=record).order_by("-attempt", "-id").first()
        funnel = 0.0
        if decision is not None and decision.live_started_at is not None:
            funnel = funnel_seconds(instance.cloud.pace, len(replay_stages(decision.trace)))
        model = pace_time(instance, record, funnel)
        took = record.finish_time.timestamp() - fired_at
        rows.append((took, model, instance.host.name if instance.host else "-"))
    return rows


def own_pace_report(rows: list[tuple[float, float, str]], allowance: float = 3.0) -> tuple[str, bool]:
    """The line that says how far past its own pace time the worst instance settled, per host,
    and whether every one was within ``allowance`` seconds of it."""
    if not rows:
        return "own pace   no instance settled", False
    worst: dict[str, tuple[float, float, float]] = {}
    for took, model, host in rows:
        if host not in worst or took - model > worst[host][0]:
            worst[host] = (took - model, took, model)
    over = max(w[0] for w in worst.values())
    hosts = ", ".join(f"{h} +{w[0]:.2f} s ({w[1]:.2f} of {w[2]:.2f})" for h, w in sorted(worst.items()))
    verdict = "within" if over <= allowance else "NOT within"
    return (f"own pace   every instance {verdict} its own pace time + {allowance:g} s: worst +{over:.2f} s; "
            f"per host, worst (took of own pace time): {hosts}"), over <= allowance


def over_quota(cloud_name: str) -> list[str]:
    from cloudlab.compute.models import Instance
    from cloudlab.identity.models import Quota

    lines = []
    for quota in Quota.objects.filter(project__cloud__name=cloud_name).select_related("project"):
        live = Instance.objects.filter(project=quota.project).live().count()
        if quota.instances >= 0 and live > quota.instances:
            lines.append(f"{quota.project.name}: {live} instances, quota {quota.instances}")
    return lines


def run(args: argparse.Namespace) -> int:
    os.environ["PGAPPNAME"] = BENCH_APPLICATION  # this process's own sessions are not counted
    environ = _child_env(args.database_url, args.redis_url)
    if not args.database_url.startswith(("postgres://", "postgresql://", "pgsql://")):
        print("burst: --database-url must be a PostgreSQL URL (SQLite has no pool to bound)", file=sys.stderr)
        return 2
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cloudlab.settings")
    import django

    django.setup()
    from django.db import connection

    from cloudlab.compute.audit import audit
    from cloudlab.compute.models import Cloud

    students = args.students or max(1, -(-args.launches // 12))
    with tempfile.TemporaryDirectory(prefix="cloudlab-burst-") as tmp, ExitStack() as stack:
        folder = Path(tmp)
        if args.url is None and not args.redis_url:
            print("burst: starting a server needs --redis-url (or REDIS_URL)", file=sys.stderr)
            return 2
        if args.url is None:
            manage(environ, "migrate", "--no-input", "-v", "0")
        cloud_file, people_file = write_cloud(folder, students)
        manage(environ, "load_scenario", str(cloud_file), "--classroom", str(people_file), "--replace",
               "--pace", str(args.pace))
        base = args.url or stack.enter_context(own_server(environ, folder, args.worker_threads, args.backlog))
        with connection.cursor() as cursor:
            cursor.execute("SHOW max_connections")
            max_connections = int(cursor.fetchone()[0])
        sizes = connection.settings_dict["OPTIONS"].get("pool")  # the server reads the same environment
        pool = f"pool {sizes['min_size']}..{sizes['max_size']}" if sizes else "no pool"
        print(f"burst: {args.launches} launches by {students} students at {base}, "
              f"pace {args.pace:g} s, max_connections {max_connections}, {pool} per process")

        people = [Student(base, f"burst-{s:03d}") for s in range(1, students + 1)]
        # A few at a time: each login hashes its password (PBKDF2) while it holds a connection.
        logins_busy = sum(concurrently([partial(p.log_in_patiently, PASSWORD) for p in people], 4))
        image_id, flavor_id = choice_ids(people[0].launch_choices())
        calls = [
            partial(people[i % students].launch, f"burst-{i:04d}", image_id, flavor_id) for i in range(args.launches)
        ]
        conninfo = libpq_conninfo(args.database_url)
        with ConnectionPeak(conninfo) as peak:
            started = time.monotonic()
            answers = fire_at_once(calls)
            answered_in = time.monotonic() - started
            uuids = [row["id"] for a in answers if a.status == 202 for row in a.body.get("rows", [])]
            settled_in, states, stuck = settle_report(uuids, args.settle_timeout, started)
        counts = Counter(a.status for a in answers)
        unanswered = [a.error for a in answers if a.status is None]
        other = {s: n for s, n in counts.items() if s not in (202, 403, 503, None)}
        messages_503 = Counter(a.body.get("message", "") for a in answers if a.status == 503)

        print(f"logins     {students}, turned away {logins_busy} times with 503 before they got in")
        print(f"answered   {len(answers) - len(unanswered)}/{len(answers)} in {answered_in:.2f} s")
        print(f"accepted   {counts[202]} (202)")
        print(f"over quota {counts[403]} (403)")
        print(f"busy       {counts[503]} (503)" + "".join(f"\n           {m!r}" for m in messages_503))
        if other:
            print(f"other      {other}")
        if unanswered:
            print(f"no answer  {len(unanswered)}: {Counter(unanswered).most_common(3)}")
        print(f"peak connections: CloudLab {peak.peak} (this database), all clients {peak.peak_server} "
              f"of max_connections {max_connections} ({peak.samples} samples)")
        if settled_in is not None:
            print(f"settled    all {len(uuids)} accepted in {settled_in:.2f} s after the burst: {dict(states)}")
        else:
            print(f"settled    NOT ALL: {stuck} of {len(uuids)} still transitional after {args.settle_timeout:g} s")
        quota = over_quota("burst")
        print("quota      every project within its quota" if not quota else "quota      OVER: " + "; ".join(quota))
        problems = audit(list(Cloud.objects.filter(name="burst")))
        print("audit      the books balance" if not problems else "audit      " + "; ".join(map(str, problems)))
        failed = bool(unanswered or other or stuck or problems or quota)
        return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--launches", "-n", type=int, default=60, help="simultaneous launches (default 60)")
    parser.add_argument("--students", type=int, help="students who launch (default: one per 12 launches)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), help="PostgreSQL (or DATABASE_URL)")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"), help="Redis for a server started here")
    parser.add_argument("--url", help="a CloudLab already running on --database-url (else one is started)")
    parser.add_argument("--pace", type=float, default=0.5, help="seconds per lifecycle step (default 0.5)")
    parser.add_argument("--worker-threads", type=int, default=8, help="worker threads of a server started here")
    parser.add_argument("--backlog", type=int, default=1024, help="listen backlog of a Daphne started here")
    parser.add_argument("--settle-timeout", type=float, default=600.0, help="seconds to wait for every instance")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("--database-url (or DATABASE_URL) is required")
    if args.launches < 1:
        parser.error("--launches must be at least 1")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
