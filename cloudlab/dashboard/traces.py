"""A stored scheduling trace, summarised for the instance page in the viewer's language.

The trace keeps each verdict's English template and numbers, so a record made while one student
watched in English reads in Chinese for the next (the template goes through Django's catalogue).
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext

from cloudlab.compute.models import SchedulingRecord
from cloudlab.engine.i18n import fmt_number, render

from .operations import flavor_names, operation, request_attempt


def verdict_reason(verdict: dict[str, Any]) -> str:
    """A filter verdict's sentence in the reader's language: the trace keeps the English template
    and the numbers, so a decision recorded while one student watched in English reads in Chinese
    for the next."""
    if verdict.get("message"):
        return render(verdict["message"], verdict.get("numbers", {}), gettext)
    return str(verdict.get("reason", ""))


def summarise(record: SchedulingRecord) -> dict[str, Any]:
    trace = record.trace
    decision = trace["instances"][0] if trace.get("instances") else {}
    stages = []
    for stage in decision.get("filters", []):
        if not stage.get("ran", True):
            continue
        stages.append(
            {
                "name": stage["name"],
                "hosts_in": stage.get("hosts_in"),
                "hosts_out": stage.get("hosts_out"),
                "rejected": [
                    {"host": host, "reason": verdict_reason(verdict)}
                    for host, verdict in stage.get("verdicts", {}).items()
                    if not verdict.get("passed")
                ],
            }
        )
    error = trace.get("error")
    return {
        "id": record.pk,
        "url": reverse("dashboard:decision", args=[record.pk]),
        # Counted as Nova does: the passes for the same request (a resize after the boot is 1 again).
        "attempt": request_attempt(record),
        "operation": operation(record, flavor_names(record.cloud_id)),
        "era": record.era,
        "driver": record.driver,
        "outcome": record.outcome,
        "outcome_label": record.get_outcome_display(),
        "detail": record.detail,
        "created_at": record.created_at.isoformat(),
        "stages": stages,
        # Each weight as every page shows it (the engine's one formatter), beside the number.
        "ranking": [{**r, "weight_shown": str(fmt_number(float(r["weight"])))} for r in decision.get("ranking", [])],
        "selected": decision.get("selected"),
        "error": error["message"] if error else None,
    }
