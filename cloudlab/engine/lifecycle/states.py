"""The state vocabularies, the API status, how Horizon shows them, and the Step a plan is made of.

The one source of truth for instance states (nova-semantics.md section d). Pages, the API, the
Celery tasks and the tests read these tables; nothing restates them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Final, Literal

from ..i18n import N_


class VmState:
    """nova/compute/vm_states.py (note the hyphen in ``soft-delete``)."""

    ACTIVE = "active"
    BUILDING = "building"
    PAUSED = "paused"
    SUSPENDED = "suspended"
    STOPPED = "stopped"
    RESCUED = "rescued"
    RESIZED = "resized"
    SOFT_DELETED = "soft-delete"
    DELETED = "deleted"
    ERROR = "error"
    SHELVED = "shelved"
    SHELVED_OFFLOADED = "shelved_offloaded"

    ALL = (
        ACTIVE, BUILDING, PAUSED, SUSPENDED, STOPPED, RESCUED, RESIZED,
        SOFT_DELETED, DELETED, ERROR, SHELVED, SHELVED_OFFLOADED,
    )  # fmt: skip


class TaskState:
    """nova/compute/task_states.py (note the hyphens in ``powering-off`` and friends)."""

    SCHEDULING = "scheduling"
    BLOCK_DEVICE_MAPPING = "block_device_mapping"
    NETWORKING = "networking"
    SPAWNING = "spawning"
    IMAGE_SNAPSHOT = "image_snapshot"
    IMAGE_SNAPSHOT_PENDING = "image_snapshot_pending"
    IMAGE_PENDING_UPLOAD = "image_pending_upload"
    IMAGE_UPLOADING = "image_uploading"
    IMAGE_BACKUP = "image_backup"
    UPDATING_PASSWORD = "updating_password"  # noqa: S105 - a task name, not a secret
    RESIZE_PREP = "resize_prep"
    RESIZE_MIGRATING = "resize_migrating"
    RESIZE_MIGRATED = "resize_migrated"
    RESIZE_FINISH = "resize_finish"
    RESIZE_REVERTING = "resize_reverting"
    RESIZE_CONFIRMING = "resize_confirming"
    REBOOTING = "rebooting"
    REBOOT_PENDING = "reboot_pending"
    REBOOT_STARTED = "reboot_started"
    REBOOTING_HARD = "rebooting_hard"
    REBOOT_PENDING_HARD = "reboot_pending_hard"
    REBOOT_STARTED_HARD = "reboot_started_hard"
    PAUSING = "pausing"
    UNPAUSING = "unpausing"
    SUSPENDING = "suspending"
    RESUMING = "resuming"
    POWERING_OFF = "powering-off"
    POWERING_ON = "powering-on"
    RESCUING = "rescuing"
    UNRESCUING = "unrescuing"
    REBUILDING = "rebuilding"
    REBUILD_BLOCK_DEVICE_MAPPING = "rebuild_block_device_mapping"
    REBUILD_SPAWNING = "rebuild_spawning"
    MIGRATING = "migrating"
    DELETING = "deleting"
    SOFT_DELETING = "soft-deleting"
    RESTORING = "restoring"
    SHELVING = "shelving"
    SHELVING_IMAGE_PENDING_UPLOAD = "shelving_image_pending_upload"
    SHELVING_IMAGE_UPLOADING = "shelving_image_uploading"
    SHELVING_OFFLOADING = "shelving_offloading"
    UNSHELVING = "unshelving"

    ALL = (
        SCHEDULING, BLOCK_DEVICE_MAPPING, NETWORKING, SPAWNING, IMAGE_SNAPSHOT,
        IMAGE_SNAPSHOT_PENDING, IMAGE_PENDING_UPLOAD, IMAGE_UPLOADING, IMAGE_BACKUP,
        UPDATING_PASSWORD, RESIZE_PREP, RESIZE_MIGRATING, RESIZE_MIGRATED, RESIZE_FINISH,
        RESIZE_REVERTING, RESIZE_CONFIRMING, REBOOTING, REBOOT_PENDING, REBOOT_STARTED,
        REBOOTING_HARD, REBOOT_PENDING_HARD, REBOOT_STARTED_HARD, PAUSING, UNPAUSING,
        SUSPENDING, RESUMING, POWERING_OFF, POWERING_ON, RESCUING, UNRESCUING, REBUILDING,
        REBUILD_BLOCK_DEVICE_MAPPING, REBUILD_SPAWNING, MIGRATING, DELETING, SOFT_DELETING,
        RESTORING, SHELVING, SHELVING_IMAGE_PENDING_UPLOAD, SHELVING_IMAGE_UPLOADING,
        SHELVING_OFFLOADING, UNSHELVING,
    )  # fmt: skip


class PowerState(IntEnum):
    """nova/compute/power_state.py (2 and 5 are unused)."""

    NOSTATE = 0
    RUNNING = 1
    PAUSED = 3
    SHUTDOWN = 4
    CRASHED = 6
    SUSPENDED = 7


#: How Horizon labels power states (the Power State column).
POWER_STATE_LABELS: dict[int, str] = {
    PowerState.NOSTATE: N_("No State"),
    PowerState.RUNNING: N_("Running"),
    PowerState.PAUSED: N_("Paused"),
    PowerState.SHUTDOWN: N_("Shut Down"),
    PowerState.CRASHED: N_("Crashed"),
    PowerState.SUSPENDED: N_("Suspended"),
}

_SOFT_REBOOT_TASKS = {TaskState.REBOOTING, TaskState.REBOOT_PENDING, TaskState.REBOOT_STARTED}
_HARD_REBOOT_TASKS = {
    TaskState.REBOOTING_HARD,
    TaskState.REBOOT_PENDING_HARD,
    TaskState.REBOOT_STARTED_HARD,
}
_REBUILD_TASKS = {
    TaskState.REBUILDING,
    TaskState.REBUILD_BLOCK_DEVICE_MAPPING,
    TaskState.REBUILD_SPAWNING,
}
_RESIZE_TASKS = {
    TaskState.RESIZE_PREP,
    TaskState.RESIZE_MIGRATING,
    TaskState.RESIZE_MIGRATED,
    TaskState.RESIZE_FINISH,
}

# nova/api/openstack/common.py _STATE_MAP: vm_state → {task_state: status, "default": status}.
_STATE_MAP: dict[str, dict[str | None, str]] = {
    VmState.ACTIVE: {
        "default": "ACTIVE",
        **{t: "REBOOT" for t in _SOFT_REBOOT_TASKS},
        **{t: "HARD_REBOOT" for t in _HARD_REBOOT_TASKS},
        TaskState.UPDATING_PASSWORD: "PASSWORD",
        **{t: "REBUILD" for t in _REBUILD_TASKS},
        TaskState.MIGRATING: "MIGRATING",
        **{t: "RESIZE" for t in _RESIZE_TASKS},
    },
    VmState.BUILDING: {"default": "BUILD"},
    VmState.STOPPED: {
        "default": "SHUTOFF",
        **{t: "RESIZE" for t in _RESIZE_TASKS},
        **{t: "REBUILD" for t in _REBUILD_TASKS},
    },
    VmState.RESIZED: {"default": "VERIFY_RESIZE", TaskState.RESIZE_REVERTING: "REVERT_RESIZE"},
    VmState.PAUSED: {"default": "PAUSED", TaskState.MIGRATING: "MIGRATING"},
    VmState.SUSPENDED: {"default": "SUSPENDED"},
    VmState.RESCUED: {"default": "RESCUE"},
    VmState.ERROR: {"default": "ERROR", **{t: "REBUILD" for t in _REBUILD_TASKS}},
    VmState.DELETED: {"default": "DELETED"},
    VmState.SOFT_DELETED: {"default": "SOFT_DELETED"},
    VmState.SHELVED: {"default": "SHELVED"},
    VmState.SHELVED_OFFLOADED: {"default": "SHELVED_OFFLOADED"},
}


def status_from_state(vm_state: str, task_state: str | None = None) -> str:
    """The API status Nova derives from (vm_state, task_state); unknown pairs give UNKNOWN."""
    task_map = _STATE_MAP.get(vm_state)
    if task_map is None:
        return "UNKNOWN"
    return task_map.get(task_state, task_map["default"])


Kind = Literal["ok", "transitional", "error"]


@dataclass(frozen=True)
class StatusDisplay:
    """How Horizon's Instances table shows a status: its label, and whether the row is final."""

    label: str
    kind: Kind  # ok / error are final; only transitional rows animate


#: Horizon's STATUS_DISPLAY_CHOICES and the final/ok/error table of its Instances panel.
STATUS_DISPLAY: dict[str, StatusDisplay] = {
    "ACTIVE": StatusDisplay(N_("Active"), "ok"),
    "SHUTOFF": StatusDisplay(N_("Shutoff"), "ok"),
    "SUSPENDED": StatusDisplay(N_("Suspended"), "ok"),
    "PAUSED": StatusDisplay(N_("Paused"), "ok"),
    "ERROR": StatusDisplay(N_("Error"), "error"),
    "RESIZE": StatusDisplay(N_("Resize/Migrate"), "transitional"),
    "VERIFY_RESIZE": StatusDisplay(N_("Confirm or Revert Resize/Migrate"), "ok"),
    "REVERT_RESIZE": StatusDisplay(N_("Revert Resize/Migrate"), "transitional"),
    "REBOOT": StatusDisplay(N_("Reboot"), "transitional"),
    "HARD_REBOOT": StatusDisplay(N_("Hard Reboot"), "transitional"),
    "PASSWORD": StatusDisplay(N_("Password"), "transitional"),
    "REBUILD": StatusDisplay(N_("Rebuild"), "transitional"),
    "MIGRATING": StatusDisplay(N_("Migrating"), "transitional"),
    "BUILD": StatusDisplay(N_("Build"), "transitional"),
    "RESCUE": StatusDisplay(N_("Rescue"), "ok"),
    "SOFT_DELETED": StatusDisplay(N_("Soft Deleted"), "ok"),
    "DELETED": StatusDisplay(N_("Deleted"), "ok"),
    "SHELVED": StatusDisplay(N_("Shelved"), "ok"),
    "SHELVED_OFFLOADED": StatusDisplay(N_("Shelved Offloaded"), "ok"),
    "UNKNOWN": StatusDisplay(N_("Unknown"), "error"),
}

#: Horizon's task labels (the Task column); a missing task shows as "None".
TASK_LABELS: dict[str | None, str] = {
    None: N_("None"),
    TaskState.SCHEDULING: N_("Scheduling"),
    TaskState.BLOCK_DEVICE_MAPPING: N_("Block Device Mapping"),
    TaskState.NETWORKING: N_("Networking"),
    TaskState.SPAWNING: N_("Spawning"),
    TaskState.IMAGE_SNAPSHOT: N_("Snapshotting"),
    TaskState.IMAGE_SNAPSHOT_PENDING: N_("Image Snapshot Pending"),
    TaskState.IMAGE_PENDING_UPLOAD: N_("Image Pending Upload"),
    TaskState.IMAGE_UPLOADING: N_("Image Uploading"),
    TaskState.IMAGE_BACKUP: N_("Image Backup"),
    TaskState.UPDATING_PASSWORD: N_("Updating Password"),
    TaskState.RESIZE_PREP: N_("Preparing Resize or Migrate"),
    TaskState.RESIZE_MIGRATING: N_("Resizing or Migrating"),
    TaskState.RESIZE_MIGRATED: N_("Resized or Migrated"),
    TaskState.RESIZE_FINISH: N_("Finishing Resize or Migrate"),
    TaskState.RESIZE_REVERTING: N_("Reverting Resize or Migrate"),
    TaskState.RESIZE_CONFIRMING: N_("Confirming Resize or Migrate"),
    TaskState.REBOOTING: N_("Rebooting"),
    TaskState.REBOOT_PENDING: N_("Reboot Pending"),
    TaskState.REBOOT_STARTED: N_("Reboot Started"),
    TaskState.REBOOTING_HARD: N_("Hard Rebooting"),
    TaskState.REBOOT_PENDING_HARD: N_("Hard Reboot Pending"),
    TaskState.REBOOT_STARTED_HARD: N_("Hard Reboot Started"),
    TaskState.PAUSING: N_("Pausing"),
    TaskState.UNPAUSING: N_("Resuming"),
    TaskState.SUSPENDING: N_("Suspending"),
    TaskState.RESUMING: N_("Resuming"),
    TaskState.POWERING_OFF: N_("Powering Off"),
    TaskState.POWERING_ON: N_("Powering On"),
    TaskState.RESCUING: N_("Rescuing"),
    TaskState.UNRESCUING: N_("Unrescuing"),
    TaskState.REBUILDING: N_("Rebuilding"),
    TaskState.REBUILD_BLOCK_DEVICE_MAPPING: N_("Rebuild Block Device Mapping"),
    TaskState.REBUILD_SPAWNING: N_("Rebuild Spawning"),
    TaskState.MIGRATING: N_("Migrating"),
    TaskState.DELETING: N_("Deleting"),
    TaskState.SOFT_DELETING: N_("Soft Deleting"),
    TaskState.RESTORING: N_("Restoring"),
    TaskState.SHELVING: N_("Shelving"),
    TaskState.SHELVING_IMAGE_PENDING_UPLOAD: N_("Shelving Image Pending Upload"),
    TaskState.SHELVING_IMAGE_UPLOADING: N_("Shelving Image Uploading"),
    TaskState.SHELVING_OFFLOADING: N_("Shelving Offloading"),
    TaskState.UNSHELVING: N_("Unshelving"),
}


#: What the Django layer does to hosts, images and addresses when it applies a step
#: (``Step.effect``). A step's state change and its effect commit together, and applying an
#: effect a second time changes nothing (a redelivered step, the reaper), so every effect is
#: written to be idempotent.
Effect = Literal[
    "schedule_destination",
    "migrate_disk",
    "move_to_destination",
    "release_source",
    "release_destination",
    "abort_move",
    "release_host",
    "schedule_and_claim",
    "allocate_network",
    "snapshot_image",
    "rebuild_image",
    "mark_deleted",
]

EFFECTS: Final[dict[Effect, str]] = {
    # Nova's resize claim: the destination is claimed (resize: with the new flavor) while the
    # source keeps the old flavor, so a resize holds both until confirm or revert.
    "schedule_destination": N_(
        "Run the scheduler for the move (a resize asks for the new flavor; migrate, resize, live "
        "migration and evacuation exclude the source host) and claim the destination, while the "
        "source keeps its claim."
    ),
    "migrate_disk": N_(
        "The source host's driver copies the disk to the destination; it refuses a disk it would "
        "have to shrink (libvirt: a smaller root or ephemeral disk), and the resize is rolled back."
    ),
    "move_to_destination": N_(
        "The instance's host becomes the destination (and its flavor the new one, for a resize)."
    ),
    "release_source": N_("Free the source host's claim: the move is over (live migration, confirm, evacuation)."),
    "release_destination": N_(
        "Free the destination's claim and go back to the source host and the old flavor (revert, "
        "or an interrupted move rolled back); nothing to do when no move is in progress."
    ),
    "abort_move": N_(
        "A move that failed on the way: free the destination's claim, keep the instance on the source "
        "host with its old flavor, and mark the migration error; nothing to do when no move was made."
    ),
    "release_host": N_(
        "Free everything the instance holds (its host's claim and both sides of an unfinished "
        "move) and clear its host (shelve offload, delete, an abandoned unshelve)."
    ),
    "schedule_and_claim": N_(
        "Run the scheduler and claim the chosen host (a boot, and the unshelve of an offloaded instance)."
    ),
    "allocate_network": N_("Take the lowest free fixed IP of the cloud's network for the new instance (a boot)."),
    "snapshot_image": N_("The snapshot image appears in the project's images."),
    "rebuild_image": N_("Switch the instance to the new image, if one was given."),
    "mark_deleted": N_("vm_state deleted; free the fixed IP (and any claim still held)."),
}


@dataclass(frozen=True)
class Step:
    """One state change, a compare-and-swap: the task_state it must find, the state it leaves.

    ``event`` is the action-log event (as ``openstack server event list`` names it, after the
    Nova method that records it) that *starts* with this step; None means the open event goes
    on. A step that starts an event finishes the open one, and the last step of a plan finishes
    whatever is still open: so ``compute_reboot_instance`` spans rebooting → reboot_pending →
    reboot_started → active, as in Nova, where one manager method records one event.

    ``weight`` is how long the phase this step starts lasts, in units of the cloud's pace. A
    step of weight 0 starts a phase that takes no time of its own (a scheduling pass: what the
    class waits for then is the funnel it watches, which the Django layer adds).

    ``effect`` names the resource or image work done with the step, from ``EFFECTS``:

    * ``schedule_destination``: run the scheduler for a move (resize uses the new flavor;
      migrate, resize, live_migrate and evacuate exclude the source host) and claim the
      destination (resize: with the new flavor) while the source keeps the old flavor (Nova's
      resize claim).
    * ``migrate_disk``: the source's driver (``migrate_disk_and_power_off``) copies the disk; it
      refuses to shrink one (libvirt's ``ResizeError``, wrapped in ``InstanceFaultRollback``),
      and the step fails with Nova's fault.
    * ``move_to_destination``: the instance's host becomes the destination (Nova writes it when
      the disk has moved, task resize_migrated; at the end of a live migration; when the
      evacuation's rebuild claim is made).
    * ``release_source``: free the source's claim (end of a live migration, confirm_resize,
      evacuate).
    * ``release_destination``: free the destination's claim and go back to the source
      (revert_resize; an interrupted move that is rolled back). A no-op without a move.
    * ``abort_move``: a move that failed before the instance left its source (the driver's
      rollback): the destination's claim is given back, the instance keeps its source host and
      old flavor, the migration is ``error``. A no-op when no move was made (NoValidHost).
    * ``release_host``: free the host's resources and clear the host (shelve offload; delete;
      an unshelve abandoned after its claim), including both sides of an unfinished move.
    * ``schedule_and_claim``: run the scheduler and claim the chosen host, with the cloud's era's
      claim policy (a boot; an offloaded instance's unshelve is scheduled again like a boot).
    * ``allocate_network``: a boot's fixed IP, the lowest free address of the cloud's network.
    * ``snapshot_image``: create the snapshot image in the project.
    * ``rebuild_image``: switch the instance to the new image (if given).
    * ``mark_deleted``: vm_state deleted, free the fixed IP.

    An ``api_step`` (what nova-api writes at once) never has an effect: all the work is
    compute-side.
    """

    expect_task_state: str | None
    vm_state: str
    task_state: str | None
    power_state: int
    event: str | None  # as ``openstack server event show`` lists it
    weight: float = 1.0  # how long the phase this step starts lasts, in units of the cloud's pace
    effect: Effect | None = None


#: Boot, after the scheduler chose a host and the claim succeeded: networking before
#: block_device_mapping, as in every Nova release (nova-semantics.md, "Boot").
BUILD_STEPS: tuple[Step, ...] = (
    Step(TaskState.SCHEDULING, VmState.BUILDING, TaskState.NETWORKING, PowerState.NOSTATE,
         "compute_allocate_network", 1.0, "allocate_network"),
    Step(TaskState.NETWORKING, VmState.BUILDING, TaskState.BLOCK_DEVICE_MAPPING, PowerState.NOSTATE,
         "compute_prep_block_device", 1.0),
    Step(TaskState.BLOCK_DEVICE_MAPPING, VmState.BUILDING, TaskState.SPAWNING, PowerState.NOSTATE,
         "compute_spawn", 2.0),
    Step(TaskState.SPAWNING, VmState.ACTIVE, None, PowerState.RUNNING, None),
)  # fmt: skip

#: A boot that finds no valid host (or exhausts its retries): error, task cleared, fault recorded.
BUILD_FAILED_STEP = Step(TaskState.SCHEDULING, VmState.ERROR, None, PowerState.NOSTATE, None)
