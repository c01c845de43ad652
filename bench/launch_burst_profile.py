"""Where a class's burst of launches spends its time: N launches at once against an instrumented worker.

Steps:
1. Prepare (in the given PostgreSQL database): a class session on a fresh copy of the demo
   scenario at ``--pace``, N+1 guests joined, each with a session cookie (``bench/ws_fanout.py``'s
   ``prepare``).
2. Serve: Daphne on a free loopback port and the Celery worker exactly as ``run`` starts it
   (``cloudlab.__main__.worker_command``: its pool and concurrency), but started through this
   file (``--worker-child``), which hooks Celery's task signals in the worker process to time
   every task: its wall time, its queue wait (from the time it was due, its countdown's ETA or
   its send time, to when a thread started it), its SQL (a ``connection.execute_wrapper``
   counting queries and their time), the events it published after commit (``send_now``), the
   rows it built (``instance_row``) and the scheduling pass (``decide`` and the whole
   ``schedule_and_claim``). ``--profile`` also runs cProfile in each task's thread and merges
   the threads' profiles.
3. Fire: one launch alone (the pace time), then N participants launch one m1.tiny each at once
   over HTTP (the launch form's JSON API).
4. Wait until every instance settled (active, or error with NoValidHost), stop the worker (it
   writes its numbers on shutdown) and print: the time to settle against the pace time + 3 s,
   each instance against its own pace time (``burst.own_pace_times``), the audit, then per kind
   of task (a step by the task_state it expects, a funnel stage) the count, wall time, queue
   wait, queries and the time in SQL, publishing, rows and scheduling; with ``--profile`` the
   top functions by cumulative and by own time.

Nothing is asserted: the numbers are printed (docs/live-sessions.md, Capacity, quotes them).

    createdb -h 127.0.0.1 -U postgres fanout
    .venv/bin/python bench/launch_burst_profile.py --launches 60 --pace 0.5 \\
        --database-url postgresql://postgres@127.0.0.1:5432/fanout --redis-url redis://127.0.0.1:6379/0
    … --profile            # and cProfile the worker (slower: read its shares, not its seconds)
    … --threads 16         # the worker's concurrency (default: the run command's)

Everything binds to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.burst import Student, _child_env, daphne_command, fire_at_once, free_port, manage  # noqa: E402

# -- the worker side: hooks in the worker process ----------------------------------------------------


class _TaskClock(threading.local):
    """What the task running in this thread has spent so far (one per worker thread)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.queries = 0
        self.sql = 0.0
        self.locks = 0.0
        self.publish = 0.0
        self.published = 0
        self.rows = 0.0
        self.decide = 0.0
        self.schedule = 0.0
        self.label = ""
        self.started = 0.0
        self.cpu = 0.0
        self.due = 0.0
        self.wrapper: Callable[..., Any] | None = None
        self.profile: Any = None


def _timed(clock: _TaskClock, attribute: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            setattr(clock, attribute, getattr(clock, attribute) + time.perf_counter() - started)

    return wrapper


def _due_time(request: Any) -> float | None:
    """When the task was due: its ETA (a countdown), else when it was sent (our header)."""
    from datetime import datetime

    eta = getattr(request, "eta", None)
    if eta:
        return (datetime.fromisoformat(eta) if isinstance(eta, str) else eta).timestamp()
    headers = getattr(request, "headers", None) or {}
    sent = headers.get("cloudlab_sent_at") or getattr(request, "cloudlab_sent_at", None)
    return float(sent) if sent else None


def worker_child(stats_path: str, profile: bool, celery_args: list[str]) -> None:
    """Run the Celery worker with ``celery_args`` in this process, every task timed (see the
    module's docstring); write the records (and the merged profile) to ``stats_path`` on shutdown."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cloudlab.settings")
    django.setup()
    import cProfile
    import pstats

    from celery import signals
    from django.db import connection

    from cloudlab.celery import app
    from cloudlab.compute import effects, placement, publish, runner
    from cloudlab.live import events

    clock = _TaskClock()
    records: list[dict[str, Any]] = []
    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()

    def sending(function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            clock.published += 1
            return _timed(clock, "publish", function)(*args, **kwargs)

        return wrapper

    events.send_now = sending(events.send_now)  # type: ignore[assignment]
    publish.instance_row = _timed(clock, "rows", publish.instance_row)  # type: ignore[assignment]
    placement.decide = _timed(clock, "decide", placement.decide)  # type: ignore[assignment]
    effects.schedule_and_claim = _timed(clock, "schedule", effects.schedule_and_claim)  # type: ignore[assignment]
    plan_of = runner.plan_of

    def labelled_plan_of(record: Any) -> Any:
        plan = plan_of(record)
        index = record.context.get("step", 0)
        if index < len(plan.steps):
            step = plan.steps[index]
            clock.label = f"step {index} {step.expect_task_state or '-'} → {step.task_state or step.vm_state}"
        return plan

    runner.plan_of = labelled_plan_of  # type: ignore[assignment]

    def count_sql(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        clock.queries += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - started
            clock.sql += spent
            if "FOR UPDATE" in sql:  # a row lock: mostly waiting for another step's commit
                clock.locks += spent

    @signals.before_task_publish.connect(weak=False)
    def stamp(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if headers is not None:
            headers["cloudlab_sent_at"] = time.time()

    @signals.task_prerun.connect(weak=False)
    def prerun(task: Any = None, **kwargs: Any) -> None:
        clock.reset()
        clock.started = time.time()
        clock.cpu = time.thread_time()
        clock.due = _due_time(task.request) or 0.0
        clock.label = task.name
        connection.execute_wrappers.append(count_sql)
        if profile:
            clock.profile = cProfile.Profile()
            clock.profile.enable()

    @signals.task_postrun.connect(weak=False)
    def postrun(task: Any = None, args: Any = (), **kwargs: Any) -> None:
        ended = time.time()
        cpu = time.thread_time() - clock.cpu
        if clock.profile is not None:
            clock.profile.disable()
            with lock:
                profiles.append(clock.profile)
        if count_sql in connection.execute_wrappers:
            connection.execute_wrappers.remove(count_sql)
        label = clock.label if task.name == "compute.run_step" else task.name
        if not clock.due and task.name == "compute.run_step" and args:
            # Sent by the web process (no header of ours): due when the request recorded the action.
            from cloudlab.compute.models import InstanceAction

            start = InstanceAction.objects.filter(pk=args[1]).values_list("start_time", flat=True).first()
            clock.due = start.timestamp() if start else 0.0
        with lock:
            records.append({
                "label": label, "started": clock.started, "ended": ended, "wall": ended - clock.started, "cpu": cpu,
                "wait": clock.started - clock.due if clock.due else None, "queries": clock.queries,
                "sql": clock.sql, "locks": clock.locks, "publish": clock.publish, "published": clock.published,
                "rows": clock.rows,
                "decide": clock.decide, "schedule": clock.schedule,
            })

    @signals.worker_shutdown.connect(weak=False)
    def dump(**kwargs: Any) -> None:
        with lock:
            Path(stats_path).write_text(json.dumps(records))
            if profiles:
                pstats.Stats(*profiles).dump_stats(stats_path + ".prof")

    app.worker_main(celery_args)


# -- the bench side ------------------------------------------------------------------------------------


@contextmanager
def serve(environ: dict[str, str], log_dir: Path, threads: int, profile: bool,
          stats_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Daphne and the instrumented worker; yields Daphne's base URL and the worker's process."""
    from cloudlab.__main__ import worker_command

    command = worker_command(threads, None)
    celery_args = command[command.index("celery") + 1:]
    celery_args = [a for a in celery_args if a not in ("-A", "cloudlab")]
    child = [sys.executable, str(Path(__file__).resolve()), "--worker-child", str(stats_path),
             *(["--profile"] if profile else []), "--", *celery_args]
    port = free_port()
    processes: list[subprocess.Popen[bytes]] = []
    with ExitStack() as files:
        try:
            for name, argv in (("worker", child), ("daphne", daphne_command(port, 4096))):
                log = files.enter_context((log_dir / f"{name}.log").open("wb"))
                processes.append(subprocess.Popen(  # noqa: S603 - our own server
                    argv, cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                ))
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while Student(base, "-").page("/auth/login/")[0] != 200:
                if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                    raise RuntimeError("the server did not start: " + "".join(
                        f.read_text(errors="replace")[-1500:] for f in log_dir.glob("*.log")))
                time.sleep(0.3)
            time.sleep(2)  # the worker's consumer is up
            yield base, processes[0]
        finally:
            for process in processes:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def report(records: list[dict[str, Any]], since: float) -> None:
    """Per kind of task, the burst's tasks only (started after ``since``)."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        if record["started"] >= since:
            groups[record["label"]].append(record)
    print(f"{'task':44} {'n':>4} {'wall p50/max ms':>17} {'cpu ms':>7} {'wait p50/p95/max ms':>21} {'queries':>8} "
          f"{'sql ms':>7} {'lock ms':>7} {'pub ms':>7} {'rows ms':>7} {'sched ms':>8}")
    total_wall = total_cpu = 0.0
    for label in sorted(groups, key=lambda k: min(r["started"] for r in groups[k])):
        rows = groups[label]
        wall = [1000 * r["wall"] for r in rows]
        waits = [1000 * r["wait"] for r in rows if r["wait"] is not None]
        total_wall += sum(wall)
        total_cpu += sum(r["cpu"] for r in rows)

        def mean(key: str, rows: list[dict[str, Any]] = rows) -> float:
            return sum(r[key] for r in rows) / len(rows)

        wait = f"{percentile(waits, 50):.0f}/{percentile(waits, 95):.0f}/{max(waits):.0f}" if waits else "-"
        print(f"{label[:44]:44} {len(rows):>4} {percentile(wall, 50):>8.1f}/{max(wall):<8.1f} "
              f"{1000 * mean('cpu'):>7.1f} {wait:>21} "
              f"{mean('queries'):>8.1f} {1000 * mean('sql'):>7.1f} {1000 * mean('locks'):>7.1f} "
              f"{1000 * mean('publish'):>7.1f} "
              f"{1000 * mean('rows'):>7.1f} {1000 * (mean('schedule') or mean('decide')):>8.1f}")
    n = sum(len(g) for g in groups.values())
    decided = [r for g in groups.values() for r in g if r["decide"]]
    every = [r for g in groups.values() for r in g]
    print(f"worker     {n} tasks, {total_wall / 1000:.2f} s of task wall time in all and {total_cpu:.2f} s of "
          f"CPU in the tasks' threads; queries {sum(r['queries'] for r in every)}, "
          f"events published {sum(r['published'] for r in every)}")
    if decided:
        decide = 1000 * percentile([r["decide"] for r in decided], 50)
        whole = 1000 * percentile([r["schedule"] for r in decided], 50)
        print(f"scheduling {len(decided)} passes: decide p50 {decide:.1f} ms, schedule_and_claim p50 {whole:.1f} ms")


def run(args: argparse.Namespace) -> int:
    environ = _child_env(args.database_url, args.redis_url)
    environ["CLOUDLAB_CHANNEL_PREFIX"] = "cloudlab-launchprof"
    environ["CLOUDLAB_CELERY_QUEUE"] = "cloudlab-launchprof"
    environ["CLOUDLAB_DB_POOL_MAX"] = environ.get("CLOUDLAB_DB_POOL_MAX", "20")
    os.environ.update({k: environ[k] for k in ("DATABASE_URL", "REDIS_URL", "CLOUDLAB_CHANNEL_PREFIX",
                                               "CLOUDLAB_CELERY_QUEUE")})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cloudlab.settings")
    manage(environ, "migrate", "--no-input", "-v", "0")
    import http.cookiejar

    import django

    django.setup()
    from collections import Counter

    from bench.burst import choice_ids, own_pace_report, own_pace_times, settle_report
    from bench.ws_fanout import cpu_seconds, prepare
    from cloudlab.compute.audit import audit
    from cloudlab.compute.models import Cloud, Instance

    session, _participants, cookies = prepare(args.launches + 1, args.pace)
    with tempfile.TemporaryDirectory(prefix="cloudlab-launchprof-") as tmp:
        log_dir = Path(args.log_dir or tmp)
        log_dir.mkdir(parents=True, exist_ok=True)
        stats_path = log_dir / "worker-stats.json"
        with serve(environ, log_dir, args.threads, args.profile, stats_path) as (base, worker):
            people = []
            for i, cookie in enumerate(cookies):
                student = Student(base, f"guest-{i}")
                student.cookies.set_cookie(http.cookiejar.Cookie(
                    0, "sessionid", cookie, None, False, "127.0.0.1", False, False, "/", True, False, None, False,
                    None, None, {},
                ))
                people.append(student)
            for student in people:  # the pages set the CSRF cookie
                student.page("/project/instances/")
            image_id, flavor_id = choice_ids(people[0].launch_choices(), flavor=args.flavor)
            started = time.monotonic()
            alone = people[0].launch("profile-alone", image_id, flavor_id)
            pace_time, _, _ = settle_report([r["id"] for r in alone.body.get("rows", [])], 120, started)
            calls = [partial(people[1 + i].launch, f"profile-{i:03d}", image_id, flavor_id)
                     for i in range(args.launches)]
            cpu_before = cpu_seconds(worker.pid)
            since = time.time()
            started = time.monotonic()
            answers = fire_at_once(calls)
            answered_in = time.monotonic() - started
            uuids = [row["id"] for a in answers if a.status == 202 for row in a.body.get("rows", [])]
            settled_in, states, stuck = settle_report(uuids, 180, started)
            own_line, _ = own_pace_report(own_pace_times(uuids, since))
            time.sleep(max(0.0, 3 * args.pace))  # the last funnel stages and publishes
            cpu = cpu_seconds(worker.pid) - cpu_before
            faults = Counter(str((f or {}).get("message", ""))[:80] for f in Instance.objects.filter(
                uuid__in=uuids, vm_state="error").values_list("fault", flat=True))
            problems = audit(list(Cloud.objects.filter(pk=session.cloud_id)))
        records = json.loads(stats_path.read_text()) if stats_path.exists() else []
        limit = (pace_time or 0) + 3
        print(f"launch-profile: {args.launches} launches of {args.flavor} at once, pace {args.pace:g} s, "
              f"worker threads {args.threads}{', cProfile on' if args.profile else ''}")
        print(f"pace time  {pace_time:.2f} s (one launch alone, to active)" if pace_time else "pace time  NOT SETTLED")
        print(f"answered   {len(answers)} in {answered_in:.2f} s: {dict(Counter(a.status for a in answers))}")
        if settled_in is not None:
            verdict = "within" if settled_in <= limit else "NOT within"
            print(f"settled    all {len(uuids)} in {settled_in:.2f} s, {verdict} the alone launch's pace time + 3 s "
                  f"({limit:.2f} s): {dict(states)}")
        else:
            print(f"settled    NOT ALL: {stuck} of {len(uuids)} still transitional")
        print(own_line)
        if faults:
            print(f"faults     {dict(faults)}")
        print("audit      the books balance" if not problems else "audit      " + "; ".join(map(str, problems)))
        print(f"worker CPU {cpu:.2f} s during the burst")
        if records:
            report(records, since)
        else:
            print("worker     wrote no numbers (see its log)")
        profile_path = Path(str(stats_path) + ".prof")
        if args.profile and profile_path.exists():
            import pstats

            stats = pstats.Stats(str(profile_path))
            stats.strip_dirs().sort_stats("cumulative").print_stats(30)
            stats.sort_stats("tottime").print_stats(20)
    return 1 if stuck or problems or settled_in is None or settled_in > limit else 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--worker-child":
        rest = argv[2:]
        profile = "--profile" in rest[: rest.index("--")]
        worker_child(argv[1], profile, rest[rest.index("--") + 1:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--launches", type=int, default=60, help="participants launching at once (default 60)")
    parser.add_argument("--flavor", default="m1.tiny", help="the flavor (default m1.tiny)")
    parser.add_argument("--pace", type=float, default=0.5, help="seconds per lifecycle step (default 0.5)")
    parser.add_argument("--threads", type=int, default=8, help="worker threads (default 8: run's --workers)")
    parser.add_argument("--profile", action="store_true", help="cProfile every task's thread and print the top")
    parser.add_argument("--log-dir", help="keep the servers' logs and the worker's numbers here")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), help="PostgreSQL (or DATABASE_URL)")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"), help="Redis (or REDIS_URL)")
    args = parser.parse_args(argv)
    if not args.database_url or not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url (or DATABASE_URL) must be a PostgreSQL URL")
    if not args.redis_url:
        parser.error("--redis-url (or REDIS_URL) is required")
    if args.launches < 1 or args.pace < 0 or args.threads < 1:
        parser.error("--launches and --threads must be at least 1, --pace at least 0")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
