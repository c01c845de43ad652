"""CloudLab started by its own run command for a script that drives it from Chromium (the page
weights, the docs' screenshots): a fresh data directory, a loopback port, the demo cloud with its
demo accounts, and Chromium as the tests launch it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def cloudlab_run(
    port: int,
    data_dir: str,
    *,
    debug: bool = True,
    pace: float = 0.0,
    workers: int = 2,
    kube_port: int | None = None,
) -> Iterator[str]:
    """``python -m cloudlab run`` on 127.0.0.1:``port`` until it answers; yields its URL and
    stops it (Ctrl-C, as a person would) afterwards. With ``debug`` False it runs as in
    production (``DEBUG=0``, a throwaway secret key, plain HTTP allowed for loopback). The
    Kubernetes API's HTTPS endpoint listens on ``kube_port`` (by default a free port, so a
    script never meets another CloudLab's 6443)."""
    env = {
        **os.environ,
        "CLOUDLAB_DATA_DIR": data_dir,
        "DEBUG": "1" if debug else "0",
        "CLOUDLAB_DEMO_ACCOUNTS": "1",  # the scripts log in as the demo users, DEBUG=0 too
        "CLOUDLAB_PACE": str(pace),
    }
    if kube_port is not None or "CLOUDLAB_KUBE_PORT" not in env:
        env["CLOUDLAB_KUBE_PORT"] = str(kube_port or free_port())
    if not debug:
        env |= {"SECRET_KEY": "run-server-script-" + "x" * 40, "SESSION_COOKIE_SECURE": "0"}
    for name in ("REDIS_URL", "DATABASE_URL"):
        env.pop(name, None)  # embedded: its own SQLite and Redis in data_dir
    process = subprocess.Popen(  # noqa: S603 - our own run command
        [sys.executable, "-m", "cloudlab", "run", "--port", str(port), "--workers", str(workers)],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                raise SystemExit(f"cloudlab run exited with {process.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/auth/login/", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("cloudlab run did not answer within 180 s") from None
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            process.wait(30)
