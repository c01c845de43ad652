"""The flow tables: for every operation, who sends whom what, in order, in both eras.

Each builder writes the rows of one operation with a ``_Table``: ``t.step(key, task)`` opens the
lifecycle plan step the next rows belong to (and the task_state they coincide with), ``t.add``
appends a row (``era=`` for a row only one era has, ``per=True`` for a boot's per-instance rows).
``flow`` then keeps the era's rows, repeats the per-instance rows ``count`` times, applies the
outcome and numbers the messages. References (``ref``) are the rows of nova-flow.md §2.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from cloudlab.engine import lifecycle
from cloudlab.engine.i18n import N_
from cloudlab.engine.lifecycle import TaskState as T

from .model import ERAS, OUTCOMES, Flow, Message

API = "api"
KEEP = object()  # a row keeps the table's current task_state

#: The branches of a plan that change its steps, per operation (``variant_of`` picks one).
VARIANTS: dict[str, tuple[str, ...]] = {
    "delete": ("local",),
    "unshelve": ("shelved",),
    "shelve": ("keep",),
    "rebuild": ("stopped",),
    "evacuate": ("stopped",),
    "revert_resize": ("stopped",),
}


def variant_of(
    operation: str,
    *,
    vm_state: str,
    power_state: int = 1,
    params: Mapping[str, Any] | None = None,
    has_host: bool = True,
    host_up: bool = True,
) -> str | None:
    """The plan's branch for a request that found the instance so (``lifecycle.plan``'s inputs)."""
    params = params or {}
    if operation == "delete":
        return None if has_host and host_up else "local"
    if operation == "unshelve":
        return "shelved" if vm_state == lifecycle.VmState.SHELVED else None
    if operation == "shelve":
        offload = int(params.get("shelved_offload_time", lifecycle.plans.DEFAULT_SHELVED_OFFLOAD_TIME))
        return None if offload == 0 else "keep"
    if operation in ("rebuild", "evacuate"):
        return "stopped" if vm_state == lifecycle.VmState.STOPPED else None
    if operation == "revert_resize":
        old = params.get("old_vm_state") or ("stopped" if int(power_state) == 4 else "active")
        return "stopped" if old == lifecycle.VmState.STOPPED else None
    return None


def step_keys(plan: lifecycle.Plan) -> list[str]:
    """The key of each of ``plan.steps``: its event, or ``<phase event>#<n>`` for the n-th
    step without one since that event (``api#n`` before any)."""
    keys: list[str] = []
    phase, n = API, 0
    for step in plan.steps:
        if step.event:
            phase, n = step.event, 0
            keys.append(phase)
        else:
            n += 1
            keys.append(f"{phase}#{n}")
    return keys


@dataclass
class _Row:
    ref: str
    src: str
    dst: str
    kind: str
    name: str
    detail: str
    task_state: str | None
    step: str
    era: str | None
    per: bool
    status: str = "ok"
    note: str = ""
    attempt: int = 1


class _Table:
    def __init__(self, era: str, outcome: str | None, variant: str | None) -> None:
        self.era, self.outcome, self.variant = era, outcome, variant
        self.rows: list[_Row] = []
        self.current_step, self.task = API, None  # type: str, str | None
        self.attempt = 1

    def step(self, key: str, task: str | object | None = KEEP) -> None:
        self.current_step = key
        if task is not KEEP:
            self.task = task  # type: ignore[assignment]

    def add(
        self,
        ref: str,
        src: str,
        dst: str,
        kind: str,
        name: str,
        detail: str = "",
        *,
        era: str | None = None,
        per: bool = False,
        task: str | object | None = KEEP,
        status: str = "ok",
        note: str = "",
    ) -> None:
        if task is not KEEP:
            self.task = task  # type: ignore[assignment]
        self.rows.append(_Row(ref, src, dst, kind, name, detail, self.task, self.current_step, era, per,
                              status, note, self.attempt))  # fmt: skip

    def save(self, ref: str, columns: str, *, era: str | None = None, per: bool = False,
             task: str | object | None = KEEP) -> None:  # fmt: skip
        """nova-compute saves the instance: an RPC call to the conductor, which writes the row."""
        self.add(ref, "nova-compute", "nova-conductor", "rpc_call", "object_action", f"Instance.save(): {columns}",
                 era=era, per=per, task=task)  # fmt: skip
        self.add(ref, "nova-conductor", "database", "db_write", "instances", columns, era=era, per=per)

    # -- the parts every row action shares (nova-flow.md §1.4) -----------------------------------

    def request(self, method: str, path: str, body: str, ref: str) -> None:
        self.step(API)
        self.add(ref, "client", "nova-api", "http", f"{method} {path}", body)
        self.add("1.4#1", "nova-api", "keystone", "http", "GET /v3/auth/tokens",
                 "authtoken validates X-Subject-Token (cached 300 s)")  # fmt: skip
        self.add("1.4#2", "nova-api", "database", "db_read", "instance_mappings, instances",
                 "load the instance; check lock, host and state (409 if refused)")  # fmt: skip

    def accept(self, task: str | None, action: str, ref: str, columns: str = "") -> None:
        written = columns or f"task_state={task}"
        self.add(ref, "nova-api", "database", "db_write", "instances", f"{written} (save with expected_task_state)",
                 task=task)  # fmt: skip
        self.add("1.4#2", "nova-api", "database", "db_write", "instance_actions", f"action={action}, request_id")

    def answer(self, code: str, ref: str = "1.4#3") -> None:
        self.add(ref, "nova-api", "client", "reply", code)


# -- the boot (nova-flow.md §2.1, §5) ---------------------------------------------------------------


def _boot_api(t: _Table) -> None:
    t.step(API, T.SCHEDULING)
    t.add("2.1#1", "client", "nova-api", "http", "POST /v2.1/servers",
          "name, imageRef, flavorRef, networks, min_count/max_count", task=None)  # fmt: skip
    t.add("2.1#2", "nova-api", "keystone", "http", "GET /v3/auth/tokens", "cached 300 s")
    t.add("2.1#3", "nova-api", "glance-api", "http", "GET /v2/images/{image_id}",
          "status, min_disk, min_ram, properties")  # fmt: skip
    t.add("2.1#4", "nova-api", "database", "db_read", "flavors", "flavor lookup")
    t.add("2.1#5", "nova-api", "neutron-server", "http", "GET /v2.0/networks", "validate the requested networks; "
          "GET /v2.0/quotas/{project}, GET /v2.0/ports", era="placement")  # fmt: skip
    t.add("2.1#6", "nova-api", "database", "db_read", "instances", "quota: count instances, cores and ram of the "
          "project across cells", era="placement")  # fmt: skip
    t.add("5#quota", "nova-api", "database", "db_write", "quota_usages, reservations", "quota reserve",
          era="classic")  # fmt: skip
    t.add("2.1#7", "nova-api", "database", "db_write", "request_specs, build_requests, instance_mappings",
          "nova_api DB, one transaction per instance; cell_mapping NULL; building/scheduling in the BuildRequest",
          era="placement", per=True, task=T.SCHEDULING)  # fmt: skip
    t.add("5#boot", "nova-api", "database", "db_write", "instances, instance_actions",
          "vm_state=building, task_state=scheduling; action=create", era="classic", per=True, task=T.SCHEDULING)
    t.add("2.1#8", "nova-api", "nova-conductor", "rpc_cast", "schedule_and_build_instances",
          "1.17, queue conductor: all N build requests and request specs", era="placement")  # fmt: skip
    t.add("5#boot", "nova-api", "nova-conductor", "rpc_cast", "build_instances", "queue conductor",
          era="classic")  # fmt: skip
    t.answer("202 Accepted", "2.1#9")


def _boot_schedule(t: _Table, count: int) -> None:
    t.step("schedule_instances", T.SCHEDULING)
    t.add("5#retry", "nova-conductor", "nova-conductor", "local", "populate_retry", "retry.num_attempts += 1",
          era="classic")  # fmt: skip
    t.add("2.1#10", "nova-conductor", "nova-scheduler", "rpc_call", "select_destinations",
          f"4.5, queue scheduler, {count} instance uuid(s), return_alternates=True", era="placement")  # fmt: skip
    t.add("5#boot", "nova-conductor", "nova-scheduler", "rpc_call", "select_destinations",
          f"queue scheduler, {count} instance uuid(s)", era="classic")  # fmt: skip
    t.add("2.1#11", "nova-scheduler", "placement-api", "http", "GET /allocation_candidates",
          "resources=VCPU:v,MEMORY_MB:m,DISK_GB:d&limit=1000, microversion 1.36", era="placement")  # fmt: skip
    t.add("2.1#12", "nova-scheduler", "database", "db_read", "compute_nodes", "HostState of each candidate")
    t.add("2.1#12", "nova-scheduler", "nova-scheduler", "local", "filters, weighers",
          "the funnel: filter each host, weigh the rest, pick the best")  # fmt: skip
    if t.outcome == "no_valid_host":
        _boot_no_valid_host(t)
        return
    if t.outcome == "max_retries" and t.era == "placement":
        _boot_max_retries_placement(t)
        return
    if t.outcome == "claim_race":
        t.add("2.1#13", "nova-scheduler", "placement-api", "http", "PUT /allocations/{instance_uuid}",
              "409 Conflict: the chosen host's resource provider no longer has the room (another request "
              "claimed it first)", era="placement", per=True, status="failed", note=N_(
                  "Placement refused the claim on the chosen host: another request took the room first. "
                  "The scheduler claims on the next host of its weighed list."))  # fmt: skip
    t.add("2.1#13", "nova-scheduler", "placement-api", "http", "PUT /allocations/{instance_uuid}",
          "claim VCPU, MEMORY_MB, DISK_GB on the chosen host's resource provider (204)"
          if t.outcome != "claim_race" else "claim on the next host of the weighed list (204)",
          era="placement", per=True)  # fmt: skip
    t.add("2.1#14", "nova-scheduler", "nova-scheduler", "local", "_get_alternate_hosts",
          "consume the host in memory; up to max_attempts-1 = 2 alternates", era="placement")  # fmt: skip
    t.add("2.1#14", "nova-scheduler", "nova-conductor", "reply", "select_destinations", "the Selection lists")
    t.add("2.1#15", "nova-conductor", "database", "db_write", "instances, instance_extra, instance_system_metadata",
          "cell1 DB: instance.create() (host still NULL)", era="placement", per=True)  # fmt: skip
    t.add("2.1#16", "nova-conductor", "database", "db_read", "instances", "quota recheck (delta 0)",
          era="placement")  # fmt: skip
    t.add("2.1#17", "nova-conductor", "database", "db_write",
          "instance_actions, block_device_mapping, instance_mappings, build_requests",
          "action create; BDMs; mapping cell_id=cell1; build request deleted", era="placement", per=True)
    t.add("2.1#18", "nova-conductor", "nova-compute", "rpc_cast", "build_and_run_instance",
          "6.0, queue compute.<host>: request_spec, filter_properties (retry), host_list, node, limits", per=True)
    if t.outcome == "reschedule":
        _boot_reschedule(t)
    elif t.outcome == "max_retries":
        _boot_max_retries_classic(t)


def _boot_no_valid_host(t: _Table) -> None:
    note = N_("No valid host was found: the instance ends in error, nothing is built.")
    t.add("2.1#14", "nova-scheduler", "nova-conductor", "reply", "NoValidHost", "No valid host was found.",
          status="failed", note=note)  # fmt: skip
    t.add("2.1#f11", "nova-conductor", "database", "db_write", "instances, instance_faults, instance_actions_events",
          "cell0 DB (_bury_in_cell0): vm_state=error, task_state=None; fault 500; create event failed",
          era="placement", per=True, task=None)  # fmt: skip
    t.add("2.1#f11", "nova-conductor", "database", "db_write", "instance_mappings, build_requests",
          "mapping cell_id=cell0; build request deleted", era="placement", per=True)  # fmt: skip
    t.add("5#nvh", "nova-conductor", "database", "db_write", "instances, instance_faults",
          "vm_state=error, task_state=None; fault NoValidHost (set_vm_state_and_notify)", era="classic", per=True,
          task=None)  # fmt: skip


_MAX_RETRIES_NOTE = N_("The attempts ran out: MaxRetriesExceeded, the instance ends in error (not NoValidHost: "
                       "hosts passed the filters, but every claim failed).")


def _boot_max_retries_placement(t: _Table) -> None:
    """Every claim of the pass failed: on the chosen host and on each alternate."""
    t.add("2.1#13", "nova-scheduler", "placement-api", "http", "PUT /allocations/{instance_uuid}",
          "409 Conflict on the chosen host, then on each alternate", era="placement", per=True, status="failed",
          note=N_("Placement refused the claim on every host the scheduler could offer."))  # fmt: skip
    t.add("2.1#fR", "nova-conductor", "nova-conductor", "local", "MaxRetriesExceeded",
          "Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures "
          "for instance <uuid>.", per=True, status="failed", note=_MAX_RETRIES_NOTE)  # fmt: skip
    t.add("2.1#fR", "nova-conductor", "database", "db_write", "instances, instance_faults",
          "vm_state=error, task_state=None; fault MaxRetriesExceeded (_cleanup_when_reschedule_fails)", per=True,
          task=None)  # fmt: skip


def _boot_max_retries_classic(t: _Table) -> None:
    """The claim failed on the last host the attempts allowed: the reschedule is refused."""
    t.add("5#claim", "nova-compute", "nova-compute", "local", "instance_claim",
          "RAM, disk or vCPU no longer fit the limits: RescheduledException", per=True, status="failed",
          note=N_("The claim failed on this host: nova-compute hands the build back to be rescheduled."))  # fmt: skip
    t.save("2.1#fR", "host=None, node=None, task_state=scheduling", per=True, task=T.SCHEDULING)
    t.add("5#resched", "nova-compute", "nova-conductor", "rpc_cast", "build_instances",
          "queue conductor: filter_properties with retry (hosts tried)", per=True)  # fmt: skip
    t.add("5#retry", "nova-conductor", "nova-conductor", "local", "populate_retry",
          "retry.num_attempts > scheduler_max_attempts", per=True)  # fmt: skip
    t.add("5#retry", "nova-conductor", "nova-conductor", "local", "MaxRetriesExceeded",
          "Exceeded max scheduling attempts <max_attempts> for instance <uuid>. Last exception: <reason>",
          per=True, status="failed", note=_MAX_RETRIES_NOTE)  # fmt: skip
    t.add("5#nvh", "nova-conductor", "database", "db_write", "instances, instance_faults",
          "vm_state=error, task_state=None; fault MaxRetriesExceeded (set_vm_state_and_notify)", per=True,
          task=None)  # fmt: skip


def _boot_reschedule(t: _Table) -> None:
    """The claim on the first host fails on arrival: the compute node hands the build back."""
    note = N_("The claim failed on this host: nova-compute hands the build back to be rescheduled.")
    t.add("2.1#19", "nova-compute", "nova-compute", "local", "instance_claim",
          "ComputeResourcesUnavailable -> RescheduledException", per=True, status="failed", note=note)  # fmt: skip
    t.save("2.1#fR", "host=None, node=None, task_state=scheduling", per=True, task=T.SCHEDULING)
    t.add("2.1#fR", "nova-compute", "placement-api", "http", "DELETE /allocations/{instance_uuid}", "",
          era="placement", per=True)  # fmt: skip
    t.add("2.1#fR", "nova-compute", "nova-conductor", "rpc_cast", "build_instances",
          "queue conductor: host_lists = the remaining alternates", era="placement", per=True)  # fmt: skip
    t.add("5#resched", "nova-compute", "nova-conductor", "rpc_cast", "build_instances",
          "queue conductor: filter_properties with retry (hosts tried)", era="classic", per=True)  # fmt: skip
    t.attempt = 2
    t.add("2.1#fR", "nova-conductor", "nova-conductor", "local", "populate_retry", "retry.num_attempts = 2",
          per=True)  # fmt: skip
    t.add("2.1#fR", "nova-conductor", "placement-api", "http", "PUT /allocations/{instance_uuid}",
          "claim on the next alternate; the scheduler is not called again", era="placement", per=True)  # fmt: skip
    t.add("5#resched", "nova-conductor", "nova-scheduler", "rpc_call", "select_destinations",
          "again; RetryFilter drops the (host, node) already tried", era="classic", per=True)  # fmt: skip
    t.add("5#resched", "nova-scheduler", "nova-scheduler", "local", "filters, weighers",
          "RetryFilter rejects the host tried", era="classic", per=True)  # fmt: skip
    t.add("5#resched", "nova-scheduler", "nova-conductor", "reply", "select_destinations", "another host",
          era="classic", per=True)  # fmt: skip
    t.add("2.1#18", "nova-conductor", "nova-compute", "rpc_cast", "build_and_run_instance",
          "queue compute.<alternate host>", per=True)  # fmt: skip


def _boot_compute(t: _Table) -> None:
    t.step("compute_allocate_network", None)
    t.save("2.1#19", "task_state=None (expected scheduling)", per=True, task=None)
    t.add("2.1#20", "nova-compute", "placement-api", "http", "GET /allocations/{instance_uuid}", "",
          era="placement", per=True)  # fmt: skip
    t.add("2.1#21", "nova-compute", "nova-compute", "local", "instance_claim",
          "ResourceTracker, lock compute_resources: NUMA and PCI fit", era="placement", per=True)  # fmt: skip
    t.add("5#claim", "nova-compute", "nova-compute", "local", "instance_claim",
          "ResourceTracker: RAM, disk and vCPU against the filters' limits", era="classic", per=True)  # fmt: skip
    t.save("2.1#21", "host, node, launched_on", per=True)
    t.add("2.1#21", "nova-conductor", "database", "db_write", "compute_nodes",
          "memory_mb_used, vcpus_used, local_gb_used, free_ram_mb, free_disk_gb, running_vms", per=True)  # fmt: skip
    t.save("2.1#23", "task_state=networking (expected None)", per=True, task=T.NETWORKING)
    t.add("2.1#24", "nova-compute", "neutron-server", "http", "POST /v2.0/ports",
          "network_id, device_id=<instance uuid>, tenant_id, security_groups (status DOWN)", era="placement",
          per=True)  # fmt: skip
    t.add("2.1#25", "nova-compute", "neutron-server", "http", "PUT /v2.0/ports/{port_id}",
          "device_owner compute:<az>, binding:host_id=<host>", era="placement", per=True)  # fmt: skip
    t.add("2.1#25", "nova-compute", "neutron-server", "http", "GET /v2.0/ports, /v2.0/subnets",
          "build network_info", era="placement", per=True)  # fmt: skip
    t.add("5#net", "nova-compute", "nova-network", "rpc_call", "allocate_for_instance", "queue network.<host>",
          era="classic", per=True)  # fmt: skip
    t.add("5#net", "nova-network", "database", "db_write", "fixed_ips, virtual_interfaces",
          "a fixed IP leased to the instance", era="classic", per=True)  # fmt: skip
    t.add("5#net", "nova-network", "nova-compute", "reply", "allocate_for_instance", "network_info",
          era="classic", per=True)  # fmt: skip
    t.save("2.1#25", "instance_info_caches.network_info, virtual_interfaces", era="placement", per=True)

    t.step("compute_prep_block_device", T.BLOCK_DEVICE_MAPPING)
    t.save("2.1#26", "task_state=block_device_mapping (expected networking)", per=True)
    t.add("2.1#27", "nova-compute", "nova-compute", "local", "_prep_block_device",
          "block_device_info: swap, ephemeral (no Cinder for an image-backed boot)", per=True)  # fmt: skip

    t.step("compute_spawn", T.SPAWNING)
    t.save("2.1#28", "task_state=spawning (expected block_device_mapping)", per=True)
    t.add("2.1#29", "nova-compute", "glance-api", "http", "GET /v2/images/{image_id}/file",
          "into the cache _base/<sha1(image id)> unless there; qcow2 overlay instances/<uuid>/disk", per=True)
    t.add("2.1#30", "nova-compute", "nova-compute", "local", "_get_guest_xml", "the domain XML", per=True)
    t.add("2.1#31", "nova-compute", "hypervisor", "driver", "spawn",
          "plug_vifs; virDomainDefineXML; virDomainCreateWithFlags(START_PAUSED) until network-vif-plugged",
          era="placement", per=True)  # fmt: skip
    t.add("5#spawn", "nova-compute", "hypervisor", "driver", "spawn", "virDomainDefineXML; virDomainCreateWithFlags",
          era="classic", per=True)  # fmt: skip
    t.add("2.1#32", "network-agent", "neutron-server", "rpc_call", "update_device_list", "the port wired: ACTIVE",
          era="placement", per=True)  # fmt: skip
    t.add("2.1#32", "neutron-server", "nova-api", "http", "POST /v2.1/os-server-external-events",
          "network-vif-plugged, tag=<port id>", era="placement", per=True)  # fmt: skip
    t.add("2.1#32", "nova-api", "nova-compute", "rpc_cast", "external_instance_event", "queue compute-alt.<host>",
          era="placement", per=True)  # fmt: skip
    t.add("2.1#33", "nova-compute", "hypervisor", "driver", "virDomainResume", "", era="placement", per=True)
    t.add("2.1#33", "nova-compute", "hypervisor", "driver", "get_info", "poll every 0.5 s until RUNNING", per=True)

    t.step("compute_spawn#1", None)
    t.save("2.1#34", "vm_state=active, task_state=None, power_state=1, launched_at (expected spawning)", per=True,
           task=None)  # fmt: skip
    t.add("2.1#35", "nova-compute", "nova-scheduler", "rpc_fanout", "update_instance_info", "scheduler_fanout",
          era="placement", per=True)  # fmt: skip


def _boot(t: _Table, count: int) -> None:
    _boot_api(t)
    _boot_schedule(t, count)
    if t.outcome not in ("no_valid_host", "max_retries"):
        _boot_compute(t)


# -- the row actions (nova-flow.md §2.2–2.12) -------------------------------------------------------


def _compute_cast(t: _Table, method: str, ref: str, host: str = "<host>") -> None:
    t.add(ref, "nova-api", "nova-compute", "rpc_cast", method, f"queue compute.{host}")


def _network_info(t: _Table, ref: str) -> None:
    t.add(ref, "nova-compute", "neutron-server", "http", "GET /v2.0/ports?device_id=<uuid>", "network_info",
          era="placement")  # fmt: skip
    t.add(ref, "nova-compute", "nova-conductor", "rpc_call", "object_action", "network_info from the info cache",
          era="classic")  # fmt: skip


@dataclass(frozen=True)
class _Simple:
    """An action whose manager method works, then writes the final state (``plans._simple``)."""

    body: str
    task: str
    action: str
    rpc: str
    event: str
    driver: str
    driver_detail: str
    final: str
    ref: str
    code: str = "202 Accepted"
    network: bool = False


_SIMPLE: dict[str, _Simple] = {
    "stop": _Simple('{"os-stop": null}', T.POWERING_OFF, "stop", "stop_instance", "compute_stop_instance",
                    "power_off", "virDomainShutdown (ACPI), after 60 s virDomainDestroy",
                    "vm_state=stopped, task_state=None, power_state=4", "2.2#S"),
    "start": _Simple('{"os-start": null}', T.POWERING_ON, "start", "start_instance", "compute_start_instance",
                     "power_on", "hard reboot: destroy, regenerate the XML, define and start",
                     "vm_state=active, task_state=None, power_state=1", "2.2#T", network=True),
    "pause": _Simple('{"pause": null}', T.PAUSING, "pause", "pause_instance", "compute_pause_instance",
                     "pause", "virDomainSuspend", "vm_state=paused, task_state=None, power_state=3", "2.4#pause"),
    "unpause": _Simple('{"unpause": null}', T.UNPAUSING, "unpause", "unpause_instance", "compute_unpause_instance",
                       "unpause", "virDomainResume", "vm_state=active, task_state=None, power_state=1",
                       "2.4#unpause"),
    "suspend": _Simple('{"suspend": null}', T.SUSPENDING, "suspend", "suspend_instance", "compute_suspend_instance",
                       "suspend", "virDomainManagedSave (RAM saved to disk)",
                       "vm_state=suspended, task_state=None, power_state=4", "2.4#suspend"),
    "resume": _Simple('{"resume": null}', T.RESUMING, "resume", "resume_instance", "compute_resume_instance",
                      "resume", "the guest recreated from the managed-save image",
                      "vm_state=active, task_state=None, power_state=1", "2.4#resume", network=True),
    "rescue": _Simple('{"rescue": {}}', T.RESCUING, "rescue", "rescue_instance", "compute_rescue_instance",
                      "rescue", "rescue disks from the image cache, rescue XML, the rescue domain started",
                      "vm_state=rescued, task_state=None, power_state=1", "2.10#rescue", "200 OK", network=True),
    "unrescue": _Simple('{"unrescue": null}', T.UNRESCUING, "unrescue", "unrescue_instance",
                        "compute_unrescue_instance", "unrescue", "back to the original domain",
                        "vm_state=active, task_state=None, power_state=1", "2.10#unrescue"),
}  # fmt: skip


def _simple(op: str) -> Callable[[_Table], None]:
    s = _SIMPLE[op]

    def build(t: _Table) -> None:
        t.request("POST", "/v2.1/servers/{id}/action", s.body, f"{s.ref}1")
        t.accept(s.task, s.action, f"{s.ref}1")
        _compute_cast(t, s.rpc, f"{s.ref}2")
        t.answer(s.code)
        t.step(s.event, s.task)
        if s.network:
            _network_info(t, f"{s.ref}3")
        if op == "rescue":
            t.add(f"{s.ref}3", "nova-compute", "glance-api", "http", "GET /v2/images/{image_id}/file",
                  "the rescue image (the instance's own), via the cache")  # fmt: skip
        t.add(f"{s.ref}3", "nova-compute", "hypervisor", "driver", s.driver, s.driver_detail)
        t.step(f"{s.event}#1", None)
        t.save(f"{s.ref}4", s.final, task=None)

    return build


def _reboot(hard: bool) -> Callable[[_Table], None]:
    kind = "HARD" if hard else "SOFT"
    requested, pending, started = (
        (T.REBOOTING_HARD, T.REBOOT_PENDING_HARD, T.REBOOT_STARTED_HARD)
        if hard
        else (T.REBOOTING, T.REBOOT_PENDING, T.REBOOT_STARTED)
    )

    def build(t: _Table) -> None:
        t.request("POST", "/v2.1/servers/{id}/action", f'{{"reboot": {{"type": "{kind}"}}}}', "2.3#1")
        t.accept(requested, "reboot", "2.3#1")
        _compute_cast(t, "reboot_instance", "2.3#2")
        t.answer("202 Accepted")
        t.step("compute_reboot_instance", requested)
        _network_info(t, "2.3#3")
        t.save("2.3#3", f"task_state={pending}, power_state", task=pending)
        t.step("compute_reboot_instance#1", pending)
        t.save("2.3#4", f"task_state={started}", task=started)
        detail = ("destroy, regenerate the XML, define and start" if hard
                  else "virDomainShutdown, wait up to 120 s, launch again (hard reboot if it fails)")  # fmt: skip
        t.add("2.3#5", "nova-compute", "hypervisor", "driver", "reboot", f"reboot_type={kind}: {detail}")
        t.step("compute_reboot_instance#2", started)
        t.save("2.3#6", "vm_state=active, task_state=None, power_state=1", task=None)

    return build


def _placement_delete(t: _Table, ref: str, consumer: str = "{instance_uuid}", src: str = "nova-compute") -> None:
    t.add(ref, src, "placement-api", "http", f"DELETE /allocations/{consumer}", "", era="placement")


def _shelve(t: _Table) -> None:
    t.request("POST", "/v2.1/servers/{id}/action", '{"shelve": null}', "2.8#H1")
    t.add("2.8#H1", "nova-api", "glance-api", "http", "POST /v2/images", 'the snapshot record "<name>-shelved"')
    t.accept(T.SHELVING, "shelve", "2.8#H1")
    _compute_cast(t, "shelve_instance", "2.8#H2")
    t.answer("202 Accepted")
    t.step("compute_shelve_instance", T.SHELVING)
    t.add("2.8#H3", "nova-compute", "hypervisor", "driver", "power_off", "clean shutdown")
    t.step("compute_shelve_instance#1")
    t.save("2.8#H3", "task_state=shelving_image_pending_upload", task=T.SHELVING_IMAGE_PENDING_UPLOAD)
    t.add("2.8#H3", "nova-compute", "hypervisor", "driver", "snapshot", "the disk snapshot")
    t.step("compute_shelve_instance#2")
    t.save("2.8#H3", "task_state=shelving_image_uploading", task=T.SHELVING_IMAGE_UPLOADING)
    t.add("2.8#H3", "nova-compute", "glance-api", "http", "PUT /v2/images/{image_id}/file", "the upload")
    t.step("compute_shelve_instance#3")
    if t.variant == "keep":
        t.save("2.8#H4", "vm_state=shelved, task_state=None, power_state=4; sysmeta shelved_at, shelved_image_id",
               task=None)  # fmt: skip
        return
    t.save("2.8#H4", "vm_state=shelved, task_state=shelving_offloading; sysmeta shelved_image_id",
           task=T.SHELVING_OFFLOADING)  # fmt: skip
    t.step("compute_shelve_instance#4")
    _offload(t)


def _offload(t: _Table) -> None:
    t.add("2.8#H5", "nova-compute", "neutron-server", "http", "PUT /v2.0/ports/{port_id}", "binding:host_id cleared",
          era="placement")  # fmt: skip
    t.add("2.8#H5", "nova-compute", "hypervisor", "driver", "destroy", "undefine the domain, delete the disks")
    _placement_delete(t, "2.8#H5")
    t.save("2.8#H5", "vm_state=shelved_offloaded, task_state=None, host=None, node=None", task=None)
    t.add("2.8#H5", "nova-conductor", "database", "db_write", "compute_nodes", "the RT's usage dropped")
    t.add("2.8#H5", "nova-compute", "nova-scheduler", "rpc_fanout", "delete_instance_info", "scheduler_fanout",
          era="placement")  # fmt: skip


def _shelve_offload(t: _Table) -> None:
    t.request("POST", "/v2.1/servers/{id}/action", '{"shelveOffload": null}', "2.8#H5")
    t.accept(T.SHELVING_OFFLOADING, "shelveOffload", "2.8#H5")
    _compute_cast(t, "shelve_offload_instance", "2.8#H5")
    t.answer("202 Accepted")
    t.step("compute_shelve_offload_instance", T.SHELVING_OFFLOADING)
    t.add("2.8#H5", "nova-compute", "hypervisor", "driver", "power_off", "")
    t.step("compute_shelve_offload_instance#1")
    _offload(t)


def _select(t: _Table, ref: str, detail: str) -> bool:
    """The conductor asks the scheduler for a destination; False when it finds none (the outcome)."""
    t.add(ref, "nova-conductor", "nova-scheduler", "rpc_call", "select_destinations", detail)
    t.add(ref, "nova-scheduler", "placement-api", "http", "GET /allocation_candidates", "", era="placement")
    t.add(ref, "nova-scheduler", "nova-scheduler", "local", "filters, weighers", "over compute_nodes")
    if t.outcome == "no_valid_host":
        t.add(ref, "nova-scheduler", "nova-conductor", "reply", "NoValidHost", "No valid host was found.",
              status="failed", note=N_("No valid host: the conductor gives up; nothing moves."))  # fmt: skip
        return False
    t.add(ref, "nova-scheduler", "placement-api", "http", "PUT /allocations/{instance_uuid}", "on the destination",
          era="placement")  # fmt: skip
    t.add(ref, "nova-scheduler", "nova-conductor", "reply", "select_destinations", "the destination")
    return True


def _unshelve(t: _Table) -> None:
    t.request("POST", "/v2.1/servers/{id}/action", '{"unshelve": null}', "2.8#U1")
    t.accept(T.UNSHELVING, "unshelve", "2.8#U1")
    t.add("2.8#U1", "nova-api", "nova-conductor", "rpc_cast", "unshelve_instance", "queue conductor")
    t.answer("202 Accepted")
    if t.variant == "shelved":
        t.step("compute_start_instance", T.UNSHELVING)
        t.add("2.8#U2", "nova-conductor", "database", "db_write", "instances", "task_state=powering-on",
              task=T.POWERING_ON)  # fmt: skip
        t.add("2.8#U2", "nova-conductor", "nova-compute", "rpc_cast", "start_instance", "queue compute.<host>")
        _network_info(t, "2.2#T3")
        t.add("2.2#T4", "nova-compute", "hypervisor", "driver", "power_on", "define and start")
        t.step("compute_start_instance#1")
        t.save("2.2#T5", "vm_state=active, task_state=None, power_state=1", task=None)
        t.add("2.2#T5", "nova-compute", "glance-api", "http", "DELETE /v2/images/{shelved_image_id}", "")
        return
    t.step("schedule_instances", T.UNSHELVING)
    t.add("2.8#U3", "nova-conductor", "glance-api", "http", "GET /v2/images/{shelved_image_id}", "")
    if not _select(t, "2.8#U3", "the shelved instance's RequestSpec"):
        t.add("2.8#U3", "nova-conductor", "database", "db_write", "instances",
              "task_state=None: stays shelved_offloaded", task=None)  # fmt: skip
        return
    t.add("2.8#U3", "nova-conductor", "nova-compute", "rpc_cast", "unshelve_instance", "queue compute.<chosen host>")
    t.step("compute_unshelve_instance")
    t.save("2.8#U4", "task_state=spawning", task=T.SPAWNING)
    t.add("2.8#U4", "nova-compute", "nova-compute", "local", "instance_claim", "ResourceTracker")
    t.add("2.8#U4", "nova-compute", "neutron-server", "http", "PUT /v2.0/ports/{port_id}", "binding:host_id=<host>",
          era="placement")  # fmt: skip
    t.add("2.8#U4", "nova-compute", "glance-api", "http", "GET /v2/images/{shelved_image_id}/file", "into the cache")
    t.add("2.8#U4", "nova-compute", "hypervisor", "driver", "spawn", "from the shelved image")
    t.step("compute_unshelve_instance#1")
    t.save("2.8#U4", "vm_state=active, task_state=None, power_state=1", task=None)
    t.add("2.8#U4", "nova-compute", "glance-api", "http", "DELETE /v2/images/{shelved_image_id}", "")


def _resize(migrate: bool) -> Callable[[_Table], None]:
    def build(t: _Table) -> None:
        body = '{"migrate": null}' if migrate else '{"resize": {"flavorRef": "<flavor>"}}'
        t.request("POST", "/v2.1/servers/{id}/action", body, "2.5#R1")
        t.accept(T.RESIZE_PREP, "migrate" if migrate else "resize", "2.5#R1")
        t.add("2.5#R1", "nova-api", "database", "db_write", "request_specs", "the RequestSpec updated",
              era="placement")  # fmt: skip
        t.add("2.5#R2", "nova-api", "nova-conductor", "rpc_cast", "migrate_server", "do_cast=True, live=False")
        t.answer("202 Accepted")
        t.step("conductor_migrate_server", T.RESIZE_PREP)
        t.add("2.5#R3", "nova-conductor", "database", "db_write", "migrations",
              "status=pre-migrating, type " + ("migration" if migrate else "resize"))  # fmt: skip
        t.add("2.5#R4", "nova-conductor", "placement-api", "http", "POST /allocations",
              "the source allocation moved to the migration's consumer", era="placement")  # fmt: skip
        if not _select(t, "2.5#R5", "the source host excluded"):
            t.add("2.5#R5", "nova-conductor", "database", "db_write", "instances, instance_faults, migrations",
                  "task_state=None, the vm_state it had; migration status=error", task=None)  # fmt: skip
            return
        t.add("2.5#R6", "nova-conductor", "nova-compute", "rpc_cast", "prep_resize", "queue compute.<destination>")
        t.step("compute_prep_resize")
        t.add("2.5#R7", "nova-compute", "nova-compute", "local", "resize_claim", "on the destination: MoveClaim")
        t.add("2.5#R7", "nova-compute", "nova-conductor", "rpc_call", "object_action",
              "Migration.save(): dest_compute, dest_node; migration_context")  # fmt: skip
        t.add("2.5#R7", "nova-conductor", "database", "db_write", "migrations, compute_nodes",
              "dest_compute, dest_node; the destination's usage for the new flavor")  # fmt: skip
        t.add("2.5#R8", "nova-compute", "nova-compute", "rpc_cast", "resize_instance",
              "destination -> source, queue compute-alt.<source>")  # fmt: skip
        t.step("compute_resize_instance")
        t.save("2.5#R9", "task_state=resize_migrating; migration status=migrating", task=T.RESIZE_MIGRATING)
        t.add("2.5#R10", "nova-compute", "hypervisor", "driver", "migrate_disk_and_power_off",
              "power off; copy each disk to the destination (ssh) unless shared")  # fmt: skip
        t.add("2.5#R11", "nova-compute", "neutron-server", "http", "migrate_instance_start", "port binding",
              era="placement")  # fmt: skip
        t.step("compute_resize_instance#1")
        t.save("2.5#R12", "task_state=resize_migrated, host=node=<destination>; migration status=post-migrating",
               task=T.RESIZE_MIGRATED)  # fmt: skip
        t.add("2.5#R13", "nova-compute", "nova-compute", "rpc_cast", "finish_resize",
              "source -> destination, queue compute-alt.<destination>")  # fmt: skip
        t.step("compute_finish_resize")
        t.save("2.5#R14", "task_state=resize_finish, the new flavor", task=T.RESIZE_FINISH)
        t.add("2.5#R14", "nova-compute", "neutron-server", "http", "PUT /v2.0/ports/{port_id}",
              "binding:host_id=<destination>", era="placement")  # fmt: skip
        t.add("2.5#R15", "nova-compute", "hypervisor", "driver", "finish_migration",
              "the disks from the transferred files, define, start if it was running")  # fmt: skip
        t.step("compute_finish_resize#1")
        t.save("2.5#R16", "vm_state=resized, task_state=None; migration status=finished", task=None)
        t.add("2.5#R16", "nova-compute", "nova-scheduler", "rpc_fanout", "update_instance_info", "scheduler_fanout",
              era="placement")  # fmt: skip

    return build


def _confirm_resize(t: _Table) -> None:
    t.request("POST", "/v2.1/servers/{id}/action", '{"confirmResize": null}', "2.5#C1")
    t.add("2.5#C1", "nova-api", "database", "db_write", "migrations", "status=confirming")
    t.add("2.5#C1", "nova-api", "database", "db_write", "instance_actions", "action=confirmResize, request_id")
    _compute_cast(t, "confirm_resize", "2.5#C2", "<source>")
    t.answer("204 No Content")
    t.step("compute_confirm_resize")
    t.add("2.5#C3", "nova-compute", "hypervisor", "driver", "confirm_migration", "delete the source copy")
    t.save("2.5#C3", "vm_state=active (stopped if power_state 4), task_state=None; migration status=confirmed")
    t.add("2.5#C3", "nova-conductor", "database", "db_write", "compute_nodes", "the source's claim dropped")
    _placement_delete(t, "2.5#C3", "{migration_uuid}")


def _revert_resize(t: _Table) -> None:
    t.request("POST", "/v2.1/servers/{id}/action", '{"revertResize": null}', "2.5#V1")
    t.accept(T.RESIZE_REVERTING, "revertResize", "2.5#V1", "task_state=resize_reverting; migration reverting")
    _compute_cast(t, "revert_resize", "2.5#V2", "<destination>")
    t.answer("202 Accepted")
    t.step("compute_revert_resize", T.RESIZE_REVERTING)
    t.add("2.5#V3", "nova-compute", "hypervisor", "driver", "destroy", "the destination's copy")
    t.add("2.5#V3", "nova-conductor", "database", "db_write", "migrations, compute_nodes",
          "status=reverted; the destination's claim dropped")  # fmt: skip
    t.add("2.5#V4", "nova-compute", "nova-compute", "rpc_cast", "finish_revert_resize",
          "destination -> source, queue compute-alt.<source>")  # fmt: skip
    t.step("compute_finish_revert_resize")
    t.add("2.5#V5", "nova-compute", "placement-api", "http", "POST /allocations",
          "the migration's allocation moved back to the instance", era="placement")  # fmt: skip
    t.add("2.5#V5", "nova-compute", "neutron-server", "http", "PUT /v2.0/ports/{port_id}",
          "binding:host_id=<source>", era="placement")  # fmt: skip
    t.add("2.5#V5", "nova-compute", "hypervisor", "driver", "finish_revert_migration", "the old flavor, host, node")
    if t.variant == "stopped":
        t.step("compute_stop_instance")
        t.save("2.5#V5", "task_state=powering-off", task=T.POWERING_OFF)
        t.add("2.2#S3", "nova-compute", "hypervisor", "driver", "power_off", "")
        t.step("compute_stop_instance#1")
        t.save("2.2#S4", "vm_state=stopped, task_state=None, power_state=4", task=None)
        return
    t.step("compute_finish_revert_resize#1")
    t.save("2.5#V5", "vm_state=active, task_state=None, power_state=1", task=None)


def _live_migrate(t: _Table) -> None:
    t.request("POST", "/v2.1/servers/{id}/action", '{"os-migrateLive": {"host": null, "block_migration": "auto"}}',
              "2.6#L1")  # fmt: skip
    t.accept(T.MIGRATING, "live-migration", "2.6#L1")
    t.add("2.6#L2", "nova-api", "nova-conductor", "rpc_cast", "live_migrate_instance", "microversion >= 2.34")
    t.answer("202 Accepted")
    t.step("conductor_live_migrate_instance", T.MIGRATING)
    t.add("2.6#L3", "nova-conductor", "database", "db_write", "migrations", "type live-migration, status=accepted")
    t.add("2.6#L3", "nova-conductor", "placement-api", "http", "POST /allocations",
          "the source allocation moved to the migration's consumer", era="placement")  # fmt: skip
    if not _select(t, "2.6#L4", "power RUNNING or PAUSED, the source up"):
        t.add("2.6#L4", "nova-conductor", "database", "db_write", "instances, migrations",
              "task_state=None, the vm_state kept; migration status=error", task=None)  # fmt: skip
        return
    t.step("compute_check_can_live_migrate_destination")
    t.add("2.6#L5", "nova-conductor", "nova-compute", "rpc_call", "check_can_live_migrate_destination",
          "queue compute.<destination>")  # fmt: skip
    t.step("compute_check_can_live_migrate_source")
    t.add("2.6#L5", "nova-compute", "nova-compute", "rpc_call", "check_can_live_migrate_source",
          "destination -> source")  # fmt: skip
    t.add("2.6#L5", "nova-compute", "nova-conductor", "reply", "check_can_live_migrate_destination",
          "migrate_data; live_migration_claim on the destination")  # fmt: skip
    t.add("2.6#L6", "nova-conductor", "neutron-server", "http", "POST /v2.0/ports/{port_id}/bindings",
          "host=<destination>, inactive", era="placement")  # fmt: skip
    t.add("2.6#L7", "nova-conductor", "nova-compute", "rpc_cast", "live_migration",
          "queue compute-alt.<source>; migration status=queued")  # fmt: skip
    t.step("compute_pre_live_migration")
    t.add("2.6#L8", "nova-compute", "nova-compute", "rpc_call", "pre_live_migration",
          "source -> destination: instance directory, backing images, plug_vifs")  # fmt: skip
    t.step("compute_live_migration")
    t.add("2.6#L9", "nova-compute", "hypervisor", "driver", "live_migration",
          "migration status=running; migrateToURI3, the guest keeps running")  # fmt: skip
    t.add("2.6#L10", "nova-compute", "neutron-server", "http", "PUT /v2.0/ports/{port_id}/bindings/{host}/activate",
          "the destination binding active", era="placement")  # fmt: skip
    t.step("compute_post_live_migration_at_destination")
    t.add("2.6#L11", "nova-compute", "nova-compute", "rpc_call", "post_live_migration_at_destination",
          "source -> destination")  # fmt: skip
    t.save("2.6#L11", "host=node=<destination>, power_state, task_state=None")
    t.step("compute_post_live_migration_at_destination#1")
    t.add("2.6#L12", "nova-conductor", "database", "db_write", "migrations, compute_nodes",
          "status=completed; the source's usage dropped", task=None)  # fmt: skip
    _placement_delete(t, "2.6#L12", "{migration_uuid}")
    t.add("2.6#L12", "nova-compute", "nova-scheduler", "rpc_fanout", "update_instance_info", "scheduler_fanout",
          era="placement")  # fmt: skip


def _rebuild_tail(t: _Table, ref: str) -> None:
    t.add(ref, "nova-compute", "hypervisor", "driver", "destroy", "power off (clean), keep the volumes")
    t.step(f"{t.current_step}#1")
    t.save(ref, "task_state=rebuild_block_device_mapping", task=T.REBUILD_BLOCK_DEVICE_MAPPING)
    t.step(t.current_step.replace("#1", "#2"))
    t.save(ref, "task_state=rebuild_spawning", task=T.REBUILD_SPAWNING)
    t.add(ref, "nova-compute", "glance-api", "http", "GET /v2/images/{image_id}/file", "into the cache")
    t.add(ref, "nova-compute", "hypervisor", "driver", "spawn", "define and start")
    if t.variant == "stopped":
        t.step("compute_stop_instance")
        t.save(ref, "vm_state=active, task_state=powering-off", task=T.POWERING_OFF)
        t.add("2.2#S3", "nova-compute", "hypervisor", "driver", "power_off", "")
        t.step("compute_stop_instance#1")
        t.save("2.2#S4", "vm_state=stopped, task_state=None, power_state=4", task=None)
        return
    t.step(t.current_step.replace("#2", "#3"))
    t.save(ref, "vm_state=active, task_state=None, power_state=1", task=None)


def _rebuild(t: _Table) -> None:
    t.request("POST", "/v2.1/servers/{id}/action", '{"rebuild": {"imageRef": "<image>"}}', "2.9#B1")
    t.add("2.9#B1", "nova-api", "glance-api", "http", "GET /v2/images/{image_id}", "the image to rebuild from")
    t.accept(T.REBUILDING, "rebuild", "2.9#B1", "task_state=rebuilding, image_ref")
    t.add("2.9#B2", "nova-api", "nova-conductor", "rpc_cast", "rebuild_instance", "1.25, queue conductor")
    t.answer("202 Accepted")
    t.step("compute_rebuild_instance", T.REBUILDING)
    t.add("2.9#B4", "nova-conductor", "nova-compute", "rpc_cast", "rebuild_instance", "6.2, queue compute.<host>")
    _network_info(t, "2.9#B5")
    _rebuild_tail(t, "2.9#B5")


def _evacuate(t: _Table) -> None:
    t.request("POST", "/v2.1/servers/{id}/action", '{"evacuate": {}}', "2.7#E1")
    t.add("2.7#E1", "nova-api", "database", "db_read", "services", "the source nova-compute must be down (else 409)")
    t.accept(T.REBUILDING, "evacuate", "2.7#E1", "task_state=rebuilding; migration type evacuation, accepted")
    t.add("2.7#E2", "nova-api", "nova-conductor", "rpc_cast", "rebuild_instance", "recreate=True")
    t.answer("200 OK")
    t.step("rebuild_server", T.REBUILDING)
    if not _select(t, "2.7#E3", "ignore_hosts=[source]"):
        t.add("2.7#E3", "nova-conductor", "database", "db_write", "instances, migrations",
              "vm_state=error; migration status=error", task=None)  # fmt: skip
        return
    t.add("2.7#E4", "nova-conductor", "nova-compute", "rpc_cast", "rebuild_instance",
          "6.2, queue compute.<destination>")  # fmt: skip
    t.step("compute_rebuild_instance")
    t.add("2.7#E5", "nova-compute", "nova-compute", "local", "rebuild_claim", "on the destination")
    t.add("2.7#E5", "nova-compute", "neutron-server", "http", "PUT /v2.0/ports/{port_id}",
          "binding:host_id=<destination>", era="placement")  # fmt: skip
    t.save("2.7#E6", "host=<destination>; migration status=done")
    _rebuild_tail(t, "2.7#E5")


def _create_snapshot(t: _Table) -> None:
    t.request("POST", "/v2.1/servers/{id}/action", '{"createImage": {"name": "<name>"}}', "2.11#P1")
    t.add("2.11#P1", "nova-api", "glance-api", "http", "POST /v2/images", "image_type=snapshot, instance_uuid")
    t.accept(T.IMAGE_SNAPSHOT_PENDING, "createImage", "2.11#P2")
    _compute_cast(t, "snapshot_instance", "2.11#P2")
    t.answer("202 Accepted")
    t.step("compute_snapshot_instance")
    t.save("2.11#P3", "task_state=image_snapshot", task=T.IMAGE_SNAPSHOT)
    t.add("2.11#P3", "nova-compute", "hypervisor", "driver", "snapshot", "live if possible, else cold")
    t.step("compute_snapshot_instance#1")
    t.save("2.11#P3", "task_state=image_pending_upload", task=T.IMAGE_PENDING_UPLOAD)
    t.step("compute_snapshot_instance#2")
    t.save("2.11#P3", "task_state=image_uploading", task=T.IMAGE_UPLOADING)
    t.add("2.11#P3", "nova-compute", "glance-api", "http", "PUT /v2/images/{image_id}/file", "the upload")
    t.step("compute_snapshot_instance#3")
    t.save("2.11#P4", "task_state=None", task=None)


def _lock(unlock: bool) -> Callable[[_Table], None]:
    def build(t: _Table) -> None:
        name = "unlock" if unlock else "lock"
        t.request("POST", "/v2.1/servers/{id}/action", f'{{"{name}": null}}', "1.4#lock")
        t.add("1.4#lock", "nova-api", "database", "db_write", "instances",
              "locked=False, locked_by=None" if unlock else "locked=True, locked_by=owner")  # fmt: skip
        t.add("1.4#lock", "nova-api", "database", "db_write", "instance_actions", f"action={name}, request_id")
        t.answer("202 Accepted")

    return build


def _delete(t: _Table) -> None:
    t.request("DELETE", "/v2.1/servers/{id}", "", "2.12#D2")
    t.accept(T.DELETING, "delete", "2.12#D2")
    if t.variant == "local":
        t.add("2.12#D3", "nova-api", "database", "db_read", "services", "no host, or its nova-compute down")
        t.step("api#1", T.DELETING)
        t.add("2.12#D3", "nova-api", "neutron-server", "http", "DELETE /v2.0/ports/{port_id}", "local delete",
              era="placement")  # fmt: skip
        t.add("2.12#D3", "nova-api", "nova-network", "rpc_call", "deallocate_for_instance", "local delete",
              era="classic")  # fmt: skip
        _placement_delete(t, "2.12#D3", src="nova-api")
        t.step("api#2")
        t.add("2.12#D3", "nova-api", "database", "db_write", "instances", "vm_state=deleted, task_state=None; "
              "destroyed (soft delete)", task=None)  # fmt: skip
        t.answer("204 No Content")
        return
    _compute_cast(t, "terminate_instance", "2.12#D3")
    t.answer("204 No Content")
    t.step("compute_terminate_instance", T.DELETING)
    t.add("2.12#D4", "nova-compute", "hypervisor", "driver", "destroy",
          "destroy and undefine the domain, delete the disks, unplug the vifs")  # fmt: skip
    t.add("2.12#D4", "nova-compute", "neutron-server", "http", "DELETE /v2.0/ports/{port_id}",
          "deallocate the network", era="placement")  # fmt: skip
    t.add("2.12#D4", "nova-compute", "nova-network", "rpc_call", "deallocate_for_instance",
          "the fixed IP released", era="classic")  # fmt: skip
    t.step("compute_terminate_instance#1")
    t.add("2.12#D6", "nova-conductor", "database", "db_write", "compute_nodes", "the RT's usage removed")
    _placement_delete(t, "2.12#D6")
    t.step("compute_terminate_instance#2")
    t.save("2.12#D5", "vm_state=deleted, task_state=None, power_state=0, terminated_at; destroyed", task=None)
    t.add("2.12#D6", "nova-compute", "nova-scheduler", "rpc_fanout", "delete_instance_info", "scheduler_fanout",
          era="placement")  # fmt: skip


_BUILDERS: dict[str, Callable[[_Table], None]] = {
    **{op: _simple(op) for op in _SIMPLE},
    "reboot_soft": _reboot(hard=False),
    "reboot_hard": _reboot(hard=True),
    "shelve": _shelve,
    "shelve_offload": _shelve_offload,
    "unshelve": _unshelve,
    "resize": _resize(migrate=False),
    "migrate": _resize(migrate=True),
    "confirm_resize": _confirm_resize,
    "revert_resize": _revert_resize,
    "live_migrate": _live_migrate,
    "rebuild": _rebuild,
    "evacuate": _evacuate,
    "create_snapshot": _create_snapshot,
    "lock": _lock(unlock=False),
    "unlock": _lock(unlock=True),
    "delete": _delete,
}

#: Every operation with a flow: the boot and each row action.
OPERATIONS: tuple[str, ...] = (lifecycle.BUILD, *lifecycle.ACTIONS)
assert set(OPERATIONS) == set(_BUILDERS) | {lifecycle.BUILD}

#: Which outcomes each operation can have (``flow`` refuses the others).
_SCHEDULED = {lifecycle.BUILD, "resize", "migrate", "live_migrate", "evacuate", "unshelve"}


def _check(operation: str, era: str, count: int, outcome: str | None, variant: str | None) -> None:
    if operation not in OPERATIONS:
        raise ValueError(f"unknown operation {operation!r}: one of {', '.join(OPERATIONS)}")
    if era not in ERAS:
        raise ValueError(f"unknown era {era!r}: one of {', '.join(ERAS)}")
    if count < 1 or (count > 1 and operation != lifecycle.BUILD):
        raise ValueError(f"count {count}: a boot has 1 or more instances, every other operation 1")
    if outcome is not None and outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}: one of {', '.join(OUTCOMES)}")
    if outcome == "no_valid_host" and operation not in _SCHEDULED:
        raise ValueError(f"{operation} does not ask the scheduler: no_valid_host cannot happen")
    if outcome in ("reschedule", "claim_race", "max_retries") and operation != lifecycle.BUILD:
        raise ValueError(f"only a boot's flow has the outcome {outcome}")
    if outcome == "claim_race" and era != "placement":
        raise ValueError("claim_race is Placement's refusal of the scheduler's claim: placement era only "
                         "(the classic era's lost claim is the outcome reschedule)")
    if outcome == "no_valid_host" and operation == "unshelve" and variant == "shelved":
        raise ValueError("the unshelve of a shelved instance does not ask the scheduler")
    if variant is not None and variant not in VARIANTS.get(operation, ()):
        raise ValueError(f"unknown variant {variant!r} of {operation}: one of {VARIANTS.get(operation, ())}")


def _refused(rows: list[_Row]) -> list[_Row]:
    """nova-api refuses the request (409): the token check and the instance read, then the answer."""
    kept: list[_Row] = []
    for row in rows:
        if row.step != API or row.kind not in ("http", "db_read") or row.src == "neutron-server":
            break
        kept.append(row)
    refusal = replace(kept[-1], ref="1.4#2", src="nova-api", dst="client", kind="reply", name="409 Conflict",
                      detail="the instance's state does not allow it (check_instance_state)", status="failed",
                      note=N_("nova-api refused the request: nothing was written, nothing was sent."))  # fmt: skip
    return [*kept, refusal]


def _host_down(rows: list[_Row]) -> list[_Row]:
    """The cast to the instance's nova-compute finds it down: the message waits in its queue."""
    for index, row in enumerate(rows):
        if row.kind == "rpc_cast" and row.dst == "nova-compute":
            failed = replace(row, status="failed", note=N_(
                "nova-compute on this host is down: the message waits in its queue and nothing happens "
                "until the service comes back (the instance keeps its task_state)."))  # fmt: skip
            return [*rows[:index], failed]
    raise ValueError("this operation sends nothing to a compute host: host_down cannot happen")


def flow(
    operation: str,
    era: str,
    *,
    count: int = 1,
    outcome: str | None = None,
    variant: str | None = None,
) -> Flow:
    """The messages of ``operation`` in ``era`` (see the package docstring)."""
    _check(operation, era, count, outcome, variant)
    if operation == "delete" and outcome == "host_down":
        variant, outcome_rows = "local", None  # nova-api deletes it itself (_local_delete)
    else:
        outcome_rows = outcome
    t = _Table(era, outcome_rows, variant)
    if operation == lifecycle.BUILD:
        _boot(t, count)
    else:
        _BUILDERS[operation](t)
    rows = [r for r in t.rows if r.era in (None, era)]
    if outcome == "api_refused_409":
        rows = _refused(rows)
    elif outcome_rows == "host_down":
        rows = _host_down(rows)
    messages: list[Message] = []
    for row in _per_instance(rows, count):
        row_, instance = row
        messages.append(Message(
            seq=len(messages) + 1, src=row_.src, dst=row_.dst, kind=row_.kind, name=row_.name,
            detail=row_.detail, task_state=row_.task_state, step=row_.step, ref=row_.ref, era=row_.era,
            instance=instance, status=row_.status, note=row_.note, attempt=row_.attempt,
        ))  # fmt: skip
    return Flow(operation, era, count, outcome, variant, tuple(messages))


def _per_instance(rows: list[_Row], count: int) -> list[tuple[_Row, int]]:
    """Runs of per-instance rows repeat once per instance (1…N); the request's rows once (0)."""
    out: list[tuple[_Row, int]] = []
    run: list[_Row] = []
    for row in [*rows, None]:
        if row is not None and row.per:
            run.append(row)
            continue
        for n in range(1, count + 1):
            out.extend((r, n) for r in run)
        run = []
        if row is not None:
            out.append((row, 0))
    return out


def messages_for_step(
    operation: str,
    era: str,
    step_event: str,
    *,
    count: int = 1,
    outcome: str | None = None,
    variant: str | None = None,
    instance: int | None = None,
) -> list[Message]:
    """The messages of one step of ``operation`` (``"api"``: nova-api's part of the request)."""
    return flow(operation, era, count=count, outcome=outcome, variant=variant).for_step(step_event, instance)
