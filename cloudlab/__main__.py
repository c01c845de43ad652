"""``python -m cloudlab run`` and ``python -m cloudlab test``: the README's two commands.

run:  migrate, load the demo cloud, start Redis (embedded unless REDIS_URL is set), a Celery
      worker and Daphne together; print the URL and the demo logins; Ctrl-C stops all of it.
      Daphne also listens with TLS on loopback (CLOUDLAB_KUBE_PORT, default 6443) for the
      Kubernetes API kubectl speaks, with a CA and certificate made at first run in the data
      directory (cloudlab/kubeapi/tls.py).
      A child that dies (the worker, Daphne, the embedded Redis) is started again after a
      back-off; one that keeps dying (CLOUDLAB_MAX_RESTARTS times within a minute) stops
      everything, and the command exits with status 1.
test: start an embedded Redis unless REDIS_URL is set, then run pytest with the given arguments.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from cloudlab.embedded import EmbeddedRedis, EmbeddedRedisError
from cloudlab.env import ConfigError, envbool, envint
from cloudlab.env import data_dir as env_data_dir
from cloudlab.kubeapi import tls

BASE_DIR = Path(__file__).resolve().parent.parent


def _manage(*args: str) -> None:
    subprocess.run([sys.executable, str(BASE_DIR / "manage.py"), *args], check=True, cwd=BASE_DIR)


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    """Signal the child's whole process group: the worker's beat is a process of its own, and it
    must not outlive its worker (``start_new_session`` made the child the group's leader)."""
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()
        _signal_group(process, signal.SIGKILL)  # anything of its group still there


class Child:
    """A process the run command keeps alive: when it dies it is started again after a back-off
    (1, 2, 4 … s), unless it died ``max_restarts`` times within ``RESTART_WINDOW`` seconds."""

    RESTART_WINDOW = 60.0

    def __init__(self, name: str, command: list[str], max_restarts: int) -> None:
        self.name = name
        self.command = command
        self.max_restarts = max_restarts
        self.process: subprocess.Popen[bytes] | None = None
        self.crashes: list[float] = []
        self.restart_at: float | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, cwd=BASE_DIR, start_new_session=True)
        self.restart_at = None
        print(f"cloudlab: {self.name} started (pid {self.process.pid})", flush=True)

    def check(self, now: float) -> bool:
        """Restart the child if it died and its back-off is over; False: it keeps dying, give up."""
        if self.restart_at is not None:
            if now >= self.restart_at:
                self.start()
            return True
        if self.process is None or self.process.poll() is None:
            return True
        status = self.process.returncode
        _signal_group(self.process, signal.SIGKILL)  # e.g. the beat of a worker killed with -9
        self.crashes = [t for t in self.crashes if now - t < self.RESTART_WINDOW] + [now]
        if len(self.crashes) > self.max_restarts:
            print(
                f"cloudlab: {self.name} exited with status {status}, {len(self.crashes)} times within "
                f"{self.RESTART_WINDOW:g} s; giving up",
                file=sys.stderr,
                flush=True,
            )
            return False
        delay = float(2 ** (len(self.crashes) - 1))
        print(
            f"cloudlab: {self.name} exited with status {status}; restarting it in {delay:g} s",
            file=sys.stderr,
            flush=True,
        )
        self.restart_at = now + delay
        return True


def daphne_endpoint(host: str, port: int, backlog: int = 1024) -> str:
    """Daphne's Twisted endpoint for ``host:port`` with a listen backlog a class clicking at once
    fits in (Twisted's default, 50, had the kernel reset connections of a burst of launches)."""
    interface = host.replace(":", "\\:")  # an IPv6 address's colons are escaped in an endpoint
    return f"tcp:port={port}:interface={interface}:backlog={backlog}"


def _port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether ``port`` can be listened on: the Kubernetes API's port taken (another CloudLab, a
    local cluster's apiserver) leaves the dashboard running without it, said in the banner."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def worker_command(threads: int, data_dir: Path | None, *, pool: str = "threads", name: str = "") -> list[str]:
    """A Celery worker ``run`` starts: threads for the paced steps, and, given ``data_dir``, the
    beat scheduler inside it (``--beat``, its schedule file there), which sends the periodic tasks
    of CELERY_BEAT_SCHEDULE (the reaper, every CLOUDLAB_REAPER_INTERVAL seconds). Only the first
    of ``run``'s workers gets a ``data_dir``, so there is one beat. Without ``data_dir``, no beat
    (the tests' own workers). ``name``: the node name's prefix, when there are several."""
    beat = ["--beat", "--schedule", str(data_dir / "celerybeat-schedule")] if data_dir is not None else []
    node = ["--hostname", f"{name}@%h"] if name else []
    return [
        *(sys.executable, "-m", "celery", "-A", "cloudlab", "worker"),
        *beat,
        *node,
        *("--pool", pool, "--concurrency", str(threads), "--loglevel", "warning"),
        *("--without-gossip", "--without-mingle"),
    ]


def worker_processes(threads: int) -> int:
    """How many worker processes ``run`` starts for ``threads`` threads in all:
    CLOUDLAB_WORKER_PROCESSES, else two on PostgreSQL on a machine of two or more CPUs (a
    worker's steps are mostly Python holding its GIL: a class's burst of 60 launches settled
    about a second sooner, bench/ws_fanout.py --scenario launch, docs/live-sessions.md), else one
    (SQLite takes one writer at a time, so a second process only waits for the first)."""
    postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://", "pgsql://"))
    default = 2 if postgres and (os.cpu_count() or 1) >= 2 else 1
    return max(1, min(envint("CLOUDLAB_WORKER_PROCESSES", default, minimum=1), threads))


def run(args: argparse.Namespace) -> int:
    try:
        max_restarts = envint("CLOUDLAB_MAX_RESTARTS", 5, minimum=0)
        processes = worker_processes(args.workers)
        # load_demo's own rule (settings.CLOUDLAB_DEMO_ACCOUNTS): the banner names only accounts that exist.
        demo_accounts = envbool("CLOUDLAB_DEMO_ACCOUNTS", envbool("DEBUG", True))
        kube_port = tls.kube_port()
    except ConfigError as error:
        print(f"cloudlab: {error}", file=sys.stderr)
        return 1
    data_dir = env_data_dir()
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["CLOUDLAB_DATA_DIR"] = str(data_dir)
    if kube_port == args.port:
        print(f"cloudlab: CLOUDLAB_KUBE_PORT={kube_port} is the web server's port too", file=sys.stderr)
        return 1
    kube_tls = tls.ensure_certificates(data_dir)
    kube_endpoint = ["-e", tls.daphne_endpoint(kube_port, kube_tls)] if _port_free(kube_port) else []
    with ExitStack() as stack:
        embedded: EmbeddedRedis | None = None
        if not os.environ.get("REDIS_URL"):
            try:
                embedded = stack.enter_context(EmbeddedRedis(data_dir))
            except EmbeddedRedisError as error:
                print(f"cloudlab: {error}", file=sys.stderr)
                return 1
            print(f"cloudlab: embedded Redis on {embedded.socket}")
        try:
            _manage("migrate", "--no-input", "-v", "0")
            _manage("load_demo")
            _manage("collectstatic", "--no-input", "-v", "0")
        except subprocess.CalledProcessError as error:
            print(f"cloudlab: set-up failed ({error})", file=sys.stderr)
            return 1
        shares = [args.workers // processes + (1 if n < args.workers % processes else 0) for n in range(processes)]
        workers = [
            Child(
                "worker" if n == 0 else f"worker {n + 1}",
                worker_command(threads, data_dir if n == 0 else None, name=f"worker{n + 1}" if processes > 1 else ""),
                max_restarts,
            )
            for n, threads in enumerate(shares)
        ]
        children = [
            *workers,
            Child(
                "web server",
                [
                    *(sys.executable, "-m", "daphne"),
                    *("-e", daphne_endpoint(args.host, args.port)),
                    *kube_endpoint,
                    "cloudlab.asgi:application",
                ],
                max_restarts,
            ),
        ]
        for child in children:
            child.start()
        host = f"[{args.host}]" if ":" in args.host else args.host
        logins = (
            "  demo logins (password cloudlab-demo): alice and bob (students), ivy (instructor)\n"
            if demo_accounts
            else "  no demo accounts (DEBUG=0): log in with the accounts you loaded\n"
        )
        print(
            f"\nCloudLab is running at http://{host}:{args.port}/\n{logins}"
            + (
                f"  the Kubernetes API (kubectl) answers at https://127.0.0.1:{kube_port}/kubernetes/<cluster id>\n"
                if kube_endpoint
                else f"  no Kubernetes API for kubectl: port {kube_port} is in use (set CLOUDLAB_KUBE_PORT)\n"
            )
            + "  Ctrl-C stops CloudLab, its worker and its Redis.\n",
            flush=True,
        )
        stopping = False
        failed = False

        def request_stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        try:
            while not stopping:
                now = time.monotonic()
                if embedded is not None and not embedded.alive():
                    print("cloudlab: the embedded Redis exited; starting it again", file=sys.stderr, flush=True)
                    try:
                        embedded.start()
                    except EmbeddedRedisError as error:
                        print(f"cloudlab: {error}", file=sys.stderr, flush=True)
                        failed = stopping = True
                for child in children:
                    if not child.check(now):
                        failed = stopping = True
                time.sleep(0.2)
        finally:
            print("\ncloudlab: stopping…", flush=True)
            _stop([child.process for child in children if child.process is not None])
        print("cloudlab: stopped." if not failed else "cloudlab: stopped after a crash.", flush=True)
        return 1 if failed else 0


def test(pytest_args: list[str]) -> int:
    with ExitStack() as stack:
        # /tmp keeps the unix socket path short wherever the checkout lives.
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cloudlab-test-", dir="/tmp")))
        os.environ.setdefault("CLOUDLAB_TEST_SQLITE", str(data_dir / "test.sqlite3"))  # without DATABASE_URL
        if not os.environ.get("REDIS_URL"):
            try:
                embedded = stack.enter_context(EmbeddedRedis(data_dir))
            except EmbeddedRedisError as error:
                print(f"cloudlab: {error}", file=sys.stderr)
                return 1
            os.environ["REDIS_URL"] = embedded.url
            print(f"cloudlab: tests use an embedded Redis on {embedded.socket}", flush=True)
        return subprocess.run([sys.executable, "-m", "pytest", *pytest_args], cwd=BASE_DIR).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cloudlab", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="run CloudLab (web server, worker, Redis)")
    run_parser.add_argument("--host", default=os.environ.get("CLOUDLAB_HOST", "127.0.0.1"))
    run_parser.add_argument("--port", type=int, default=int(os.environ.get("CLOUDLAB_PORT", "8000")))
    run_parser.add_argument(
        "--workers",
        type=int,
        default=8,
        help="worker threads in all (default 8), shared by the worker processes "
        "(CLOUDLAB_WORKER_PROCESSES; default 2 on PostgreSQL, 1 on SQLite)",
    )
    commands.add_parser("test", help="run the tests (arguments after `--` go to pytest)")
    args, rest = parser.parse_known_args(argv)
    if args.command == "run":
        if rest:
            parser.error(f"unknown arguments: {' '.join(rest)}")
        return run(args)
    return test([a for a in rest if a != "--"])


if __name__ == "__main__":
    sys.exit(main())
