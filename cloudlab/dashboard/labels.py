"""The engine's and the compute layer's codes, translated for one page. Pages and their scripts
read labels only from here (through the page data), so a code reads the same everywhere, and the
list of codes is the one its owner keeps: lifecycle states and actions, decision outcomes and
verdicts, what-if kinds and fields, host actions, the Instances table's columns."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from cloudlab.compute.host_services import HOST_ACTIONS
from cloudlab.compute.models import Cloud, SchedulingRecord
from cloudlab.engine import lifecycle
from cloudlab.engine.scheduler import WHAT_IF_KINDS
from cloudlab.engine.scheduler.whatif import (
    HOST_CAPACITY_FIELDS,
    HOST_RATIO_FIELDS,
    HOST_SERVICE_FIELDS,
    HOST_USAGE_FIELDS,
)


def state_labels() -> dict[str, Any]:
    return {
        "status": {
            code: {"label": _(display.label), "kind": display.kind}
            for code, display in lifecycle.STATUS_DISPLAY.items()
        },
        "task": {(task or ""): _(label) for task, label in lifecycle.TASK_LABELS.items()},
        "power": {str(int(state)): _(label) for state, label in lifecycle.POWER_STATE_LABELS.items()},
        "actions": {
            name: {
                "label": _(rule.label),
                "destructive": rule.destructive,
                "batch": rule.batch,
                "params": list(rule.needs_params),
                "admin_only": rule.admin_only,
            }
            for name, rule in lifecycle.ACTIONS.items()
        },
    }


# -- the scheduling view -----------------------------------------------------------------------

#: How a decision's outcome reads beside its label: placed, rescheduled, or failed.
_OUTCOME_KINDS = {
    SchedulingRecord.Outcome.CLAIMED: "ok",
    SchedulingRecord.Outcome.CLAIM_FAILED: "transitional",
    SchedulingRecord.Outcome.NO_VALID_HOST: "error",
    SchedulingRecord.Outcome.MAX_RETRIES: "error",
}

#: A host's verdict in one decision, by the codes ``why_not`` and ``compare`` give it, and
#: ``excluded``: a move's source host, which the request left out (never a filter's verdict).
_VERDICTS = {
    "filtered": N_("removed by a filter"),
    "lost": N_("passed, lost the weighing"),
    "passed": N_("passed every filter"),
    "chosen": N_("chosen"),
    "not_seen": N_("not considered"),
    "excluded": N_("left out of the request"),
}

#: The request a decision placed an instance for, by the lifecycle's action names
#: (``operations.operation_code``): each action whose plan runs the scheduler.
_OPERATIONS = {
    lifecycle.BUILD: N_("boot"),
    "resize": N_("resize to %(flavor)s"),
    "migrate": N_("cold migrate"),
    "live_migrate": N_("live migrate"),
    "evacuate": N_("evacuate"),
    "unshelve": N_("unshelve"),
}

#: Why a move's source host is on the page although the decision never looked at it.
EXCLUDED_SOURCE = N_(
    "%(host)s is the host the instance moves from: the request tells the scheduler to ignore it "
    "(Nova's ignore_hosts), so no filter saw it."
)

#: A what-if rerun's outcome (no claim is made on a frozen copy): where it would place the request.
_WHAT_IF_PLACED = N_("would be placed on %(hosts)s")


def outcome_kind(code: str) -> str:
    return _OUTCOME_KINDS.get(code, "error")


def operation_label(code: str, *, flavor: str = "") -> str:
    """An operation in the reader's language; an action without words reads as its name."""
    label = _OPERATIONS.get(code)
    if label is None:
        return code
    return _(label) % {"flavor": flavor} if "%(flavor)s" in label else _(label)


def scheduling_operations() -> tuple[str, ...]:
    """The operations that have words (tests check every scheduling action is among them)."""
    return tuple(_OPERATIONS)


def rerun_outcome(trace: dict[str, Any]) -> dict[str, str]:
    """A what-if rerun's outcome as the header shows it: its error (NoValidHost …) in the
    outcomes' words, else where the request would be placed."""
    error = trace.get("error")
    if error:
        code = str(error.get("type") or SchedulingRecord.Outcome.NO_VALID_HOST)
        words = dict(SchedulingRecord.Outcome.choices).get(code, code)
        return {"outcome": code, "outcome_label": str(words), "outcome_kind": outcome_kind(code)}
    hosts = ", ".join(dict.fromkeys(trace.get("selected_hosts") or []))
    return {"outcome": "selected", "outcome_label": _(_WHAT_IF_PLACED) % {"hosts": hosts}, "outcome_kind": "ok"}


def decision_labels() -> dict[str, Any]:
    """The words of the scheduling view's codes: each outcome of a decision and each verdict on a host."""
    return {
        "outcomes": {
            code: {"label": str(label), "kind": outcome_kind(code)} for code, label in SchedulingRecord.Outcome.choices
        },
        "verdicts": {code: _(label) for code, label in _VERDICTS.items()},
    }


_WHAT_IF_KINDS = {
    "host": N_("a host's capacity, usage or service"),
    "filter": N_("a filter on or off"),
    "multiplier": N_("a weigher's multiplier"),
    "flavor": N_("the flavor"),
    "era": N_("the era"),
}
_HOST_FIELDS = {
    "vcpus": N_("vCPUs (total)"),
    "vcpus_used": N_("vCPUs used"),
    "memory_mb": N_("RAM MB (total)"),
    "memory_mb_used": N_("RAM MB used"),
    "local_gb": N_("Disk GB (total)"),
    "local_gb_used": N_("Disk GB used"),
    "enabled": N_("compute service enabled"),
    "up": N_("compute service up"),
    "cpu_allocation_ratio": N_("CPU allocation ratio"),
    "ram_allocation_ratio": N_("RAM allocation ratio"),
    "disk_allocation_ratio": N_("disk allocation ratio"),
}


def what_if_choices() -> dict[str, Any]:
    """What the what-if form offers: the engine's kinds of change, the host fields a what-if may
    set (each capacity beside its usage, then the compute service's state, then the allocation
    ratios), each with the kind of value it takes, and the eras, each with its label."""
    amounts = [field for pair in zip(HOST_CAPACITY_FIELDS, HOST_USAGE_FIELDS, strict=True) for field in pair]
    fields = [
        *((field, "count") for field in amounts),
        *((field, "boolean") for field in HOST_SERVICE_FIELDS),
        *((field, "ratio") for field in HOST_RATIO_FIELDS),
    ]
    return {
        "kinds": [{"code": kind, "label": _(_WHAT_IF_KINDS.get(kind, kind))} for kind in WHAT_IF_KINDS],
        "host_fields": [
            {"code": field, "label": _(_HOST_FIELDS.get(field, field)), "type": value} for field, value in fields
        ],
        "eras": [{"code": code, "label": str(label)} for code, label in Cloud.Era.choices],
    }


# -- Admin → Hypervisors -----------------------------------------------------------------------

_HOST_ACTIONS = {
    # action: (label, whether it takes the host out of scheduling, whether it asks for a reason)
    "disable": (N_("Disable Service"), True, True),
    "enable": (N_("Enable Service"), False, False),
    "mark_down": (N_("Mark Down"), True, False),
    "bring_up": (N_("Bring Up"), False, False),
}


def host_action_labels() -> dict[str, Any]:
    """The compute-service actions of a host row (``host_row`` says which are available now)."""
    out = {}
    for name in HOST_ACTIONS:  # a new action without words here fails loudly
        label, destructive, asks_reason = _HOST_ACTIONS[name]
        out[name] = {"label": _(label), "destructive": destructive, "asks_reason": asks_reason}
    return out


# -- the Instances tables (Project and Admin) ----------------------------------------------------

_INSTANCE_COLUMNS = (
    ("select", N_("Select all")),
    ("project", N_("Project")),
    ("name", N_("Instance Name")),
    ("image", N_("Image Name")),
    ("ip", N_("IP Address")),
    ("flavor", N_("Flavor")),
    ("host", N_("Host")),
    ("status", N_("Status")),
    ("task", N_("Task")),
    ("power", N_("Power State")),
    ("age", N_("Age")),
    ("actions", N_("Actions")),
)


def instance_columns(*, show_project: bool, show_host: bool) -> list[dict[str, str]]:
    """The columns of an Instances table, in order: the template's headers and the script's cells."""
    hidden = set()
    if not show_project:
        hidden.add("project")
    if not show_host:
        hidden.add("host")
    return [{"key": key, "label": _(label)} for key, label in _INSTANCE_COLUMNS if key not in hidden]
