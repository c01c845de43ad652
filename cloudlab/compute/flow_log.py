"""The flow of an action, live and replayed: which messages between the services each of its
steps stands for (``cloudlab.engine.flow``), published as the worker applies the step, and read
back from the action log for the pages.

What is stored, and why so little: the flow engine is deterministic, so a step's messages are
derived again from the action (its operation, its era, the size and position of its
multi-create, the plan's branch) and what happened at the step (done, rescheduled, failed).
The action's ``context`` keeps that: ``flow`` (era, count, instance, variant: fixed when the
request is accepted, so a later change of the cloud's era does not rewrite history) and
``flow_steps`` (one entry per published step: its index, key, time, outcome and attempt). The
messages themselves are not stored: replaying derives exactly the ones that were published.

Events: ``flow.messages`` on the instance's project stream and on the cloud stream, after
commit, right after the ``instance.updated`` of the state the step wrote (so a page shows the
row's new task_state, then the messages of that phase). nova-api's part (``step`` "api") is
published by ``begin`` when the request is accepted; a refused request (409) by
``publish_refused``, with no action (Nova records none).

The ResourceTracker's numbers (issue 15 item 4): the step whose messages hold a claim (the boot's
``instance_claim`` and its ``compute_nodes`` write, a move's ``resize_claim`` …) shows the compute
node record's columns before and after, read from the host's row when the step is published (the
row holds the claim: before is that minus the claim); a boot that fails after its claim adds the
claim's abort (``abort_instance_claim``) with its numbers. They are kept in the step's
``flow_steps`` entry (``numbers``), so the replay shows the same. They travel in the message's
``detail`` (Nova's column names, ``memory_mb_used 512 → 2560, …``).

Messages that belong to no user's request (``publish_node_task``): a compute node's periodic tasks
and its libvirt lifecycle events, and a change of its service (``publish_service_change``). They
are ``flow.messages`` events too, with ``action`` None, ``request_id`` "", ``operation`` the task's
name (``update_available_resource``, ``_sync_power_states``, ``handle_lifecycle_event``,
``os-services``) and ``step`` the compute host whose nova-compute it is (the deployment view lights
that node). A periodic task goes to the cloud's stream (the instructors'); an instance's sync also to
its project's stream, without the host; a service change to every project stream of the cloud (not
the cloud's, which has ``host.updated``), since every member sees the compute nodes' health on the
deployment view (cloudlab/motion/deployment.py).
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from django.utils import timezone

from cloudlab.engine import flow as engine_flow
from cloudlab.engine import lifecycle
from cloudlab.engine import resource_tracker as rt
from cloudlab.engine.flow import tracker
from cloudlab.engine.i18n import N_
from cloudlab.engine.resources import counts_toward_usage
from cloudlab.identity.models import Project
from cloudlab.live.events import cloud_stream, project_stream, publish_many_on_commit, publish_on_commit, send_now

from .models import Flavor, Host, Instance, InstanceAction, Migration, SchedulingRecord

log = logging.getLogger(__name__)

EVENT = "flow.messages"

#: The plan steps where a scheduler is asked for a host: a failure there is Nova's NoValidHost.
SCHEDULING_STEPS = frozenset(
    {"schedule_instances", "conductor_migrate_server", "conductor_live_migrate_instance", "rebuild_server"}
)


def flow_context(instance: Instance, record: InstanceAction) -> dict[str, Any]:
    """What the action's flow is derived from, fixed when the request is accepted."""
    context = record.context
    if "flow" in context:
        return dict(context["flow"])
    operation = context["action"]
    return {
        "era": instance.cloud.era,
        "count": int(context.get("count", 1)),
        "instance": int(context.get("index", 1)),
        "variant": engine_flow.variant_of(
            operation,
            vm_state=context["vm_state"],
            power_state=context["power_state"],
            params=context.get("params", {}),
            has_host=context.get("has_host", True),
            host_up=context.get("host_up", True),
        ),
    }


def _flow(record: InstanceAction, info: dict[str, Any], outcome: str | None = None) -> engine_flow.Flow:
    return engine_flow.flow(
        record.context["action"], info["era"], count=info["count"], outcome=outcome, variant=info["variant"]
    )


def _mine(messages: list[engine_flow.Message], info: dict[str, Any], whole_request: bool) -> list[dict[str, Any]]:
    """This instance's messages of a step: its own rows, and the request's rows once (the first
    instance of a multi-create sends them); ``whole_request``: every instance's (one pass placed
    or failed them all)."""
    number = info["instance"]
    return [
        m.to_json()
        for m in messages
        if whole_request or m.instance == number or (m.instance == 0 and number == 1)
    ]


def _publish(instance: Instance, payload: dict[str, Any]) -> None:
    publish_many_on_commit(
        [(project_stream(instance.project_id), EVENT, payload), (cloud_stream(instance.cloud_id), EVENT, payload)]
    )


def _payload(
    instance: Instance, record: InstanceAction | None, operation: str, era: str, step: str, index: int | None,
    at: str, outcome: str | None, messages: list[dict[str, Any]],
) -> dict[str, Any]:  # fmt: skip
    return {
        "instance": str(instance.uuid),
        "action": record.pk if record is not None else None,
        "request_id": record.request_id if record is not None else "",
        "operation": operation,
        "era": era,
        "step": step,
        "index": index,
        "at": at,
        "outcome": outcome,
        "messages": messages,
    }


def _remember(record: InstanceAction, info: dict[str, Any], entry: dict[str, Any]) -> None:
    record.context = {**record.context, "flow": info, "flow_steps": [*record.context.get("flow_steps", []), entry]}
    InstanceAction.objects.filter(pk=record.pk).update(context=record.context)


def _step_messages(
    record: InstanceAction,
    info: dict[str, Any],
    key: str,
    outcome: str | None,
    attempt: int,
    numbers: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The messages of step ``key`` as it happened: done, rescheduled (``attempt`` the pass that
    lost its claim) or failed, with the compute node record's ``numbers`` (``_claim_numbers``)
    where the step claims. A scheduling pass covers the whole multi-create."""
    messages = _plain_step_messages(record, info, key, outcome, attempt)
    if numbers:
        messages = _with_numbers(messages, numbers, info["era"])
    return messages


def _plain_step_messages(
    record: InstanceAction, info: dict[str, Any], key: str, outcome: str | None, attempt: int
) -> list[dict[str, Any]]:
    if outcome == "host_down":
        return [_waiting(record, info, key)]
    if key == "schedule_instances" and info["count"] > 1 and info["instance"] != 1:
        return []  # the first instance's pass placed it: its messages went out with that pass
    whole = key == "schedule_instances" and info["count"] > 1
    if outcome in ("max_retries", "claim_race"):
        return [{**m, "attempt": attempt} for m in _mine(_flow(record, info, outcome).for_step(key), info, whole)]
    if outcome == "reschedule":
        rows = [m for m in _flow(record, info, "reschedule").for_step(key) if m.attempt == 1]
        return [{**m, "attempt": attempt} for m in _mine(rows, info, whole)]
    if outcome == "rescheduled":  # a pass after lost claims: the retry's part, then on as planned
        rows = [m for m in _flow(record, info, "reschedule").for_step(key) if m.attempt == 2]
        return [{**m, "attempt": attempt} for m in _mine(rows, info, whole)]
    if outcome == "no_valid_host":
        return _mine(_flow(record, info, "no_valid_host").for_step(key), info, whole)
    messages = _mine(_flow(record, info).for_step(key), info, whole)
    if outcome == "failed" and messages:
        messages[-1] = {**messages[-1], "status": "failed"}
    return messages


def _api_messages(record: InstanceAction, info: dict[str, Any]) -> list[dict[str, Any]]:
    """nova-api's part of the request; for a stop the power-state sync asked for (an action with
    no user: the compute service's admin context), the compute API called by nova-compute itself."""
    if info.get("caller") == "nova-compute":
        return [m.to_json() for m in tracker.sync_stop_api(info["era"])]
    return _mine(_flow(record, info).for_step("api"), info, False)


def publish_api(instance: Instance, record: InstanceAction) -> None:
    """nova-api accepted the request: its HTTP exchange, its writes and its cast, after commit."""
    info = flow_context(instance, record)
    if record.user_id is None and record.context["action"] == "stop":
        info["caller"] = "nova-compute"
    at = timezone.now().isoformat()
    messages = _api_messages(record, info)
    _remember(record, info, {"index": None, "step": "api", "at": at, "outcome": None, "attempt": 1})
    _publish(instance, _payload(instance, record, record.context["action"], info["era"], "api", None, at, None,
                                messages))  # fmt: skip


def publish_step(instance: Instance, record: InstanceAction, index: int, *, failure: str | None = None,
                 rescheduled: bool = False) -> None:  # fmt: skip
    """Step ``index`` of the action's plan was applied (or rescheduled, or failed with ``failure``)."""
    context = record.context
    plan = lifecycle.plan(
        context["action"], vm_state=context["vm_state"], power_state=context["power_state"],
        params=context.get("params", {}), task_state=context.get("task_state"),
        has_host=context.get("has_host", True), host_up=context.get("host_up", True),
    )  # fmt: skip
    key = engine_flow.step_keys(plan)[index]
    info = flow_context(instance, record)
    lost = 0
    if key in SCHEDULING_STEPS:
        lost = SchedulingRecord.objects.filter(
            action=record, outcome=SchedulingRecord.Outcome.CLAIM_FAILED
        ).count()
    outcome: str | None = None
    boot = record.context["action"] == lifecycle.BUILD
    if rescheduled:
        outcome = "reschedule"
    elif failure is not None:
        outcome = "failed"
        if key in SCHEDULING_STEPS:
            outcome = "max_retries" if boot and _attempts_ran_out(record) else "no_valid_host"
    elif lost and boot:
        outcome = "rescheduled"
    elif boot and key == "schedule_instances" and info["era"] == "placement" and _lost_a_race(record):
        outcome = "claim_race"
    attempt = max(lost, 1) if rescheduled else lost + 1
    if outcome == "max_retries":
        attempt = max(lost, 1)
    at = timezone.now().isoformat()
    numbers = _claim_numbers(instance, record, key, info, failed=failure is not None and outcome == "failed")
    messages = _step_messages(record, info, key, outcome, attempt, numbers)
    entry = {"index": index, "step": key, "at": at, "outcome": outcome, "attempt": attempt}
    if numbers:
        entry["numbers"] = numbers
    _remember(record, info, entry)
    _publish(instance, _payload(instance, record, context["action"], info["era"], key, index, at, outcome, messages))


def _waiting(record: InstanceAction, info: dict[str, Any], key: str) -> dict[str, Any]:
    """The cast that reached a compute host whose service is down: it waits in the host's queue."""
    messages = _flow(record, info).messages
    first = next((i for i, m in enumerate(messages) if m.step == key), len(messages))
    cast = next(
        (m for m in reversed(messages[:first]) if m.kind == "rpc_cast" and m.dst == "nova-compute"), messages[0]
    )
    return {
        **cast.to_json(),
        "instance": info["instance"],
        "step": key,
        "detail": f"{cast.detail}: no consumer while the service is down, the message waits",
        "status": "failed",
        "note": N_(
            "nova-compute on this host is down: the message waits in its queue and nothing happens until the "
            "service comes back (the instance keeps its task_state; the reaper settles it if it never does)."
        ),
    }


def _attempts_ran_out(record: InstanceAction) -> bool:
    """The pass failed because its claims failed (MaxRetriesExceeded), not because no host passed."""
    latest = record.scheduling_records.order_by("-attempt", "-id").first()
    return latest is not None and latest.outcome in (
        SchedulingRecord.Outcome.CLAIM_FAILED, SchedulingRecord.Outcome.MAX_RETRIES
    )


def _lost_a_race(record: InstanceAction) -> bool:
    """Placement era: the claim on the scheduler's first choice failed and another host took it."""
    latest = record.scheduling_records.order_by("-attempt", "-id").first()
    if latest is None or latest.outcome != SchedulingRecord.Outcome.CLAIMED:
        return False
    chosen = (latest.trace.get("selected_hosts") or [""])[latest.instance_index]
    return bool(latest.selected_host) and latest.selected_host != chosen


# -- the ResourceTracker's numbers -------------------------------------------------------------------

#: The messages of a step that claim on a compute node (the record's write is shown on the first
#: ``compute_nodes`` write of the step, else on the claim itself).
CLAIMS = frozenset({"instance_claim", "resize_claim", "rebuild_claim", "live_migration_claim"})


def node_record(host: Host) -> rt.ComputeNodeRecord:
    """The host's compute_nodes record as the ResourceTracker writes it, from its row."""
    running = sum(
        1 for vm_state in Instance.objects.filter(host=host).values_list("vm_state", flat=True)
        if counts_toward_usage(vm_state)
    )  # fmt: skip
    return rt.ComputeNodeRecord(
        memory_mb=host.memory_mb, local_gb=host.local_gb, vcpus=host.vcpus, memory_mb_used=host.memory_mb_used,
        local_gb_used=host.local_gb_used, vcpus_used=host.vcpus_used, running_vms=running,
    )  # fmt: skip


def _claimed(instance: Instance, record: InstanceAction) -> tuple[Host | None, Flavor]:
    """Where the action's claim is held, and for which flavor: a move's destination and new
    flavor, else the instance's host (or, once a failure released it, the host its pass chose)."""
    if record.context["action"] != lifecycle.BUILD:  # a boot has no move: no query for it
        move = Migration.objects.filter(instance=instance, status__in=Migration.IN_PROGRESS).select_related(
            "dest_host__cloud", "new_flavor"
        ).first()  # fmt: skip
        if move is not None and move.dest_host is not None:
            return move.dest_host, move.new_flavor
    if instance.host_id is not None:
        return Host.objects.select_related("cloud").get(pk=instance.host_id), instance.flavor
    chosen = record.scheduling_records.filter(outcome=SchedulingRecord.Outcome.CLAIMED).order_by("-attempt", "-id")
    name = chosen.values_list("selected_host", flat=True).first()
    host = Host.objects.select_related("cloud").filter(cloud_id=instance.cloud_id, name=name).first() if name else None
    return host, instance.flavor


def _claim_numbers(
    instance: Instance, record: InstanceAction, key: str, info: dict[str, Any], *, failed: bool
) -> dict[str, Any] | None:
    """The compute node record before and after the step's claim (and its abort when the boot
    failed at or after it), from the host's row now."""
    names = {m.name for m in _flow(record, info).for_step(key) if m.status == "ok"}
    claims_here = bool(names & CLAIMS)
    claimed_before = record.context["action"] == lifecycle.BUILD and any(
        "numbers" in e for e in record.context.get("flow_steps", [])
    )
    if not claims_here and not (failed and claimed_before):
        return None
    host, flavor = _claimed(instance, record)
    if host is None:
        return None
    overhead = host.instance_overhead_mb
    now = node_record(host)
    numbers: dict[str, Any] = {"host": host.name}
    if failed and record.context["action"] == lifecycle.BUILD:
        # The failure step already gave the claim back: the row is the record after the abort.
        held = rt.claim(now, flavor.size, overhead)
        numbers["abort"] = [held.to_json(), now.to_json()]
        if claims_here:
            numbers["claim"] = [now.to_json(), held.to_json()]
        return numbers
    if claims_here:
        numbers["claim"] = [rt.abort(now, flavor.size, overhead).to_json(), now.to_json()]
    return numbers


def _record_of(data: dict[str, Any]) -> rt.ComputeNodeRecord:
    return rt.ComputeNodeRecord(
        memory_mb=data["memory_mb"], local_gb=data["local_gb"], vcpus=data["vcpus"],
        memory_mb_used=data["memory_mb_used"], local_gb_used=data["local_gb_used"], vcpus_used=data["vcpus_used"],
        running_vms=data["running_vms"],
    )  # fmt: skip


def _with_numbers(messages: list[dict[str, Any]], numbers: dict[str, Any], era: str) -> list[dict[str, Any]]:
    """The step's messages with the record's numbers in the claim's write, and the abort's
    messages after the failed one."""
    out = list(messages)
    if "claim" in numbers:
        before, after = (_record_of(d) for d in numbers["claim"])
        written = tracker.claim_write(before, after)
        writes = [i for i, m in enumerate(out) if m["name"].startswith(("compute_nodes", "migrations, compute_nodes"))
                  and m["kind"] == "db_write"]  # fmt: skip
        claims = [i for i, m in enumerate(out) if m["name"] in CLAIMS and m["status"] == "ok"]
        target = writes[0] if writes else (claims[0] if claims else None)
        if target is not None:
            detail = out[target]["detail"]
            # The boot's write names the columns: the numbers replace the names; others keep theirs.
            shown = written if not detail or detail.startswith(rt.COLUMNS[0]) else f"{detail}; {written}"
            out[target] = {**out[target], "detail": shown}
    if "abort" in numbers and out:
        before, after = (_record_of(d) for d in numbers["abort"])
        task = out[-1]["task_state"]
        failed_at = next((i for i, m in enumerate(out) if m["status"] == "failed"), len(out) - 1)
        abort = [m.to_json() for m in tracker.claim_abort(era, before, after, task)]
        step = out[failed_at]["step"]
        out = [*out[: failed_at + 1], *({**m, "step": step, "attempt": out[failed_at]["attempt"]} for m in abort)]
    return [{**m, "seq": messages[0]["seq"] + i} if messages else m for i, m in enumerate(out)]



def publish_refused(instance: Instance, operation: str) -> None:
    """nova-api refused ``operation`` (409): the refused HTTP exchange, and nothing else."""
    if operation not in engine_flow.OPERATIONS:
        return
    era = instance.cloud.era
    messages = [m.to_json() for m in engine_flow.flow(operation, era, outcome="api_refused_409").messages]
    payload = _payload(instance, None, operation, era, "api", None, timezone.now().isoformat(), "api_refused_409",
                       messages)  # fmt: skip
    # At once, not on commit: the refusal is final and the refused request's transaction rolls back.
    for stream in (project_stream(instance.project_id), cloud_stream(instance.cloud_id)):
        try:
            send_now(stream, EVENT, payload)
        except redis.RedisError:
            log.exception("could not publish %s on %s", EVENT, stream)


def flow_of(record: InstanceAction) -> list[dict[str, Any]]:
    """The action's flow for replay: each published step in order, with its messages, its time
    and its result (the action-log event's, or the step's own outcome)."""
    context = record.context
    info = context.get("flow")
    if info is None:
        return []
    events = {e.event: e for e in record.events.all()}
    steps = []
    for entry in context.get("flow_steps", []):
        key = entry["step"]
        phase = events.get(key.split("#", 1)[0])
        result = "Error" if entry["outcome"] in ("no_valid_host", "failed") else (
            phase.result if phase is not None and phase.result else "Success"
        )  # fmt: skip
        steps.append({
            "step": key,
            "index": entry["index"],
            "at": entry["at"],
            "outcome": entry["outcome"],
            "attempt": entry["attempt"],
            "result": result,
            "messages": _step_messages(record, info, key, entry["outcome"], entry["attempt"], entry.get("numbers"))
            if key != "api" else _api_messages(record, info),
        })  # fmt: skip
    return steps


# -- what a compute node does on its own, and its service's changes ---------------------------------


def _node_payload(host: Host, operation: str, messages: list[dict[str, Any]], *, instance: str = "",
                  outcome: str | None = None, shown_host: bool = True) -> dict[str, Any]:  # fmt: skip
    return _payload_of(instance, operation, host.cloud.era, host.name if shown_host else "", outcome, messages)


def _payload_of(instance: str, operation: str, era: str, step: str, outcome: str | None,
                messages: list[dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    return {
        "instance": instance,
        "action": None,
        "request_id": "",
        "operation": operation,
        "era": era,
        "step": step,
        "index": None,
        "at": timezone.now().isoformat(),
        "outcome": outcome,
        "messages": messages,
    }


def publish_node_task(
    host: Host,
    operation: str,
    messages: list[engine_flow.Message],
    *,
    instance: Instance | None = None,
    outcome: str | None = None,
) -> None:
    """A compute node's own work (a periodic task, a lifecycle event), after commit: on the
    cloud's stream with the host; for an instance's sync also on its project's stream, without
    the host (students never see which host an instance is on)."""
    rows = [m.to_json() for m in messages]
    uuid = str(instance.uuid) if instance is not None else ""
    publish_on_commit(cloud_stream(host.cloud_id), EVENT, _node_payload(host, operation, rows, instance=uuid,
                                                                         outcome=outcome))  # fmt: skip
    if instance is not None:
        publish_on_commit(project_stream(instance.project_id), EVENT,
                          _node_payload(host, operation, rows, instance=uuid, outcome=outcome, shown_host=False))


def publish_service_change(host: Host, action: str) -> None:
    """An administrator changed a host's nova-compute service (disabled, enabled, forced down or
    up): the ``PUT /os-services`` exchange, after commit, on every project stream of the cloud,
    whose deployment views refetch the nodes' health when it arrives (the cloud's stream, the
    instructors', has ``host.updated`` for it already)."""
    if action not in tracker.SERVICE_CHANGES:
        return
    rows = [m.to_json() for m in tracker.service_change(host.cloud.era, action)]
    payload = _node_payload(host, "os-services", rows, outcome=action)
    for project_id in Project.objects.filter(cloud_id=host.cloud_id).values_list("pk", flat=True):
        publish_on_commit(project_stream(project_id), EVENT, payload)


def held_by_down_host(instance: Instance, record: InstanceAction, index: int) -> bool:
    """Whether step ``index`` is nova-compute's and its host's service is down: the message cast to
    it waits in the host's queue, nothing happens (the instance keeps its state until the service
    comes back, or the reaper settles it as nova-compute's start-up would). The flow shows the
    cast waiting, once per step."""
    host = instance.host
    context = record.context
    if host is None or host.up or context["action"] == "evacuate":  # an evacuation rebuilds elsewhere
        return False
    plan = lifecycle.plan(
        context["action"], vm_state=context["vm_state"], power_state=context["power_state"],
        params=context.get("params", {}), task_state=context.get("task_state"),
        has_host=context.get("has_host", True), host_up=context.get("host_up", True),
    )  # fmt: skip
    key = engine_flow.step_keys(plan)[index]
    if not key.split("#", 1)[0].startswith("compute_"):
        return False
    if any(e.get("index") == index and e.get("outcome") == "host_down" for e in context.get("flow_steps", [])):
        return True
    info = flow_context(instance, record)
    at = timezone.now().isoformat()
    waiting = _waiting(record, info, key)
    _remember(record, info, {"index": index, "step": key, "at": at, "outcome": "host_down", "attempt": 1})
    _publish(instance, _payload(instance, record, context["action"], info["era"], key, index, at, "host_down",
                                [waiting]))  # fmt: skip
    return True
