"""No instance stays stuck: what compute start-up does to an instance found mid-task, and what a
host's failure and recovery do to the power state.

``settlement()`` follows ``_init_instance`` in nova/compute/manager.py, rule by rule and in its
order. Where Nova has no rule it relies on the request still queued in its message bus, which the
restarted compute service then carries out, or leaves the instance to an operator's reset-state;
CloudLab's reaper instead finishes the interrupted action with the rest of its plan, except that a
move or an unshelve whose claim may or may not have been made is rolled back (finishing it would
claim twice). ``SETTLE_ON_RESTART`` lists the rules with their source ("nova" or "cloudlab").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from ..i18n import N_
from .actions import ALLOW_HARD_REBOOT, ALLOW_SOFT_REBOOT
from .plans import DEFAULT_SHELVED_OFFLOAD_TIME, continue_plan, plan
from .states import Effect, PowerState, Step, TaskState, VmState

Source = Literal["nova", "cloudlab"]


@dataclass(frozen=True)
class SettleRule:
    """One row of the start-up table: which states it takes, what it does, and whose rule it is."""

    key: str
    when: str  # the states it applies to
    outcome: str  # what start-up does (the action log's message when the reaper applies it)
    source: Source  # "nova": _init_instance does this; "cloudlab": Nova has no rule here


def _r(key: str, when: str, outcome: str, source: Source) -> tuple[str, SettleRule]:
    return key, SettleRule(key, when, outcome, source)


_RULES: dict[str, SettleRule] = dict([
    _r("build_without_task", N_("vm_state building, no task"),
       N_("Instance failed to spawn correctly, setting to ERROR state."), "nova"),
    _r("left_by_nova", N_("vm_state error (a task other than resize_migrating or deleting) or soft-delete, "
                          "with a task"),
       N_("Nova's start-up leaves such an instance alone. CloudLab settles it by the rule below that "
          "matches: the interrupted action finishes, a rebuild or an evacuation is abandoned."),
       "cloudlab"),
    _r("complete_deletion", N_("vm_state deleted, a task still set"),
       N_("Complete the deletion."), "nova"),
    _r("build_failed", N_("vm_state building (whatever the task, deleting included), or task scheduling, "
                          "networking, block_device_mapping or spawning"),
       N_("Instance failed to spawn correctly, setting to ERROR state."), "nova"),
    _r("rebuild_failed", N_("vm_state active or stopped, task rebuilding, rebuild_block_device_mapping or "
                            "rebuild_spawning"),
       N_("Instance failed to rebuild correctly, setting to ERROR state (an interrupted evacuation "
          "gives back its destination's claim)."), "nova"),
    _r("image_task_cleared", N_("task image_snapshot_pending, image_snapshot, image_pending_upload or "
                                "image_uploading"),
       N_("Instance in transitional state at start-up: clearing task state (no image is made)."), "nova"),
    _r("image_backup_left", N_("task image_backup"),
       N_("Nova's start-up has no rule for a backup in progress: the instance is left as it is."), "nova"),
    _r("resize_prep_cleared", N_("task resize_prep"),
       N_("Instance in transitional state at start-up: clearing task state (the destination's claim is "
          "given back)."), "nova"),
    _r("restart_deletion", N_("task deleting (any vm_state but building)"),
       N_("Service started deleting the instance during the previous run, but did not finish. "
          "Restarting the deletion now."), "nova"),
    _r("reboot_retried", N_("task reboot_pending (vm_state active), reboot_pending_hard, or rebooting, "
                            "rebooting_hard, reboot_started, reboot_started_hard with the guest not running"),
       N_("Instance in transitional state at start-up: triggering the reboot again (hard if the guest is "
          "not running)."), "nova"),
    _r("task_cleared_running", N_("task rebooting, rebooting_hard, reboot_started, reboot_started_hard, "
                                  "pausing or unpausing, the guest running"),
       N_("Instance in transitional state at start-up and its guest is running: clearing task state, "
          "vm_state active."), "nova"),
    _r("unpause_retried", N_("task unpausing, the guest paused"),
       N_("Instance in transitional state at start-up and its guest is paused: unpausing it."), "nova"),
    _r("stop_retried", N_("task powering-off"),
       N_("Instance in transitional state at start-up: retrying the stop request."), "nova"),
    _r("start_retried", N_("task powering-on"),
       N_("Instance in transitional state at start-up: retrying the start request."), "nova"),
    _r("resize_reverted", N_("task resize_migrating"),
       N_("Instance found in migrating state during startup: reverting the crashed migration to its "
          "source, resetting task state."), "nova"),
    _r("live_migration_reset", N_("task migrating"),
       N_("Instance found in migrating state during startup: aborting the live migration, resetting "
          "task state."), "nova"),
    _r("reboot_finished", N_("any other reboot task (reboot_pending or reboot_pending_hard in a vm_state that "
                             "reboot does not allow, the guest running)"),
       N_("The interrupted reboot is carried out (hard if the guest is not running)."), "cloudlab"),
    _r("rebuild_abandoned", N_("task rebuilding, rebuild_block_device_mapping or rebuild_spawning in any "
                               "other vm_state (an error instance's rebuild or evacuation)"),
       N_("The interrupted rebuild is abandoned: error, and an evacuation gives back its destination's "
          "claim."), "cloudlab"),
    _r("unshelve_rolled_back", N_("task unshelving, vm_state shelved_offloaded"),
       N_("The interrupted unshelve is abandoned: back to shelved_offloaded, any host claimed for it "
          "given back."), "cloudlab"),
    _r("task_cleared", N_("task updating_password, resize_confirming or soft-deleting/restoring"),
       N_("The interrupted task is finished where it has no further step, else cleared."), "cloudlab"),
    _r("action_finished", N_("any other task (pausing or unpausing the guest otherwise, suspending, resuming, "
                             "rescuing, unrescuing, shelving…, shelving_offloading, unshelving of a shelved "
                             "instance, resize_migrated, resize_finish, resize_reverting)"),
       N_("The interrupted action is carried out: its remaining steps run, as the request still queued "
          "for the compute service would."), "cloudlab"),
])  # fmt: skip

#: The start-up table, in the order the rules are tried (``_init_instance``'s order; CloudLab's
#: rules come after Nova's, except ``left_by_nova``, which names the outcome for the instances
#: Nova's start-up skips and takes its steps from the rule below that matches). ``settlement()``
#: applies it.
SETTLE_ON_RESTART: tuple[SettleRule, ...] = tuple(_RULES.values())

_BUILD_TASKS = frozenset({
    TaskState.SCHEDULING, TaskState.BLOCK_DEVICE_MAPPING, TaskState.NETWORKING, TaskState.SPAWNING,
})  # fmt: skip
_REBUILD_TASKS = frozenset({
    TaskState.REBUILDING, TaskState.REBUILD_BLOCK_DEVICE_MAPPING, TaskState.REBUILD_SPAWNING,
})  # fmt: skip
#: The snapshot tasks _init_instance clears (image_backup is not among them).
_IMAGE_TASKS = frozenset({
    TaskState.IMAGE_SNAPSHOT_PENDING, TaskState.IMAGE_SNAPSHOT, TaskState.IMAGE_PENDING_UPLOAD,
    TaskState.IMAGE_UPLOADING,
})  # fmt: skip
#: _init_instance's rebuild rule takes only these vm_states.
_REBUILT_FROM = frozenset({VmState.ACTIVE, VmState.STOPPED})
#: task_states.soft_reboot_states: a retry of these is soft if the guest still runs.
_SOFT_REBOOT_STATES = frozenset({TaskState.REBOOTING, TaskState.REBOOT_PENDING, TaskState.REBOOT_STARTED})
_REBOOT_TASKS = _SOFT_REBOOT_STATES | {
    TaskState.REBOOTING_HARD, TaskState.REBOOT_PENDING_HARD, TaskState.REBOOT_STARTED_HARD,
}  # fmt: skip
#: _retry_reboot's started_not_running and the "guest running" rule: the reboot tasks past pending.
_STARTED = frozenset({
    TaskState.REBOOTING, TaskState.REBOOTING_HARD, TaskState.REBOOT_STARTED, TaskState.REBOOT_STARTED_HARD,
})  # fmt: skip

#: The action whose remaining steps finish an interrupted task (rule "action_finished").
_FINISHED_BY: Final[dict[str, str]] = {
    TaskState.PAUSING: "pause",
    TaskState.UNPAUSING: "unpause",
    TaskState.SUSPENDING: "suspend",
    TaskState.RESUMING: "resume",
    TaskState.RESCUING: "rescue",
    TaskState.UNRESCUING: "unrescue",
    TaskState.SHELVING: "shelve",
    TaskState.SHELVING_IMAGE_PENDING_UPLOAD: "shelve",
    TaskState.SHELVING_IMAGE_UPLOADING: "shelve",
    TaskState.SHELVING_OFFLOADING: "shelve_offload",
    TaskState.UNSHELVING: "unshelve",
    TaskState.RESIZE_MIGRATED: "resize",
    TaskState.RESIZE_FINISH: "resize",
    TaskState.RESIZE_REVERTING: "revert_resize",
}


@dataclass(frozen=True)
class Settlement:
    """What start-up does to one instance: the rule that applies and the steps, in order."""

    rule: SettleRule
    #: the first expects the task found; the last leaves task None. Empty: Nova leaves the
    #: instance as it is (a backup in progress).
    steps: tuple[Step, ...]


def settle(vm_state: str, task_state: str | None, power_state: int) -> Step | None:
    """The first step compute start-up applies to an instance found in (vm_state, task_state);
    None when there is nothing to settle (no task, and not building).

    Most settlements are this one step. When Nova retries or finishes the interrupted work (a
    reboot, a delete, a stop, the rest of a shelve…) the step leaves a task set and more steps
    follow: ``settlement(...).steps`` is the whole sequence, to be paced like any plan.
    """
    found = settlement(vm_state, task_state, power_state)
    return found.steps[0] if found and found.steps else None


def settlement(
    vm_state: str,
    task_state: str | None,
    power_state: int,
    *,
    shelved_offload_time: int = DEFAULT_SHELVED_OFFLOAD_TIME,
) -> Settlement | None:
    """The rule of ``SETTLE_ON_RESTART`` that takes this instance, and its steps.

    ``power_state`` stands for what the hypervisor reports: in CloudLab the simulated hypervisor
    and the database agree, so the instance's power_state is passed.
    """
    power = int(power_state)
    if task_state is None:
        if vm_state == VmState.BUILDING:
            return _one("build_without_task", Step(None, VmState.ERROR, None, power, None))
        return None
    found = _settle_task(vm_state, task_state, power, shelved_offload_time)
    skipped_by_nova = vm_state == VmState.SOFT_DELETED or (
        vm_state == VmState.ERROR and task_state not in (TaskState.RESIZE_MIGRATING, TaskState.DELETING)
    )
    if skipped_by_nova:
        return Settlement(_RULES["left_by_nova"], found.steps)
    return found


def _settle_task(vm_state: str, task: str, power: int, shelved_offload_time: int) -> Settlement:
    """_init_instance's rules in its order, then CloudLab's, for an instance with a task."""
    keep = _Keeper(vm_state, task, power)
    if vm_state == VmState.DELETED:
        return _one("complete_deletion", Step(task, VmState.DELETED, None, PowerState.NOSTATE, None,
                                              effect="mark_deleted"))  # fmt: skip
    if vm_state == VmState.BUILDING or task in _BUILD_TASKS:
        # before the deletion rule: a building instance being deleted becomes error first
        return _one("build_failed", Step(task, VmState.ERROR, None, power, None))
    if task in _REBUILD_TASKS and vm_state in _REBUILT_FROM:
        return _one("rebuild_failed", Step(task, VmState.ERROR, None, power, None, effect="release_destination"))
    if task in _IMAGE_TASKS:
        return _one("image_task_cleared", keep.cleared())
    if task == TaskState.IMAGE_BACKUP:
        return Settlement(_RULES["image_backup_left"], ())
    if task == TaskState.RESIZE_PREP:
        return _one("resize_prep_cleared", keep.cleared("release_destination"))
    if task == TaskState.DELETING:
        return Settlement(_RULES["restart_deletion"], continue_plan("delete", task, vm_state=vm_state,
                                                                    power_state=power))  # fmt: skip
    if task in _REBOOT_TASKS and _nova_retries_reboot(vm_state, task, power):
        return Settlement(_RULES["reboot_retried"], _reboot_again(vm_state, task, power))
    if power == PowerState.RUNNING and task in _STARTED | {TaskState.PAUSING, TaskState.UNPAUSING}:
        return _one("task_cleared_running", Step(task, VmState.ACTIVE, None, power, None))
    if power == PowerState.PAUSED and task == TaskState.UNPAUSING:
        return Settlement(_RULES["unpause_retried"], keep.finish("unpause"))
    if task == TaskState.POWERING_OFF:
        return Settlement(_RULES["stop_retried"], keep.finish("stop"))
    if task == TaskState.POWERING_ON:
        return Settlement(_RULES["start_retried"], keep.finish("start"))
    if task == TaskState.RESIZE_MIGRATING:
        # finish_revert_migration powers the guest on unless it was stopped before the resize.
        powered = {VmState.ACTIVE: PowerState.RUNNING, VmState.STOPPED: PowerState.SHUTDOWN}.get(vm_state, power)
        return _one("resize_reverted", Step(task, vm_state, None, powered, None, effect="release_destination"))
    if task == TaskState.MIGRATING:
        return _one("live_migration_reset", keep.cleared("release_destination"))
    # CloudLab's rules: Nova has none for these states.
    if task in _REBOOT_TASKS:
        return Settlement(_RULES["reboot_finished"], _reboot_again(vm_state, task, power))
    if task in _REBUILD_TASKS:
        return _one("rebuild_abandoned", Step(task, VmState.ERROR, None, power, None, effect="release_destination"))
    if task == TaskState.UNSHELVING and vm_state != VmState.SHELVED:
        return _one("unshelve_rolled_back", keep.cleared("release_host"))
    if task == TaskState.RESTORING:
        return _one("task_cleared", Step(task, VmState.ACTIVE, None, PowerState.RUNNING, None))
    if task == TaskState.SOFT_DELETING:
        return _one("task_cleared", Step(task, VmState.SOFT_DELETED, None, PowerState.SHUTDOWN, None))
    if task in (TaskState.UPDATING_PASSWORD, TaskState.RESIZE_CONFIRMING):
        return _one("task_cleared", keep.cleared())
    action = _FINISHED_BY.get(task)
    steps = keep.finish(action, shelved_offload_time) if action else ()
    return Settlement(_RULES["action_finished"], steps or (keep.cleared(),))


def _one(key: str, step: Step) -> Settlement:
    return Settlement(_RULES[key], (step,))


@dataclass(frozen=True)
class _Keeper:
    vm_state: str
    task: str
    power: int

    def cleared(self, effect: Effect | None = None) -> Step:
        """Task cleared, vm_state and power_state kept."""
        return Step(self.task, self.vm_state, None, self.power, None, effect=effect)

    def finish(self, action: str, shelved_offload_time: int = DEFAULT_SHELVED_OFFLOAD_TIME) -> tuple[Step, ...]:
        params = {"shelved_offload_time": shelved_offload_time}
        return continue_plan(action, self.task, vm_state=self.vm_state, power_state=self.power, params=params)


def _nova_retries_reboot(vm_state: str, task: str, power: int) -> bool:
    """nova/compute/manager.py _retry_reboot."""
    pending_soft = task == TaskState.REBOOT_PENDING and vm_state in ALLOW_SOFT_REBOOT
    pending_hard = task == TaskState.REBOOT_PENDING_HARD and vm_state in ALLOW_HARD_REBOOT
    started_not_running = task in _STARTED and power != PowerState.RUNNING
    return pending_soft or pending_hard or started_not_running


def _reboot_again(vm_state: str, task: str, power: int) -> tuple[Step, ...]:
    """reboot_instance called again: hard unless the guest runs and the task was a soft one
    (compute_utils.get_reboot_type); the first step takes the instance from the task it was found
    in to reboot_pending(_hard), as the manager's first save does."""
    hard = power != PowerState.RUNNING or task not in _SOFT_REBOOT_STATES
    steps = plan("reboot_hard" if hard else "reboot_soft", vm_state=vm_state, power_state=power).steps
    first = steps[0]
    return (Step(task, first.vm_state, first.task_state, first.power_state, first.event, first.weight), *steps[1:])


# -- a host that goes down, and comes back ----------------------------------------------------

HOST_DOWN_EXPLANATION = N_(
    "The compute service of this instance's host is down. Nova hears nothing from that host: its "
    "power-state sync and its hypervisor's events run on the host itself, so vm_state and "
    "power_state keep the last values it reported, and the API and Horizon still show the "
    "instance as before (the API's host_status says DOWN). The guest may well be dead. An "
    "administrator can evacuate it: it is rebuilt on another host chosen by the scheduler."
)


def power_state_after_host_down(vm_state: str, power_state: int) -> int:
    """The power_state Nova reports for an instance whose host's compute service went down: the
    last one reported, unchanged (no sync runs for a host that is down; vm_state is kept too)."""
    return power_state


@dataclass(frozen=True)
class PowerSync:
    """What Nova's power-state sync does to one instance."""

    power_state: int  # the power_state written
    action: str | None  # the API action the sync calls ("stop"), or None
    reason: str  # Nova's log message


_SYNC_IGNORED_VM_STATES = frozenset({
    VmState.BUILDING, VmState.RESCUED, VmState.RESIZED, VmState.SUSPENDED, VmState.ERROR,
})  # fmt: skip


def sync_power_state(vm_state: str, task_state: str | None, hypervisor_power_state: int) -> PowerSync | None:
    """nova/compute/manager.py _sync_instance_power_state: the database takes the hypervisor's power
    state, and an instance whose guest is not where its vm_state says is stopped through the API.
    None when the sync skips the instance (a task is in progress)."""
    if task_state is not None:
        return None
    seen = int(hypervisor_power_state)
    down = seen in (PowerState.SHUTDOWN, PowerState.CRASHED)
    if vm_state in _SYNC_IGNORED_VM_STATES:
        return PowerSync(seen, None, N_("Power state recorded; Nova does not act on this vm_state."))
    if vm_state == VmState.ACTIVE and down:
        return PowerSync(seen, "stop", N_("Instance shutdown by itself. Calling the stop API."))
    if vm_state == VmState.ACTIVE and seen == PowerState.SUSPENDED:
        return PowerSync(seen, "stop", N_("Instance is suspended unexpectedly. Calling the stop API."))
    if vm_state == VmState.STOPPED and seen not in (PowerState.NOSTATE, PowerState.SHUTDOWN, PowerState.CRASHED):
        return PowerSync(seen, "stop", N_("Instance is not stopped. Calling the stop API."))
    if vm_state == VmState.PAUSED and down:
        return PowerSync(seen, "stop", N_("Paused instance shutdown by itself. Calling the stop API."))
    return PowerSync(seen, None, N_("Power state recorded."))


def power_state_after_host_recovery(
    vm_state: str,
    task_state: str | None,
    power_state: int,
    *,
    resume_guests_state_on_host_boot: bool = False,
) -> PowerSync | None:
    """What an instance reports once its failed host is back (settle() it first if it had a task).

    A host that failed took its guests with it: the hypervisor now reports them shut down (4),
    unless ``resume_guests_state_on_host_boot`` (nova.conf, default False) restarts those that
    were running. The power-state sync then records it and stops, through the API, an active
    instance whose guest is down (so it ends SHUTOFF), as in Nova.
    """
    if vm_state in (VmState.DELETED, VmState.SHELVED_OFFLOADED):
        return None
    was_running = power_state == PowerState.RUNNING
    seen = PowerState.RUNNING if (was_running and resume_guests_state_on_host_boot) else PowerState.SHUTDOWN
    if power_state == PowerState.NOSTATE:
        seen = PowerState.NOSTATE  # no guest was ever defined
    return sync_power_state(vm_state, task_state, seen)
