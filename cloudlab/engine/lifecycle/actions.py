"""Which actions an instance accepts now, and Nova's words when it refuses.

The gate of every action is nova/compute/api.py's decorators (nova-semantics.md section d, "State
gate"), applied in the order they are stacked on each API method, outermost first:

1. the policy (in the REST controller, before the compute API is called; ``nova/policies/*.py``):
   every action names its rule and the rule's default check string; a student is a project
   member (not a manager), an instructor is the admin. Admin-only actions, and unlocking a lock
   set by the other party (``unlock_override``) → 403;
2. ``check_instance_lock``: locked and the caller is not admin → 409 InstanceIsLocked;
3. ``check_instance_host``: stacked *outside* the state check on start and stop (so a host-less
   instance is "not ready" whatever its state), *inside* it on resize and migrate (which also
   check that the host's service is up);
4. ``check_instance_state``: vm_state, then task_state, then launched_at → 409
   InstanceInvalidState, which the REST layer words "Cannot '<action>' instance <id> while it is
   in <attr> <state>", or "Instance <id> is in an invalid state for '<action>'" when the state
   value is None (never launched);
5. inside the method: evacuate needs the source host's compute service down (400
   ComputeServiceInUse); confirm-resize needs the resize's source host's service up, since the
   source frees the old copy (409 ServiceUnavailable).

Snapshots (``createImage``) skip the lock check on purpose (Nova: a lock protects an instance from
change and deletion, and a snapshot changes nothing); evacuate has no lock check either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ..i18n import N_, Translate, identity, render
from .states import TaskState, VmState

#: nova/compute/vm_states.py ALLOW_SOFT_REBOOT / ALLOW_HARD_REBOOT (the split is from Icehouse).
ALLOW_SOFT_REBOOT: frozenset[str] = frozenset({VmState.ACTIVE})
ALLOW_HARD_REBOOT: frozenset[str] = ALLOW_SOFT_REBOOT | {
    VmState.STOPPED, VmState.PAUSED, VmState.SUSPENDED, VmState.ERROR,
}  # fmt: skip

#: nova/compute/task_states.py ALLOW_REBOOT: the tasks a hard reboot may interrupt.
ALLOW_REBOOT: frozenset[str | None] = frozenset({
    None, TaskState.REBOOTING, TaskState.REBOOT_PENDING, TaskState.REBOOT_STARTED,
    TaskState.REBOOTING_HARD, TaskState.RESUMING, TaskState.UNPAUSING, TaskState.PAUSING,
    TaskState.SUSPENDING,
})  # fmt: skip

#: check_instance_state's default task_state: no task in progress.
NO_TASK: frozenset[str | None] = frozenset({None})

#: nova/policies/base.py check strings the instance actions' default rules use.
PolicyDefault = Literal["PROJECT_MEMBER_OR_ADMIN", "PROJECT_MANAGER_OR_ADMIN", "ADMIN"]
#: The defaults a project member (CloudLab's student) passes; the admin (an instructor) passes all.
MEMBER_PASSES: frozenset[str] = frozenset({"PROJECT_MEMBER_OR_ADMIN"})


@dataclass(frozen=True)
class ActionRule:
    """One Horizon row action and the gate nova-api puts in front of it."""

    name: str  # CloudLab's key in ACTIONS
    api_name: str  # as nova-api names it in a 409 ("reboot", "os-migrateLive", "createImage")
    label: str  # Horizon's row-action label
    vm_states: frozenset[str] | None  # None: any
    task_states: frozenset[str | None] | None  # None: any; Nova's default is {None}
    needs_launched: bool  # check_instance_state(must_have_launched=...)
    needs_host: bool  # check_instance_host: InstanceNotReady when the instance has no host
    lock_check: bool  # check_instance_lock: refuses when locked and the caller is not admin
    policy: str  # the policy rule the REST controller enforces first (a 403 names it)
    policy_default: PolicyDefault  # its default check string (nova/policies/*.py)
    destructive: bool  # Horizon asks for confirmation
    batch: bool  # one of Horizon's table batch actions
    needs_params: tuple[str, ...] = ()  # parameters the request carries
    optional_params: frozenset[str] = frozenset()  # those of needs_params the request may omit
    host_checked_first: bool = False  # check_instance_host stacked outside check_instance_state
    needs_host_up: bool = False  # check_instance_host(check_is_up=True): ServiceUnavailable
    needs_host_down: bool = False  # evacuate: the source's compute service must be down
    needs_source_up: bool = False  # confirm_resize: the resize's source compute service must be up

    @property
    def admin_only(self) -> bool:
        """Whether the default policy refuses a project member (CloudLab: only instructors pass)."""
        return self.policy_default not in MEMBER_PASSES

    def allows_state(self, vm_state: str, task_state: str | None) -> bool:
        """Whether check_instance_state lets (vm_state, task_state) through (launch aside)."""
        return (self.vm_states is None or vm_state in self.vm_states) and (
            self.task_states is None or task_state in self.task_states
        )


def _rule(
    name: str,
    api_name: str,
    label: str,
    vm_states: set[str] | None,
    task_states: frozenset[str | None] | None = NO_TASK,
    *,
    needs_launched: bool = True,
    needs_host: bool = False,
    lock_check: bool = True,
    policy: str,
    policy_default: PolicyDefault = "PROJECT_MEMBER_OR_ADMIN",
    destructive: bool = False,
    batch: bool = False,
    needs_params: tuple[str, ...] = (),
    optional_params: frozenset[str] = frozenset(),
    host_checked_first: bool = False,
    needs_host_up: bool = False,
    needs_host_down: bool = False,
    needs_source_up: bool = False,
) -> tuple[str, ActionRule]:
    rule = ActionRule(
        name=name, api_name=api_name, label=label,
        vm_states=None if vm_states is None else frozenset(vm_states), task_states=task_states,
        needs_launched=needs_launched, needs_host=needs_host, lock_check=lock_check,
        policy=policy, policy_default=policy_default, destructive=destructive, batch=batch,
        needs_params=needs_params, optional_params=optional_params, host_checked_first=host_checked_first,
        needs_host_up=needs_host_up, needs_host_down=needs_host_down, needs_source_up=needs_source_up,
    )  # fmt: skip
    return name, rule


_SERVERS = "os_compute_api:servers:"  # nova/policies/servers.py
_A, _S, _P, _U = VmState.ACTIVE, VmState.STOPPED, VmState.PAUSED, VmState.SUSPENDED
_E, _R = VmState.ERROR, VmState.RESCUED

#: Every instance action, in Horizon's menu order. The labels are Horizon's row-action labels
#: (Horizon shows "Resume Instance" for both unpause and resume, and has no shelve-offload row
#: action: CloudLab offers it under the name the API gives it).
ACTIONS: dict[str, ActionRule] = dict([
    _rule("start", "start", N_("Start Instance"), {_S}, policy=_SERVERS + "start",
          needs_host=True, host_checked_first=True, batch=True),
    _rule("stop", "stop", N_("Shut Off Instance"), {_A, _E}, policy=_SERVERS + "stop",
          needs_host=True, host_checked_first=True, destructive=True, batch=True),
    _rule("reboot_soft", "reboot", N_("Soft Reboot Instance"), set(ALLOW_SOFT_REBOOT), policy=_SERVERS + "reboot",
          destructive=True, batch=True),
    _rule("reboot_hard", "reboot", N_("Hard Reboot Instance"), set(ALLOW_HARD_REBOOT), ALLOW_REBOOT,
          policy=_SERVERS + "reboot", destructive=True),
    _rule("pause", "pause", N_("Pause Instance"), {_A}, policy="os_compute_api:os-pause-server:pause"),
    _rule("unpause", "unpause", N_("Resume Instance"), {_P}, policy="os_compute_api:os-pause-server:unpause"),
    _rule("suspend", "suspend", N_("Suspend Instance"), {_A}, policy="os_compute_api:os-suspend-server:suspend"),
    _rule("resume", "resume", N_("Resume Instance"), {_U}, policy="os_compute_api:os-suspend-server:resume"),
    _rule("shelve", "shelve", N_("Shelve Instance"), {_A, _S, _P, _U}, policy="os_compute_api:os-shelve:shelve"),
    _rule("shelve_offload", "shelveOffload", N_("Shelve Offload Instance"), {VmState.SHELVED},
          policy="os_compute_api:os-shelve:shelve_offload", policy_default="ADMIN"),
    _rule("unshelve", "unshelve", N_("Unshelve Instance"), {VmState.SHELVED, VmState.SHELVED_OFFLOADED},
          policy="os_compute_api:os-shelve:unshelve"),
    _rule("resize", "resize", N_("Resize Instance"), {_A, _S}, policy=_SERVERS + "resize",
          needs_host=True, needs_host_up=True, needs_params=("flavor",)),
    _rule("confirm_resize", "confirmResize", N_("Confirm Resize/Migrate"), {VmState.RESIZED},
          policy=_SERVERS + "confirm_resize", needs_source_up=True),
    _rule("revert_resize", "revertResize", N_("Revert Resize/Migrate"), {VmState.RESIZED},
          policy=_SERVERS + "revert_resize"),
    _rule("migrate", "migrate", N_("Migrate Instance"), {_A, _S},
          needs_host=True, needs_host_up=True,
          policy="os_compute_api:os-migrate-server:migrate", policy_default="PROJECT_MANAGER_OR_ADMIN"),
    _rule("live_migrate", "os-migrateLive", N_("Live Migrate Instance"), {_A, _P},
          policy="os_compute_api:os-migrate-server:migrate_live", policy_default="PROJECT_MANAGER_OR_ADMIN",
          needs_params=("host",), optional_params=frozenset({"host"})),
    _rule("rebuild", "rebuild", N_("Rebuild Instance"), {_A, _S, _E}, policy=_SERVERS + "rebuild",
          destructive=True, needs_params=("image",), optional_params=frozenset({"image"})),
    _rule("rescue", "rescue", N_("Rescue Instance"), {_A, _S, _E}, policy="os_compute_api:os-rescue"),
    _rule("unrescue", "unrescue", N_("Unrescue Instance"), {_R}, policy="os_compute_api:os-unrescue"),
    _rule("create_snapshot", "createImage", N_("Create Snapshot"), {_A, _S, _P, _U},
          policy=_SERVERS + "create_image", lock_check=False, needs_params=("name",)),
    _rule("lock", "lock", N_("Lock Instance"), None, None, policy="os_compute_api:os-lock-server:lock",
          needs_launched=False, lock_check=False),
    _rule("unlock", "unlock", N_("Unlock Instance"), None, None, policy="os_compute_api:os-lock-server:unlock",
          needs_launched=False, lock_check=False),
    _rule("delete", "delete", N_("Delete Instance"), None, None, policy=_SERVERS + "delete",
          needs_launched=False, destructive=True, batch=True),
    _rule("evacuate", "evacuate", N_("Evacuate Instance"), {_A, _S, _E}, None,
          lock_check=False, policy="os_compute_api:os-evacuate", policy_default="ADMIN", destructive=True,
          needs_host_down=True, needs_params=("host",), optional_params=frozenset({"host"})),
])  # fmt: skip

#: Policy rule a non-admin needs to unlock an instance an admin locked (nova/policies/lock_server.py).
UNLOCK_OVERRIDE_POLICY = "os_compute_api:os-lock-server:unlock:unlock_override"

# nova-api's words (nova/api/openstack/common.py, nova/exception.py), as templates.
INVALID_STATE = N_("Cannot '{action}' instance {instance} while it is in {attr} {state}")
INVALID_STATE_NO_VALUE = N_("Instance {instance} is in an invalid state for '{action}'")
IS_LOCKED = N_("Instance {instance} is locked")
NOT_READY = N_("Instance {instance} is not ready")
POLICY_FORBIDS = N_("Policy doesn't allow {rule} to be performed.")
SERVICE_UNAVAILABLE = N_("Service is unavailable at this time.")
SERVICE_IN_USE = N_("Compute service of {host} is still in use.")
#: nova/exception.py ComputeServiceUnavailable: the conductor's live migration checks the source first.
COMPUTE_SERVICE_UNAVAILABLE = N_("Compute service of {host} is unavailable at this time.")


@dataclass(frozen=True)
class Refusal:
    """Why nova-api refuses a request: the exception, the HTTP status, and the message."""

    code: str  # InstanceInvalidState | InstanceIsLocked | InstanceNotReady | Forbidden |
    #            ServiceUnavailable | ComputeServiceInUse
    status: int  # 409, except Forbidden (403) and ComputeServiceInUse (400)
    template: str  # English, Nova's wording, marked for translation
    numbers: dict[str, Any] = field(default_factory=dict)

    def render(self, translate: Translate = identity) -> str:
        return render(self.template, self.numbers, translate)


def refusal(
    action: str,
    *,
    instance_id: str,
    vm_state: str,
    task_state: str | None,
    launched: bool,
    locked: bool,
    has_host: bool,
    is_admin: bool,
    locked_by: str | None = None,
    host_up: bool | None = None,
    host_name: str = "",
    source_host_up: bool | None = None,
) -> Refusal | None:
    """Nova's answer to ``action`` on an instance in this state: None (accepted) or the refusal.

    ``locked_by`` ("owner" / "admin", Nova's field) matters to unlock only. ``host_up`` is the
    state of the instance host's compute service: None (not known) skips the checks that need it
    (resize and migrate refuse a down host; evacuate refuses an up one); ``source_host_up`` is
    the state of a resize's source host's service (confirm_resize refuses a down one).
    """
    rule = ACTIONS[action]
    if rule.admin_only and not is_admin:
        return Refusal("Forbidden", 403, POLICY_FORBIDS, {"rule": rule.policy})
    if action == "unlock" and locked and locked_by == "admin" and not is_admin:
        return Refusal("Forbidden", 403, POLICY_FORBIDS, {"rule": UNLOCK_OVERRIDE_POLICY})
    if rule.lock_check and locked and not is_admin:
        return Refusal("InstanceIsLocked", 409, IS_LOCKED, {"instance": instance_id})
    if rule.needs_host and rule.host_checked_first and not has_host:
        return Refusal("InstanceNotReady", 409, NOT_READY, {"instance": instance_id})
    state_refusal = _state_refusal(rule, instance_id, vm_state, task_state, launched)
    if state_refusal is not None:
        return state_refusal
    if rule.needs_host and not rule.host_checked_first and not has_host:
        return Refusal("InstanceNotReady", 409, NOT_READY, {"instance": instance_id})
    if rule.needs_host_up and host_up is False:
        return Refusal("ServiceUnavailable", 409, SERVICE_UNAVAILABLE, {})
    if rule.needs_host_down and host_up is True:
        return Refusal("ComputeServiceInUse", 400, SERVICE_IN_USE, {"host": host_name})
    if rule.needs_source_up and source_host_up is False:
        return Refusal("ServiceUnavailable", 409, SERVICE_UNAVAILABLE, {})
    return None


def _state_refusal(
    rule: ActionRule, instance_id: str, vm_state: str, task_state: str | None, launched: bool
) -> Refusal | None:
    """check_instance_state: vm_state, then task_state, then launched_at."""
    attr: str
    value: str | None
    if rule.vm_states is not None and vm_state not in rule.vm_states:
        attr, value = "vm_state", vm_state
    elif rule.task_states is not None and task_state not in rule.task_states:
        attr, value = "task_state", task_state
    elif rule.needs_launched and not launched:
        attr, value = "launched_at", None
    else:
        return None
    if value is None:
        return Refusal(
            "InstanceInvalidState", 409, INVALID_STATE_NO_VALUE, {"instance": instance_id, "action": rule.api_name}
        )
    numbers = {"action": rule.api_name, "instance": instance_id, "attr": attr, "state": value}
    return Refusal("InstanceInvalidState", 409, INVALID_STATE, numbers)


def allowed_actions(
    *,
    vm_state: str,
    task_state: str | None,
    launched: bool,
    locked: bool,
    has_host: bool,
    is_admin: bool,
    locked_by: str | None = None,
    host_up: bool | None = None,
    source_host_up: bool | None = None,
) -> list[str]:
    """Horizon's row menu: the actions nova-api accepts now, in menu order.

    Lock is offered only on an unlocked instance and unlock only on a locked one, as Horizon
    does (Nova accepts the other way round too, and changes nothing). Pass ``host_up`` to have
    evacuate offered only when the host's service is down, and resize/migrate only when it is up.
    """
    offered = []
    for name in ACTIONS:
        if (name == "lock" and locked) or (name == "unlock" and not locked):
            continue
        answer = refusal(
            name, instance_id="", vm_state=vm_state, task_state=task_state, launched=launched,
            locked=locked, has_host=has_host, is_admin=is_admin, locked_by=locked_by, host_up=host_up,
            source_host_up=source_host_up,
        )  # fmt: skip
        if answer is None:
            offered.append(name)
    return offered
