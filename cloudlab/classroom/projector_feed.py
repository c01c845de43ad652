"""What the projector shows of a session's shared cloud: its hosts filling up, the event feed and
the latest decision, read from the database in the reader's language (one snapshot; the page
refetches it when the cloud's or the session's stream says something changed).

- ``host_panels(cloud)``: each host as Admin → Hypervisors shows it (``compute.rows.host_row``:
  usage against the limits after the allocation ratios, by the engine's one rule) and its
  instances counted by status (the lifecycle's ``STATUS_DISPLAY`` words and kinds). An instance
  still being scheduled is on no host yet, as the API shows it (``compute.rows.shown_host``).
- ``feed(session)``: the session's scheduling decisions, newest first, each a line: who (the
  participant's nickname, else the project's name), what (instance, flavor, operation) and the
  outcome in words. A NoValidHost line names the filter that removed the last hosts and, per
  host, that filter's verdict (``dashboard.traces.verdict_reason``). While a decision's funnel is
  still playing at the cloud's pace its outcome is not told (the projector's funnel shows it
  when it comes): the line reads "scheduling…".
- ``projector_snapshot(session)``: the streams' seqs (read first), the session, the hosts, the
  feed, the participant counts and the latest decision's id.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.utils.translation import gettext as _

from cloudlab.compute.models import Cloud, Host, Instance, SchedulingRecord
from cloudlab.compute.rows import host_row
from cloudlab.dashboard.decisions import live_status  # the scheduling view's own rule
from cloudlab.dashboard.operations import flavor_names, operation
from cloudlab.dashboard.traces import verdict_reason
from cloudlab.dashboard.words import translate_recorded
from cloudlab.engine import lifecycle
from cloudlab.engine.scheduler import replay_stages
from cloudlab.live.events import cloud_stream, current_seqs

from .live import present_ids, session_streams
from .models import ClassSession
from .rows import session_row

#: Lines the projector shows (a lecture hall reads a dozen lines, not a log).
FEED_SIZE = 12

#: Which kind of line each outcome is (the colours of the feed).
_KINDS = {
    SchedulingRecord.Outcome.CLAIMED: "ok",
    SchedulingRecord.Outcome.CLAIM_FAILED: "transitional",
    SchedulingRecord.Outcome.NO_VALID_HOST: "error",
    SchedulingRecord.Outcome.MAX_RETRIES: "error",
}


# -- hosts ----------------------------------------------------------------------------------------


def host_panels(cloud: Cloud) -> list[dict[str, Any]]:
    by_host: dict[int, Counter[str]] = {}
    rows = (
        Instance.objects.filter(cloud=cloud, host__isnull=False)
        .exclude(vm_state=lifecycle.VmState.DELETED)
        .exclude(task_state=lifecycle.TaskState.SCHEDULING)
        .values_list("host_id", "vm_state", "task_state")
    )
    for host_id, vm_state, task_state in rows:
        by_host.setdefault(host_id, Counter())[lifecycle.status_from_state(vm_state, task_state)] += 1
    hosts = Host.objects.filter(cloud=cloud).select_related("cloud").prefetch_related("aggregates").order_by("name")
    panels = []
    for host in hosts:
        counts = by_host.get(host.pk, Counter())
        panels.append({**host_row(host), "by_status": [_status_count(code, n) for code, n in sorted(counts.items())]})
    return panels


def _status_count(code: str, count: int) -> dict[str, Any]:
    display = lifecycle.STATUS_DISPLAY.get(code)
    return {
        "status": code,
        "label": _(display.label) if display else code,
        "kind": display.kind if display else "",
        "count": count,
    }


# -- the feed -------------------------------------------------------------------------------------


def session_records(session: ClassSession) -> Any:
    """The decisions made in the session's cloud since the session was created."""
    return SchedulingRecord.objects.filter(cloud_id=session.cloud_id, created_at__gte=session.created_at)


def feed(session: ClassSession, limit: int = FEED_SIZE) -> list[dict[str, Any]]:
    nicknames = dict(session.participants.values_list("project_id", "nickname"))
    records = (
        session_records(session)
        .select_related("instance__flavor", "instance__project", "action", "cloud")
        .order_by("-created_at", "-pk")[:limit]
    )
    flavors = flavor_names(session.cloud_id)
    return [feed_line(record, nicknames, flavors) for record in records]


def feed_line(record: SchedulingRecord, nicknames: dict[int, str], flavors: dict[str, str]) -> dict[str, Any]:
    instance = record.instance
    who = nicknames.get(instance.project_id) or instance.project.name
    stages = replay_stages(record.trace)
    playing = not live_status(record, len(stages))["finished"]
    values = {"who": who, "instance": instance.name, "flavor": instance.flavor.name}
    done = operation(record, flavors)
    if done is None or done["code"] == lifecycle.BUILD:
        what = _("%(who)s launched %(instance)s (%(flavor)s)") % values
    else:  # a resize, a migration, an unshelve: the operation as the scheduling view names it
        what = _("%(who)s: %(operation)s %(instance)s") % {**values, "operation": done["label"]}
    line: dict[str, Any] = {
        "id": record.pk,
        "at": record.created_at.isoformat(),
        "who": who,
        "instance": instance.name,
        "flavor": instance.flavor.name,
        "what": what,
        "playing": playing,
        "outcome": None if playing else record.outcome,
        "kind": "pending" if playing else _KINDS.get(record.outcome, ""),
        "host": None if playing else (record.selected_host or None),
        "last_filter": None,
        "removed": [],
        "why": "",
        "text": _("scheduling…") if playing else _outcome_text(record),
    }
    if not playing and record.outcome in (SchedulingRecord.Outcome.NO_VALID_HOST, SchedulingRecord.Outcome.MAX_RETRIES):
        line.update(_last_removal(record))
    return line


def _outcome_text(record: SchedulingRecord) -> str:
    if record.outcome == SchedulingRecord.Outcome.CLAIMED:
        return _("placed on %(host)s") % {"host": record.selected_host}
    if record.outcome == SchedulingRecord.Outcome.CLAIM_FAILED:
        return _("%(host)s filled meanwhile: rescheduled") % {"host": record.selected_host}
    if record.outcome == SchedulingRecord.Outcome.MAX_RETRIES:
        return _("out of attempts (MaxRetriesExceeded)")
    return _("no valid host (NoValidHost)")


def _last_removal(record: SchedulingRecord) -> dict[str, Any]:
    """The stage that removed the last hosts and each of those hosts with its verdict, in words:
    "RamFilter removed the last host, compute-kvm2: …"."""
    error = record.trace.get("error") or {}
    removed_by = error.get("removed_by") or []
    last_filter = error.get("last_filter")
    if not removed_by or not last_filter:
        explanation = error.get("explanation") or error.get("reason") or error.get("message") or ""
        return {"last_filter": last_filter, "removed": [], "why": translate_recorded(explanation) or explanation}
    hosts = next((r["hosts"] for r in reversed(removed_by) if r["filter"] == last_filter), removed_by[-1]["hosts"])
    index = int(error.get("instance_index") or 0)
    instances = record.trace.get("instances") or []
    filters = (instances[index] if index < len(instances) else {}).get("filters") or []
    verdicts = next((f.get("verdicts") or {} for f in filters if f.get("name") == last_filter), {})
    removed = [{"host": h, "reason": verdict_reason(verdicts[h]) if h in verdicts else ""} for h in hosts]
    why = (
        _("%(filter)s removed the last host, %(hosts)s")
        if len(hosts) == 1
        else _("%(filter)s removed the last hosts: %(hosts)s")
    ) % {"filter": last_filter, "hosts": ", ".join(hosts)}
    return {"last_filter": last_filter, "removed": removed, "why": why}


# -- the snapshot ---------------------------------------------------------------------------------


def projector_snapshot(session: ClassSession) -> dict[str, Any]:
    streams = [cloud_stream(session.cloud_id), *session_streams(session.pk, staff=True)]
    seqs = current_seqs(streams)  # read first: what follows is at least this fresh
    session.refresh_from_db()
    latest = session_records(session).order_by("-created_at", "-pk").values_list("pk", flat=True).first()
    return {
        "streams": seqs,
        "session": session_row(session),
        "hosts": host_panels(session.cloud),
        "feed": feed(session),
        "latest_decision": latest,
        "joined": session.participants.count(),
        "present": len(present_ids(session.pk)),
    }
