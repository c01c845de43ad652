"""Every row action through a real Celery worker: the published states in order, the final
states, and the host usage (the audit runs after each test through the demo_cloud fixture)."""

import pytest

from cloudlab.compute.actions.instance import do_instance_action
from cloudlab.compute.models import Host, Image, Instance, Migration
from cloudlab.engine import lifecycle
from cloudlab.live.events import current_seqs, project_stream
from tests.helpers import EventRecorder, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _settled(instance, vm_state):
    def check():
        fresh = Instance.objects.get(pk=instance.pk)
        return fresh.vm_state == vm_state and fresh.task_state is None and fresh

    return wait_for(check, timeout=20)


@pytest.fixture
def active(celery_worker, alice, launch):
    [instance] = launch(alice, name="vm", image="cirros", flavor="m1.tiny")
    return _settled(instance, "active")


def _act(user, instance, action, **params):
    return do_instance_action(user, Instance.objects.get(pk=instance.pk), action, params)


def _run(user, instance, action, final_vm_state, **params):
    stream = project_stream(instance.project_id)
    with EventRecorder(stream) as recorder:
        # An earlier step's event may still be on its way: count only what this action sends.
        [seq_before] = current_seqs([stream]).values()
        _act(user, instance, action, **params)
        fresh = _settled(instance, final_vm_state)
        wait_for(
            lambda: any(
                m["data"]["vm_state"] == final_vm_state and m["data"]["task_state"] is None
                for m in recorder.messages
                if m["event"].startswith("instance.")
            ),
            timeout=10,
        )
    rows = [m for m in recorder.messages if m["event"].startswith("instance.") and m["seq"] > seq_before]
    states = [(m["data"]["vm_state"], m["data"]["task_state"], m["data"]["power_state"]) for m in rows]
    return fresh, states


def _expected(action, start_vm, start_power, **params):
    plan = lifecycle.plan(action, vm_state=start_vm, power_state=start_power, params=params)
    return [(s.vm_state, s.task_state, int(s.power_state)) for s in (plan.api_step, *plan.steps) if s is not None]


def _dedupe(states):
    return [s for i, s in enumerate(states) if i == 0 or s != states[i - 1]]


@pytest.mark.parametrize(
    ("action", "final"),
    [
        ("stop", "stopped"),
        ("reboot_soft", "active"),
        ("reboot_hard", "active"),
        ("pause", "paused"),
        ("suspend", "suspended"),
        ("rescue", "rescued"),
    ],
)
def test_an_action_from_active_publishes_every_step(alice, active, action, final):
    fresh, states = _run(alice, active, action, final)
    assert _dedupe(states) == _dedupe(_expected(action, "active", 1))
    action_log = fresh.actions.order_by("-start_time").first()
    assert action_log.action == lifecycle.ACTIONS[action].api_name
    assert action_log.finish_time is not None and action_log.message == ""
    assert action_log.events.exists()


def test_stop_then_start(alice, active):
    _run(alice, active, "stop", "stopped")
    fresh, _ = _run(alice, active, "start", "active")
    assert fresh.power_state == lifecycle.PowerState.RUNNING


def test_pause_unpause_suspend_resume_rescue_unrescue(alice, active):
    _run(alice, active, "pause", "paused")
    _run(alice, active, "unpause", "active")
    _run(alice, active, "suspend", "suspended")
    _run(alice, active, "resume", "active")
    _run(alice, active, "rescue", "rescued")
    fresh, _ = _run(alice, active, "unrescue", "active")
    assert fresh.power_state == lifecycle.PowerState.RUNNING


def test_shelve_offload_frees_the_host_and_unshelve_schedules_again(alice, active):
    host = active.host
    before = Host.objects.get(pk=host.pk).memory_mb_used
    fresh, _ = _run(alice, active, "shelve", "shelved_offloaded")
    assert fresh.host is None
    assert Host.objects.get(pk=host.pk).memory_mb_used == before - 512
    fresh, _ = _run(alice, active, "unshelve", "active")
    assert fresh.host is not None
    assert fresh.scheduling_records.count() == 2  # the boot and the unshelve


def test_resize_confirm_holds_both_flavors_until_confirmed(alice, active):
    source = active.host
    fresh, _ = _run(alice, active, "resize", "resized", flavor="2")
    move = Migration.objects.get(instance=active)
    assert fresh.flavor.name == "m1.small" and fresh.host == move.dest_host != source
    assert Host.objects.get(pk=source.pk).memory_mb_used == 512 + 2048 + 512  # course-web + the old m1.tiny
    assert Host.objects.get(pk=move.dest_host.pk).memory_mb_used == 512 + 2048
    fresh, _ = _run(alice, active, "confirm_resize", "active")
    assert Host.objects.get(pk=source.pk).memory_mb_used == 512 + 2048  # the old flavor is freed
    assert Migration.objects.get(instance=active).status == "confirmed"


def test_resize_revert_goes_back_to_the_source(alice, active):
    source = active.host
    _run(alice, active, "resize", "resized", flavor="2")
    dest = Migration.objects.get(instance=active).dest_host
    fresh, _ = _run(alice, active, "revert_resize", "active")
    assert fresh.host == source and fresh.flavor.name == "m1.tiny"
    assert Host.objects.get(pk=dest.pk).memory_mb_used == 512
    assert Migration.objects.get(instance=active).status == "reverted"


def test_cold_and_live_migration_by_the_instructor(ivy, active):
    source = active.host
    fresh, _ = _run(ivy, active, "migrate", "resized")
    assert fresh.host != source
    fresh, _ = _run(ivy, active, "confirm_resize", "active")
    second = fresh.host
    fresh, _ = _run(ivy, active, "live_migrate", "active")
    assert fresh.host not in (second, None)
    assert Host.objects.get(pk=second.pk).memory_mb_used == Host.objects.get(
        pk=second.pk
    ).reserved_host_memory_mb + sum(i.flavor.memory_mb for i in Instance.objects.filter(host=second))


def test_rebuild_with_another_image(alice, active):
    ubuntu = Image.objects.get(name="ubuntu")
    _run(alice, active, "resize", "resized", flavor="2")
    _run(alice, active, "confirm_resize", "active")
    fresh, _ = _run(alice, active, "rebuild", "active", image=str(ubuntu.uuid))
    assert fresh.image == ubuntu


def test_create_snapshot_adds_an_image_to_the_project(alice, active):
    fresh, _ = _run(alice, active, "create_snapshot", "active", name="vm-snap")
    image = Image.objects.get(name="vm-snap")
    assert image.owner == fresh.project and image.properties["image_type"] == "snapshot"


def test_delete_frees_the_host_and_the_address(alice, active):
    host = active.host
    fresh, _ = _run(alice, active, "delete", "deleted")
    assert fresh.host is None and fresh.fixed_ip is None and fresh.deleted_at is not None
    assert Host.objects.get(pk=host.pk).memory_mb_used == 512 + 2048


def test_evacuate_rebuilds_elsewhere_when_the_host_is_down(ivy, active):
    from cloudlab.compute.actions.host import do_host_action

    source = active.host
    do_host_action(ivy, source, "mark_down")
    fresh, _ = _run(ivy, active, "evacuate", "active")
    assert fresh.host not in (source, None)
    assert Host.objects.get(pk=source.pk).memory_mb_used == 512 + 2048


def test_a_resize_with_no_valid_host_goes_back_with_the_fault(alice, active):
    Host.objects.exclude(pk=active.host_id).update(enabled=False)
    fresh, _ = _run(alice, active, "resize", "active", flavor="2")
    assert fresh.flavor.name == "m1.tiny" and fresh.host == active.host
    assert fresh.fault["message"].startswith("No valid host was found.")
    assert fresh.actions.order_by("-start_time").first().message == "Error"


def test_a_host_that_comes_back_reports_its_guests_shut_down_and_nova_stops_them(ivy, active):
    from cloudlab.compute.actions.host import do_host_action
    from cloudlab.compute.rows import instance_row

    host = active.host
    do_host_action(ivy, host, "mark_down")
    down = Instance.objects.get(pk=active.pk)
    assert (down.vm_state, down.power_state) == ("active", 1)  # nothing syncs a dead host
    assert instance_row(down, for_instructor=False)["host_down"] is True
    do_host_action(ivy, Host.objects.get(pk=host.pk), "bring_up")
    fresh = _settled(active, "stopped")  # the sync saw power_state 4 and called the stop API
    assert fresh.power_state == 4
    stop = fresh.actions.get(action="stop")
    assert stop.user is None  # the compute service's own sync, not the instructor who clicked Bring Up


def test_a_live_migration_off_a_down_host_fails_as_the_conductor_says(ivy, active):
    """nova/conductor/tasks/live_migrate.py checks the source host first: ComputeServiceUnavailable,
    the instance back where it was with the fault, not NoValidHost."""
    from cloudlab.compute.actions.host import do_host_action
    from cloudlab.compute.models import SchedulingRecord

    host = active.host
    do_host_action(ivy, host, "mark_down")
    _act(ivy, active, "live_migrate")
    fresh = _settled(active, "active")
    assert fresh.host_id == host.pk and fresh.power_state == 1
    assert fresh.fault["message"] == f"Compute service of {host.name} is unavailable at this time."
    migration = fresh.actions.get(action="os-migrateLive")
    assert migration.message == "Error"
    assert migration.events.get(event="conductor_live_migrate_instance").result == "Error"
    assert not SchedulingRecord.objects.filter(instance=fresh, action=migration).exists()  # never scheduled
