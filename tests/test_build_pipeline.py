"""Launch → a real Celery worker steps the instance to active, publishing every step in order."""

import pytest

from cloudlab.compute.models import Host, Instance, SchedulingRecord
from cloudlab.engine.lifecycle import PowerState, VmState
from cloudlab.live.events import project_stream
from tests.helpers import EventRecorder, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_launch_reaches_active_through_novas_build_steps(celery_worker, alice, launch, project_of):
    with EventRecorder(project_stream(project_of(alice).pk)) as recorder:
        [instance] = launch(alice, name="test")
        wait_for(lambda: Instance.objects.get(pk=instance.pk).vm_state == VmState.ACTIVE)
        wait_for(lambda: any(m["data"].get("status") == "ACTIVE" for m in recorder.messages))

    instance.refresh_from_db()
    assert instance.task_state is None
    assert instance.power_state == PowerState.RUNNING
    assert instance.launched_at is not None
    assert instance.addresses == {"private": ["10.0.0.3"]}

    rows = [m for m in recorder.messages if m["event"].startswith("instance.")]
    steps = [(m["event"], m["data"]["vm_state"], m["data"]["task_state"]) for m in rows]
    assert steps == [
        ("instance.created", "building", "scheduling"),
        ("instance.updated", "building", "scheduling"),  # placed and claimed; the funnel plays
        ("instance.updated", "building", "networking"),
        ("instance.updated", "building", "block_device_mapping"),
        ("instance.updated", "building", "spawning"),
        ("instance.updated", "active", None),
    ]
    seqs = [m["seq"] for m in recorder.messages]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # consecutive: no gap for the page
    decision = [m for m in recorder.messages if m["event"] == "scheduler.decision"]
    assert len(decision) == 1 and decision[0]["data"]["instance"] == str(instance.uuid)

    action = instance.actions.get()
    assert action.action == "create" and action.finish_time is not None and action.message == ""
    events = list(action.events.values_list("event", "result"))
    assert events == [
        ("schedule_instances", "Success"),
        ("compute_allocate_network", "Success"),
        ("compute_prep_block_device", "Success"),
        ("compute_spawn", "Success"),
    ]


def test_no_valid_host_ends_in_error_with_the_fault(celery_worker, alice, launch):
    Host.objects.update(up=False)
    [instance] = launch(alice)
    wait_for(lambda: Instance.objects.get(pk=instance.pk).vm_state == VmState.ERROR)
    instance.refresh_from_db()
    assert instance.fault["message"].startswith("No valid host was found.")
    assert instance.host is None and instance.fixed_ip is None


@pytest.fixture
def one_worker_thread(transactional_db):
    """A real Celery worker with a single thread: whatever a task does, it does alone."""
    from celery.contrib.testing.worker import start_worker

    from cloudlab.celery import app

    with start_worker(app, pool="threads", concurrency=1, perform_ping_check=False, shutdown_timeout=10) as worker:
        yield worker


def test_paced_steps_wait_without_blocking_the_worker(one_worker_thread, alice, launch, demo_cloud):
    """With a pace, the next step is scheduled with a countdown and the worker is free meanwhile:
    on a worker with one thread, a second launch made while the first is networking is placed
    before the first's next step. A worker that slept through the pace would finish the first
    build before it even looked at the second."""
    demo_cloud.pace = 0.5
    demo_cloud.save()
    [first] = launch(alice, name="first")
    wait_for(lambda: Instance.objects.get(pk=first.pk).task_state == "networking")
    [second] = launch(alice, name="second")
    wait_for(lambda: Instance.objects.get(pk=second.pk).host_id is not None, timeout=30)
    placed = SchedulingRecord.objects.get(instance=second).created_at
    wait_for(lambda: Instance.objects.get(pk=first.pk).vm_state == VmState.ACTIVE, timeout=60)
    first_bdm = first.actions.get().events.get(event="compute_prep_block_device").start_time
    assert placed < first_bdm, "the second launch waited for the first one's paced steps"


def test_nothing_moves_on_before_the_funnel_has_chosen(celery_worker, alice, ivy, launch, demo_cloud, project_of):
    """A viewer never sees the instance networked, its address or its host before the paced
    funnel has reached the selection: it stays in scheduling meanwhile (issue 10, item 1)."""
    from cloudlab.engine.pacing import funnel_seconds
    from cloudlab.engine.scheduler import replay_stages
    from cloudlab.live.events import cloud_stream

    demo_cloud.pace = 0.3
    demo_cloud.save()
    with EventRecorder(cloud_stream(demo_cloud.pk)) as recorder:
        [instance] = launch(alice, name="watched")
        wait_for(lambda: Instance.objects.get(pk=instance.pk).task_state == "block_device_mapping", timeout=30)
    record = SchedulingRecord.objects.get(instance=instance)
    funnel_ends = record.live_started_at.timestamp() + funnel_seconds(0.3, len(replay_stages(record.trace)))
    networking = next(
        m for m in recorder.messages if m["event"].startswith("instance.") and m["data"]["task_state"] == "networking"
    )
    scheduling = [
        m for m in recorder.messages if m["event"].startswith("instance.") and m["data"]["task_state"] == "scheduling"
    ]
    assert scheduling and all(m["data"]["host"] is None and m["data"]["ip"] is None for m in scheduling)
    assert networking["data"]["host"] == record.selected_host and networking["data"]["ip"] is not None
    started = instance.actions.get().events.get(event="compute_allocate_network").start_time.timestamp()
    assert started >= funnel_ends - 0.05, "networking began while the funnel was still playing"


def test_a_step_a_busy_worker_ran_late_shortens_the_phases_after_it_not_the_build(
    alice, launch, demo_cloud, monkeypatch
):
    """A class launching together keeps the worker busy: a step that ran late sends the next one
    on the request's timeline (``pacing.next_due``), so the delay is taken back from the phase
    that follows, down to its minimum share, instead of adding up from step to step."""
    import time

    from cloudlab.compute import queue, runner
    from cloudlab.engine.pacing import MIN_PHASE_SHARE
    from tests import steps

    demo_cloud.pace = 0.5
    demo_cloud.save()
    [instance] = launch(alice, name="late")
    sent: list[tuple[tuple, dict]] = []
    monkeypatch.setattr(queue, "run_step", lambda *args, **kwargs: sent.append((args, kwargs)))
    steps.schedule(instance)  # the pass, on time: the next step waits its phase and the funnel
    record = steps.latest_action(instance)
    plan = runner.plan_of(record)

    def phase(index: int) -> float:
        return runner.step_seconds(Instance.objects.get(pk=instance.pk), plan.steps[index])

    due = time.time() - 0.3  # networking ran 0.3 s after it was due
    runner.run_step(instance.pk, record.pk, 1, due)
    (args, kwargs) = sent[-1]
    assert args[:3] == (instance.pk, record.pk, 2)
    assert kwargs["due"] == pytest.approx(due + phase(1))  # on the request's timeline
    assert args[3] == pytest.approx(phase(1) - 0.3, abs=0.1)  # the phase gave the delay back

    due = time.time() - 5.0  # block device mapping ran far later than its phase
    runner.run_step(instance.pk, record.pk, 2, due)
    (args, kwargs) = sent[-1]
    assert kwargs["due"] == pytest.approx(due + phase(2))
    assert args[3] == pytest.approx(MIN_PHASE_SHARE * phase(2), abs=0.1)  # still on screen a while
