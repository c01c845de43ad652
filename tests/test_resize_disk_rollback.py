"""A resize the source host's driver refuses (a root disk it cannot shrink) goes through nova-api
and the scheduler, then fails on the source compute as Nova's does: the instance is back in the
vm_state it started from with its old flavor on its old host, the fault and the event's Error are
recorded, the migration is error and the destination's claim is given back.

From nova/tests/unit/compute/test_compute.py ``test_resize_instance_driver_rollback`` (ACTIVE,
task None after InstanceFaultRollback), test_compute_mgr.py
``test_resize_instance_fail_rollback_stays_stopped`` (a stopped server stays stopped) and the
migration set to error, and libvirt's test_driver.py
``test_migrate_disk_and_power_off_resize_error`` (a smaller root disk: ResizeError).
The books (``manage.py audit``) are checked after every test by the demo_cloud fixture.
"""

import pytest

from cloudlab.compute.actions.instance import do_instance_action
from cloudlab.compute.models import Host, Instance, InstanceActionEvent, Migration
from cloudlab.compute.runner import plan_of
from cloudlab.engine import lifecycle
from tests import steps

RESIZE_DOWN = "Resize error: Unable to resize disk down."


@pytest.fixture
def on_kvm(alice, launch, django_capture_on_commit_callbacks):
    """An m1.small (20 GB root disk) of alice's, active on a KVM host (libvirt's driver)."""
    with django_capture_on_commit_callbacks(execute=False):
        [instance] = launch(alice, name="vm", flavor="m1.small", image="cirros")
        steps.schedule(instance)
        steps.run_to_end(instance)
    instance.refresh_from_db()
    assert (instance.vm_state, instance.host.hypervisor_type) == ("active", "KVM")
    return instance


def _resize(user, instance, flavor_id, capture):
    with capture(execute=False):
        do_instance_action(user, Instance.objects.get(pk=instance.pk), "resize", {"flavor": flavor_id})
        steps.run_to_end(instance, "resize")
    return Instance.objects.select_related("flavor", "host").get(pk=instance.pk)


def _usage(host_id):
    host = Host.objects.get(pk=host_id)
    return host.vcpus_used, host.memory_mb_used, host.local_gb_used


def test_the_driver_refuses_to_shrink_the_root_disk_and_the_resize_rolls_back(
    alice, on_kvm, django_capture_on_commit_callbacks
):
    source = on_kvm.host_id
    usage_before = {h.pk: _usage(h.pk) for h in Host.objects.filter(cloud=on_kvm.cloud)}
    fresh = _resize(alice, on_kvm, "1", django_capture_on_commit_callbacks)  # m1.tiny: 1 GB
    assert (fresh.vm_state, fresh.task_state, fresh.power_state) == ("active", None, 1)
    assert (fresh.host_id, fresh.node, fresh.flavor.name) == (source, fresh.host.name, "m1.small")
    assert fresh.fault["message"] == RESIZE_DOWN and fresh.fault["code"] == 500
    [move] = Migration.objects.filter(instance=fresh)
    assert move.status == Migration.Status.ERROR
    assert move.dest_host_id not in (None, source)  # the scheduler did choose a destination …
    # … and gave its claim back: every host holds what it held before the request.
    assert {h.pk: _usage(h.pk) for h in Host.objects.filter(cloud=fresh.cloud)} == usage_before


def test_the_action_log_shows_the_event_that_failed(alice, on_kvm, django_capture_on_commit_callbacks):
    fresh = _resize(alice, on_kvm, "1", django_capture_on_commit_callbacks)
    record = steps.latest_action(fresh, "resize")
    assert record.finish_time is not None and record.message == "Error"
    events = list(record.events.order_by("start_time", "id").values_list("event", "result", "host", "details"))
    assert [e[:2] for e in events] == [
        ("conductor_migrate_server", InstanceActionEvent.Result.SUCCESS),
        ("compute_prep_resize", InstanceActionEvent.Result.SUCCESS),
        ("compute_resize_instance", InstanceActionEvent.Result.ERROR),
    ]
    # nova-compute on the source host records the failure (the copy never reached the destination).
    assert events[-1][2:] == (fresh.host.name, RESIZE_DOWN)
    assert record.context["step"] == 2  # no step after the one that failed was applied


def test_a_stopped_instance_stays_stopped(alice, on_kvm, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        do_instance_action(alice, on_kvm, "stop")
        steps.run_to_end(on_kvm, "stop")
    fresh = _resize(alice, on_kvm, "1", django_capture_on_commit_callbacks)
    assert (fresh.vm_state, fresh.task_state, fresh.power_state) == ("stopped", None, 4)
    assert fresh.fault["message"] == RESIZE_DOWN


def test_a_smaller_ephemeral_disk_is_refused_too(alice, demo_cloud, launch, django_capture_on_commit_callbacks):
    from cloudlab.compute.models import Flavor

    Flavor.objects.create(cloud=demo_cloud, flavorid="80", name="eph.big", vcpus=1, memory_mb=512, root_gb=1,
                          ephemeral_gb=10)  # fmt: skip
    Flavor.objects.create(cloud=demo_cloud, flavorid="81", name="eph.small", vcpus=1, memory_mb=1024, root_gb=1,
                          ephemeral_gb=5)  # fmt: skip
    with django_capture_on_commit_callbacks(execute=False):
        [vm] = launch(alice, name="eph", flavor="eph.big", image="cirros")
        steps.schedule(vm)
        steps.run_to_end(vm)
    fresh = _resize(alice, vm, "81", django_capture_on_commit_callbacks)
    assert (fresh.vm_state, fresh.flavor.name, fresh.fault["message"]) == ("active", "eph.big", RESIZE_DOWN)


def test_a_larger_disk_resizes_and_a_fresh_request_clears_the_fault(alice, on_kvm, django_capture_on_commit_callbacks):
    _resize(alice, on_kvm, "1", django_capture_on_commit_callbacks)
    fresh = _resize(alice, on_kvm, "3", django_capture_on_commit_callbacks)  # m1.medium: 40 GB
    assert (fresh.vm_state, fresh.flavor.name, fresh.fault) == ("resized", "m1.medium", None)
    assert Migration.objects.filter(instance=fresh, status=Migration.Status.FINISHED).count() == 1
    with django_capture_on_commit_callbacks(execute=False):
        do_instance_action(alice, fresh, "confirm_resize")
        steps.run_to_end(fresh, "confirmResize")


def test_a_cold_migration_never_meets_the_shrink_rule(ivy, on_kvm, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        do_instance_action(ivy, on_kvm, "migrate")
        steps.run_to_end(on_kvm, "migrate")
    fresh = Instance.objects.get(pk=on_kvm.pk)
    assert (fresh.vm_state, fresh.fault) == ("resized", None)
    assert fresh.host_id != on_kvm.host_id
    with django_capture_on_commit_callbacks(execute=False):
        do_instance_action(ivy, fresh, "revert_resize")
        steps.run_to_end(fresh, "revertResize")


def test_the_failure_step_is_the_plans_own():
    """The rollback is the engine's: the resize plan's failure step keeps the start's vm_state
    and power_state, clears the task and carries the effect that undoes the move."""
    for vm_state, power in (("active", 1), ("stopped", 4)):
        failure = lifecycle.plan("resize", vm_state=vm_state, power_state=power).on_failure
        assert failure is not None
        assert (failure.vm_state, failure.task_state, failure.power_state, failure.effect) == (
            vm_state, None, power, "abort_move",
        )  # fmt: skip


def test_the_plan_of_a_recorded_resize_carries_the_disk_copy(alice, on_kvm, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        do_instance_action(alice, on_kvm, "resize", {"flavor": "3"})
    record = steps.latest_action(on_kvm, "resize")
    copy = next(s for s in plan_of(record).steps if s.event == "compute_resize_instance")
    assert copy.effect == "migrate_disk"
    with django_capture_on_commit_callbacks(execute=False):
        steps.run_to_end(on_kvm, "resize")
        do_instance_action(alice, Instance.objects.get(pk=on_kvm.pk), "revert_resize")
        steps.run_to_end(on_kvm, "revertResize")
