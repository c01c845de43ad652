"""The lifecycle tables of the engine, translated for one page. Pages and their scripts read
state labels only from here, so a state reads the same everywhere and is defined once."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from cloudlab.engine import lifecycle


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
