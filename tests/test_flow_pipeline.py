"""The flow of an action, live through a real Celery worker: each step's messages between the
services arrive right after the state change they go with, in the flow engine's order (which
tests/engine/test_flow_table.py holds to the reference), and replay from the action log."""

from dataclasses import replace

import pytest

from cloudlab.compute import placement
from cloudlab.compute.actions.errors import ActionError
from cloudlab.compute.actions.instance import do_instance_action
from cloudlab.compute.actions.scheduler_settings import do_update_scheduler
from cloudlab.compute.flow_log import flow_of
from cloudlab.compute.models import Cloud, Host, Instance
from cloudlab.compute.scheduling import scheduler_config
from cloudlab.engine import flow
from cloudlab.engine.lifecycle import BUILD, VmState
from cloudlab.engine.scheduler import ERA_DEFAULT_FILTERS
from cloudlab.live.events import project_stream
from tests.helpers import EventRecorder, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _wire(messages):
    return [(m["src"], m["dst"], m["kind"], m["name"], m["status"]) for m in messages]


def _record(alice, launch, project_of, vm_state, last_step):
    with EventRecorder(project_stream(project_of(alice).pk)) as recorder:
        [instance] = launch(alice, name="flow")
        wait_for(lambda: Instance.objects.get(pk=instance.pk).vm_state == vm_state)
        wait_for(lambda: any(m["event"] == "flow.messages" and m["data"]["step"] == last_step
                             for m in recorder.messages))  # fmt: skip
    return instance, recorder.messages


@pytest.mark.parametrize("era", ["classic", "placement"])
def test_a_launchs_flow_arrives_in_order_right_after_each_state_change(
    celery_worker, demo_cloud, alice, ivy, launch, project_of, era
):
    if era == "placement":
        config = replace(scheduler_config(demo_cloud), era=era, enabled_filters=ERA_DEFAULT_FILTERS[era])
        do_update_scheduler(ivy, Cloud.objects.get(pk=demo_cloud.pk), config, {})
    instance, events = _record(alice, launch, project_of, VmState.ACTIVE, "compute_spawn#1")

    seen = [
        (m["event"], m["data"]["task_state"]) if m["event"].startswith("instance.") else (m["event"], m["data"]["step"])
        for m in events
        if m["event"].startswith("instance.") or m["event"] == "flow.messages"
    ]
    assert seen == [
        ("instance.created", "scheduling"),
        ("flow.messages", "api"),  # nova-api accepted it: POST /servers … 202
        ("instance.updated", "scheduling"),
        ("flow.messages", "schedule_instances"),  # conductor → scheduler → (Placement) → compute
        ("instance.updated", "networking"),
        ("flow.messages", "compute_allocate_network"),
        ("instance.updated", "block_device_mapping"),
        ("flow.messages", "compute_prep_block_device"),
        ("instance.updated", "spawning"),
        ("flow.messages", "compute_spawn"),
        ("instance.updated", None),
        ("flow.messages", "compute_spawn#1"),
    ]
    published = [msg for m in events if m["event"] == "flow.messages" for msg in m["data"]["messages"]]
    assert [m["seq"] for m in published] == list(range(1, len(published) + 1))
    assert _wire(published) == _wire([m.to_json() for m in flow.flow(BUILD, era).messages])
    assert {m["data"]["era"] for m in events if m["event"] == "flow.messages"} == {era}
    if era == "placement":
        assert ("nova-scheduler", "placement-api", "http", "PUT /allocations/{instance_uuid}", "ok") in _wire(published)
    else:
        assert ("nova-compute", "nova-network", "rpc_call", "allocate_for_instance", "ok") in _wire(published)

    replay = flow_of(instance.actions.get(action="create"))
    assert [s["step"] for s in replay] == [s for (e, s) in seen if e == "flow.messages"]
    assert [m for s in replay for m in s["messages"]] == published
    assert all(s["result"] == "Success" for s in replay)


@pytest.mark.books_unbalanced  # it fills a host by hand to lose the race
def test_a_classic_reschedule_shows_both_attempts(celery_worker, alice, launch, project_of, monkeypatch):
    real_decide = placement.decide
    passes = []

    def decide_then_someone_fills_the_host(instance, *, tried, **kwargs):
        trace, moment = real_decide(instance, tried=tried, **kwargs)
        if not passes:  # between the decision and the claim, another claim takes the host's RAM
            Host.objects.filter(name=trace["selected_hosts"][0]).update(memory_mb_used=10**6)
        passes.append(tried)
        return trace, moment

    monkeypatch.setattr(placement, "decide", decide_then_someone_fills_the_host)
    instance, events = _record(alice, launch, project_of, VmState.ACTIVE, "compute_spawn#1")

    flows = [m["data"] for m in events if m["event"] == "flow.messages"]
    scheduling = [f for f in flows if f["step"] == "schedule_instances"]
    assert [(s["outcome"], {m["attempt"] for m in s["messages"]}) for s in scheduling] == [
        ("reschedule", {1}),
        ("rescheduled", {2}),
    ]
    first, second = (_wire(s["messages"]) for s in scheduling)
    assert first[1] == ("nova-conductor", "nova-scheduler", "rpc_call", "select_destinations", "ok")
    assert ("nova-compute", "nova-compute", "local", "instance_claim", "failed") in first
    assert first[-1] == ("nova-compute", "nova-conductor", "rpc_cast", "build_instances", "ok")
    assert second[:2] == [
        ("nova-conductor", "nova-conductor", "local", "populate_retry", "ok"),
        ("nova-conductor", "nova-scheduler", "rpc_call", "select_destinations", "ok"),
    ]
    assert second[-1] == ("nova-conductor", "nova-compute", "rpc_cast", "build_and_run_instance", "ok")
    replay = flow_of(instance.actions.get(action="create"))
    assert [(s["step"], s["attempt"]) for s in replay][:3] == [
        ("api", 1), ("schedule_instances", 1), ("schedule_instances", 2),
    ]  # fmt: skip


def test_no_valid_host_marks_the_schedulers_step_failed_and_ends_there(celery_worker, alice, launch, project_of):
    Host.objects.update(up=False)
    instance, events = _record(alice, launch, project_of, VmState.ERROR, "schedule_instances")

    flows = [m["data"] for m in events if m["event"] == "flow.messages"]
    assert [(f["step"], f["outcome"]) for f in flows] == [("api", None), ("schedule_instances", "no_valid_host")]
    failed = [m for m in flows[1]["messages"] if m["status"] == "failed"]
    assert [(m["src"], m["dst"], m["name"]) for m in failed] == [("nova-scheduler", "nova-conductor", "NoValidHost")]
    assert flows[1]["messages"][-1]["name"] == "instances, instance_faults"  # the error written; nothing built
    assert not any(m["dst"] == "nova-compute" for m in flows[1]["messages"])
    replay = flow_of(instance.actions.get(action="create"))
    assert [(s["step"], s["result"]) for s in replay] == [("api", "Success"), ("schedule_instances", "Error")]


def test_a_409_at_nova_api_produces_only_the_refused_http_exchange(celery_worker, alice, launch, project_of):
    [instance] = launch(alice, name="flow")
    wait_for(lambda: Instance.objects.get(pk=instance.pk).vm_state == VmState.ACTIVE)
    actions_before = instance.actions.count()
    with EventRecorder(project_stream(project_of(alice).pk)) as recorder:
        with pytest.raises(ActionError) as refused:
            do_instance_action(alice, Instance.objects.get(pk=instance.pk), "unpause")
        wait_for(lambda: any(m["event"] == "flow.messages" for m in recorder.messages))
    assert refused.value.status == 409
    [event] = [m for m in recorder.messages if m["event"] == "flow.messages"]
    assert not [m for m in recorder.messages if m["event"].startswith("instance.")]
    data = event["data"]
    assert (data["action"], data["operation"], data["outcome"]) == (None, "unpause", "api_refused_409")
    assert [(m["src"], m["dst"], m["name"], m["status"]) for m in data["messages"]] == [
        ("client", "nova-api", "POST /v2.1/servers/{id}/action", "ok"),
        ("nova-api", "keystone", "GET /v3/auth/tokens", "ok"),
        ("nova-api", "database", "instance_mappings, instances", "ok"),
        ("nova-api", "client", "409 Conflict", "failed"),
    ]
    assert instance.actions.count() == actions_before  # Nova records no action for a refusal
