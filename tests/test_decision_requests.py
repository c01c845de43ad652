"""What a decision was for, in the decisions list and the scheduling view's data: the operation
(boot, resize to <flavor>, cold migrate, live migrate, evacuate, unshelve), the attempt counted
per request as Nova does, which instance of a multi-create, and a move's source host shown as
left out of the request (Nova's ignore_hosts), never as a filter's verdict."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from cloudlab.compute.actions.host import do_host_action
from cloudlab.compute.actions.instance import do_instance_action
from cloudlab.compute.models import Host, Instance, SchedulingRecord
from cloudlab.dashboard.labels import operation_label, scheduling_operations
from cloudlab.engine import lifecycle
from cloudlab.identity.models import Quota
from tests import steps

pytestmark = pytest.mark.books_unbalanced  # a retry's record is added by hand


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _data(user, record, language="en"):
    url = reverse("dashboard:decision-data", args=[record.pk])
    return _client(user).get(url, HTTP_ACCEPT_LANGUAGE=language).json()


@pytest.fixture
def booted(alice, launch, django_capture_on_commit_callbacks):
    """alice's vm, booted to active in this thread (nothing queued for a worker)."""
    with django_capture_on_commit_callbacks(execute=False):
        [instance] = launch(alice, name="vm", flavor="m1.tiny")
        steps.run_to_end(instance)
    return Instance.objects.get(pk=instance.pk)


def _act(user, instance, action, capture, **params):
    """Request ``action`` and apply its first compute step (a move's scheduling pass)."""
    with capture(execute=False):
        do_instance_action(user, Instance.objects.get(pk=instance.pk), action, params)
        steps.run_next_step(instance)
    return SchedulingRecord.objects.filter(instance=instance).latest("id")


def test_the_boot_and_a_resize_are_named_and_each_starts_at_attempt_1(
    alice, booted, django_capture_on_commit_callbacks
):
    resize = _act(alice, booted, "resize", django_capture_on_commit_callbacks, flavor="2")
    assert resize.attempt == 2  # the model counts the instance's passes; the pages count per request
    boot = SchedulingRecord.objects.get(instance=booted, action__action=lifecycle.BUILD)
    assert _data(alice, boot)["record"]["operation"] == {"code": "create", "label": "boot"}
    data = _data(alice, resize)
    assert data["record"]["operation"] == {"code": "resize", "label": "resize to m1.small"}
    assert data["record"]["attempt"] == 1
    assert _data(alice, resize, "zh-hans")["record"]["operation"]["label"] == "调整为 m1.small"
    listed = _client(alice).get(reverse("dashboard:decisions")).content.decode()
    assert f'data-record="{resize.pk}"' in listed
    cells = '<td class="cl-operation text-nowrap" data-operation="{}">{}</td><td class="cl-attempt">1</td>'
    assert cells.format("resize", "resize to m1.small") in listed and cells.format("create", "boot") in listed


def test_a_second_pass_for_the_same_request_is_attempt_2(alice, ivy, booted):
    """A reschedule (the chosen host filled meanwhile) keeps a second record of the same action."""
    first = SchedulingRecord.objects.get(instance=booted)
    SchedulingRecord.objects.filter(pk=first.pk).update(outcome=SchedulingRecord.Outcome.CLAIM_FAILED)
    first.pk = None
    first.save()  # the retry: same action, same instance, the next id
    assert _data(alice, first)["record"]["attempt"] == 2
    listed = _client(ivy).get(reverse("dashboard:cloud-decisions")).content.decode()
    assert listed.count('<td class="cl-attempt">2</td>') == 1 and listed.count('<td class="cl-attempt">1</td>') == 1


def test_a_multi_create_names_which_instance_each_record_is_for(alice, launch, django_capture_on_commit_callbacks):
    Quota.objects.update(instances=-1, cores=-1, ram=-1)
    with django_capture_on_commit_callbacks(execute=False):
        instances = launch(alice, name="web", count=3, flavor="m1.tiny")
        steps.schedule(instances[0])
    second = SchedulingRecord.objects.get(instance=instances[1])
    record = _data(alice, second)["record"]
    assert (record["instance_number"], record["instance_count"], record["attempt"]) == (2, 3, 1)
    assert record["operation"]["code"] == "create"
    alone = _data(alice, SchedulingRecord.objects.get(instance=instances[0]))["record"]
    assert (alone["instance_number"], alone["instance_count"]) == (1, 3)


@pytest.mark.parametrize(("action", "label"), [("migrate", "cold migrate"), ("live_migrate", "live migrate")])
def test_a_moves_source_host_is_left_out_not_filtered(ivy, booted, django_capture_on_commit_callbacks, action, label):
    source = booted.host.name
    record = _act(ivy, booted, action, django_capture_on_commit_callbacks)
    data = _data(ivy, record)
    assert data["record"]["operation"] == {"code": action, "label": label}
    [excluded] = data["excluded"]
    assert excluded["name"] == source and "ignore_hosts" in excluded["reason"] and source in excluded["reason"]
    assert excluded["hypervisor_type"] == Host.objects.get(name=source).hypervisor_type
    # not one of the decision's hosts: no card numbers, no verdict, no stage removes it
    assert source not in [h["name"] for h in data["hosts"]] and source not in data["why"]
    assert all(source not in s.get("removed", []) for s in data["stages"])
    zh = _data(ivy, record, "zh-hans")["excluded"][0]["reason"]
    assert "ignore_hosts" in zh and any("\u4e00" <= ch <= "\u9fff" for ch in zh)


def test_a_move_that_finds_no_host_still_names_its_source(ivy, booted, django_capture_on_commit_callbacks):
    source = booted.host
    Host.objects.exclude(pk=source.pk).update(enabled=False)
    record = _act(ivy, booted, "migrate", django_capture_on_commit_callbacks)
    assert record.outcome == SchedulingRecord.Outcome.NO_VALID_HOST  # no Migration was made
    assert [h["name"] for h in _data(ivy, record)["excluded"]] == [source.name]


def test_an_evacuation_leaves_out_the_dead_host(ivy, booted, django_capture_on_commit_callbacks):
    source = booted.host
    with django_capture_on_commit_callbacks(execute=False):
        do_host_action(ivy, source, "mark_down")
    record = _act(ivy, booted, "evacuate", django_capture_on_commit_callbacks)
    data = _data(ivy, record)
    assert data["record"]["operation"]["label"] == "evacuate"
    assert [h["name"] for h in data["excluded"]] == [source.name]


def test_a_boot_leaves_no_host_out(alice, booted):
    assert _data(alice, SchedulingRecord.objects.get(instance=booted))["excluded"] == []


def test_every_action_that_runs_the_scheduler_has_words():
    """The actions whose plan (from any state it may start in) schedules: each is named."""
    scheduling = set()
    for action in [lifecycle.BUILD, *lifecycle.ACTIONS]:
        for vm_state in lifecycle.VmState.ALL:
            try:
                plan = lifecycle.plan(action, vm_state=vm_state, power_state=lifecycle.PowerState.RUNNING)
            except (KeyError, ValueError):
                continue
            if any(s.effect in ("schedule_and_claim", "schedule_destination") for s in plan.steps):
                scheduling.add(action)
    assert scheduling == set(scheduling_operations())
    with translation.override("zh-hans"):
        assert all(operation_label(code, flavor="m1.small") != code for code in scheduling)
