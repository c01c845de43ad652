"""`make run` starts what the README promises: the worker `python -m cloudlab run` starts also
runs Celery beat, so the reaper settles stuck instances every CLOUDLAB_REAPER_INTERVAL seconds;
a child that dies is started again (its beat killed with it), one that keeps dying stops the
command with status 1, and Ctrl-C stops everything."""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from cloudlab.__main__ import worker_command
from tests.helpers import wait_for


def test_the_run_commands_worker_sends_the_reaper_every_interval(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "CLOUDLAB_REAPER_INTERVAL": "1",
        "CLOUDLAB_CELERY_QUEUE": f"{settings.CELERY_TASK_DEFAULT_QUEUE}-beat-test",
        # The reaper it sends runs on an empty database of its own, never on the tests' one.
        "CLOUDLAB_DATA_DIR": str(tmp_path),
    }
    env.pop("DATABASE_URL", None)
    worker = subprocess.Popen(
        [*worker_command(1, tmp_path), "--loglevel", "info"],
        cwd=settings.BASE_DIR,
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(worker.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        wait_for(lambda: sum("Sending due task reap-stuck-instances (compute.reap)" in line for line in lines) >= 2, 40)
    except AssertionError:
        pytest.fail("beat never sent the reaper twice; the worker said:\n" + "".join(lines[-40:]))
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(5)
    assert (tmp_path / "celerybeat-schedule").exists() or any(tmp_path.glob("celerybeat-schedule*"))


# -- the run command supervises its children ------------------------------------------------


@pytest.fixture(scope="module")
def run_data_dir() -> Iterator[Path]:
    """One data folder for the module's run commands (the second migrates nothing); /tmp keeps
    the embedded Redis's unix socket path short."""
    with tempfile.TemporaryDirectory(prefix="cloudlab-run-", dir="/tmp") as folder:
        yield Path(folder)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RunCommand:
    """``python -m cloudlab run`` in a child process (embedded Redis, SQLite), its output read."""

    def __init__(self, data_dir: Path, port: int, **env: str) -> None:
        environment = {
            **os.environ,
            "CLOUDLAB_DATA_DIR": str(data_dir),
            "CLOUDLAB_CELERY_QUEUE": f"{settings.CELERY_TASK_DEFAULT_QUEUE}-run-test",
            **env,
        }
        for name in ("REDIS_URL", "DATABASE_URL"):
            environment.pop(name, None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cloudlab", "run", "--port", str(port), "--workers", "2"],
            cwd=settings.BASE_DIR,
            env=environment,
            start_new_session=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=lambda: self.lines.extend(iter(self.process.stdout.readline, "")), daemon=True).start()

    def said(self, pattern: str) -> list[re.Match[str]]:
        return [m for line in list(self.lines) if (m := re.search(pattern, line))]

    def wait_to_say(self, pattern: str, count: int = 1, timeout: float = 90) -> list[re.Match[str]]:
        try:
            return wait_for(lambda: len(self.said(pattern)) >= count and self.said(pattern), timeout)
        except AssertionError:
            pytest.fail(f"the run command never said {pattern!r} ({count}×); it said:\n" + "".join(self.lines[-30:]))

    def stop(self) -> None:
        """As Ctrl-C would (the run command stops its children, each in a session of its own)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


def _group(pgid: int) -> list[int]:
    """The processes of a process group (a worker and its beat)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


@pytest.mark.faults
def test_the_run_command_restarts_a_killed_worker_and_ctrl_c_still_stops_everything(run_data_dir: Path) -> None:
    """Two worker processes (as on PostgreSQL), the first with the beat: the first is killed and
    comes back; Ctrl-C stops both."""
    run = RunCommand(run_data_dir, _free_port(), CLOUDLAB_WORKER_PROCESSES="2")
    try:
        [first] = run.wait_to_say(r"cloudlab: worker started \(pid (\d+)\)")
        [other] = run.wait_to_say(r"cloudlab: worker 2 started \(pid (\d+)\)")
        run.wait_to_say(r"CloudLab is running at")
        worker, second_worker = int(first.group(1)), int(other.group(1))
        wait_for(lambda: len(_group(worker)) >= 2, 60)  # the worker and its beat
        assert _group(second_worker) == [second_worker]  # one beat in all: the first worker's
        os.kill(worker, signal.SIGKILL)  # the worker alone: its beat is left behind

        run.wait_to_say(r"cloudlab: worker exited with status -9; restarting it in 1 s")
        second = run.wait_to_say(r"cloudlab: worker started \(pid (\d+)\)", count=2)[1]
        assert int(second.group(1)) != worker
        assert _group(worker) == [], "the killed worker's beat outlived it"
        assert run.process.poll() is None and not run.said("web server exited")

        run.process.send_signal(signal.SIGINT)
        assert run.process.wait(30) == 0
        run.wait_to_say(r"^cloudlab: stopped\.$")
        assert _group(second_worker) == [] and _group(int(second.group(1))) == []
    finally:
        run.stop()


@pytest.mark.faults
def test_the_run_command_exits_non_zero_when_a_child_keeps_dying(run_data_dir: Path) -> None:
    with socket.socket() as taken:  # Daphne cannot listen on a port that is taken: it exits 1
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        run = RunCommand(run_data_dir, taken.getsockname()[1], CLOUDLAB_MAX_RESTARTS="1")
        try:
            assert run.process.wait(120) == 1
        finally:
            run.stop()
    assert run.said(r"web server exited with status 1; restarting it in 1 s")
    assert run.said(r"web server exited with status 1, 2 times within 60 s; giving up")
    assert run.said(r"cloudlab: stopped after a crash\.")


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "0.0.0.0"])  # noqa: S104 - parsed, never bound
def test_the_web_server_listens_with_a_backlog_a_class_fits_in(host):
    """Twisted parses the endpoint the run command gives Daphne: the host, the port and a listen
    backlog of 1024 (its default, 50, reset connections of a burst of launches)."""
    from twisted.internet.endpoints import serverFromString
    from twisted.internet.testing import MemoryReactor

    from cloudlab.__main__ import daphne_endpoint

    reactor = MemoryReactor()
    endpoint = serverFromString(reactor, daphne_endpoint(host, 8123))
    endpoint.listen(object())
    port, _factory, backlog, interface = reactor.tcpServers[0]
    assert (port, backlog, interface) == (8123, 1024, host)
