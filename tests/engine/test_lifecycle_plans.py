"""plan(): the states each action walks through, its events and effects, and the final state.

The expected sequences are the reference's table (nova-semantics.md section d: "Task set by API →
further tasks (compute) | Final vm_state / power_state"), written out as the (vm_state,
task_state, power_state) an observer sees change, consecutive repeats folded.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import asdict

import pytest

from cloudlab.engine.lifecycle import (
    ACTIONS,
    BUILD,
    EFFECTS,
    STATUS_DISPLAY,
    Plan,
    PowerState,
    Step,
    VmState,
    plan,
    refusal,
    status_from_state,
)
from cloudlab.engine.pacing import phase_seconds

RUNNING, PAUSED, SHUTDOWN, SUSPENDED, NOSTATE = 1, 3, 4, 7, 0
State = tuple[str, str | None, int]


def seen(p: Plan) -> list[State]:
    """The states as they change (a step that only starts an event repeats the previous one)."""
    out: list[State] = []
    for state in p.states():
        if not out or out[-1] != state:
            out.append(state)
    return out


CASES: list[tuple[str, str, int, dict[str, object], list[State]]] = [
    ("start", "stopped", SHUTDOWN, {}, [("stopped", "powering-on", 4), ("active", None, 1)]),
    ("stop", "active", RUNNING, {}, [("active", "powering-off", 1), ("stopped", None, 4)]),
    ("stop", "error", NOSTATE, {}, [("error", "powering-off", 0), ("stopped", None, 4)]),
    ("reboot_soft", "active", RUNNING, {}, [
        ("active", "rebooting", 1), ("active", "reboot_pending", 1), ("active", "reboot_started", 1),
        ("active", None, 1)]),
    ("reboot_soft", "rescued", RUNNING, {}, [
        ("rescued", "rebooting", 1), ("rescued", "reboot_pending", 1), ("rescued", "reboot_started", 1),
        ("rescued", None, 1)]),
    ("reboot_hard", "stopped", SHUTDOWN, {}, [
        ("stopped", "rebooting_hard", 4), ("stopped", "reboot_pending_hard", 4),
        ("stopped", "reboot_started_hard", 4), ("active", None, 1)]),
    ("reboot_hard", "paused", PAUSED, {}, [
        ("paused", "rebooting_hard", 3), ("paused", "reboot_pending_hard", 3),
        ("paused", "reboot_started_hard", 3), ("active", None, 1)]),
    ("pause", "active", RUNNING, {}, [("active", "pausing", 1), ("paused", None, 3)]),
    ("unpause", "paused", PAUSED, {}, [("paused", "unpausing", 3), ("active", None, 1)]),
    ("suspend", "active", RUNNING, {}, [("active", "suspending", 1), ("suspended", None, 4)]),
    ("suspend", "active", RUNNING, {"hypervisor_type": "VMware vCenter Server"},
     [("active", "suspending", 1), ("suspended", None, 7)]),
    ("resume", "suspended", SHUTDOWN, {}, [("suspended", "resuming", 4), ("active", None, 1)]),
    ("shelve", "active", RUNNING, {}, [
        ("active", "shelving", 1), ("active", "shelving_image_pending_upload", 1),
        ("active", "shelving_image_uploading", 1), ("shelved", "shelving_offloading", 4),
        ("shelved_offloaded", None, 4)]),
    ("shelve", "paused", PAUSED, {"shelved_offload_time": -1}, [
        ("paused", "shelving", 3), ("paused", "shelving_image_pending_upload", 3),
        ("paused", "shelving_image_uploading", 3), ("shelved", None, 4)]),
    ("shelve_offload", "shelved", SHUTDOWN, {}, [
        ("shelved", "shelving_offloading", 4), ("shelved_offloaded", None, 4)]),
    ("unshelve", "shelved_offloaded", SHUTDOWN, {}, [
        ("shelved_offloaded", "unshelving", 4), ("shelved_offloaded", "spawning", 4), ("active", None, 1)]),
    ("unshelve", "shelved", SHUTDOWN, {}, [
        ("shelved", "unshelving", 4), ("shelved", "powering-on", 4), ("active", None, 1)]),
    ("resize", "active", RUNNING, {"flavor": "3"}, [
        ("active", "resize_prep", 1), ("active", "resize_migrating", 1), ("active", "resize_migrated", 1),
        ("active", "resize_finish", 1), ("resized", None, 1)]),
    ("resize", "stopped", SHUTDOWN, {"flavor": "3"}, [
        ("stopped", "resize_prep", 4), ("stopped", "resize_migrating", 4), ("stopped", "resize_migrated", 4),
        ("stopped", "resize_finish", 4), ("resized", None, 4)]),
    ("migrate", "active", RUNNING, {}, [
        ("active", "resize_prep", 1), ("active", "resize_migrating", 1), ("active", "resize_migrated", 1),
        ("active", "resize_finish", 1), ("resized", None, 1)]),
    ("confirm_resize", "resized", RUNNING, {}, [("resized", None, 1), ("active", None, 1)]),
    ("confirm_resize", "resized", SHUTDOWN, {}, [("resized", None, 4), ("stopped", None, 4)]),
    ("revert_resize", "resized", RUNNING, {}, [("resized", "resize_reverting", 1), ("active", None, 1)]),
    ("revert_resize", "resized", SHUTDOWN, {}, [
        ("resized", "resize_reverting", 4), ("resized", "powering-off", 4), ("stopped", None, 4)]),
    ("live_migrate", "active", RUNNING, {}, [("active", "migrating", 1), ("active", None, 1)]),
    ("live_migrate", "paused", PAUSED, {}, [("paused", "migrating", 3), ("paused", None, 3)]),
    ("rebuild", "active", RUNNING, {"image": "x"}, [
        ("active", "rebuilding", 1), ("active", "rebuild_block_device_mapping", 1),
        ("active", "rebuild_spawning", 1), ("active", None, 1)]),
    ("rebuild", "stopped", SHUTDOWN, {}, [
        ("stopped", "rebuilding", 4), ("stopped", "rebuild_block_device_mapping", 4),
        ("stopped", "rebuild_spawning", 4), ("active", "powering-off", 1), ("stopped", None, 4)]),
    ("rebuild", "error", NOSTATE, {}, [
        ("error", "rebuilding", 0), ("error", "rebuild_block_device_mapping", 0),
        ("error", "rebuild_spawning", 0), ("active", None, 1)]),
    ("evacuate", "active", RUNNING, {}, [
        ("active", "rebuilding", 1), ("active", "rebuild_block_device_mapping", 1),
        ("active", "rebuild_spawning", 1), ("active", None, 1)]),
    ("evacuate", "stopped", SHUTDOWN, {}, [
        ("stopped", "rebuilding", 4), ("stopped", "rebuild_block_device_mapping", 4),
        ("stopped", "rebuild_spawning", 4), ("active", "powering-off", 1), ("stopped", None, 4)]),
    ("rescue", "stopped", SHUTDOWN, {}, [("stopped", "rescuing", 4), ("rescued", None, 1)]),
    ("unrescue", "rescued", RUNNING, {}, [("rescued", "unrescuing", 1), ("active", None, 1)]),
    ("create_snapshot", "paused", PAUSED, {"name": "snap"}, [
        ("paused", "image_snapshot_pending", 3), ("paused", "image_snapshot", 3),
        ("paused", "image_pending_upload", 3), ("paused", "image_uploading", 3), ("paused", None, 3)]),
    ("delete", "active", RUNNING, {}, [("active", "deleting", 1), ("active", "deleting", 0), ("deleted", None, 0)]),
    ("lock", "active", RUNNING, {}, []),
    ("unlock", "stopped", SHUTDOWN, {}, []),
]  # fmt: skip


@pytest.mark.parametrize(("action", "vm_state", "power", "params", "states"), CASES)
def test_each_action_walks_the_references_states(
    action: str, vm_state: str, power: int, params: dict[str, object], states: list[State]
) -> None:
    assert seen(plan(action, vm_state=vm_state, power_state=power, params=params)) == states


def test_every_action_has_a_case_above() -> None:
    assert {case[0] for case in CASES} == set(ACTIONS)


EFFECT_CASES: list[tuple[str, str, int, dict[str, object], list[str]]] = [
    ("resize", "active", RUNNING, {}, ["schedule_destination", "migrate_disk", "move_to_destination"]),
    ("migrate", "stopped", SHUTDOWN, {}, ["schedule_destination", "migrate_disk", "move_to_destination"]),
    ("confirm_resize", "resized", RUNNING, {}, ["release_source"]),
    ("revert_resize", "resized", SHUTDOWN, {}, ["release_destination"]),
    ("live_migrate", "active", RUNNING, {}, ["schedule_destination", "move_to_destination", "release_source"]),
    ("evacuate", "error", NOSTATE, {}, ["schedule_destination", "move_to_destination", "release_source"]),
    ("shelve", "active", RUNNING, {}, ["release_host"]),
    ("shelve", "active", RUNNING, {"shelved_offload_time": 3600}, []),
    ("shelve_offload", "shelved", SHUTDOWN, {}, ["release_host"]),
    ("unshelve", "shelved_offloaded", SHUTDOWN, {}, ["schedule_and_claim"]),
    ("unshelve", "shelved", SHUTDOWN, {}, []),
    ("create_snapshot", "active", RUNNING, {}, ["snapshot_image"]),
    ("rebuild", "active", RUNNING, {}, ["rebuild_image"]),
    ("delete", "resized", RUNNING, {}, ["release_host", "mark_deleted"]),
    ("stop", "active", RUNNING, {}, []),
    ("reboot_hard", "active", RUNNING, {}, []),
]  # fmt: skip


@pytest.mark.parametrize(("action", "vm_state", "power", "params", "effects"), EFFECT_CASES)
def test_resources_and_images_follow_the_steps(
    action: str, vm_state: str, power: int, params: dict[str, object], effects: list[str]
) -> None:
    assert list(plan(action, vm_state=vm_state, power_state=power, params=params).effects()) == effects


def _step_with(p: Plan, effect: str) -> Step:
    return next(s for s in p.steps if s.effect == effect)


def test_a_resize_holds_both_hosts_until_the_disk_has_moved_then_the_instance_is_on_the_destination() -> None:
    p = plan("resize", vm_state="active", power_state=RUNNING, params={"flavor": "3"})
    claim, move = _step_with(p, "schedule_destination"), _step_with(p, "move_to_destination")
    assert claim.task_state == "resize_prep"  # scheduled and claimed before the source powers off
    assert move.task_state == "resize_migrated"  # nova writes instance.host = dest with this task
    assert p.steps.index(claim) < p.steps.index(move)
    # confirm frees the source exactly when the instance leaves VERIFY_RESIZE
    confirm = plan("confirm_resize", vm_state="resized", power_state=RUNNING)
    assert confirm.final == _step_with(confirm, "release_source")


def test_a_live_migration_moves_the_instance_before_it_frees_the_source() -> None:
    p = plan("live_migrate", vm_state="active", power_state=RUNNING)
    assert p.effects().index("move_to_destination") < p.effects().index("release_source")
    assert p.final is not None and p.final.effect == "release_source" and p.final.task_state is None


def test_events_are_the_ones_nova_records() -> None:
    def events(action: str, vm_state: str, power: int) -> list[str]:
        return [s.event for s in plan(action, vm_state=vm_state, power_state=power).steps if s.event]

    assert events("stop", "active", RUNNING) == ["compute_stop_instance"]
    assert events("reboot_soft", "active", RUNNING) == ["compute_reboot_instance"]
    assert events("resize", "active", RUNNING) == [
        "conductor_migrate_server", "compute_prep_resize", "compute_resize_instance", "compute_finish_resize",
    ]  # fmt: skip
    assert events("confirm_resize", "resized", RUNNING) == ["compute_confirm_resize"]
    assert events("shelve", "active", RUNNING) == ["compute_shelve_instance"]
    assert events("shelve_offload", "shelved", SHUTDOWN) == ["compute_shelve_offload_instance"]
    assert events("unshelve", "shelved_offloaded", SHUTDOWN) == ["schedule_instances", "compute_unshelve_instance"]
    assert "compute_live_migration" in events("live_migrate", "active", RUNNING)
    assert events("rebuild", "stopped", SHUTDOWN) == ["compute_rebuild_instance", "compute_stop_instance"]
    assert events("rescue", "active", RUNNING) == ["compute_rescue_instance"]
    assert events("create_snapshot", "active", RUNNING) == ["compute_snapshot_instance"]
    assert events("delete", "active", RUNNING) == ["compute_terminate_instance"]
    assert events("evacuate", "active", RUNNING)[:2] == ["rebuild_server", "compute_rebuild_instance"]


def test_nova_api_deletes_an_instance_itself_when_no_compute_service_can() -> None:
    for local in (
        plan("delete", vm_state="error", power_state=NOSTATE, has_host=False),
        plan("delete", vm_state="active", power_state=RUNNING, host_up=False),
    ):
        assert not [s.event for s in local.steps if s.event]
        assert local.effects() == ("release_host", "mark_deleted")
        assert seen(local)[-1] == ("deleted", None, 0)


def test_the_api_step_expects_the_task_the_request_found() -> None:
    p = plan("reboot_hard", vm_state="active", power_state=RUNNING, task_state="rebooting")
    assert p.api_step == Step("rebooting", "active", "rebooting_hard", RUNNING, None, p.api_step.weight)  # type: ignore[union-attr]
    assert p.steps[0].expect_task_state == "rebooting_hard"


def test_revert_goes_back_to_the_vm_state_recorded_before_the_resize_when_given() -> None:
    # a resized instance that reports running but was stopped before the resize (old_vm_state kept)
    p = plan("revert_resize", vm_state="resized", power_state=RUNNING, params={"old_vm_state": "stopped"})
    assert seen(p)[-1] == ("stopped", None, 4)


def test_a_failed_scheduling_leaves_the_instance_where_nova_leaves_it() -> None:
    def failure(action: str, vm_state: str, power: int) -> State | None:
        step = plan(action, vm_state=vm_state, power_state=power).on_failure
        return None if step is None else (step.vm_state, step.task_state, step.power_state)

    assert failure("resize", "stopped", SHUTDOWN) == ("stopped", None, 4)
    assert failure("migrate", "active", RUNNING) == ("active", None, 1)
    assert failure("live_migrate", "paused", PAUSED) == ("paused", None, 3)
    assert failure("unshelve", "shelved_offloaded", SHUTDOWN) == ("shelved_offloaded", None, 4)
    assert failure("evacuate", "active", RUNNING) == ("error", None, 1)
    assert failure("stop", "active", RUNNING) is None


def _accepted_starts() -> list[tuple[str, str, int]]:
    """Every (action, vm_state, power_state) the API accepts with no task in progress."""
    starts = []
    for action, vm_state, power in itertools.product(ACTIONS, VmState.ALL, list(PowerState)):
        answer = refusal(
            action, instance_id="i", vm_state=vm_state, task_state=None, launched=True, locked=False,
            has_host=True, is_admin=True,
        )  # fmt: skip
        if answer is None and vm_state != VmState.DELETED:
            starts.append((action, vm_state, int(power)))
    return starts


ACCEPTED = _accepted_starts()


def test_every_step_is_a_compare_and_swap_from_the_previous_one_and_the_last_settles() -> None:
    for action, vm_state, power in ACCEPTED:
        p = plan(action, vm_state=vm_state, power_state=power)
        if not p.steps:
            assert action in ("lock", "unlock") and p.api_step is None
            continue
        assert p.api_step is not None, action
        assert p.api_step.expect_task_state is None and p.api_step.effect is None
        previous = p.api_step.task_state
        for step in p.steps:
            assert step.expect_task_state == previous, (action, vm_state, step)
            previous = step.task_state
        final = p.steps[-1]
        assert final.task_state is None, (action, vm_state)
        assert STATUS_DISPLAY[status_from_state(final.vm_state, None)].kind == "ok", (action, vm_state, final)
        if p.on_failure is not None:
            scheduling = next(s for s in p.steps if s.effect in ("schedule_destination", "schedule_and_claim"))
            assert p.on_failure.expect_task_state == scheduling.expect_task_state
            assert p.on_failure.task_state is None


def test_while_a_task_runs_the_row_shows_a_transitional_or_verify_status() -> None:
    for action, vm_state, power in ACCEPTED:
        for state in plan(action, vm_state=vm_state, power_state=power).states()[:-1]:
            status = status_from_state(state[0], state[1])
            assert status != "UNKNOWN", (action, vm_state, state)


def test_effects_are_from_the_vocabulary_and_each_is_used() -> None:
    used = set()
    for action, vm_state, power in ACCEPTED:
        p = plan(action, vm_state=vm_state, power_state=power)
        for step in (*p.steps, *((p.on_failure,) if p.on_failure else ())):
            assert step.effect is None or step.effect in EFFECTS
            used.add(step.effect)
    used.update(plan("delete", vm_state="error", power_state=0, has_host=False).effects())
    used.update(plan(BUILD, vm_state="building", power_state=0).effects())
    assert used - {None} == set(EFFECTS)


def test_every_plan_that_works_compute_side_opens_an_event_first() -> None:
    for action, vm_state, power in ACCEPTED:
        p = plan(action, vm_state=vm_state, power_state=power)
        if p.steps:
            assert p.steps[0].event or action == "confirm_resize", (action, vm_state)
            assert all(s.event is None or s.event.startswith(("compute_", "conductor_", "schedule_", "rebuild_"))
                       for s in p.steps)  # fmt: skip


def test_plans_are_deterministic_and_plain_data() -> None:
    for action, vm_state, power in ACCEPTED[::7]:
        first = plan(action, vm_state=vm_state, power_state=power)
        assert first == plan(action, vm_state=vm_state, power_state=power)
        json.dumps([asdict(s) for s in first.steps])


def test_pacing_reads_the_step_weights() -> None:
    p = plan("resize", vm_state="active", power_state=RUNNING)
    copy = next(s for s in p.steps if s.event == "compute_resize_instance")
    assert phase_seconds(copy, pace=2.0, architecture="bare-metal") == 2.0 * copy.weight
    assert copy.weight > next(s for s in p.steps if s.event == "compute_prep_resize").weight
    assert phase_seconds(copy, pace=0, architecture="hosted") == 0.0


def test_step_stays_positionally_compatible() -> None:
    step = Step("scheduling", "building", "networking", 0, "compute_allocate_network", 1.0)
    assert step.effect is None
    assert Step("a", "b", None, 1, None, 2.0, "release_host").effect == "release_host"


def test_a_boot_schedules_and_claims_then_networking_takes_an_address() -> None:
    p = plan(BUILD, vm_state="building", power_state=0)
    assert p.api_step is not None and (p.api_step.vm_state, p.api_step.task_state) == ("building", "scheduling")
    schedule, network = p.steps[:2]
    assert (schedule.effect, schedule.event, schedule.weight) == ("schedule_and_claim", "schedule_instances", 0.0)
    assert schedule.task_state == "scheduling" and network.expect_task_state == "scheduling"
    assert (network.task_state, network.effect) == ("networking", "allocate_network")
    assert [s.event for s in p.steps if s.event] == [
        "schedule_instances", "compute_allocate_network", "compute_prep_block_device", "compute_spawn",
    ]  # fmt: skip
    assert seen(p)[-1] == ("active", None, 1)
    assert p.on_failure is not None and (p.on_failure.vm_state, p.on_failure.task_state) == ("error", None)
    assert p.on_failure.effect == "release_host"  # a failed boot frees its claim
