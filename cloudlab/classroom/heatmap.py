"""The instructor console's heat-map: one tile per participant of a session.

A tile holds the participant's instances by vm_state (deleted ones left out), how many are in
error, their last action (what, on which instance, when) and the filter that last rejected them:
the ``last_filter`` of the trace of their latest NoValidHost decision (the filter that removed
the last hosts, as the scheduling view explains it). ``tiles(session)`` reads all of them in four
queries whatever the class size; ``heat`` names the tile's colour from those numbers.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count, OuterRef, Subquery

from cloudlab.compute.models import Instance, InstanceAction, SchedulingRecord

from .models import ClassSession

#: vm_states that are on their way somewhere (the tile shows them as busy).
_BUSY = frozenset({"building"})


def heat(states: dict[str, int], errors: int) -> str:
    """``error`` if anything failed, ``busy`` while something builds, ``active`` if something runs,
    else ``idle``: the order a teacher scans a room in."""
    if errors:
        return "error"
    if any(states.get(s) for s in _BUSY):
        return "busy"
    if states.get("active"):
        return "active"
    return "idle"


def tiles(session: ClassSession) -> list[dict[str, Any]]:
    participants = list(session.participants.select_related("project").order_by("nickname"))
    projects = [p.project_id for p in participants]
    states: dict[int, dict[str, int]] = defaultdict(dict)
    live = Instance.objects.filter(project_id__in=projects).exclude(vm_state="deleted").filter(deleted_at__isnull=True)
    for row in live.values("project_id", "vm_state").annotate(n=Count("id")).order_by():
        states[row["project_id"]][row["vm_state"]] = row["n"]
    latest_action = InstanceAction.objects.filter(instance__project_id=OuterRef("project_id")).order_by(
        "-start_time", "-pk"
    )
    last: dict[int, dict[str, Any]] = {}
    ids = (
        session.participants.annotate(action_id=Subquery(latest_action.values("pk")[:1]))
        .exclude(action_id=None)
        .values_list("project_id", "action_id")
    )
    for project_id, action_id in ids:
        last[project_id] = {"action_id": action_id}
    for action in InstanceAction.objects.filter(pk__in=[v["action_id"] for v in last.values()]).select_related(
        "instance"
    ):
        last[action.instance.project_id] = {
            "action": action.action,
            "instance": action.instance.name,
            "at": action.start_time.isoformat(),
        }
    rejected: dict[int, str | None] = {}
    records = (
        SchedulingRecord.objects.filter(
            instance__project_id__in=projects, outcome=SchedulingRecord.Outcome.NO_VALID_HOST
        )
        .order_by("instance__project_id", "-created_at", "-pk")
        .values_list("instance__project_id", "trace")
    )
    for project_id, trace in records:
        if project_id not in rejected:  # the newest comes first
            rejected[project_id] = ((trace or {}).get("error") or {}).get("last_filter")
    out = []
    for p in participants:
        counts = states.get(p.project_id, {})
        errors = counts.get("error", 0)
        out.append(
            {
                "id": p.pk,
                "nickname": p.nickname,
                "project": p.project.name,
                "states": dict(sorted(counts.items())),
                "instances": sum(counts.values()),
                "errors": errors,
                "last_action": last.get(p.project_id) if "action" in last.get(p.project_id, {}) else None,
                "rejected_by": rejected.get(p.project_id),
                "heat": heat(counts, errors),
            }
        )
    return out
