"""Fan-out of one class session's stream: N WebSocket clients, the instructor beating at a steady rate.

Steps:
1. Prepare (in the given PostgreSQL database): a class session on a fresh copy of the demo
   scenario, N guests joined (``cloudlab.classroom.sessions.join``), and a Django session per
   guest created directly in the database (the cookie a guest's browser would hold).
2. Serve: one or two Daphne processes on free loopback ports (``--servers 2``: both behind the
   same Redis, the clients shared between them), plus a Celery worker for ``--scenario launch``.
3. Connect every client (from ``--client-procs`` processes, so the swarm is not one event loop)
   to ``/ws/live/?streams=session-<id>``; count the sockets that did not get their ``hello``.
   The Daphne processes' RSS (``/proc/<pid>/status``) is read before and after.
4. Broadcast: this process sends ``session.heartbeat`` (``n``, ``sent_at``) on the session's
   stream through ``cloudlab.live.events.send_now`` at ``--rate`` per second for ``--seconds``;
   each client records ``receive time - sent_at`` and checks every event's sequence number.
5. Print connect failures, latency p50/p95/p99, beats missed, sequence gaps and memory.

Before the clock starts the bench waits until the servers are idle: the class arriving is measured
apart (its duration, and the gaps it caused: each a snapshot refetch). Presence goes to the
instructors' ``session-staff-<id>`` stream only, so the students' sockets should see none of it
(before, every join reached every socket: N joins × N sockets). ``--stalled K`` adds K clients
that connect and then stop reading, to show whether they slow the others. ``--profile`` runs
every Daphne under cProfile (``CLOUDLAB_LIVE_PROFILE``) and prints where its time went.

``--scenario launch`` instead has ``--launches`` participants launch one instance each in the
same second over HTTP (their session cookie, the launch form's JSON API), after one launch alone
measured the pace time; it prints when every instance settled (active, or error with
NoValidHost), and, for each host, how far past its own pace time the worst instance settled
(``burst.own_pace_times``: the pacing model's time for that launch alone on the host it landed on,
counted from the moment the burst was fired; a Type II guest boots 2.6 s slower at pace 0.5 than
the Type I one the alone launch lands on), whether every one was within 3 s of it, and the audit.
It exits 1 if one was not.

Nothing is asserted: the numbers are printed (docs/live-sessions.md, Capacity, quotes them).

    createdb -h 127.0.0.1 -U postgres fanout
    B="--database-url postgresql://postgres@127.0.0.1:5432/fanout --redis-url redis://127.0.0.1:6379/0"
    .venv/bin/python bench/ws_fanout.py $B --clients 300 --rate 2 --seconds 20
    .venv/bin/python bench/ws_fanout.py $B --clients 300 --layer pubsub
    .venv/bin/python bench/ws_fanout.py $B --clients 1000 --rate 0 --seconds 5     # idle: memory
    .venv/bin/python bench/ws_fanout.py $B --clients 300 --servers 2
    .venv/bin/python bench/ws_fanout.py $B --clients 300 --stalled 20
    .venv/bin/python bench/ws_fanout.py $B --scenario launch --launches 60
    .venv/bin/python bench/ws_fanout.py $B --scenario launch --launches 60 --worker-procs 2 --worker-threads 4
    .venv/bin/python bench/ws_fanout.py $B --clients 300 --profile     # where Daphne's time goes

Everything binds to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.burst import Student, _child_env, daphne_command, fire_at_once, free_port, manage  # noqa: E402

HEARTBEAT = "session.heartbeat"


# -- the swarm (client processes: no Django here) ---------------------------------------------------


@dataclass
class ClientReport:
    connected: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)  # seconds, every beat every client got
    beats: list[int] = field(default_factory=list)  # beats received, per client
    beats_now: list[int] = field(default_factory=list)  # the same, counted as they come (one slot per client)
    gaps: int = 0  # events missing between two a client received (seq > last + 1), beating
    storm_gaps: int = 0  # the same before the first beat: while the class connects (presence events)
    storm_clients: int = 0  # clients that saw such a gap (each page would refetch its snapshot)
    closed: Counter[str] = field(default_factory=Counter)  # sockets the server closed meanwhile


async def _stalled(url: str, origin: str, cookie: str, report: ClientReport, stop: asyncio.Event) -> None:
    """A client that connects, then stops reading: its TCP window fills, then the server's buffers."""
    import websockets

    try:
        async with websockets.connect(url, additional_headers={"Cookie": f"sessionid={cookie}"}, origin=origin,  # type: ignore[arg-type]
                                      open_timeout=60, max_queue=1, ping_interval=None, compression=None):
            report.connected += 1
            await stop.wait()
    except Exception as error:
        report.failures[f"stalled: {type(error).__name__}: {str(error)[:80]}"] += 1


async def _client(url: str, origin: str, cookie: str, stream: str, report: ClientReport, ready: asyncio.Event,
                  stop: asyncio.Event, connecting: asyncio.Semaphore) -> None:
    import websockets

    beats = 0
    storm_gap = False
    last: int | None = None
    try:
        async with connecting:
            socket = await websockets.connect(
                url, additional_headers={"Cookie": f"sessionid={cookie}"}, origin=origin,  # type: ignore[arg-type]
                open_timeout=60, max_queue=None, ping_interval=None, compression=None,
            )
            hello = json.loads(await asyncio.wait_for(socket.recv(), 60))
            if hello.get("type") != "hello":
                report.failures[f"no hello: {hello}"] += 1
                await socket.close()
                return
        report.connected += 1
        slot = len(report.beats_now)
        report.beats_now.append(0)
    except Exception as error:  # every way a connect can fail is a number to print
        report.failures[f"{type(error).__name__}: {str(error)[:80]}"] += 1
        return
    ready.set()
    try:
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(socket.recv(), 0.5)
            except TimeoutError:
                continue
            now = time.time()
            message = json.loads(raw)
            if message.get("type") != "event" or message.get("stream") != stream:
                continue
            seq = message["seq"]
            if last is not None and seq > last + 1:
                if beats:
                    report.gaps += seq - last - 1
                else:
                    report.storm_gaps += seq - last - 1
                    storm_gap = True
            last = seq if last is None else max(last, seq)
            if message["event"] == HEARTBEAT:
                beats += 1
                report.beats_now[slot] = beats
                report.latencies.append(now - message["data"]["sent_at"])
    except Exception as error:
        report.closed[f"{type(error).__name__}: {str(error)[:80]}"] += 1
    finally:
        report.beats.append(beats)
        report.storm_clients += storm_gap
        await socket.close()


def _swarm(jobs: list[tuple[str, str, bool]], origin_of: dict[str, str], stream: str, pipe: Any,
           stop_file: str) -> None:
    """One client process: open every socket of ``jobs`` (url, cookie, stalled), say how many
    connected, listen until ``stop_file`` exists, then send the report back."""

    async def main() -> ClientReport:
        report = ClientReport()
        stop = asyncio.Event()
        connecting = asyncio.Semaphore(64)
        tasks = [
            asyncio.create_task(
                _stalled(url, origin_of[url], cookie, report, stop) if stalled else
                _client(url, origin_of[url], cookie, stream, report, asyncio.Event(), stop, connecting)
            )
            for url, cookie, stalled in jobs
        ]
        while report.connected + sum(report.failures.values()) < len(jobs):
            await asyncio.sleep(0.1)
        pipe.send(("connected", report.connected, dict(report.failures)))
        while not os.path.exists(stop_file) or not Path(stop_file).read_text():
            await asyncio.sleep(0.1)
        sent, waited = int(Path(stop_file).read_text()), 0.0
        while waited < 30 and report.beats_now.count(sent) < len(report.beats_now):  # stragglers
            await asyncio.sleep(0.2)
            waited += 0.2
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        return report

    report = asyncio.run(main())
    pipe.send(("report", report))


# -- the server side -------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_quiet(pids: list[int], limit: float = 180.0) -> float:
    """Wait until the servers are idle (under 10 % of a core for a second): the class's arrival
    (every join's presence event to every socket) has drained. Seconds waited."""
    started = time.monotonic()
    last = sum(cpu_seconds(p) for p in pids)
    while time.monotonic() - started < limit:
        time.sleep(1.0)
        now = sum(cpu_seconds(p) for p in pids)
        if now - last < 0.1:
            break
        last = now
    return time.monotonic() - started


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@contextmanager
def servers(environ: dict[str, str], log_dir: Path, count: int, worker: bool,
            worker_procs: int = 1, worker_threads: int = 8, pool: str = "threads") -> Iterator[list[tuple[str, int]]]:
    """``count`` Daphne processes (and ``worker_procs`` Celery workers of ``worker_threads`` each);
    yields (base URL, pid) of each Daphne."""
    from cloudlab.__main__ import worker_command

    processes: list[subprocess.Popen[bytes]] = []
    daphnes: list[tuple[str, int]] = []
    with ExitStack() as files:
        try:
            commands = [(f"daphne-{i}", daphne_command(port, 4096), port) for i, port in
                        enumerate(free_port() for _ in range(count))]
            for n in range(worker_procs if worker else 0):
                commands.append((f"worker-{n}", worker_command(worker_threads, None, pool=pool), 0))
            for name, command, port in commands:
                log = files.enter_context((log_dir / f"{name}.log").open("wb"))
                process = subprocess.Popen(  # noqa: S603 - our own server
                    command, cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                )
                processes.append(process)
                if port:
                    daphnes.append((f"http://127.0.0.1:{port}", process.pid))
            deadline = time.monotonic() + 60
            for base, _pid in daphnes:
                while Student(base, "-").page("/auth/login/")[0] != 200:
                    if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                        tails = "".join(f"\n--- {f.name}\n" + f.read_text(errors="replace")[-1500:]
                                        for f in sorted(log_dir.glob("*.log")))
                        raise RuntimeError("the server did not start" + tails)
                    time.sleep(0.3)
            yield daphnes
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


def prepare(clients: int, pace: float) -> tuple[Any, list[Any], list[str]]:
    """A session on a fresh copy of the demo cloud, ``clients`` guests in it, and their cookies."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    from cloudlab.classroom import sessions
    from cloudlab.classroom.models import State

    User = get_user_model()
    instructor, _ = User.objects.get_or_create(username="fanout-ivy", defaults={"is_staff": True})
    stamp = time.strftime("%H%M%S")
    # A scenario copy makes its creator the cloud's instructor.
    session = sessions.start_session(
        instructor, scenario="demo", name=f"fanout {stamp}", pace=pace,
        quota={"instances": 10, "cores": 20, "ram": 51200},
    )
    sessions.set_state(session, State.RUNNING, instructor)
    participants, cookies = [], []
    for i in range(clients):
        participant = sessions.join(session, nickname=f"g{stamp}-{i:04d}")
        store = SessionStore()
        user = participant.user
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        sessions.record_guest_login(participant, store.session_key)
        participants.append(participant)
        cookies.append(store.session_key)
    return session, participants, cookies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def broadcast(args: argparse.Namespace, session: Any, cookies: list[str], daphnes: list[tuple[str, int]],
              log_dir: Path) -> int:
    from cloudlab.live.events import send_now, session_stream

    stream = session_stream(session.pk)
    before = {pid: rss_mb(pid) for _, pid in daphnes}
    stop_file = str(log_dir / "stop")
    jobs: list[list[tuple[str, str, bool]]] = [[] for _ in range(args.client_procs)]
    origin_of = {}
    for i, cookie in enumerate(cookies):
        base = daphnes[i % len(daphnes)][0]
        url = base.replace("http://", "ws://") + f"/ws/live/?streams={stream}"
        origin_of[url] = base
        jobs[i % args.client_procs].append((url, cookie, i >= len(cookies) - args.stalled))
    context = mp.get_context("spawn")
    pipes, procs = [], []
    started = time.monotonic()
    for chunk in jobs:
        ours, theirs = context.Pipe()
        proc = context.Process(target=_swarm, args=(chunk, origin_of, stream, theirs, stop_file))
        proc.start()
        pipes.append(ours)
        procs.append(proc)
    connected, failures = 0, Counter[str]()
    for pipe in pipes:
        _, n, failed = pipe.recv()
        connected += n
        failures.update(failed)
    connect_time = time.monotonic() - started
    drained = wait_quiet([pid for _, pid in daphnes])  # the joins' presence events, before the clock starts
    after_connect = {pid: rss_mb(pid) for _, pid in daphnes}

    beats = int(args.rate * args.seconds)
    first = time.monotonic()
    send_times = []
    for n in range(1, beats + 1):  # on a fixed clock: a slow send does not slow the rate
        time.sleep(max(0.0, first + (n - 1) / args.rate - time.monotonic()))
        sent_at = time.time()
        send_now(stream, HEARTBEAT, {"n": n, "sent_at": sent_at})
        send_times.append(time.time() - sent_at)
    Path(stop_file).write_text(str(beats))
    reports = [pipe.recv()[1] for pipe in pipes]
    for proc in procs:
        proc.join()
    after = {pid: rss_mb(pid) for _, pid in daphnes}

    latencies = [x for r in reports for x in r.latencies]
    per_client = [b for r in reports for b in r.beats]
    gaps = sum(r.gaps for r in reports)
    storm_gaps = sum(r.storm_gaps for r in reports)
    closed = sum((r.closed for r in reports), Counter[str]())
    complete = sum(1 for b in per_client if b == beats)
    layer = os.environ.get("CLOUDLAB_CHANNEL_LAYER", "redis")
    mode = "DEBUG=1" if args.debug else "DEBUG=0"
    stalled = f" (+{args.stalled} that stop reading)" if args.stalled else ""
    print(f"fanout: {len(cookies) - args.stalled} clients{stalled} on {stream}, {len(daphnes)} Daphne, "
          f"layer {layer}, {mode}, "
          f"{args.rate:g} beats/s for {args.seconds:g} s ({beats} beats), {args.client_procs} client processes")
    print(f"connect    {connected}/{len(cookies)} in {connect_time:.1f} s, then {drained:.1f} s until the servers "
          f"were idle; failures {sum(failures.values())}"
          + "".join(f"\n           {n} x {m}" for m, n in failures.most_common(5)))
    if beats:
        ms = [1000 * x for x in latencies]
        print(f"latency    p50 {percentile(ms, 50):.1f} ms, p95 {percentile(ms, 95):.1f} ms, "
              f"p99 {percentile(ms, 99):.1f} ms, max {max(ms, default=float('nan')):.1f} ms ({len(ms)} deliveries)")
        print(f"beats      {complete}/{len(per_client)} clients got all {beats}; "
              f"missed {beats * len(per_client) - sum(per_client)} deliveries")
    if send_times:
        print(f"publisher  send_now p50 {1000 * percentile(send_times, 50):.1f} ms, "
              f"max {1000 * max(send_times):.1f} ms")
    print(f"gaps       {gaps} while beating; {storm_gaps} while the class connected (presence events), "
          f"in {sum(r.storm_clients for r in reports)} clients")
    if closed:
        print(f"closed     {dict(closed)}")
    for base, pid in daphnes:
        added = after_connect[pid] - before[pid]
        per_socket = added * 1024 / max(1, connected / len(daphnes))
        print(f"memory     Daphne {base}: {before[pid]:.1f} MB before, {after_connect[pid]:.1f} MB connected "
              f"(+{added:.1f} MB, {per_socket:.0f} KB/socket), {after[pid]:.1f} MB after")
    return 1 if failures or gaps or (beats and complete < len(per_client)) else 0


def launch(args: argparse.Namespace, session: Any, cookies: list[str], daphnes: list[tuple[str, int]]) -> int:
    """One launch alone (the pace time), then ``--launches`` participants launch at once."""
    import http.cookiejar

    from bench.burst import choice_ids, own_pace_report, own_pace_times, settle_report
    from cloudlab.compute.audit import audit
    from cloudlab.compute.models import Cloud

    base = daphnes[0][0]
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
    alone = people[0].launch("fanout-alone", image_id, flavor_id)
    started = time.monotonic()
    alone_uuids = [row["id"] for row in alone.body.get("rows", [])]
    pace_time, _, _ = settle_report(alone_uuids, 120, started)
    calls = [partial(people[1 + i].launch, f"fanout-{i:03d}", image_id, flavor_id) for i in range(args.launches)]
    fired_at = time.time()
    started = time.monotonic()
    answers = fire_at_once(calls)
    answered_in = time.monotonic() - started
    uuids = [row["id"] for a in answers if a.status == 202 for row in a.body.get("rows", [])]
    settled_in, states, stuck = settle_report(uuids, 120, started)
    own_line, own_ok = own_pace_report(own_pace_times(uuids, fired_at))
    limit = (pace_time or 0) + 3
    from cloudlab.compute.models import Instance

    faults = Counter(str((fault or {}).get("message", ""))[:80] for fault in
                     Instance.objects.filter(uuid__in=uuids, vm_state="error").values_list("fault", flat=True))
    problems = audit(list(Cloud.objects.filter(pk=session.cloud_id)))
    print(f"launch: {args.launches} participants launch {args.flavor} at once at {base}, pace {args.pace:g} s")
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
    return 1 if stuck or problems or settled_in is None or not own_ok else 0


def print_profiles(profile_dir: Path, lines: int = 25) -> None:
    """Each Daphne's cProfile statistics (written when it exited): the functions that took the
    most time of their own, then the most time with what they called."""
    import io
    import pstats

    for path in sorted(profile_dir.glob("daphne.*")):
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(str(path), stream=out).sort_stats(order).print_stats(lines)
            text = out.getvalue()
            print(f"profile    {path.name} by {order}:\n" + text[text.find("   ncalls"):].rstrip())


def run(args: argparse.Namespace) -> int:
    environ = _child_env(args.database_url, args.redis_url)
    environ["CLOUDLAB_CHANNEL_PREFIX"] = "cloudlab-fanout"
    environ["CLOUDLAB_CELERY_QUEUE"] = "cloudlab-fanout"
    environ["CLOUDLAB_CHANNEL_LAYER"] = args.layer
    if not args.debug:  # as in production (README, Production), but plain HTTP on loopback
        environ |= {"DEBUG": "0", "SECRET_KEY": "ws-fanout-bench-" + "x" * 40, "SESSION_COOKIE_SECURE": "0",
                    "ALLOWED_HOSTS": "127.0.0.1,localhost"}
    environ["CLOUDLAB_DB_POOL_MAX"] = environ.get("CLOUDLAB_DB_POOL_MAX", "20")
    profile_dir = Path(tempfile.mkdtemp(prefix="cloudlab-fanout-profile-")) if args.profile else None
    if profile_dir is not None:
        environ["CLOUDLAB_LIVE_PROFILE"] = str(profile_dir / "daphne")
    os.environ.update({k: environ[k] for k in ("DATABASE_URL", "REDIS_URL", "CLOUDLAB_CHANNEL_PREFIX",
                                               "CLOUDLAB_CELERY_QUEUE", "CLOUDLAB_CHANNEL_LAYER")})
    # The sessions this process writes must be the servers' (same secret key, same settings).
    os.environ.update({k: environ[k] for k in ("DEBUG", "SECRET_KEY", "SESSION_COOKIE_SECURE", "ALLOWED_HOSTS",
                                               "CLOUDLAB_DATA_DIR") if k in environ})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cloudlab.settings")
    manage(environ, "migrate", "--no-input", "-v", "0")
    if not args.debug:  # DEBUG=0 pages name the hashed static files that collectstatic writes
        environ["CLOUDLAB_DATA_DIR"] = tempfile.mkdtemp(prefix="cloudlab-fanout-data-")
        manage(environ, "collectstatic", "--no-input", "-v", "0")
    import django

    django.setup()
    clients = args.launches + 1 if args.scenario == "launch" else args.clients + args.stalled
    started = time.monotonic()
    session, _participants, cookies = prepare(clients, args.pace)
    print(f"prepared   session {session.pk} ({session.code}), {clients} guests in {time.monotonic() - started:.1f} s")
    from cloudlab.__main__ import worker_processes

    procs = args.worker_procs or worker_processes(8)  # as run starts them for its default 8 threads
    threads = args.worker_threads or max(1, 8 // procs)
    if args.scenario == "launch":
        print(f"workers    {procs} × {threads} threads")
    with tempfile.TemporaryDirectory(prefix="cloudlab-fanout-") as tmp:
        log_dir = Path(args.log_dir or tmp)
        log_dir.mkdir(parents=True, exist_ok=True)
        (log_dir / "stop").unlink(missing_ok=True)
        try:
            with servers(environ, log_dir, args.servers, worker=args.scenario == "launch",
                         worker_procs=procs, worker_threads=threads,
                         pool=args.pool) as daphnes:
                if args.scenario == "launch":
                    return launch(args, session, cookies, daphnes)
                return broadcast(args, session, cookies, daphnes, log_dir)
        finally:
            if profile_dir is not None:
                print_profiles(profile_dir)
            for log in sorted(log_dir.glob("daphne-*.log")):
                errors = [line for line in log.read_text(errors="replace").splitlines()
                          if "Error" in line or "Exception" in line]
                if errors:
                    print(f"server log {log.name}: {len(errors)} error lines, e.g.")
                    for line, n in Counter(errors).most_common(4):
                        print(f"           {n} x {line[:160]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", choices=["broadcast", "launch"], default="broadcast")
    parser.add_argument("--clients", type=int, default=300, help="WebSocket clients (default 300)")
    parser.add_argument("--rate", type=float, default=2.0, help="heartbeats per second (default 2; 0: idle)")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to beat (default 20)")
    parser.add_argument("--stalled", type=int, default=0, help="extra clients that connect and stop reading")
    parser.add_argument("--servers", type=int, default=1, choices=[1, 2], help="Daphne processes (default 1)")
    parser.add_argument("--client-procs", type=int, default=2, help="processes the clients run in (default 2)")
    parser.add_argument("--layer", choices=["redis", "pubsub"], default="redis", help="CLOUDLAB_CHANNEL_LAYER")
    parser.add_argument("--debug", action="store_true", help="run the servers with DEBUG=1 (default: DEBUG=0)")
    parser.add_argument("--launches", type=int, default=60, help="--scenario launch: participants (default 60)")
    parser.add_argument("--flavor", default="m1.tiny", help="--scenario launch: the flavor (default m1.tiny)")
    parser.add_argument("--worker-procs", type=int, choices=[1, 2, 3, 4],
                        help="--scenario launch: Celery worker processes (default: as run starts them, "
                             "cloudlab.__main__.worker_processes: 2 on PostgreSQL)")
    parser.add_argument("--worker-threads", type=int,
                        help="--scenario launch: threads per worker (default: run's 8 shared by the processes)")
    parser.add_argument("--pool", choices=["threads", "prefork"], default="threads", help="--scenario launch: the pool")
    parser.add_argument("--pace", type=float, default=0.5, help="seconds per lifecycle step (default 0.5)")
    parser.add_argument("--profile", action="store_true", help="run Daphne under cProfile and print its top calls")
    parser.add_argument("--log-dir", help="keep the servers' logs here (default: a temporary folder)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), help="PostgreSQL (or DATABASE_URL)")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"), help="Redis (or REDIS_URL)")
    args = parser.parse_args(argv)
    if not args.database_url or not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url (or DATABASE_URL) must be a PostgreSQL URL")
    if not args.redis_url:
        parser.error("--redis-url (or REDIS_URL) is required: every Daphne must share it")
    if args.clients < 1 or args.rate < 0 or args.seconds < 0 or args.client_procs < 1:
        parser.error("--clients and --client-procs must be at least 1, --rate and --seconds at least 0")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
