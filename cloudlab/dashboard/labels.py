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
from cloudlab.engine.scheduler.whatif import HOST_CAPACITY_FIELDS, HOST_USAGE_FIELDS


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

#: A host's verdict in one decision, by the codes ``why_not`` and ``compare`` give it.
_VERDICTS = {
    "filtered": N_("removed by a filter"),
    "lost": N_("passed, lost the weighing"),
    "chosen": N_("chosen"),
    "not_seen": N_("not considered"),
}


def outcome_kind(code: str) -> str:
    return _OUTCOME_KINDS.get(code, "error")


def decision_labels() -> dict[str, Any]:
    """The words of the scheduling view's codes: each outcome of a decision and each verdict on a host."""
    return {
        "outcomes": {
            code: {"label": str(label), "kind": outcome_kind(code)} for code, label in SchedulingRecord.Outcome.choices
        },
        "verdicts": {code: _(label) for code, label in _VERDICTS.items()},
    }


_WHAT_IF_KINDS = {
    "host": N_("a host's capacity or usage"),
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
}


def what_if_choices() -> dict[str, Any]:
    """What the what-if form offers: the engine's kinds of change, the host amounts a what-if may
    set (each capacity beside its usage), and the eras, each with its label."""
    amounts = [field for pair in zip(HOST_CAPACITY_FIELDS, HOST_USAGE_FIELDS, strict=True) for field in pair]
    return {
        "kinds": [{"code": kind, "label": _(_WHAT_IF_KINDS.get(kind, kind))} for kind in WHAT_IF_KINDS],
        "host_fields": [{"code": field, "label": _(_HOST_FIELDS.get(field, field))} for field in amounts],
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
