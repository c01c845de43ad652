"""settle(): no instance is left stuck, and where Nova's _init_instance has a rule it is followed;
host down and recovery: the power state Nova reports."""

from __future__ import annotations

import itertools

import pytest

from cloudlab.engine.lifecycle import (
    SETTLE_ON_RESTART,
    STATUS_DISPLAY,
    PowerState,
    TaskState,
    VmState,
    power_state_after_host_down,
    power_state_after_host_recovery,
    settle,
    settlement,
    status_from_state,
    sync_power_state,
)

RUNNING, PAUSED, SHUTDOWN, NOSTATE = 1, 3, 4, 0
POWERS = [int(p) for p in PowerState]


def outcome(vm: str, task: str | None, power: int, **kw: int) -> tuple[str, tuple[str, str | None, int], list[str]]:
    """(rule, final state, effects) of settling one instance."""
    found = settlement(vm, task, power, **kw)
    assert found is not None
    last = found.steps[-1]
    effects = [s.effect for s in found.steps if s.effect]
    return found.rule.key, (last.vm_state, last.task_state, int(last.power_state)), effects  # type: ignore[misc]


def test_every_transitional_state_is_settled_by_a_chain_that_ends_without_a_task() -> None:
    for vm, task, power in itertools.product(VmState.ALL, TaskState.ALL, POWERS):
        found = settlement(vm, task, power)
        assert found is not None, (vm, task, power)
        if task == TaskState.IMAGE_BACKUP:
            continue  # the one state Nova's start-up leaves as it is (no backup action here)
        previous: str | None = task
        for step in found.steps:
            assert step.expect_task_state == previous, (vm, task, power, step)
            previous = step.task_state
        last = found.steps[-1]
        assert last.task_state is None, (vm, task, power)
        kind = STATUS_DISPLAY[status_from_state(last.vm_state, None)].kind
        assert kind != "transitional", (vm, task, power, last)
        assert last.vm_state != VmState.BUILDING
        assert settle(vm, task, power) == found.steps[0]


def test_an_instance_without_a_task_is_left_alone_unless_it_is_still_building() -> None:
    for vm, power in itertools.product(VmState.ALL, POWERS):
        if vm == VmState.BUILDING:
            assert outcome(vm, None, power)[1] == ("error", None, power)
        else:
            assert settle(vm, None, power) is None


def test_every_rule_of_the_table_is_reachable() -> None:
    used = {
        found.rule.key
        for vm, task, power in itertools.product(VmState.ALL, [None, *TaskState.ALL], POWERS)
        if (found := settlement(vm, task, power)) is not None
    }
    assert used == {rule.key for rule in SETTLE_ON_RESTART}


# Nova's _init_instance (nova/compute/manager.py), case by case.
NOVA_CASES = [
    # a build becomes error
    ("building", "networking", NOSTATE, "build_failed", ("error", None, 0), []),
    ("building", "scheduling", NOSTATE, "build_failed", ("error", None, 0), []),
    ("shelved_offloaded", "spawning", SHUTDOWN, "build_failed", ("error", None, 4), []),
    # a deletion finishes
    ("active", "deleting", RUNNING, "restart_deletion", ("deleted", None, 0), ["release_host", "mark_deleted"]),
    ("error", "deleting", NOSTATE, "restart_deletion", ("deleted", None, 0), ["release_host", "mark_deleted"]),
    ("stopped", "deleting", SHUTDOWN, "restart_deletion", ("deleted", None, 0), ["release_host", "mark_deleted"]),
    # ... but a building instance becomes error first: the build rule comes before the deletion's
    ("building", "deleting", NOSTATE, "build_failed", ("error", None, 0), []),
    # a rebuild becomes error (an evacuation gives back its destination)
    ("active", "rebuild_spawning", RUNNING, "rebuild_failed", ("error", None, 1), ["release_destination"]),
    ("stopped", "rebuilding", SHUTDOWN, "rebuild_failed", ("error", None, 4), ["release_destination"]),
    # (only from active or stopped: an error instance's rebuild is one Nova's start-up skips)
    # snapshots and resize preparation: task cleared
    ("active", "image_uploading", RUNNING, "image_task_cleared", ("active", None, 1), []),
    ("paused", "image_snapshot_pending", PAUSED, "image_task_cleared", ("paused", None, 3), []),
    ("active", "image_snapshot", RUNNING, "image_task_cleared", ("active", None, 1), []),
    ("stopped", "resize_prep", SHUTDOWN, "resize_prep_cleared", ("stopped", None, 4), ["release_destination"]),
    # reboots: retried (hard when the guest is not running), or cleared when the guest runs
    ("active", "reboot_pending", RUNNING, "reboot_retried", ("active", None, 1), []),
    ("stopped", "reboot_pending_hard", SHUTDOWN, "reboot_retried", ("active", None, 1), []),
    ("active", "reboot_started", SHUTDOWN, "reboot_retried", ("active", None, 1), []),
    ("active", "reboot_started", RUNNING, "task_cleared_running", ("active", None, 1), []),
    ("active", "reboot_started_hard", RUNNING, "task_cleared_running", ("active", None, 1), []),
    # rebooting / rebooting_hard too (_retry_reboot's started_not_running and the running rule)
    ("active", "rebooting", SHUTDOWN, "reboot_retried", ("active", None, 1), []),
    ("active", "rebooting", RUNNING, "task_cleared_running", ("active", None, 1), []),
    ("active", "rebooting_hard", RUNNING, "task_cleared_running", ("active", None, 1), []),
    ("suspended", "rebooting_hard", SHUTDOWN, "reboot_retried", ("active", None, 1), []),
    # pause / unpause
    ("active", "pausing", RUNNING, "task_cleared_running", ("active", None, 1), []),
    ("paused", "unpausing", RUNNING, "task_cleared_running", ("active", None, 1), []),
    ("paused", "unpausing", PAUSED, "unpause_retried", ("active", None, 1), []),
    # stop / start retried
    ("active", "powering-off", RUNNING, "stop_retried", ("stopped", None, 4), []),
    ("stopped", "powering-on", SHUTDOWN, "start_retried", ("active", None, 1), []),
    ("shelved", "powering-on", SHUTDOWN, "start_retried", ("active", None, 1), []),
    # a crashed cold migration is reverted to its source, a live migration reset
    ("active", "resize_migrating", RUNNING, "resize_reverted", ("active", None, 1), ["release_destination"]),
    ("stopped", "resize_migrating", SHUTDOWN, "resize_reverted", ("stopped", None, 4), ["release_destination"]),
    ("error", "resize_migrating", RUNNING, "resize_reverted", ("error", None, 1), ["release_destination"]),
    ("active", "migrating", RUNNING, "live_migration_reset", ("active", None, 1), ["release_destination"]),
    ("paused", "migrating", PAUSED, "live_migration_reset", ("paused", None, 3), ["release_destination"]),
]


@pytest.mark.parametrize(("vm", "task", "power", "rule", "final", "effects"), NOVA_CASES)
def test_start_up_does_what_novas_init_instance_does(
    vm: str, task: str, power: int, rule: str, final: tuple[str, str | None, int], effects: list[str]
) -> None:
    assert outcome(vm, task, power) == (rule, final, effects)
    assert next(r for r in SETTLE_ON_RESTART if r.key == rule).source == "nova"


# Where Nova has no rule (the request is still queued, or an operator resets the state).
CLOUDLAB_CASES = [
    ("stopped", "reboot_pending", RUNNING, "reboot_finished", ("active", None, 1), []),
    ("paused", "rebuild_spawning", PAUSED, "rebuild_abandoned", ("error", None, 3), ["release_destination"]),
    ("active", "suspending", RUNNING, "action_finished", ("suspended", None, 4), []),
    ("suspended", "resuming", SHUTDOWN, "action_finished", ("active", None, 1), []),
    ("stopped", "rescuing", SHUTDOWN, "action_finished", ("rescued", None, 1), []),
    ("rescued", "unrescuing", RUNNING, "action_finished", ("active", None, 1), []),
    ("active", "pausing", PAUSED, "action_finished", ("paused", None, 3), []),
    ("active", "shelving_image_uploading", RUNNING, "action_finished", ("shelved_offloaded", None, 4),
     ["release_host"]),
    ("shelved", "shelving_offloading", SHUTDOWN, "action_finished", ("shelved_offloaded", None, 4), ["release_host"]),
    ("shelved", "unshelving", SHUTDOWN, "action_finished", ("active", None, 1), []),
    ("shelved_offloaded", "unshelving", SHUTDOWN, "unshelve_rolled_back", ("shelved_offloaded", None, 4),
     ["release_host"]),
    ("active", "resize_migrated", RUNNING, "action_finished", ("resized", None, 1), []),
    ("stopped", "resize_finish", SHUTDOWN, "action_finished", ("resized", None, 4), []),
    ("resized", "resize_reverting", RUNNING, "action_finished", ("active", None, 1), ["release_destination"]),
    ("resized", "resize_reverting", SHUTDOWN, "action_finished", ("stopped", None, 4), ["release_destination"]),
    ("resized", "resize_confirming", RUNNING, "task_cleared", ("resized", None, 1), []),
    ("active", "updating_password", RUNNING, "task_cleared", ("active", None, 1), []),
    ("error", "powering-off", NOSTATE, "left_by_nova", ("stopped", None, 4), []),
    ("error", "rebuilding", NOSTATE, "left_by_nova", ("error", None, 0), ["release_destination"]),
    ("error", "rebooting_hard", NOSTATE, "left_by_nova", ("active", None, 1), []),
]  # fmt: skip


@pytest.mark.parametrize(("vm", "task", "power", "rule", "final", "effects"), CLOUDLAB_CASES)
def test_where_nova_has_no_rule_the_interrupted_action_finishes_or_a_claim_is_rolled_back(
    vm: str, task: str, power: int, rule: str, final: tuple[str, str | None, int], effects: list[str]
) -> None:
    assert outcome(vm, task, power) == (rule, final, effects)
    assert next(r for r in SETTLE_ON_RESTART if r.key == rule).source == "cloudlab"


def test_a_retried_reboot_goes_through_the_managers_states_again() -> None:
    found = settlement("active", "reboot_started", SHUTDOWN)
    assert found is not None
    assert [(s.expect_task_state, s.task_state) for s in found.steps] == [
        ("reboot_started", "reboot_pending_hard"),
        ("reboot_pending_hard", "reboot_started_hard"),
        ("reboot_started_hard", None),
    ]
    assert found.steps[0].event == "compute_reboot_instance"


def test_a_finished_action_resumes_where_it_was_with_the_phases_event() -> None:
    found = settlement("active", "shelving_image_pending_upload", RUNNING, shelved_offload_time=-1)
    assert found is not None
    assert found.steps[0].event == "compute_shelve_instance"
    assert [s.task_state for s in found.steps] == ["shelving_image_uploading", None]
    assert found.steps[-1].vm_state == "shelved"


def test_the_rules_are_documented_in_order_of_application() -> None:
    keys = [rule.key for rule in SETTLE_ON_RESTART]
    assert keys.index("build_failed") < keys.index("rebuild_failed") < keys.index("image_task_cleared")
    assert keys.index("resize_prep_cleared") < keys.index("restart_deletion") < keys.index("reboot_retried")
    assert all(rule.when and rule.outcome and rule.source in ("nova", "cloudlab") for rule in SETTLE_ON_RESTART)


# -- host down, host back ----------------------------------------------------------------------


def test_a_host_going_down_changes_nothing_nova_reports() -> None:
    for vm, power in itertools.product(VmState.ALL, POWERS):
        assert power_state_after_host_down(vm, power) == power


def test_power_sync_stops_an_active_instance_whose_guest_is_down() -> None:
    sync = sync_power_state("active", None, SHUTDOWN)
    assert sync is not None and (sync.power_state, sync.action) == (4, "stop")
    assert sync.reason == "Instance shutdown by itself. Calling the stop API."
    sync = sync_power_state("stopped", None, RUNNING)
    assert sync is not None and sync.action == "stop"
    sync = sync_power_state("paused", None, SHUTDOWN)
    assert sync is not None and sync.action == "stop"
    for untouched in ("rescued", "resized", "suspended", "error", "building"):
        sync = sync_power_state(untouched, None, SHUTDOWN)
        assert sync is not None and (sync.power_state, sync.action) == (4, None)
    assert sync_power_state("active", "rebooting", SHUTDOWN) is None  # a task is in progress: skipped


def test_a_recovered_host_reports_its_guests_shut_down_unless_told_to_resume_them() -> None:
    back = power_state_after_host_recovery("active", None, RUNNING)
    assert back is not None and (back.power_state, back.action) == (4, "stop")
    back = power_state_after_host_recovery("active", None, RUNNING, resume_guests_state_on_host_boot=True)
    assert back is not None and (back.power_state, back.action) == (1, None)
    back = power_state_after_host_recovery("stopped", None, SHUTDOWN)
    assert back is not None and (back.power_state, back.action) == (4, None)
    assert power_state_after_host_recovery("active", "migrating", RUNNING) is None
    assert power_state_after_host_recovery("shelved_offloaded", None, SHUTDOWN) is None


def test_nothing_happens_to_a_backup_in_progress() -> None:
    # _init_instance clears the snapshot tasks but has no rule for image_backup
    for vm in (VmState.ACTIVE, VmState.STOPPED, VmState.ERROR):
        found = settlement(vm, TaskState.IMAGE_BACKUP, RUNNING)
        assert found is not None and found.steps == ()
        assert settle(vm, TaskState.IMAGE_BACKUP, RUNNING) is None
