"""What each action does to an instance, step by step, as nova-api and the compute manager do it.

``plan()`` answers for an action that ``refusal()`` accepted: the state nova-api writes at once
(``api_step``), then the compute-side steps in order, each a compare-and-swap from the previous
step's task_state, the last one leaving the final vm_state, task_state None and power_state.
Where the final state depends on where the instance started, it is computed here:

* reboot of a rescued instance stays rescued (the manager keeps it out of rescue mode);
* rebuild and evacuate of a stopped instance end stopped: the manager rebuilds it active, then
  powers it off again (task powering-off, event compute_stop_instance);
* a resize or migration keeps the power state, and confirm ends active unless the instance is
  powered off (power_state 4), then stopped;
* revert returns to the vm_state before the resize (a stopped one goes through powering-off);
* shelve ends shelved_offloaded when ``shelved_offload_time`` is 0 (the default), else shelved;
* unshelve of a shelved instance is a start (task powering-on), of an offloaded one a new
  placement (scheduled, claimed, spawned);
* delete of an instance without a host, or whose host's service is down, is done by nova-api
  itself (a "local delete"), with no compute event;
* suspend leaves power_state 4 on libvirt (its suspend is a managed save), 7 on other drivers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from .actions import ACTIONS
from .states import BUILD_FAILED_STEP, BUILD_STEPS, Effect, PowerState, Step, TaskState, VmState

NO_PARAMS: Mapping[str, Any] = MappingProxyType({})

#: Hypervisor types the libvirt driver reports (its suspend is a managed save: power_state 4).
LIBVIRT_HYPERVISOR_TYPES = frozenset({"QEMU", "KVM", "LXC", "UML", "Xen", "Parallels"})

#: nova.conf [DEFAULT] shelved_offload_time: 0 offloads at once, −1 never, N after N seconds.
DEFAULT_SHELVED_OFFLOAD_TIME = 0

API_WEIGHT = 0.5  # the RPC cast from nova-api to conductor or compute

#: The phases in which the driver boots a guest (a container host starts its process), as
#: (the task_state the step expects, the task_state it writes): their length is the host kind's
#: start time (``pacing.phase_seconds``), not a weight. The driver methods: spawn (a boot, the
#: unshelve of an offloaded instance, rebuild and evacuate), reboot (soft and hard: the guest
#: starts again), power_on (start, the unshelve of a shelved instance), rescue and unrescue
#: (the guest boots from the rescue image, then from its own). A resize's finish is not one:
#: it converts and moves disks as well, and keeps its weight.
GUEST_BOOT_PHASES: frozenset[tuple[str | None, str | None]] = frozenset(
    {
        (TaskState.BLOCK_DEVICE_MAPPING, TaskState.SPAWNING),
        (TaskState.UNSHELVING, TaskState.SPAWNING),
        (TaskState.REBUILD_BLOCK_DEVICE_MAPPING, TaskState.REBUILD_SPAWNING),
        (TaskState.REBOOT_PENDING, TaskState.REBOOT_STARTED),
        (TaskState.REBOOT_PENDING_HARD, TaskState.REBOOT_STARTED_HARD),
        (TaskState.POWERING_ON, TaskState.POWERING_ON),
        (TaskState.UNSHELVING, TaskState.POWERING_ON),
        (TaskState.RESCUING, TaskState.RESCUING),
        (TaskState.UNRESCUING, TaskState.UNRESCUING),
    }
)


def boots_guest(step: Step) -> bool:
    """Whether the phase ``step`` starts is the driver booting the guest (``GUEST_BOOT_PHASES``)."""
    return (step.expect_task_state, step.task_state) in GUEST_BOOT_PHASES


@dataclass(frozen=True)
class Plan:
    """The states an action walks through: nova-api's write, then the compute side's steps."""

    api_step: Step | None  # None: nova-api changes no state (lock, unlock)
    steps: tuple[Step, ...]  # empty: nothing happens compute-side (lock, unlock)
    #: Where Nova leaves the instance when a step's effect fails (no valid host for a move or an
    #: unshelve, no fixed IP for a boot; the fault is recorded): a move goes back to where it
    #: was, an unshelve stays offloaded, an evacuation and a boot end in error. Its effect, if
    #: any, undoes what the plan holds (a failed boot frees its claim). None: the instance goes
    #: back to the vm_state and power_state the action started from.
    on_failure: Step | None = None

    @property
    def final(self) -> Step | None:
        """The last state written (None when nothing is)."""
        return self.steps[-1] if self.steps else self.api_step

    def states(self) -> tuple[tuple[str, str | None, int], ...]:
        """(vm_state, task_state, power_state) after each write, api_step first."""
        written = ((self.api_step,) if self.api_step is not None else ()) + self.steps
        return tuple((s.vm_state, s.task_state, int(s.power_state)) for s in written)

    def effects(self) -> tuple[Effect, ...]:
        return tuple(s.effect for s in self.steps if s.effect is not None)


@dataclass(frozen=True)
class _Start:
    """Where the instance is when the request arrives."""

    vm_state: str
    power_state: int
    task_state: str | None
    params: Mapping[str, Any]
    has_host: bool
    host_up: bool

    def api(self, task_state: str, weight: float = API_WEIGHT) -> Step:
        return Step(self.task_state, self.vm_state, task_state, self.power_state, None, weight)

    def hold(
        self,
        expect: str | None,
        task_state: str | None,
        event: str | None = None,
        weight: float = 1.0,
        effect: Effect | None = None,
    ) -> Step:
        """A step that changes the task (or nothing) and keeps vm_state and power_state."""
        return Step(expect, self.vm_state, task_state, self.power_state, event, weight, effect)


def suspend_power_state(hypervisor_type: str | None) -> PowerState:
    """The power_state a suspended instance reports: libvirt's managed save reads as shut down."""
    if hypervisor_type is None or hypervisor_type in LIBVIRT_HYPERVISOR_TYPES:
        return PowerState.SHUTDOWN
    return PowerState.SUSPENDED


def _simple(task: str, event: str, final_vm: str, final_power: int, weight: float = 1.0) -> Callable[[_Start], Plan]:
    """API sets ``task``; the manager method (``event``) works, then writes the final state."""

    def build(start: _Start) -> Plan:
        return Plan(start.api(task), (
            start.hold(task, task, event, weight),
            Step(task, final_vm, None, final_power, None),
        ))  # fmt: skip

    return build


def _suspend(start: _Start) -> Plan:
    power = suspend_power_state(start.params.get("hypervisor_type"))
    return _simple(TaskState.SUSPENDING, "compute_suspend_instance", VmState.SUSPENDED, power)(start)


def _reboot(hard: bool) -> Callable[[_Start], Plan]:
    """nova/compute/manager.py _reboot_instance: pending (power state refreshed), started, done."""
    if hard:
        tasks = (TaskState.REBOOTING_HARD, TaskState.REBOOT_PENDING_HARD, TaskState.REBOOT_STARTED_HARD)
    else:
        tasks = (TaskState.REBOOTING, TaskState.REBOOT_PENDING, TaskState.REBOOT_STARTED)
    requested, pending, started = tasks

    def build(start: _Start) -> Plan:
        final_vm = VmState.RESCUED if start.vm_state == VmState.RESCUED else VmState.ACTIVE
        return Plan(start.api(requested), (
            start.hold(requested, pending, "compute_reboot_instance", 0.5),
            start.hold(pending, started, None, 1.0 if hard else 1.5),
            Step(started, final_vm, None, PowerState.RUNNING, None),
        ))  # fmt: skip

    return build


def _shelve(start: _Start) -> Plan:
    offload_time = int(start.params.get("shelved_offload_time", DEFAULT_SHELVED_OFFLOAD_TIME))
    steps = [
        start.hold(TaskState.SHELVING, TaskState.SHELVING, "compute_shelve_instance", 1.0),  # clean shutdown
        start.hold(TaskState.SHELVING, TaskState.SHELVING_IMAGE_PENDING_UPLOAD, None, 0.5),
        start.hold(TaskState.SHELVING_IMAGE_PENDING_UPLOAD, TaskState.SHELVING_IMAGE_UPLOADING, None, 2.0),
    ]
    if offload_time == 0:
        steps += [
            Step(TaskState.SHELVING_IMAGE_UPLOADING, VmState.SHELVED, TaskState.SHELVING_OFFLOADING,
                 PowerState.SHUTDOWN, None, 1.0),
            Step(TaskState.SHELVING_OFFLOADING, VmState.SHELVED_OFFLOADED, None, PowerState.SHUTDOWN, None,
                 effect="release_host"),
        ]  # fmt: skip
    else:
        steps.append(Step(TaskState.SHELVING_IMAGE_UPLOADING, VmState.SHELVED, None, PowerState.SHUTDOWN, None))
    return Plan(start.api(TaskState.SHELVING), tuple(steps))


def _shelve_offload(start: _Start) -> Plan:
    task = TaskState.SHELVING_OFFLOADING
    return Plan(start.api(task), (
        start.hold(task, task, "compute_shelve_offload_instance", 1.0),
        Step(task, VmState.SHELVED_OFFLOADED, None, PowerState.SHUTDOWN, None, effect="release_host"),
    ))  # fmt: skip


def _unshelve(start: _Start) -> Plan:
    task = TaskState.UNSHELVING
    if start.vm_state == VmState.SHELVED:
        # nova/conductor/manager.py unshelve_instance: still on its host, so it is a start.
        return Plan(start.api(task), (
            start.hold(task, TaskState.POWERING_ON, "compute_start_instance", 1.0),
            Step(TaskState.POWERING_ON, VmState.ACTIVE, None, PowerState.RUNNING, None),
        ))  # fmt: skip
    return Plan(
        start.api(task),
        (
            start.hold(task, task, "schedule_instances", 1.0, "schedule_and_claim"),
            start.hold(task, TaskState.SPAWNING, "compute_unshelve_instance", 2.0),
            Step(TaskState.SPAWNING, VmState.ACTIVE, None, PowerState.RUNNING, None),
        ),
        on_failure=start.hold(task, None),
    )


def _resize(start: _Start) -> Plan:
    """Resize and cold migration, one code path in Nova (resize without a flavor is a migration):
    conductor schedules, the destination prepares (resize claim), the source powers off and copies
    the disk, the instance's host becomes the destination, the destination finishes.

    A failure goes back to where the instance started, task cleared: no valid host (nothing was
    claimed), or the source's driver refusing the disk (``migrate_disk``: the manager's
    ``_error_out_instance_on_exception`` with the vm_state the resize found, so a stopped
    instance stays stopped; the migration errored, the destination's claim given back)."""
    prep, migrating, migrated, finish = (
        TaskState.RESIZE_PREP, TaskState.RESIZE_MIGRATING, TaskState.RESIZE_MIGRATED, TaskState.RESIZE_FINISH,
    )  # fmt: skip
    powered_on = start.vm_state != VmState.STOPPED
    return Plan(
        start.api(prep),
        (
            start.hold(prep, prep, "conductor_migrate_server", 1.0, "schedule_destination"),
            start.hold(prep, prep, "compute_prep_resize", 0.5),
            start.hold(prep, migrating, "compute_resize_instance", 2.0, "migrate_disk"),
            start.hold(migrating, migrated, None, 0.5, "move_to_destination"),
            start.hold(migrated, finish, "compute_finish_resize", 1.0),
            Step(finish, VmState.RESIZED, None, PowerState.RUNNING if powered_on else PowerState.SHUTDOWN, None),
        ),
        on_failure=start.hold(prep, None, effect="abort_move"),
    )


def _confirm_resize(start: _Start) -> Plan:
    """No task: nova-api only marks the migration "confirming". The write-nothing api_step carries
    the wait for the source compute; its confirm frees the source and settles the vm_state from
    the power state (nova/compute/manager.py _confirm_resize)."""
    final_vm = VmState.STOPPED if start.power_state == PowerState.SHUTDOWN else VmState.ACTIVE
    return Plan(
        Step(start.task_state, start.vm_state, start.task_state, start.power_state, None, 1.0),
        (Step(None, final_vm, None, start.power_state, "compute_confirm_resize", effect="release_source"),),
    )


def _revert_resize(start: _Start) -> Plan:
    """The destination destroys its copy and drops its claim, the source powers the old one on
    (finish_revert_resize); a resize that started stopped is stopped again."""
    reverting = TaskState.RESIZE_REVERTING
    old_vm_state = start.params.get("old_vm_state") or (
        VmState.STOPPED if start.power_state == PowerState.SHUTDOWN else VmState.ACTIVE
    )
    steps = [
        start.hold(reverting, reverting, "compute_revert_resize", 1.0),
        start.hold(reverting, reverting, "compute_finish_revert_resize", 1.0, "release_destination"),
    ]
    if old_vm_state == VmState.STOPPED:
        steps += [
            start.hold(reverting, TaskState.POWERING_OFF, "compute_stop_instance", 1.0),
            Step(TaskState.POWERING_OFF, VmState.STOPPED, None, PowerState.SHUTDOWN, None),
        ]
    else:
        steps.append(Step(reverting, VmState.ACTIVE, None, PowerState.RUNNING, None))
    return Plan(start.api(reverting), tuple(steps))


def _live_migrate(start: _Start) -> Plan:
    task = TaskState.MIGRATING
    return Plan(
        start.api(task),
        (
            start.hold(task, task, "conductor_live_migrate_instance", 1.0, "schedule_destination"),
            start.hold(task, task, "compute_check_can_live_migrate_destination", 0.25),
            start.hold(task, task, "compute_check_can_live_migrate_source", 0.25),
            start.hold(task, task, "compute_pre_live_migration", 0.5),
            start.hold(task, task, "compute_live_migration", 2.0),
            start.hold(task, task, "compute_post_live_migration_at_destination", 0.5, "move_to_destination"),
            Step(task, start.vm_state, None, start.power_state, None, effect="release_source"),
        ),
        on_failure=start.hold(task, None),
    )


def _rebuild_tail(start: _Start, first: Step, release: Effect | None) -> tuple[Step, ...]:
    """nova/compute/manager.py _do_rebuild_instance: bdm, spawn, active; a stopped instance is
    powered off again (task powering-off, then stop_instance)."""
    spawning = TaskState.REBUILD_SPAWNING
    steps = (
        first,
        start.hold(TaskState.REBUILDING, TaskState.REBUILD_BLOCK_DEVICE_MAPPING, None, 0.5),
        start.hold(TaskState.REBUILD_BLOCK_DEVICE_MAPPING, spawning, None, 2.0),
    )
    if start.vm_state == VmState.STOPPED:
        return (
            *steps,
            Step(spawning, VmState.ACTIVE, TaskState.POWERING_OFF, PowerState.RUNNING, "compute_stop_instance",
                 1.0, release),
            Step(TaskState.POWERING_OFF, VmState.STOPPED, None, PowerState.SHUTDOWN, None),
        )  # fmt: skip
    return (*steps, Step(spawning, VmState.ACTIVE, None, PowerState.RUNNING, None, effect=release))


def _rebuild(start: _Start) -> Plan:
    task = TaskState.REBUILDING
    first = start.hold(task, task, "compute_rebuild_instance", 1.0, "rebuild_image")
    return Plan(start.api(task), _rebuild_tail(start, first, None))


def _evacuate(start: _Start) -> Plan:
    """Conductor schedules away from the dead host (event rebuild_server); the destination's
    rebuild claim makes it the instance's host; the instance is rebuilt there from its image."""
    task = TaskState.REBUILDING
    schedule = start.hold(task, task, "rebuild_server", 1.0, "schedule_destination")
    first = start.hold(task, task, "compute_rebuild_instance", 0.5, "move_to_destination")
    return Plan(
        start.api(task),
        (schedule, *_rebuild_tail(start, first, "release_source")),
        on_failure=Step(task, VmState.ERROR, None, start.power_state, None),
    )


def _create_snapshot(start: _Start) -> Plan:
    """nova/compute/manager.py _snapshot_instance and the driver's update_task_state calls."""
    return Plan(start.api(TaskState.IMAGE_SNAPSHOT_PENDING), (
        start.hold(TaskState.IMAGE_SNAPSHOT_PENDING, TaskState.IMAGE_SNAPSHOT, "compute_snapshot_instance", 1.0),
        start.hold(TaskState.IMAGE_SNAPSHOT, TaskState.IMAGE_PENDING_UPLOAD, None, 0.5),
        start.hold(TaskState.IMAGE_PENDING_UPLOAD, TaskState.IMAGE_UPLOADING, None, 2.0),
        start.hold(TaskState.IMAGE_UPLOADING, None, None, 1.0, "snapshot_image"),
    ))  # fmt: skip


def _delete(start: _Start) -> Plan:
    """The compute service shuts the guest down and destroys it, the resources are freed, the
    instance is marked deleted. Without a host, or with its service down, nova-api deletes it
    itself (nova/compute/api.py _local_delete): no compute event."""
    task = TaskState.DELETING
    local = not (start.has_host and start.host_up)
    release = Step(task, start.vm_state, task, PowerState.NOSTATE, None, 0.25, "release_host")
    done = Step(task, VmState.DELETED, None, PowerState.NOSTATE, None, effect="mark_deleted")
    if local:
        return Plan(start.api(task, weight=0.0), (release, done))
    return Plan(start.api(task), (start.hold(task, task, "compute_terminate_instance", 1.0), release, done))


#: The action log's name for a boot (``openstack server event list`` shows ``create``).
BUILD = "create"


def _build(start: _Start) -> Plan:
    """A boot (nova/conductor/manager.py schedule_and_build_instances, then the compute manager's
    _build_and_run_instance). nova-api has already written building/scheduling when it created
    the instance. The conductor's scheduling pass takes no time of its own (weight 0): the
    scheduler picks a host and the claim is made on it; the instance stays in scheduling while
    the class watches the funnel, then the compute service starts networking (and the fixed IP
    is allocated). No valid host, or no fixed IP: error, with the claim freed."""
    schedule = Step(TaskState.SCHEDULING, VmState.BUILDING, TaskState.SCHEDULING, PowerState.NOSTATE,
                    "schedule_instances", 0.0, "schedule_and_claim")  # fmt: skip
    return Plan(
        Step(None, VmState.BUILDING, TaskState.SCHEDULING, PowerState.NOSTATE, None, 0.0),
        (schedule, *BUILD_STEPS),
        on_failure=replace(BUILD_FAILED_STEP, effect="release_host"),
    )


def _no_state_change(start: _Start) -> Plan:
    """Lock and unlock change only ``locked`` / ``locked_by``."""
    return Plan(None, ())


_PLANS: dict[str, Callable[[_Start], Plan]] = {
    "start": _simple(TaskState.POWERING_ON, "compute_start_instance", VmState.ACTIVE, PowerState.RUNNING),
    "stop": _simple(TaskState.POWERING_OFF, "compute_stop_instance", VmState.STOPPED, PowerState.SHUTDOWN, 1.5),
    "reboot_soft": _reboot(hard=False),
    "reboot_hard": _reboot(hard=True),
    "pause": _simple(TaskState.PAUSING, "compute_pause_instance", VmState.PAUSED, PowerState.PAUSED, 0.5),
    "unpause": _simple(TaskState.UNPAUSING, "compute_unpause_instance", VmState.ACTIVE, PowerState.RUNNING, 0.5),
    "suspend": _suspend,
    "resume": _simple(TaskState.RESUMING, "compute_resume_instance", VmState.ACTIVE, PowerState.RUNNING),
    "shelve": _shelve,
    "shelve_offload": _shelve_offload,
    "unshelve": _unshelve,
    "resize": _resize,
    "confirm_resize": _confirm_resize,
    "revert_resize": _revert_resize,
    "migrate": _resize,
    "live_migrate": _live_migrate,
    "rebuild": _rebuild,
    "rescue": _simple(TaskState.RESCUING, "compute_rescue_instance", VmState.RESCUED, PowerState.RUNNING, 2.0),
    "unrescue": _simple(TaskState.UNRESCUING, "compute_unrescue_instance", VmState.ACTIVE, PowerState.RUNNING, 1.5),
    "create_snapshot": _create_snapshot,
    "lock": _no_state_change,
    "unlock": _no_state_change,
    "delete": _delete,
    "evacuate": _evacuate,
    BUILD: _build,
}
assert _PLANS.keys() == ACTIONS.keys() | {BUILD}


def plan(
    action: str,
    *,
    vm_state: str,
    power_state: int,
    params: Mapping[str, Any] = NO_PARAMS,
    task_state: str | None = None,
    has_host: bool = True,
    host_up: bool = True,
) -> Plan:
    """The states ``action`` walks an instance through, from (vm_state, power_state).

    ``action`` is a row action of ``ACTIONS`` (call it for a request ``refusal()`` accepted) or
    ``BUILD``, a boot (from building/scheduling); it is deterministic, so a worker can compute it
    again at every step from the state the action started in. ``params``: ``shelved_offload_time``
    (shelve, default 0), ``old_vm_state`` (revert; default inferred from power_state),
    ``hypervisor_type`` (suspend; default libvirt). ``task_state`` is the task the request found
    (a hard reboot or a delete may interrupt one): the api_step's compare-and-swap expects it.
    ``has_host`` / ``host_up`` choose between a compute-side delete and nova-api's local delete.
    """
    start = _Start(vm_state, int(power_state), task_state, params, has_host, host_up)
    return _PLANS[action](start)


def continue_plan(
    action: str, task_state: str, *, vm_state: str, power_state: int, params: Mapping[str, Any] = NO_PARAMS
) -> tuple[Step, ...]:
    """The rest of ``action``'s plan for an instance found in ``task_state``: its steps from the
    first one that expects that task, the first one carrying the event of the phase it re-enters.
    Empty when the plan never passes through ``task_state``."""
    steps = plan(action, vm_state=vm_state, power_state=power_state, params=params).steps
    for index, step in enumerate(steps):
        if step.expect_task_state == task_state:
            event = next((s.event for s in reversed(steps[: index + 1]) if s.event), None)
            return (replace(step, event=event), *steps[index + 1 :])
    return ()
