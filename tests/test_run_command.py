"""`make run` starts what the README promises: the worker `python -m cloudlab run` starts also
runs Celery beat, so the reaper settles stuck instances every CLOUDLAB_REAPER_INTERVAL seconds."""

import os
import signal
import subprocess
import threading
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
