"""The messages of what a compute node does on its own, and of its record's writes (issue 15 item 4):
the ResourceTracker's periodic ``update_available_resource``, the periodic ``_sync_power_states``
and the libvirt lifecycle event that runs the same sync at once, the abort of a claim when a build
fails after it, the stop the sync calls through the compute API (no HTTP: nova-compute calls
``compute_api.stop`` in its own process), and the change of a compute service's status
(``PUT /os-services``) that the deployment's health follows.

The rules (what is counted, which sync rule applies) are ``cloudlab.engine.resource_tracker``'s;
this module only says which service sends what to whom (nova-flow.md §3). Every message here is a
``Message`` like the operations' (``step`` "periodic", or "api" for the sync's stop), numbered
from 1. Pure: no Django, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloudlab.engine import resource_tracker as rt
from cloudlab.engine.i18n import N_
from cloudlab.engine.lifecycle import PowerState
from cloudlab.engine.lifecycle import TaskState as T

from .model import Message

PERIODIC = "periodic"

#: The periodic tasks and the lifecycle event the pages show, with Nova's own interval (seconds;
#: None: not periodic) and what each does.
TASKS: dict[str, tuple[int | None, str]] = {
    "update_available_resource": (rt.UPDATE_RESOURCES_INTERVAL, N_(
        "The ResourceTracker rebuilds the compute node's usage from its instances and writes the record if it "
        "changed.")),
    "_sync_power_states": (rt.SYNC_POWER_STATE_INTERVAL, N_(
        "The power-state sync compares each instance's power_state with what the hypervisor reports.")),
    "handle_lifecycle_event": (None, N_(
        "libvirt reported a guest's state change: nova-compute syncs that instance's power state at once.")),
    "os-services": (None, N_("An administrator changed the compute service: the scheduler and the pages follow it.")),
}  # fmt: skip


@dataclass
class _Rows:
    era: str
    step: str = PERIODIC
    ref: str = "3.2"
    task: str | None = None

    def __post_init__(self) -> None:
        self.messages: list[Message] = []

    def add(self, src: str, dst: str, kind: str, name: str, detail: str = "", *, status: str = "ok",
            note: str = "", era: str | None = None, task: Any = False) -> None:  # fmt: skip
        if era is not None and era != self.era:
            return
        if task is not False:
            self.task = task
        self.messages.append(Message(
            seq=len(self.messages) + 1, src=src, dst=dst, kind=kind, name=name, detail=detail,
            task_state=self.task, step=self.step, ref=self.ref, era=era, status=status, note=note,
        ))  # fmt: skip

    def save(self, columns: str, *, task: Any = False) -> None:
        """nova-compute saves the instance: a call to the conductor, which writes the row."""
        self.add("nova-compute", "nova-conductor", "rpc_call", "object_action", f"Instance.save(): {columns}",
                 task=task)  # fmt: skip
        self.add("nova-conductor", "database", "db_write", "instances", columns)


def _node_save(rows: _Rows, before: rt.ComputeNodeRecord, after: rt.ComputeNodeRecord, *, periodic: bool) -> None:
    """The compute_nodes write, through the conductor, with the numbers before and after; a
    periodic run whose view did not change writes nothing (``compute_node.save()`` skipped)."""
    changed = rt.changes(before, after)
    if periodic and not changed:
        rows.add("nova-compute", "nova-conductor", "rpc_call", "object_action", "ComputeNode.save(): not called",
                 status="skipped", note=N_("The rebuilt usage equals the record: nothing is written."))  # fmt: skip
        return
    rows.add("nova-compute", "nova-conductor", "rpc_call", "object_action", "ComputeNode.save()")
    note = N_("The rebuilt usage differs from the record: the periodic task corrects it.") if periodic else ""
    rows.add("nova-conductor", "database", "db_write", "compute_nodes",
             rt.describe(before, after, every=not periodic), note=note)  # fmt: skip


def claim_write(before: rt.ComputeNodeRecord, after: rt.ComputeNodeRecord) -> str:
    """The detail of a claim's (or its abort's) compute_nodes write: every column, before → after."""
    return rt.describe(before, after)


def update_available_resource(era: str, before: rt.ComputeNodeRecord, after: rt.ComputeNodeRecord) -> list[Message]:
    """One run of the periodic ``update_available_resource`` on a compute node (§3.2): the
    driver's totals, this host's instances and migrations read, usage rebuilt from the
    reservations, the provider tree synced (placement era), the record saved if it changed."""
    rows = _Rows(era)
    rows.add("nova-compute", "hypervisor", "driver", "get_available_resource",
             f"vcpus={after.vcpus}, memory_mb={after.memory_mb}, local_gb={after.local_gb}, hypervisor_type")
    rows.add("nova-compute", "nova-conductor", "rpc_call", "object_class_action_versions",
             "InstanceList.get_by_host_and_node, MigrationList.get_in_progress_by_host_and_node")  # fmt: skip
    rows.add("nova-conductor", "database", "db_read", "instances, migrations",
             "this node's instances and its migrations in progress")  # fmt: skip
    rows.add("nova-compute", "nova-compute", "local", "_update_available_resource",
             f"usage = reserved + every instance + every migration in progress: {rt.totals(after)}",
             note=N_("The usage the node reports, counted again from its instances."))  # fmt: skip
    rows.add("nova-compute", "placement-api", "http", "GET /resource_providers?in_tree={compute_node_uuid}",
             "the provider tree; its inventories are PUT only if they changed", era="placement")  # fmt: skip
    _node_save(rows, before, after, periodic=True)
    return rows.messages


@dataclass(frozen=True)
class SyncCheck:
    """One instance the power-state sync looked at, and what it decided."""

    name: str
    vm_state: str
    task_state: str | None
    db_power_state: int
    driver_power_state: int
    decision: rt.PowerSyncDecision


def _power(state: int) -> str:
    try:
        return f"{int(state)} ({PowerState(int(state)).name})"
    except ValueError:
        return str(state)


def _sync_one(rows: _Rows, check: SyncCheck) -> None:
    decision = check.decision
    rule = decision.rule
    if rule.key == "skip_task":
        rows.add("nova-compute", "nova-compute", "local", "_sync_instance_power_state",
                 f"{check.name}: task_state={check.task_state}: skipped", status="skipped", note=rule.text,
                 task=check.task_state)  # fmt: skip
        return
    rows.add("nova-compute", "hypervisor", "driver", "get_info",
             f"{check.name}: power_state {_power(check.driver_power_state)}", task=None)  # fmt: skip
    rows.add("nova-compute", "nova-compute", "local", "_sync_instance_power_state",
             f"{check.name}: vm_state={check.vm_state}, database power_state {_power(check.db_power_state)}, "
             f"driver {_power(check.driver_power_state)}: rule {rule.key}", note=rule.text)  # fmt: skip
    if decision.write_power_state is not None:
        rows.save(f"power_state={decision.write_power_state}")
    if decision.action in ("stop", "force_stop"):
        _api_stop(rows, decision.action)
    elif decision.action == "delete":
        rows.add("nova-compute", "nova-compute", "local", "compute_api.delete", "shutdown_terminate")


def _api_stop(rows: _Rows, method: str = "stop") -> None:
    """``compute_api.stop`` called by nova-compute itself, in an admin context (no user, no
    project): the API layer's writes go through the conductor, the cast to its own queue."""
    rows.add("nova-compute", "nova-compute", "local", f"compute_api.{method}",
             "get_admin_context(): user_id=None, project_id=None, a new request_id")  # fmt: skip
    rows.save("task_state=powering-off (expected None)", task=T.POWERING_OFF)
    rows.add("nova-conductor", "database", "db_write", "instance_actions",
             "action=stop, user_id=NULL, project_id=NULL, request_id")  # fmt: skip
    rows.add("nova-compute", "nova-compute", "rpc_cast", "stop_instance", "queue compute.<this host>: its own queue")


def sync_stop_api(era: str) -> list[Message]:
    """nova-api's part of a stop the power-state sync asked for: there is no HTTP request, the
    compute service calls the compute API in its own process (``step`` "api")."""
    rows = _Rows(era, step="api", ref="3.3")
    _api_stop(rows)
    return rows.messages


def sync_power_states(era: str, db_count: int, driver_count: int, checks: list[SyncCheck]) -> list[Message]:
    """One run of the periodic ``_sync_power_states`` on a compute node (§3.3): the database's
    instances of this host against the driver's count; if they agree, each instance synced under
    its rule (skipped while a task runs)."""
    rows = _Rows(era, ref="3.3")
    rows.add("nova-compute", "nova-conductor", "rpc_call", "object_class_action_versions", "InstanceList.get_by_host")
    rows.add("nova-conductor", "database", "db_read", "instances", f"{db_count} instance(s) on this host")
    rows.add("nova-compute", "hypervisor", "driver", "get_num_instances", f"{driver_count} domain(s)")
    if rt.counts_disagree(db_count, driver_count):
        rows.add("nova-compute", "nova-compute", "local", "_sync_power_states",
                 f"found {db_count} instances in the database and {driver_count} instances on the hypervisor",
                 status="skipped", note=N_("The counts disagree: Nova logs a warning and syncs nothing."))  # fmt: skip
        return rows.messages
    for check in checks:
        _sync_one(rows, check)
    return rows.messages


def lifecycle_event(era: str, check: SyncCheck, event: str = "STOPPED") -> list[Message]:
    """libvirt's lifecycle event for one guest (held back ``LIFECYCLE_EVENT_DELAY`` s for STOPPED),
    handled by nova-compute with the same sync as the periodic task, for that instance only."""
    rows = _Rows(era, ref="3.3")
    rows.add("hypervisor", "nova-compute", "driver", f"EVENT_LIFECYCLE_{event}",
             f"{check.name}: the guest powered itself off; libvirt emitted the event {rt.LIFECYCLE_EVENT_DELAY} s "
             "later (_event_emit_delayed), nothing having followed it")  # fmt: skip
    rows.add("nova-compute", "nova-compute", "local", "handle_lifecycle_event",
             "power_state SHUTDOWN, the driver still agrees: sync now")  # fmt: skip
    _sync_one(rows, check)
    return rows.messages


def claim_abort(era: str, before: rt.ComputeNodeRecord, after: rt.ComputeNodeRecord, task: str | None) -> list[Message]:
    """A build failed after its claim (network, block devices, spawn: BuildAbortException): the
    claim's context manager aborts it (``abort_instance_claim``), the usage leaves the record,
    the allocation is deleted, the instance ends in error, no reschedule (§3.1, §2.1)."""
    rows = _Rows(era, step="", ref="3.1", task=task)
    rows.add("nova-compute", "nova-compute", "local", "abort_instance_claim",
             "the claim's context manager exits with the error: usage removed, host and node cleared",
             note=N_("The build failed after its claim: the claim is given back, the instance ends in "
                     "error."))  # fmt: skip
    rows.add("nova-compute", "nova-conductor", "rpc_call", "object_action", "ComputeNode.save()")
    rows.add("nova-conductor", "database", "db_write", "compute_nodes", claim_write(before, after))
    rows.add("nova-compute", "placement-api", "http", "DELETE /allocations/{instance_uuid}", "", era="placement")
    rows.save("vm_state=error, task_state=None, host=None, node=None; instance fault", task=None)
    return rows.messages


#: What each service action of Admin → Compute Host is in Nova's API (``PUT /os-services/{id}``,
#: microversion 2.53): the body and the services columns written.
SERVICE_CHANGES: dict[str, tuple[str, str, str]] = {
    "disable": ('{"status": "disabled", "disabled_reason": "<reason>"}', "disabled=True, disabled_reason",
                N_("The service is disabled: ComputeFilter skips this host, its instances keep running.")),
    "enable": ('{"status": "enabled"}', "disabled=False, disabled_reason=NULL",
               N_("The service is enabled again: the scheduler may choose this host.")),
    "mark_down": ('{"forced_down": true}', "forced_down=True",
                  N_("The service is forced down (its heartbeat counts for nothing): the scheduler skips the host, "
                     "messages cast to it wait in its queue.")),
    "bring_up": ('{"forced_down": false}', "forced_down=False, updated_at (heartbeat again)",
                 N_("The service is up again: its heartbeat counts, the messages waiting in its queue are delivered.")),
}  # fmt: skip


def service_change(era: str, action: str) -> list[Message]:
    """An administrator's ``PUT /os-services/{service_id}`` on a host's nova-compute."""
    body, columns, note = SERVICE_CHANGES[action]
    rows = _Rows(era, ref="1.1")
    rows.add("client", "nova-api", "http", "PUT /v2.1/os-services/{service_id}", body)
    rows.add("nova-api", "keystone", "http", "GET /v3/auth/tokens",
             "an admin token (policy os_compute_api:os-services)")  # fmt: skip
    rows.add("nova-api", "database", "db_write", "services", columns, note=note)
    rows.add("nova-api", "client", "reply", "200 OK", "the service")
    return rows.messages
