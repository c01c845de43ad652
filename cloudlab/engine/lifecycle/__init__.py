"""Nova's instance lifecycle: states, the actions and their gates, step plans, start-up settlement.

The one source of truth for instance states and actions (nova-semantics.md section d): pages, the
API, the Celery tasks and the tests read these tables; nothing restates them.

* ``states``: the three vocabularies, the API status, Horizon's labels, ``Step``, the boot steps.
* ``actions``: ``ACTIONS`` (every row action and its gate), ``refusal()``, ``allowed_actions()``.
* ``plans``: ``plan()``, the states an accepted action walks through, with their effects.
* ``settle``: what compute start-up does to an instance found mid-task; host down and recovery.
* ``diagram``: ``STATE_DIAGRAM``, derived from the two tables above.

See docs/lifecycle.md for the tables and how to read them.
"""

from .actions import (
    ACTIONS,
    ALLOW_HARD_REBOOT,
    ALLOW_REBOOT,
    ALLOW_SOFT_REBOOT,
    COMPUTE_SERVICE_UNAVAILABLE,
    NO_TASK,
    UNLOCK_OVERRIDE_POLICY,
    ActionRule,
    Refusal,
    allowed_actions,
    refusal,
)
from .diagram import LAUNCH, STATE_DIAGRAM, DiagramEdge, StateDiagram
from .plans import (
    BUILD,
    DEFAULT_SHELVED_OFFLOAD_TIME,
    LIBVIRT_HYPERVISOR_TYPES,
    Plan,
    continue_plan,
    plan,
    suspend_power_state,
)
from .settle import (
    HOST_DOWN_EXPLANATION,
    SETTLE_ON_RESTART,
    PowerSync,
    Settlement,
    SettleRule,
    power_state_after_host_down,
    power_state_after_host_recovery,
    settle,
    settlement,
    sync_power_state,
)
from .states import (
    BUILD_FAILED_STEP,
    BUILD_STEPS,
    EFFECTS,
    POWER_STATE_LABELS,
    STATUS_DISPLAY,
    TASK_LABELS,
    Effect,
    Kind,
    PowerState,
    StatusDisplay,
    Step,
    TaskState,
    VmState,
    status_from_state,
)

__all__ = [
    "ACTIONS",
    "ALLOW_HARD_REBOOT",
    "ALLOW_REBOOT",
    "ALLOW_SOFT_REBOOT",
    "BUILD",
    "BUILD_FAILED_STEP",
    "BUILD_STEPS",
    "COMPUTE_SERVICE_UNAVAILABLE",
    "DEFAULT_SHELVED_OFFLOAD_TIME",
    "EFFECTS",
    "HOST_DOWN_EXPLANATION",
    "LAUNCH",
    "LIBVIRT_HYPERVISOR_TYPES",
    "NO_TASK",
    "POWER_STATE_LABELS",
    "SETTLE_ON_RESTART",
    "STATE_DIAGRAM",
    "STATUS_DISPLAY",
    "TASK_LABELS",
    "UNLOCK_OVERRIDE_POLICY",
    "ActionRule",
    "DiagramEdge",
    "Effect",
    "Kind",
    "Plan",
    "PowerState",
    "PowerSync",
    "Refusal",
    "SettleRule",
    "Settlement",
    "StateDiagram",
    "StatusDisplay",
    "Step",
    "TaskState",
    "VmState",
    "allowed_actions",
    "continue_plan",
    "plan",
    "power_state_after_host_down",
    "power_state_after_host_recovery",
    "refusal",
    "settle",
    "settlement",
    "status_from_state",
    "suspend_power_state",
    "sync_power_state",
]
