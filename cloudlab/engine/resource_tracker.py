"""Nova's ResourceTracker and power-state sync as pure rules (nova-flow.md §3, issue 15 item 4).

What a compute node's record (``compute_nodes``) holds, how each claim and its abort change it,
how the periodic ``update_available_resource`` rebuilds it from the instances, and which rule the
periodic ``_sync_power_states`` (and a libvirt lifecycle event) applies to one instance. The
worker (``cloudlab/compute/periodic.py``, ``flow_log.py``) feeds these functions the rows and
publishes what they return; the flow engine's periodic messages (``flow/periodic.py``) name them.

Semantics, from ``nova/compute/resource_tracker.py`` and ``nova/compute/manager.py``:

* ``_update_usage``: ``memory_mb_used += flavor RAM (+ the driver's overhead, classic era)``,
  ``local_gb_used += root + ephemeral + swap/1024``, ``vcpus_used += vCPUs``; ``free_ram_mb =
  memory_mb - memory_mb_used`` and ``free_disk_gb = local_gb - local_gb_used`` (both may go
  negative on an over-committed host); ``running_vms`` counts the instances tracked. An abort
  (``abort_instance_claim``) subtracts the same amounts.
* ``_update_available_resource``: usage starts again from the reservations
  (``reserved_host_memory_mb`` 512, ``reserved_host_disk_mb`` 0, ``reserved_host_cpus`` 0), then
  every instance on the host and node, then the migrations in progress (an incoming one at its new
  flavor, an outgoing one at its old). The row is saved only if the view changed.
* ``_sync_instance_power_state``: the table of ``SYNC_RULES`` (§3.3).

Pure: no Django, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from .i18n import N_
from .lifecycle import PowerState, VmState
from .resources import FlavorSize, usage_of

#: Nova's periodic task intervals, in seconds (``conf/compute.py``; oslo.service's default spacing).
UPDATE_RESOURCES_INTERVAL = 60
SYNC_POWER_STATE_INTERVAL = 600
#: libvirt holds a STOPPED lifecycle event back this long, cancelled if another event follows
#: (``virt/libvirt/host.py:_event_emit_delayed``): a guest that powers itself off is seen ~15 s later.
LIFECYCLE_EVENT_DELAY = 15

#: The columns of a compute_nodes row the tracker writes, in the order the pages show them.
COLUMNS = ("memory_mb_used", "local_gb_used", "vcpus_used", "free_ram_mb", "free_disk_gb", "running_vms")


@dataclass(frozen=True)
class ComputeNodeRecord:
    """The tracker's view of one compute node: its totals and its usage (reservations included)."""

    memory_mb: int
    local_gb: int
    vcpus: int
    memory_mb_used: int
    local_gb_used: int
    vcpus_used: int
    running_vms: int

    @property
    def free_ram_mb(self) -> int:
        return self.memory_mb - self.memory_mb_used

    @property
    def free_disk_gb(self) -> int:
        return self.local_gb - self.local_gb_used

    def columns(self) -> dict[str, int]:
        """The written columns, by name (``COLUMNS`` order)."""
        return {name: int(getattr(self, name)) for name in COLUMNS}

    def to_json(self) -> dict[str, Any]:
        return {"memory_mb": self.memory_mb, "local_gb": self.local_gb, "vcpus": self.vcpus, **self.columns()}


def claim(record: ComputeNodeRecord, flavor: FlavorSize, overhead_mb: int = 0, count: int = 1) -> ComputeNodeRecord:
    """``instance_claim`` (and a move's ``resize_claim`` on its destination): ``count`` more
    instances of ``flavor`` tracked on the node, each with the driver's memory overhead."""
    return replace(
        record,
        memory_mb_used=record.memory_mb_used + count * (flavor.memory_mb + overhead_mb),
        local_gb_used=record.local_gb_used + count * flavor.disk_gb,
        vcpus_used=record.vcpus_used + count * flavor.vcpus,
        running_vms=record.running_vms + count,
    )


def abort(record: ComputeNodeRecord, flavor: FlavorSize, overhead_mb: int = 0) -> ComputeNodeRecord:
    """``abort_instance_claim`` (a build that failed after its claim), or a usage dropped
    (``drop_move_claim``, a deletion): the claim's amounts given back."""
    return claim(record, flavor, overhead_mb, count=-1)


def rebuild(
    *,
    memory_mb: int,
    local_gb: int,
    vcpus: int,
    instances: Iterable[FlavorSize],
    migrations: Iterable[FlavorSize] = (),
    reserved_host_memory_mb: int = 512,
    reserved_host_disk_mb: int = 0,
    reserved_host_cpus: int = 0,
    overhead_mb: int = 0,
) -> ComputeNodeRecord:
    """``_update_available_resource``: usage from the reservations, every instance on the node and
    every migration in progress (``migrations``: the flavor each holds here). ``running_vms``
    counts the instances only."""
    placed = list(instances)
    usage = usage_of(
        [*placed, *migrations], reserved_host_memory_mb, reserved_host_disk_mb, reserved_host_cpus, overhead_mb
    )
    return ComputeNodeRecord(
        memory_mb=memory_mb,
        local_gb=local_gb,
        vcpus=vcpus,
        memory_mb_used=usage.memory_mb_used,
        local_gb_used=usage.local_gb_used,
        vcpus_used=usage.vcpus_used,
        running_vms=len(placed),
    )


@dataclass(frozen=True)
class Change:
    column: str
    before: int
    after: int

    def to_json(self) -> dict[str, Any]:
        return {"column": self.column, "before": self.before, "after": self.after}


def changes(before: ComputeNodeRecord, after: ComputeNodeRecord) -> list[Change]:
    """The written columns whose value differs (``compute_node.save()`` runs only if any does)."""
    old, new = before.columns(), after.columns()
    return [Change(name, old[name], new[name]) for name in COLUMNS if old[name] != new[name]]


def describe(before: ComputeNodeRecord, after: ComputeNodeRecord, *, every: bool = True) -> str:
    """The write as the flow shows it, Nova's column names with the numbers before and after:
    ``memory_mb_used 512 → 2560, …``; ``every`` False: only the columns that changed."""
    old, new = before.columns(), after.columns()
    shown = [name for name in COLUMNS if every or old[name] != new[name]]
    return ", ".join(f"{name} {old[name]} → {new[name]}" for name in shown)


def totals(record: ComputeNodeRecord) -> str:
    """The usage a periodic run reported, in Nova's column names."""
    return ", ".join(f"{name}={value}" for name, value in record.columns().items())


# -- _sync_power_states (nova-flow.md §3.3) ---------------------------------------------------------


@dataclass(frozen=True)
class SyncRule:
    """One row of the power-state sync's table: when it applies, what Nova does."""

    key: str
    vm_states: str  # as the table shows them
    driver: str  # the driver power states it applies to
    action: str | None  # "stop", "force_stop", "delete" (compute_api), or None
    text: str  # N_(): what Nova does, for the page


SYNC_RULES: tuple[SyncRule, ...] = (
    SyncRule("skip_task", N_("any, with a task_state"), N_("not read"), None,
             N_("Skipped: a task is in progress (task_state is set), the task's own steps will set the state.")),
    SyncRule("ignored_vm_state", "building, rescued, resized, suspended, error", N_("any"), None,
             N_("Only power_state is written; Nova takes no action for this vm_state.")),
    SyncRule("active_off", "active", "SHUTDOWN, CRASHED", "stop",
             N_("Instance shutdown by itself: power_state written, then compute_api.stop (no user, no project).")),
    SyncRule("active_off_terminate", "active", "SHUTDOWN, CRASHED", "delete",
             N_("Instance shutdown by itself with shutdown_terminate set: compute_api.delete.")),
    SyncRule("active_suspended", "active", "SUSPENDED", "stop",
             N_("Instance is suspended unexpectedly: compute_api.stop.")),
    SyncRule("active_paused", "active", "PAUSED", None, N_("Instance is paused unexpectedly: logged only.")),
    SyncRule("active_missing", "active", "NOSTATE", None, N_("Instance is unexpectedly not found: logged only.")),
    SyncRule("stopped_running", "stopped", "RUNNING, PAUSED, SUSPENDED", "force_stop",
             N_("Instance is not stopped: compute_api.force_stop.")),
    SyncRule("paused_off", "paused", "SHUTDOWN, CRASHED", "force_stop",
             N_("Paused instance shutdown by itself: compute_api.force_stop.")),
    SyncRule("deleted_running", "soft-delete, deleted", "RUNNING, PAUSED, SUSPENDED, CRASHED", None,
             N_("Instance is not (soft-)deleted: logged only.")),
    SyncRule("in_sync", N_("any other"), N_("any other"), None,
             N_("Nothing to do: the database agrees with the hypervisor.")),
)  # fmt: skip
RULES: dict[str, SyncRule] = {rule.key: rule for rule in SYNC_RULES}

_IGNORED = frozenset({VmState.BUILDING, VmState.RESCUED, VmState.RESIZED, VmState.SUSPENDED, VmState.ERROR})
_OFF = frozenset({PowerState.SHUTDOWN, PowerState.CRASHED})


@dataclass(frozen=True)
class PowerSyncDecision:
    """What the sync does to one instance: the rule, the power_state it writes (None: no write),
    and the compute API it calls (None: none)."""

    rule: SyncRule
    write_power_state: int | None
    action: str | None

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule.key, "write_power_state": self.write_power_state, "action": self.action}


def sync_instance_power_state(
    vm_state: str,
    task_state: str | None,
    db_power_state: int,
    driver_power_state: int,
    *,
    shutdown_terminate: bool = False,
) -> PowerSyncDecision:
    """``_sync_instance_power_state`` for one instance: skip it while a task runs; else write the
    driver's power_state if it differs, then apply the vm_state × driver state table
    (``SYNC_RULES``). ``driver_power_state`` is what ``get_info`` returns (NOSTATE when the
    driver does not know the instance)."""
    if task_state is not None:
        return PowerSyncDecision(RULES["skip_task"], None, None)
    seen = int(driver_power_state)
    write = seen if seen != int(db_power_state) else None
    if vm_state in _IGNORED:
        return PowerSyncDecision(RULES["ignored_vm_state"], write, None)
    if vm_state == VmState.ACTIVE:
        if seen in _OFF:
            rule = RULES["active_off_terminate" if shutdown_terminate else "active_off"]
            return PowerSyncDecision(rule, write, rule.action)
        if seen == PowerState.SUSPENDED:
            return PowerSyncDecision(RULES["active_suspended"], write, "stop")
        if seen == PowerState.PAUSED:
            return PowerSyncDecision(RULES["active_paused"], write, None)
        if seen == PowerState.NOSTATE:
            return PowerSyncDecision(RULES["active_missing"], write, None)
    elif vm_state == VmState.STOPPED:
        if seen not in (PowerState.NOSTATE, *_OFF):
            return PowerSyncDecision(RULES["stopped_running"], write, "force_stop")
    elif vm_state == VmState.PAUSED:
        if seen in _OFF:
            return PowerSyncDecision(RULES["paused_off"], write, "force_stop")
    elif vm_state in (VmState.SOFT_DELETED, VmState.DELETED):
        if seen not in (PowerState.NOSTATE, PowerState.SHUTDOWN):
            return PowerSyncDecision(RULES["deleted_running"], write, None)
    return PowerSyncDecision(RULES["in_sync"], write, None)


def counts_disagree(db_count: int, driver_count: int) -> bool:
    """``_sync_power_states`` logs a warning and syncs nothing when the driver's number of VMs
    differs from the database's (a host's instances the database lost, or the reverse)."""
    return db_count != driver_count


# -- the simulation's clock ------------------------------------------------------------------------


def scaled_seconds(nova_seconds: float, pace: float, minimum: float = 1.0) -> float:
    """How long ``nova_seconds`` of Nova's time lasts in a cloud of ``pace`` (seconds per lifecycle
    step): half a second of the simulation per Nova second at pace 1, in proportion to the pace
    (so 60 s is 30 s at pace 1, 15 s at pace 0.5), never less than ``minimum``."""
    return max(minimum, nova_seconds * pace / 2)
