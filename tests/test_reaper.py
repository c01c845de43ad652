"""A worker killed in the middle of a step (SIGKILL, a real subprocess) leaves the instance in a
transitional state. The reaper first sends the lost step again, once (steps are compare-and-swaps);
if that is lost too, it settles the instance as Nova's compute start-up does, in the action log."""

import os
import signal
import subprocess
import time

import pytest
from django.conf import settings

from cloudlab.__main__ import worker_command
from cloudlab.compute import reaper
from cloudlab.compute.actions.instance import do_instance_action
from cloudlab.compute.models import Instance
from tests.helpers import database_url, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _start_worker() -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CLOUDLAB_CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
    }
    return subprocess.Popen(
        [*worker_command(1, None, pool="solo"), "--without-heartbeat"],
        cwd=settings.BASE_DIR,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _kill(worker: subprocess.Popen) -> None:
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(10)


@pytest.fixture
def worker_process():
    workers = []

    def start():
        workers.append(_start_worker())
        return workers[-1]

    yield start
    for worker in workers:
        if worker.poll() is None:
            _kill(worker)


def test_a_build_interrupted_by_a_killed_worker_becomes_error(demo_cloud, alice, launch, worker_process):
    demo_cloud.pace = 1.0  # spawning lasts seconds: time to kill the worker in the middle
    demo_cloud.save()
    worker = worker_process()
    [instance] = launch(alice, name="doomed")
    wait_for(lambda: Instance.objects.get(pk=instance.pk).task_state == "spawning", timeout=30)
    _kill(worker)
    time.sleep(0.5)
    stuck = Instance.objects.get(pk=instance.pk)
    assert (stuck.vm_state, stuck.task_state) == ("building", "spawning")

    assert reaper.reap(grace=60) == []  # not stale yet: a live worker might still be pacing it
    [resent] = reaper.reap(grace=0)  # its step once more, for a worker that is alive …
    assert "step" in resent and "sent again" in resent
    assert Instance.objects.get(pk=instance.pk).task_state == "spawning"
    [line] = reaper.reap(grace=0)  # … but none is: settled
    assert "building/spawning → error/None" in line
    settled = Instance.objects.get(pk=instance.pk)
    assert (settled.vm_state, settled.task_state) == ("error", None)
    assert settled.fault["message"] == "Instance failed to spawn correctly, setting to ERROR state."
    action = settled.actions.get(action="create")
    assert action.finish_time is not None and action.message == "Error"
    event = action.events.get(event=reaper.SETTLE_EVENT)
    assert event.result == "Error" and "failed to spawn" in event.details


def test_a_reboot_interrupted_by_a_killed_worker_completes(demo_cloud, alice, launch, worker_process):
    worker = worker_process()
    [instance] = launch(alice, name="rebooting")
    wait_for(lambda: Instance.objects.get(pk=instance.pk).vm_state == "active", timeout=30)
    demo_cloud.pace = 2.0
    demo_cloud.save()
    do_instance_action(alice, Instance.objects.get(pk=instance.pk), "reboot_soft")
    wait_for(
        lambda: Instance.objects.get(pk=instance.pk).task_state in ("reboot_pending", "reboot_started"), timeout=30
    )
    _kill(worker)
    [resent] = reaper.reap(grace=0)
    assert "sent again" in resent
    [line] = reaper.reap(grace=0)
    settled = Instance.objects.get(pk=instance.pk)
    assert (settled.vm_state, settled.task_state, settled.power_state) == ("active", None, 1), line
    reboot = settled.actions.get(action="reboot")
    assert reboot.events.filter(event=reaper.SETTLE_EVENT, result="Success").exists()
    assert reboot.finish_time is not None


def test_a_worker_starting_up_settles_what_the_last_one_left(demo_cloud, alice, launch, worker_process):
    """As nova-compute checks its instances when it starts: the new worker's reaper runs at once."""
    from tests import steps

    [instance] = launch(alice, name="half-stopped")
    steps.schedule(instance)
    steps.run_to_end(instance)
    Instance.objects.filter(pk=instance.pk).update(task_state="powering-off")  # a stop its worker never finished
    os.environ["CLOUDLAB_REAPER_GRACE"] = "0"
    try:
        worker_process()
        settled = wait_for(
            lambda: Instance.objects.get(pk=instance.pk).task_state is None and Instance.objects.get(pk=instance.pk),
            timeout=30,
        )
    finally:
        del os.environ["CLOUDLAB_REAPER_GRACE"]
    assert (settled.vm_state, settled.power_state) == ("stopped", 4)  # Nova retries the stop


def test_the_reaper_waits_as_long_as_a_slow_phase_and_the_funnel_before_it(demo_cloud, alice, launch, settings):
    """A build at a slow pace spawning a big image, in a cloud whose funnel plays for minutes, is
    not abandoned after the old 'grace + ten steps'; it is once its own phase is over by the grace."""
    from datetime import timedelta

    from django.utils import timezone

    from tests import steps

    settings.CLOUDLAB_REAPER_GRACE = 30
    settings.CLOUDLAB_BROKER_REDELIVERY_SECONDS = 0
    [instance] = launch(alice, name="slow", image="ubuntu", flavor="m1.small")
    steps.schedule(instance)
    while Instance.objects.get(pk=instance.pk).task_state != "spawning":
        steps.run_next_step(instance)
    demo_cloud.pace = 10.0
    demo_cloud.save()
    spawning = Instance.objects.select_related("cloud", "host", "image").get(pk=instance.pk)
    from cloudlab.compute.runner import plan_of, step_seconds

    record = steps.latest_action(spawning)
    started_spawning = plan_of(record).steps[record.context["step"] - 1]
    phase = reaper.due_by(spawning) - spawning.updated_at  # spawning: weight 2 plus the image's GB
    # The decision was taken just now: its funnel (half a step per stage at pace 10) still plays.
    assert phase.total_seconds() > step_seconds(spawning, started_spawning) + 10.0, phase
    now = spawning.updated_at + phase
    assert not reaper.is_stale(spawning, now + timedelta(seconds=29))
    assert reaper.is_stale(spawning, now + timedelta(seconds=31))
    assert now + timedelta(seconds=31) > timezone.now()  # it is judged by its phase, not by a clock


def test_a_lost_step_sent_again_finishes_the_action(demo_cloud, alice, launch, monkeypatch):
    """The step after the one a killed worker committed was never sent: the reaper sends that
    step again (once), and running it takes the build on to ACTIVE with no settlement."""
    from cloudlab.compute import queue, runner
    from tests import steps

    [instance] = launch(alice, name="resumed")
    steps.schedule(instance)  # scheduled and claimed; the message of its next step is lost
    sent = []
    monkeypatch.setattr(queue, "run_step", lambda *args, **kwargs: sent.append(args))
    [line] = reaper.reap(grace=0)
    assert "sent again" in line
    action = Instance.objects.get(pk=instance.pk).actions.get(action="create")
    assert sent == [(instance.pk, action.pk, action.context["step"])]
    assert reaper.reap(grace=60) == []  # its clock started again: the resent step gets its time
    monkeypatch.undo()
    runner.run_step(*sent[0])
    steps.run_to_end(instance)
    settled = Instance.objects.get(pk=instance.pk)
    assert (settled.vm_state, settled.task_state) == ("active", None)
    assert not settled.actions.get(action="create").events.filter(event=reaper.SETTLE_EVENT).exists()
