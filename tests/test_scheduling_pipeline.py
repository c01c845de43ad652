"""The build task places through the engine, keeps the trace, and survives lost races."""

import threading

import pytest
from django.db import connection

from cloudlab.compute import placement
from cloudlab.compute.models import Host, Instance, SchedulingRecord
from cloudlab.engine.lifecycle import VmState
from cloudlab.identity.models import Quota
from tests import steps
from tests.helpers import wait_for


def test_the_trace_is_kept_as_a_scheduling_record(alice, launch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        [instance] = launch(alice)
        steps.schedule(instance)
    record = SchedulingRecord.objects.get(instance=instance)
    assert record.outcome == "claimed" and record.selected_host == "compute-kvm1" and record.attempt == 1
    assert record.era == "classic" and record.driver == "filter_scheduler"
    assert record.trace["selected_hosts"] == ["compute-kvm1"]
    assert [f["name"] for f in record.trace["instances"][0]["filters"]][:3] == [
        "RetryFilter",
        "AvailabilityZoneFilter",
        "RamFilter",
    ]
    assert record.action == instance.actions.get(action="create")


@pytest.mark.books_unbalanced  # it fills a host by hand to lose the race
def test_a_lost_race_is_rescheduled_without_the_host_that_filled(
    alice, launch, monkeypatch, django_capture_on_commit_callbacks
):
    real_decide = placement.decide
    passes = []

    def decide_then_someone_fills_the_host(instance, *, tried, **kwargs):
        trace, moment = real_decide(instance, tried=tried, **kwargs)
        if not passes:  # between the decision and the claim, another claim takes kvm1's RAM
            Host.objects.filter(name=trace["selected_hosts"][0]).update(memory_mb_used=10**6)
        passes.append(tried)
        return trace, moment

    monkeypatch.setattr(placement, "decide", decide_then_someone_fills_the_host)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        [instance] = launch(alice)
        steps.schedule(instance)
    assert len(callbacks) >= 2  # the reschedule was enqueued after commit
    with django_capture_on_commit_callbacks(execute=False):
        steps.schedule(instance)

    first, second = SchedulingRecord.objects.filter(instance=instance).order_by("attempt")
    assert (first.outcome, first.selected_host) == ("claim_failed", "compute-kvm1")
    assert "compute-kvm1: memory_mb requested 512" in first.detail
    assert passes == [[], ["compute-kvm1"]]
    retry = second.trace["instances"][0]["filters"][0]
    assert retry["name"] == "RetryFilter" and retry["verdicts"]["compute-kvm1"]["passed"] is False
    assert second.outcome == "claimed" and second.selected_host != "compute-kvm1"
    instance.refresh_from_db()
    assert instance.host.name == second.selected_host


def test_no_valid_host_keeps_the_trace_that_explains_it(alice, launch, django_capture_on_commit_callbacks):
    Host.objects.update(enabled=False)
    with django_capture_on_commit_callbacks(execute=False):
        [instance] = launch(alice)
        steps.schedule(instance)
    record = SchedulingRecord.objects.get(instance=instance)
    assert record.outcome == "NoValidHost"
    assert record.trace["error"]["message"] == "No valid host was found. There are not enough hosts available."
    assert record.trace["error"]["last_filter"] == "ComputeFilter"


@pytest.mark.django_db(transaction=True)
def test_concurrent_launches_never_overcommit_a_host(demo_cloud, alice, bob, ivy, launch):
    """Students launching at the same moment, each scheduled on its own thread and connection:
    every claim re-checks under the host's row lock, so no host passes its limits."""
    Quota.objects.update(instances=-1, cores=-1, ram=-1)
    users = [alice, bob, ivy]
    errors: list[BaseException] = []

    def student(index: int) -> None:
        try:
            [instance] = launch(users[index % 3], name=f"rush-{index}", flavor="m1.xlarge")
            steps.schedule(instance)
            # a reschedule after a lost race runs here too, as the worker would
            while (
                Instance.objects.get(pk=instance.pk).task_state == "scheduling"
                and Instance.objects.get(pk=instance.pk).vm_state == VmState.BUILDING
            ):
                steps.schedule(instance)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=student, args=(i,)) for i in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    wait_for(lambda: not Instance.objects.filter(task_state="scheduling").exists(), timeout=10)
    for host in Host.objects.all():
        resources = host.resources()
        assert resources.memory_mb_used <= resources.memory_mb_limit, host.name
        assert resources.local_gb_used * 1024 <= resources.disk_mb_limit, host.name
        on_host = Instance.objects.filter(host=host).exclude(vm_state=VmState.DELETED)
        assert host.memory_mb_used == host.reserved_host_memory_mb + sum(i.flavor.memory_mb for i in on_host)
    placed = Instance.objects.filter(name__startswith="rush-", host__isnull=False).count()
    failed = Instance.objects.filter(name__startswith="rush-", vm_state=VmState.ERROR).count()
    assert placed + failed == 24 and placed >= 3 and failed > 0


def test_the_instance_page_explains_the_decision_in_the_readers_language(
    alice, launch, django_capture_on_commit_callbacks
):
    from django.test import Client
    from django.urls import reverse

    Host.objects.update(enabled=False)
    with django_capture_on_commit_callbacks(execute=False):
        [instance] = launch(alice)
        steps.schedule(instance)
    client = Client()
    client.force_login(alice)
    url = reverse("dashboard:instance-json", args=[instance.uuid])
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()["detail"]["scheduling"][0]
    compute = next(s for s in english["stages"] if s["name"] == "ComputeFilter")
    assert (compute["hosts_in"], compute["hosts_out"]) == (4, 0)
    assert {r["host"] for r in compute["rejected"]} == {"compute-kvm1", "compute-kvm2", "compute-vbox", "compute-lxc"}
    assert english["error"].startswith("No valid host was found.")
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").json()["detail"]["scheduling"][0]
    reason_zh = next(s for s in chinese["stages"] if s["name"] == "ComputeFilter")["rejected"][0]["reason"]
    assert reason_zh != compute["rejected"][0]["reason"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in reason_zh)
