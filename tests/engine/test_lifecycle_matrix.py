"""Every (action × vm_state × task_state × launched × locked × admin × host) against the reference.

The expected table below is transcribed from nova-semantics.md section d ("State gate" and its
table), not from ``ACTIONS``; the order of the checks is nova/compute/api.py's decorator order
(policy in the controller, then check_instance_lock, check_instance_host outside the state check on
start/stop and inside it on resize/migrate, then check_instance_state: vm_state, task_state,
launched_at). The 409 texts are the REST layer's (nova/api/openstack/common.py).
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import pytest

from cloudlab.engine.lifecycle import ACTIONS, TaskState, VmState, allowed_actions, refusal

ANY = None
ID = "9f1c2d3e-0000-4000-8000-00000000cafe"

# nova-semantics.md, "State vocabularies".
VM_STATES = [
    "active", "building", "paused", "suspended", "stopped", "rescued", "resized", "soft-delete",
    "deleted", "error", "shelved", "shelved_offloaded",
]  # fmt: skip
TASK_STATES = [
    "scheduling", "block_device_mapping", "networking", "spawning", "image_snapshot",
    "image_snapshot_pending", "image_pending_upload", "image_uploading", "image_backup",
    "updating_password", "resize_prep", "resize_migrating", "resize_migrated", "resize_finish",
    "resize_reverting", "resize_confirming", "rebooting", "reboot_pending", "reboot_started",
    "rebooting_hard", "reboot_pending_hard", "reboot_started_hard", "pausing", "unpausing",
    "suspending", "resuming", "powering-off", "powering-on", "rescuing", "unrescuing", "rebuilding",
    "rebuild_block_device_mapping", "rebuild_spawning", "migrating", "deleting", "soft-deleting",
    "restoring", "shelving", "shelving_image_pending_upload", "shelving_image_uploading",
    "shelving_offloading", "unshelving",
]  # fmt: skip
HARD_REBOOT_TASKS = {
    None, "rebooting", "reboot_pending", "reboot_started", "resuming", "rebooting_hard", "unpausing",
    "pausing", "suspending",
}  # fmt: skip


class Gate(NamedTuple):
    api: str  # the action name in the 409 text
    vm_states: set[str] | None
    task_states: set[str | None] | None
    launched: bool  # launched_at required
    lock: bool  # check_instance_lock
    host: str | None  # "first" (outside the state check), "after" (inside), None (no check)
    admin: str | None  # the policy rule when only admins may


REFERENCE: dict[str, Gate] = {
    "start": Gate("start", {"stopped"}, {None}, True, True, "first", None),
    "stop": Gate("stop", {"active", "error"}, {None}, True, True, "first", None),
    "reboot_soft": Gate("reboot", {"active"}, {None}, True, True, None, None),
    "reboot_hard": Gate("reboot", {"active", "stopped", "paused", "suspended", "error"}, HARD_REBOOT_TASKS,
                        True, True, None, None),
    "pause": Gate("pause", {"active"}, {None}, True, True, None, None),
    "unpause": Gate("unpause", {"paused"}, {None}, True, True, None, None),
    "suspend": Gate("suspend", {"active"}, {None}, True, True, None, None),
    "resume": Gate("resume", {"suspended"}, {None}, True, True, None, None),
    "shelve": Gate("shelve", {"active", "stopped", "paused", "suspended"}, {None}, True, True, None, None),
    # nova/policies/shelve.py: shelve_offload's default is ADMIN
    "shelve_offload": Gate("shelveOffload", {"shelved"}, {None}, True, True, None,
                           "os_compute_api:os-shelve:shelve_offload"),
    "unshelve": Gate("unshelve", {"shelved", "shelved_offloaded"}, {None}, True, True, None, None),
    "resize": Gate("resize", {"active", "stopped"}, {None}, True, True, "after", None),
    "confirm_resize": Gate("confirmResize", {"resized"}, {None}, True, True, None, None),
    "revert_resize": Gate("revertResize", {"resized"}, {None}, True, True, None, None),
    "migrate": Gate("migrate", {"active", "stopped"}, {None}, True, True, "after",
                    "os_compute_api:os-migrate-server:migrate"),
    "live_migrate": Gate("os-migrateLive", {"active", "paused"}, {None}, True, True, None,
                         "os_compute_api:os-migrate-server:migrate_live"),
    "rebuild": Gate("rebuild", {"active", "stopped", "error"}, {None}, True, True, None, None),
    "rescue": Gate("rescue", {"active", "stopped", "error"}, {None}, True, True, None, None),
    "unrescue": Gate("unrescue", {"rescued"}, {None}, True, True, None, None),
    # Snapshots are not lock-checked (nova/compute/api.py snapshot has no check_instance_lock).
    "create_snapshot": Gate("createImage", {"active", "stopped", "paused", "suspended"}, {None}, True, False,
                            None, None),
    "lock": Gate("lock", ANY, ANY, False, False, None, None),
    "unlock": Gate("unlock", ANY, ANY, False, False, None, None),
    "delete": Gate("delete", ANY, ANY, False, True, None, None),
    "evacuate": Gate("evacuate", {"active", "stopped", "error"}, ANY, True, False, None, "os_compute_api:os-evacuate"),
}  # fmt: skip

HORIZON_MENU_ORDER = [
    "start", "stop", "reboot_soft", "reboot_hard", "pause", "unpause", "suspend", "resume", "shelve",
    "shelve_offload", "unshelve", "resize", "confirm_resize", "revert_resize", "migrate", "live_migrate",
    "rebuild", "rescue", "unrescue", "create_snapshot", "lock", "unlock", "delete", "evacuate",
]  # fmt: skip


def expected(
    action: str, vm: str, task: str | None, launched: bool, locked: bool, has_host: bool, admin: bool
) -> tuple[str, int, str] | None:
    """(code, status, text) as nova-api answers, or None when it accepts."""
    gate = REFERENCE[action]
    if gate.admin and not admin:
        return "Forbidden", 403, f"Policy doesn't allow {gate.admin} to be performed."
    if gate.lock and locked and not admin:
        return "InstanceIsLocked", 409, f"Instance {ID} is locked"
    if gate.host == "first" and not has_host:
        return "InstanceNotReady", 409, f"Instance {ID} is not ready"
    if gate.vm_states is not ANY and vm not in gate.vm_states:
        return "InstanceInvalidState", 409, f"Cannot '{gate.api}' instance {ID} while it is in vm_state {vm}"
    if gate.task_states is not ANY and task not in gate.task_states:
        return "InstanceInvalidState", 409, f"Cannot '{gate.api}' instance {ID} while it is in task_state {task}"
    if gate.launched and not launched:
        return "InstanceInvalidState", 409, f"Instance {ID} is in an invalid state for '{gate.api}'"
    if gate.host == "after" and not has_host:
        return "InstanceNotReady", 409, f"Instance {ID} is not ready"
    return None


FLAGS = list(itertools.product([True, False], repeat=4))  # launched, locked, has_host, admin


def test_the_vocabularies_are_the_references() -> None:
    assert list(VmState.ALL) == VM_STATES
    assert list(TaskState.ALL) == TASK_STATES


def test_actions_are_keyed_in_horizons_menu_order() -> None:
    assert list(ACTIONS) == HORIZON_MENU_ORDER
    assert set(REFERENCE) == set(ACTIONS)


@pytest.mark.parametrize("action", HORIZON_MENU_ORDER)
def test_every_state_combination_is_answered_as_nova_answers(action: str) -> None:
    wrong = []
    for vm, task, (launched, locked, has_host, admin) in itertools.product(VM_STATES, [None, *TASK_STATES], FLAGS):
        answer = refusal(
            action, instance_id=ID, vm_state=vm, task_state=task, launched=launched, locked=locked,
            has_host=has_host, is_admin=admin,
        )  # fmt: skip
        got = None if answer is None else (answer.code, answer.status, answer.render())
        want = expected(action, vm, task, launched, locked, has_host, admin)
        if got != want:
            wrong.append(((vm, task, launched, locked, has_host, admin), got, want))
    assert not wrong, f"{len(wrong)} combinations differ, e.g. {wrong[:3]}"


@pytest.mark.parametrize("admin", [False, True])
@pytest.mark.parametrize("locked", [False, True])
def test_the_row_menu_offers_exactly_the_accepted_actions(locked: bool, admin: bool) -> None:
    combinations = itertools.product(VM_STATES, [None, *TASK_STATES], [True, False], [True, False])
    for vm, task, launched, has_host in combinations:
        want = [
            a for a in HORIZON_MENU_ORDER
            if expected(a, vm, task, launched, locked, has_host, admin) is None
            and not (a == "lock" and locked) and not (a == "unlock" and not locked)
        ]  # fmt: skip
        got = allowed_actions(
            vm_state=vm, task_state=task, launched=launched, locked=locked, has_host=has_host, is_admin=admin
        )
        assert got == want, (vm, task, launched, has_host)


def _refuse(action: str, **state: object) -> str | None:
    base: dict[str, object] = {
        "vm_state": "active", "task_state": None, "launched": True, "locked": False, "has_host": True,
        "is_admin": False,
    }  # fmt: skip
    base.update(state)
    answer = refusal(action, instance_id="i-1", **base)  # type: ignore[arg-type]
    return None if answer is None else answer.render()


def test_soft_reboot_of_a_stopped_instance_is_refused_in_novas_words() -> None:
    assert _refuse("reboot_soft", vm_state="stopped") == "Cannot 'reboot' instance i-1 while it is in vm_state stopped"
    assert _refuse("reboot_hard", vm_state="stopped") is None


def test_a_hard_reboot_may_interrupt_a_soft_one_but_not_another_hard_reboot_in_flight() -> None:
    assert _refuse("reboot_hard", task_state="reboot_started") is None
    assert _refuse("reboot_hard", task_state="reboot_started_hard") == (
        "Cannot 'reboot' instance i-1 while it is in task_state reboot_started_hard"
    )


def test_an_instance_never_launched_is_in_an_invalid_state_but_can_be_deleted() -> None:
    assert _refuse("rebuild", vm_state="error", launched=False) == "Instance i-1 is in an invalid state for 'rebuild'"
    assert _refuse("delete", vm_state="error", launched=False, has_host=False) is None


def test_a_locked_instance_refuses_students_not_instructors_and_still_snapshots() -> None:
    assert _refuse("stop", locked=True) == "Instance i-1 is locked"
    assert _refuse("stop", locked=True, is_admin=True) is None
    assert _refuse("create_snapshot", locked=True) is None
    # the lock is checked before the state: a locked stopped instance is "locked", not "stopped"
    assert _refuse("pause", locked=True, vm_state="stopped") == "Instance i-1 is locked"


def test_start_and_stop_check_the_host_before_the_state_resize_after_it() -> None:
    assert _refuse("stop", vm_state="building", has_host=False) == "Instance i-1 is not ready"
    assert _refuse("resize", vm_state="paused", has_host=False) == (
        "Cannot 'resize' instance i-1 while it is in vm_state paused"
    )
    assert _refuse("resize", has_host=False) == "Instance i-1 is not ready"


def test_instructor_only_actions_are_forbidden_to_students() -> None:
    answer = refusal(
        "evacuate", instance_id="i-1", vm_state="active", task_state=None, launched=True, locked=False,
        has_host=True, is_admin=False,
    )  # fmt: skip
    assert answer is not None and (answer.code, answer.status) == ("Forbidden", 403)
    assert answer.render() == "Policy doesn't allow os_compute_api:os-evacuate to be performed."


def test_evacuate_needs_the_host_down_and_resize_needs_it_up_when_known() -> None:
    def ask(action: str, host_up: bool | None) -> tuple[str, int, str] | None:
        answer = refusal(
            action, instance_id="i-1", vm_state="active", task_state=None, launched=True, locked=False,
            has_host=True, is_admin=True, host_up=host_up, host_name="compute-2",
        )  # fmt: skip
        return None if answer is None else (answer.code, answer.status, answer.render())

    assert ask("evacuate", True) == ("ComputeServiceInUse", 400, "Compute service of compute-2 is still in use.")
    assert ask("evacuate", False) is None
    assert ask("evacuate", None) is None
    assert ask("resize", False) == ("ServiceUnavailable", 409, "Service is unavailable at this time.")
    assert ask("resize", True) is None


def test_a_student_cannot_lift_an_instructors_lock() -> None:
    def unlock(locked_by: str, admin: bool) -> str | None:
        answer = refusal(
            "unlock", instance_id="i-1", vm_state="active", task_state=None, launched=True, locked=True,
            has_host=True, is_admin=admin, locked_by=locked_by,
        )  # fmt: skip
        return None if answer is None else answer.render()

    assert unlock("admin", admin=False) == (
        "Policy doesn't allow os_compute_api:os-lock-server:unlock:unlock_override to be performed."
    )
    assert unlock("owner", admin=False) is None
    assert unlock("owner", admin=True) is None


def test_the_menu_of_an_active_instance_for_a_student() -> None:
    assert allowed_actions(
        vm_state="active", task_state=None, launched=True, locked=False, has_host=True, is_admin=False
    ) == [
        "stop", "reboot_soft", "reboot_hard", "pause", "suspend", "shelve", "resize", "rebuild", "rescue",
        "create_snapshot", "lock", "delete",
    ]  # fmt: skip


def test_the_menu_during_a_task_offers_only_what_may_interrupt_it() -> None:
    assert allowed_actions(
        vm_state="active", task_state="rebooting", launched=True, locked=False, has_host=True, is_admin=False
    ) == ["reboot_hard", "lock", "delete"]


def test_evacuate_is_offered_to_instructors_only_when_the_host_is_down() -> None:
    def menu(host_up: bool) -> list[str]:
        return allowed_actions(
            vm_state="active", task_state=None, launched=True, locked=False, has_host=True, is_admin=True,
            host_up=host_up,
        )  # fmt: skip

    assert "evacuate" in menu(host_up=False) and "resize" not in menu(host_up=False)
    assert "evacuate" not in menu(host_up=True) and "resize" in menu(host_up=True)


def test_labels_batch_and_confirmation_follow_horizon() -> None:
    assert ACTIONS["stop"].label == "Shut Off Instance"
    assert ACTIONS["reboot_soft"].label == "Soft Reboot Instance"
    assert [a for a, rule in ACTIONS.items() if rule.batch] == ["start", "stop", "reboot_soft", "delete"]
    assert {a for a, rule in ACTIONS.items() if rule.destructive} >= {"stop", "reboot_soft", "reboot_hard", "delete"}
    assert ACTIONS["resize"].needs_params == ("flavor",)
    assert ACTIONS["create_snapshot"].needs_params == ("name",)
    assert ACTIONS["rebuild"].needs_params == ("image",) and "image" in ACTIONS["rebuild"].optional_params


def test_refusals_translate_their_template_not_the_filled_sentence() -> None:
    answer = refusal(
        "start", instance_id="i-1", vm_state="active", task_state=None, launched=True, locked=False,
        has_host=True, is_admin=False,
    )  # fmt: skip
    assert answer is not None
    seen: list[str] = []

    def translate(template: str) -> str:
        seen.append(template)
        return "无法对实例 {instance} 执行 '{action}'：其 {attr} 为 {state}"

    assert answer.render(translate) == "无法对实例 i-1 执行 'start'：其 vm_state 为 active"
    assert seen == ["Cannot '{action}' instance {instance} while it is in {attr} {state}"]


def test_confirm_resize_needs_the_source_compute_service_up() -> None:
    # nova/compute/api.py confirm_resize: the source frees the old copy, so a down source
    # service is refused (ServiceUnavailable → 409) after the lock and state checks.
    assert _refuse("confirm_resize", vm_state="resized", source_host_up=False) == "Service is unavailable at this time."
    assert _refuse("confirm_resize", vm_state="resized", source_host_up=True) is None
    assert _refuse("confirm_resize", vm_state="active", source_host_up=False) == (
        "Cannot 'confirmResize' instance i-1 while it is in vm_state active"
    )
    assert _refuse("confirm_resize", vm_state="resized", locked=True, source_host_up=False) == "Instance i-1 is locked"
    assert _refuse("revert_resize", vm_state="resized", source_host_up=False) is None


def test_every_action_names_its_policy_and_the_member_defaults_let_students_through() -> None:
    admin_only = {name for name, rule in ACTIONS.items() if rule.admin_only}
    assert admin_only == {"shelve_offload", "migrate", "live_migrate", "evacuate"}
    for name, rule in ACTIONS.items():
        assert rule.policy.startswith("os_compute_api:"), name
    assert _refuse("shelve_offload", vm_state="shelved") == (
        "Policy doesn't allow os_compute_api:os-shelve:shelve_offload to be performed."
    )
    # the policy comes first: even a locked instance in the wrong state answers 403
    assert _refuse("shelve_offload", vm_state="active", locked=True) == (
        "Policy doesn't allow os_compute_api:os-shelve:shelve_offload to be performed."
    )
    assert _refuse("shelve_offload", vm_state="shelved", is_admin=True) is None
