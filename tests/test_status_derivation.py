"""The API status Nova derives from (vm_state, task_state), and how Horizon shows it."""

import pytest

from cloudlab.engine.lifecycle import STATUS_DISPLAY, TASK_LABELS, TaskState, VmState, status_from_state


@pytest.mark.parametrize(
    ("vm_state", "task_state", "status"),
    [
        (VmState.BUILDING, TaskState.SCHEDULING, "BUILD"),
        (VmState.BUILDING, TaskState.NETWORKING, "BUILD"),
        (VmState.BUILDING, TaskState.BLOCK_DEVICE_MAPPING, "BUILD"),
        (VmState.BUILDING, TaskState.SPAWNING, "BUILD"),
        (VmState.ACTIVE, None, "ACTIVE"),
        (VmState.ACTIVE, TaskState.REBOOTING, "REBOOT"),
        (VmState.ACTIVE, TaskState.REBOOT_STARTED, "REBOOT"),
        (VmState.ACTIVE, TaskState.REBOOTING_HARD, "HARD_REBOOT"),
        (VmState.ACTIVE, TaskState.UPDATING_PASSWORD, "PASSWORD"),
        (VmState.ACTIVE, TaskState.REBUILD_SPAWNING, "REBUILD"),
        (VmState.ACTIVE, TaskState.MIGRATING, "MIGRATING"),
        (VmState.ACTIVE, TaskState.RESIZE_PREP, "RESIZE"),
        (VmState.ACTIVE, TaskState.POWERING_OFF, "ACTIVE"),
        (VmState.STOPPED, None, "SHUTOFF"),
        (VmState.STOPPED, TaskState.RESIZE_FINISH, "RESIZE"),
        (VmState.STOPPED, TaskState.REBUILDING, "REBUILD"),
        (VmState.RESIZED, None, "VERIFY_RESIZE"),
        (VmState.RESIZED, TaskState.RESIZE_REVERTING, "REVERT_RESIZE"),
        (VmState.PAUSED, None, "PAUSED"),
        (VmState.PAUSED, TaskState.MIGRATING, "MIGRATING"),
        (VmState.SUSPENDED, None, "SUSPENDED"),
        (VmState.RESCUED, None, "RESCUE"),
        (VmState.ERROR, None, "ERROR"),
        (VmState.ERROR, TaskState.REBUILDING, "REBUILD"),
        (VmState.DELETED, None, "DELETED"),
        (VmState.SOFT_DELETED, None, "SOFT_DELETED"),
        (VmState.SHELVED, None, "SHELVED"),
        (VmState.SHELVED_OFFLOADED, None, "SHELVED_OFFLOADED"),
        ("no-such-state", None, "UNKNOWN"),
    ],
)
def test_status_is_derived_as_nova_does(vm_state, task_state, status):
    assert status_from_state(vm_state, task_state) == status


def test_every_derivable_status_has_a_display():
    statuses = {status_from_state(v, t) for v in VmState.ALL for t in (None, *TaskState.ALL)}
    assert statuses <= set(STATUS_DISPLAY)


def test_only_transitional_statuses_animate():
    transitional = {code for code, display in STATUS_DISPLAY.items() if display.kind == "transitional"}
    assert "BUILD" in transitional and "REBOOT" in transitional
    assert not {"ACTIVE", "SHUTOFF", "ERROR", "VERIFY_RESIZE"} & transitional


def test_every_task_state_has_a_label():
    assert set(TaskState.ALL) | {None} == set(TASK_LABELS)


def test_spellings_follow_nova():
    assert VmState.SOFT_DELETED == "soft-delete"
    assert TaskState.POWERING_OFF == "powering-off"
    assert TaskState.SOFT_DELETING == "soft-deleting"
