"""The Resource Tracker and the failure flows through a real Celery worker (issue 15 items 3 and 4):
a launch's claim writes the compute node's record with the numbers before and after; the periodic
update_available_resource reports the totals and corrects a record that drifted; a guest that powers
itself off is stopped by the power-state sync with no user, as Nova does; a host down mid-build
holds the build until the reaper settles it; the attempts running out is MaxRetriesExceeded; a
service change reaches every member of the cloud."""

import re
from dataclasses import replace

import pytest

from cloudlab.compute import flow_log, periodic, placement, reaper
from cloudlab.compute.actions.host import do_host_action
from cloudlab.compute.actions.scheduler_settings import do_update_scheduler
from cloudlab.compute.flow_log import flow_of
from cloudlab.compute.models import Cloud, Host, Instance
from cloudlab.compute.scheduling import scheduler_config
from cloudlab.engine.lifecycle import VmState
from cloudlab.engine.scheduler import ERA_DEFAULT_FILTERS
from cloudlab.live.events import cloud_stream, project_stream
from tests.helpers import EventRecorder, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _flows(recorder):
    return [m["data"] for m in recorder.messages if m["event"] == "flow.messages"]


def _numbers(detail):
    """``memory_mb_used 512 → 1024, …`` as {column: (before, after)}."""
    return {name: (int(a), int(b)) for name, a, b in re.findall(r"(\w+) (-?\d+) → (-?\d+)", detail)}


def _active(alice, launch, project_of, recorder=None, name="rt"):
    [instance] = launch(alice, name=name)
    wait_for(lambda: Instance.objects.get(pk=instance.pk).vm_state == VmState.ACTIVE)
    if recorder is not None:
        wait_for(lambda: any(f["step"] == "compute_spawn#1" for f in _flows(recorder)))
    return Instance.objects.select_related("host", "flavor").get(pk=instance.pk)


def test_a_launchs_claim_writes_the_compute_node_record_with_its_numbers(celery_worker, alice, launch, project_of):
    with EventRecorder(project_stream(project_of(alice).pk)) as recorder:
        instance = _active(alice, launch, project_of, recorder)
    [claim] = [f for f in _flows(recorder) if f["step"] == "compute_allocate_network"]
    [write] = [m for m in claim["messages"] if m["name"] == "compute_nodes" and m["kind"] == "db_write"]
    numbers = _numbers(write["detail"])
    host = Host.objects.get(pk=instance.host_id)
    held = instance.flavor.memory_mb + host.instance_overhead_mb
    assert numbers["memory_mb_used"] == (host.memory_mb_used - held, host.memory_mb_used)
    assert numbers["vcpus_used"] == (host.vcpus_used - instance.flavor.vcpus, host.vcpus_used)
    assert numbers["local_gb_used"] == (host.local_gb_used - instance.flavor.disk_gb, host.local_gb_used)
    assert numbers["free_ram_mb"][1] == host.memory_mb - host.memory_mb_used
    assert numbers["running_vms"][1] == numbers["running_vms"][0] + 1 == host.instances.count()
    replay = flow_of(instance.actions.get(action="create"))
    [replayed] = [s for s in replay if s["step"] == "compute_allocate_network"]
    assert replayed["messages"] == claim["messages"]  # the replay shows the same numbers


@pytest.mark.books_unbalanced  # the record is made wrong on purpose, then corrected
def test_the_periodic_update_reports_the_totals_and_corrects_a_record_that_drifted(
    celery_worker, alice, ivy, launch, project_of
):
    instance = _active(alice, launch, project_of)
    host = Host.objects.get(pk=instance.host_id)
    with EventRecorder(cloud_stream(host.cloud_id)) as recorder:
        assert periodic.update_available_resource(host.pk) == []  # usually: nothing changed
        Host.objects.filter(pk=host.pk).update(memory_mb_used=host.memory_mb_used + 1000)  # a fault
        changed = periodic.update_available_resource(host.pk)
        wait_for(lambda: len([f for f in _flows(recorder) if f["operation"] == "update_available_resource"]) == 2)
    assert [c.column for c in changed] == ["memory_mb_used", "free_ram_mb"]
    assert Host.objects.get(pk=host.pk).memory_mb_used == host.memory_mb_used  # corrected
    quiet, fixed = [f for f in _flows(recorder) if f["operation"] == "update_available_resource"]
    assert (quiet["step"], quiet["outcome"], fixed["outcome"]) == (host.name, None, "changed")
    assert quiet["messages"][-1]["status"] == "skipped"
    assert not [m for m in quiet["messages"] if m["kind"] == "db_write"]
    [report] = [m for m in quiet["messages"] if m["name"] == "_update_available_resource"]
    assert f"memory_mb_used={host.memory_mb_used}" in report["detail"]
    [write] = [m for m in fixed["messages"] if m["kind"] == "db_write"]
    assert _numbers(write["detail"]) == {
        "memory_mb_used": (host.memory_mb_used + 1000, host.memory_mb_used),
        "free_ram_mb": (host.memory_mb - host.memory_mb_used - 1000, host.memory_mb - host.memory_mb_used),
    }


def test_a_guest_that_powers_itself_off_is_stopped_by_the_sync_with_no_user(
    celery_worker, alice, ivy, launch, project_of
):
    instance = _active(alice, launch, project_of)
    with EventRecorder(cloud_stream(instance.cloud_id)) as staff, EventRecorder(
        project_stream(instance.project_id)
    ) as student:
        assert periodic.driver_power_state(instance) == 1
        periodic.do_guest_powers_off(ivy, instance)
        assert periodic.driver_power_state(instance) == 4  # the hypervisor's view differs from the database
        fresh = wait_for(lambda: Instance.objects.filter(pk=instance.pk, vm_state="stopped", task_state=None).first())
        wait_for(lambda: any(f["step"] == "compute_stop_instance#1" for f in _flows(student)))
    assert fresh.power_state == 4
    stop = fresh.actions.get(action="stop")
    assert (stop.user, stop.project) == (None, None)  # the compute service's admin context, as Nova's
    [event] = [f for f in _flows(staff) if f["operation"] == "handle_lifecycle_event"]
    assert (event["step"], event["outcome"]) == (instance.host.name, "active_off")
    assert event["instance"] == str(instance.uuid)
    wire = [(m["src"], m["dst"], m["name"]) for m in event["messages"]]
    assert wire[0] == ("hypervisor", "nova-compute", "EVENT_LIFECYCLE_STOPPED")
    assert ("nova-compute", "nova-compute", "stop_instance") in wire
    [mine] = [f for f in _flows(student) if f["operation"] == "handle_lifecycle_event"]
    assert mine["step"] == ""  # a student's copy does not name the host
    [api] = [f for f in _flows(student) if f["operation"] == "stop" and f["step"] == "api"]
    assert not [m for m in api["messages"] if m["src"] == "client"]  # no HTTP: compute_api.stop in nova-compute
    assert any("user_id=NULL" in m["detail"] for m in api["messages"])
    assert periodic.driver_power_state(Instance.objects.get(pk=instance.pk)) == 4
    assert f"{instance.name}: in_sync" in periodic.sync_power_states(instance.host_id)  # nothing left to do


def _the_chosen_host_dies(monkeypatch):
    """The scheduler chooses a host, and its nova-compute goes down right after. Undo: the result."""
    real_decide = placement.decide

    def decide_then_the_host_dies(instance, **kwargs):
        trace, moment = real_decide(instance, **kwargs)
        Host.objects.filter(name=trace["selected_hosts"][0]).update(up=False)
        return trace, moment

    monkeypatch.setattr(placement, "decide", decide_then_the_host_dies)
    return lambda: monkeypatch.setattr(placement, "decide", real_decide)


def test_a_host_down_mid_build_holds_the_build_until_the_reaper_settles_it(
    celery_worker, alice, launch, project_of, monkeypatch
):
    _the_chosen_host_dies(monkeypatch)
    with EventRecorder(project_stream(project_of(alice).pk)) as recorder:
        [instance] = launch(alice, name="doomed")
        wait_for(lambda: any(f["outcome"] == "host_down" for f in _flows(recorder)))
    held = Instance.objects.get(pk=instance.pk)
    assert (held.vm_state, held.task_state) == ("building", "scheduling")  # the cast waits in the queue
    [waiting] = [f for f in _flows(recorder) if f["outcome"] == "host_down"]
    assert waiting["step"] == "compute_allocate_network"
    [cast] = waiting["messages"]
    assert (cast["name"], cast["dst"], cast["status"]) == ("build_and_run_instance", "nova-compute", "failed")
    reaper.reap(grace=0)  # first the lost step is sent again: the host is still down, it waits again
    wait_for(lambda: flow_log.held_by_down_host(Instance.objects.get(pk=instance.pk),
                                               instance.actions.get(action="create"), 1))  # fmt: skip
    reaper.reap(grace=0)
    settled = wait_for(lambda: Instance.objects.filter(pk=instance.pk, vm_state="error").first())
    assert settled.task_state is None
    assert len([f for f in _flows(recorder) if f["outcome"] == "host_down"]) == 1


def test_a_build_held_by_a_down_host_goes_on_as_soon_as_its_nova_compute_is_back(
    celery_worker, alice, ivy, launch, project_of, monkeypatch
):
    """The cast waited in compute.<host>'s queue: the service back, it is consumed at once."""
    undo = _the_chosen_host_dies(monkeypatch)
    with EventRecorder(project_stream(project_of(alice).pk)) as recorder:
        [instance] = launch(alice, name="patient")
        wait_for(lambda: any(f["outcome"] == "host_down" for f in _flows(recorder)))
    undo()
    held = Instance.objects.select_related("host").get(pk=instance.pk)
    assert (held.vm_state, held.task_state) == ("building", "scheduling")
    do_host_action(ivy, held.host, "bring_up")  # no reaper run: the host's return alone
    active = wait_for(lambda: Instance.objects.filter(pk=instance.pk, vm_state=VmState.ACTIVE).first(), timeout=30)
    assert active.host_id == held.host_id and active.task_state is None


@pytest.mark.books_unbalanced  # it fills each chosen host by hand so every claim fails
def test_attempts_running_out_is_max_retries_exceeded_not_no_valid_host(
    celery_worker, alice, launch, project_of, monkeypatch
):
    real_decide = placement.decide

    def decide_then_someone_fills_the_host(instance, **kwargs):
        trace, moment = real_decide(instance, **kwargs)
        for name in trace["selected_hosts"]:
            Host.objects.filter(name=name).update(memory_mb_used=10**6)
        return trace, moment

    monkeypatch.setattr(placement, "decide", decide_then_someone_fills_the_host)
    with EventRecorder(project_stream(project_of(alice).pk)) as recorder:
        [instance] = launch(alice, name="unlucky")
        wait_for(lambda: Instance.objects.get(pk=instance.pk).vm_state == VmState.ERROR)
        wait_for(lambda: any(f["outcome"] == "max_retries" for f in _flows(recorder)))
    passes = [f["outcome"] for f in _flows(recorder) if f["step"] == "schedule_instances"]
    assert passes[-1] == "max_retries" and "no_valid_host" not in passes
    last = next(f for f in _flows(recorder) if f["outcome"] == "max_retries")["messages"]
    failed = [m["name"] for m in last if m["status"] == "failed"]
    assert failed == ["instance_claim", "MaxRetriesExceeded"]
    assert last[-1]["name"] == "instances, instance_faults" and "MaxRetriesExceeded" in last[-1]["detail"]
    assert "Exceeded max scheduling attempts" in Instance.objects.get(pk=instance.pk).fault["message"]


@pytest.mark.books_unbalanced  # it fills the chosen host by hand to lose the race
def test_placement_refusing_the_first_claim_shows_both_claims(
    celery_worker, alice, ivy, launch, project_of, demo_cloud, monkeypatch
):
    config = replace(scheduler_config(demo_cloud), era="placement", enabled_filters=ERA_DEFAULT_FILTERS["placement"])
    do_update_scheduler(ivy, Cloud.objects.get(pk=demo_cloud.pk), config, {})
    real_decide = placement.decide
    passes = []

    def decide_then_someone_fills_the_host(instance, **kwargs):
        trace, moment = real_decide(instance, **kwargs)
        if not passes:
            Host.objects.filter(name=trace["selected_hosts"][0]).update(memory_mb_used=10**6)
        passes.append(trace["selected_hosts"][0])
        return trace, moment

    monkeypatch.setattr(placement, "decide", decide_then_someone_fills_the_host)
    with EventRecorder(project_stream(project_of(alice).pk)) as recorder:
        _active(alice, launch, project_of, recorder)
    [scheduling] = [f for f in _flows(recorder) if f["step"] == "schedule_instances"]
    assert scheduling["outcome"] == "claim_race"
    claims = [m["status"] for m in scheduling["messages"] if m["name"] == "PUT /allocations/{instance_uuid}"]
    assert claims == ["failed", "ok"]  # both attempts, the refused one first


def test_a_service_change_reaches_every_member_of_the_cloud(alice, bob, ivy, project_of, demo_cloud):
    host = Host.objects.get(name="compute-kvm1")
    alices, bobs = project_stream(project_of(alice).pk), project_stream(project_of(bob).pk)
    with EventRecorder(alices) as a, EventRecorder(bobs) as b:
        do_host_action(ivy, host, "mark_down")
        wait_for(lambda: _flows(a) and _flows(b))
    for recorder in (a, b):
        [change] = _flows(recorder)
        assert (change["operation"], change["step"], change["outcome"]) == ("os-services", "compute-kvm1", "mark_down")
        assert change["messages"][0]["name"] == "PUT /v2.1/os-services/{service_id}"
        assert any(m["detail"] == "forced_down=True" for m in change["messages"])


def test_a_build_failing_after_its_claim_shows_the_abort_with_its_numbers(
    celery_worker, alice, launch, project_of, demo_cloud
):
    used = set(Instance.objects.filter(cloud=demo_cloud).exclude(fixed_ip=None).values_list("fixed_ip", flat=True))
    Cloud.objects.filter(pk=demo_cloud.pk).update(network_cidr="10.0.0.0/30")  # only 10.0.0.2 after the gateway
    if "10.0.0.2" not in used:
        _active(alice, launch, project_of, name="takes-the-last-address")
    with EventRecorder(project_stream(project_of(alice).pk)) as recorder:
        [instance] = launch(alice, name="no-address")
        wait_for(lambda: Instance.objects.get(pk=instance.pk).vm_state == VmState.ERROR)
        wait_for(lambda: any(f["outcome"] == "failed" for f in _flows(recorder)))
    [failed] = [f for f in _flows(recorder) if f["outcome"] == "failed"]
    names = [m["name"] for m in failed["messages"]]
    assert "instance_claim" in names and "abort_instance_claim" in names
    assert names.index("abort_instance_claim") > names.index("instance_claim")
    claim, abort = (m for m in failed["messages"] if m["name"] == "compute_nodes")
    before, after = _numbers(claim["detail"]), _numbers(abort["detail"])
    assert after["memory_mb_used"] == (before["memory_mb_used"][1], before["memory_mb_used"][0])  # given back
    assert after["running_vms"][1] == after["running_vms"][0] - 1
    assert [s["messages"] for s in flow_of(instance.actions.get(action="create")) if s["outcome"] == "failed"] == [
        failed["messages"]
    ]


def test_a_resize_claim_shows_the_destinations_numbers(celery_worker, alice, launch, project_of):
    from cloudlab.compute.actions.instance import do_instance_action

    instance = _active(alice, launch, project_of)
    with EventRecorder(project_stream(project_of(alice).pk)) as recorder:
        do_instance_action(alice, instance, "resize", {"flavor": "2"})
        wait_for(lambda: any(f["step"] == "compute_prep_resize" for f in _flows(recorder)))
        wait_for(lambda: Instance.objects.get(pk=instance.pk).vm_state == VmState.RESIZED)
    [prep] = [f for f in _flows(recorder) if f["step"] == "compute_prep_resize"]
    [write] = [m for m in prep["messages"] if m["name"] == "migrations, compute_nodes"]
    assert write["detail"].startswith("dest_compute, dest_node")
    numbers = _numbers(write["detail"])
    fresh = Instance.objects.select_related("host", "flavor").get(pk=instance.pk)
    assert numbers["vcpus_used"][1] - numbers["vcpus_used"][0] == fresh.flavor.vcpus
    assert numbers["memory_mb_used"][1] == Host.objects.get(pk=fresh.host_id).memory_mb_used
