"""A launch of N instances is one scheduling request (nova/conductor/manager.py
schedule_and_build_instances → nova/scheduler/manager.py select_destinations): one pass places
all N, consuming each chosen host before the next pick, and if any instance finds no host the
whole request fails with NoValidHost for every instance (all or nothing)."""

import pytest

from cloudlab.compute.models import Host, Instance, SchedulingRecord
from cloudlab.identity.models import Quota
from cloudlab.live.events import project_stream
from tests import steps
from tests.helpers import EventRecorder, wait_for


@pytest.fixture
def unlimited(demo_cloud):
    Quota.objects.update(instances=-1, cores=-1, ram=-1)


def test_three_instances_are_placed_by_one_pass(alice, launch, unlimited, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        first, second, third = launch(alice, name="web", count=3, flavor="m1.small")
        steps.schedule(first)
    records = list(SchedulingRecord.objects.filter(instance__in=[first, second, third]).order_by("instance_index"))
    assert [r.instance_id for r in records] == [first.pk, second.pk, third.pk]
    assert [r.instance_index for r in records] == [0, 1, 2]
    trace = records[0].trace
    assert all(r.trace == trace and r.outcome == "claimed" for r in records)
    assert trace["request"]["num_instances"] == 3 and len(trace["instances"]) == 3
    assert [r.selected_host for r in records] == trace["selected_hosts"]
    # each pick saw the host the one before it chose with that instance consumed
    # (HostState._locked_consume_from_request: free_ram_mb -= the flavor's RAM)
    def free_ram(index, host):
        ram = next(w for w in trace["instances"][index]["weighers"] if w["name"] == "RAMWeigher")
        return ram["values"][host]["raw"]

    for index in (1, 2):
        before = trace["instances"][index - 1]["selected"]
        assert free_ram(index, before) == free_ram(index - 1, before) - 2048  # m1.small
    placed = {i.pk: i for i in Instance.objects.filter(pk__in=[first.pk, second.pk, third.pk])}
    assert all(i.task_state == "scheduling" for i in placed.values())  # until the funnel has played
    assert placed[first.pk].host.name == trace["selected_hosts"][0]
    assert placed[second.pk].host.name == trace["selected_hosts"][1]
    assert placed[third.pk].host.name == trace["selected_hosts"][2]
    with django_capture_on_commit_callbacks(execute=False):
        for instance in (first, second, third):
            steps.run_to_end(instance)
    finished = Instance.objects.filter(pk__in=[first.pk, second.pk, third.pk])
    assert {(i.vm_state, i.task_state) for i in finished} == {("active", None)}
    assert SchedulingRecord.objects.filter(instance__in=finished).count() == 3  # no second pass


def test_if_one_instance_finds_no_host_every_instance_fails(
    alice, launch, unlimited, django_capture_on_commit_callbacks
):
    # compute-kvm2 alone, 16 GB × ram ratio 1.5: one m1.xlarge (16 GB) fits, a second does not
    Host.objects.exclude(name="compute-kvm2").update(enabled=False)
    with django_capture_on_commit_callbacks(execute=False):
        first, second = launch(alice, name="big", count=2, flavor="m1.xlarge")
        steps.schedule(first)
    for instance in Instance.objects.filter(pk__in=[first.pk, second.pk]):
        assert (instance.vm_state, instance.task_state, instance.host) == ("error", None, None)
        assert instance.fault["message"] == "No valid host was found. There are not enough hosts available."
        action = instance.actions.get()
        assert action.message == "Error" and action.finish_time is not None
        assert action.events.get(event="schedule_instances").result == "Error"
    records = SchedulingRecord.objects.filter(instance__in=[first, second])
    assert {r.outcome for r in records} == {"NoValidHost"} and records.count() == 2
    assert records.first().trace["error"]["instance_index"] == 1
    assert (
        Host.objects.get(name="compute-kvm2").memory_mb_used
        == Host.objects.get(name="compute-kvm2").reserved_host_memory_mb
    )


@pytest.mark.django_db(transaction=True)
def test_a_multi_create_reaches_active_with_one_decision_on_the_stream(
    celery_worker, alice, launch, unlimited, project_of
):
    with EventRecorder(project_stream(project_of(alice).pk)) as recorder:
        created = launch(alice, name="pair", count=2)
        wait_for(lambda: all(Instance.objects.get(pk=i.pk).vm_state == "active" for i in created))
        wait_for(lambda: sum(m["data"].get("status") == "ACTIVE" for m in recorder.messages) >= 2)
    decisions = [m for m in recorder.messages if m["event"] == "scheduler.decision"]
    assert len(decisions) == 1 and decisions[0]["data"]["instance"] == str(created[0].uuid)
    records = SchedulingRecord.objects.filter(instance__in=created)
    assert records.count() == 2 and len({str(r.trace) for r in records}) == 1
