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
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from django.utils import timezone

from cloudlab.engine import flow as engine_flow
from cloudlab.engine import lifecycle
from cloudlab.live.events import cloud_stream, project_stream, publish_on_commit, send_now

from .models import Instance, InstanceAction, SchedulingRecord

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
    publish_on_commit(project_stream(instance.project_id), EVENT, payload)
    publish_on_commit(cloud_stream(instance.cloud_id), EVENT, payload)


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
    record: InstanceAction, info: dict[str, Any], key: str, outcome: str | None, attempt: int
) -> list[dict[str, Any]]:
    """The messages of step ``key`` as it happened: done, rescheduled (``attempt`` the pass that
    lost its claim) or failed. A scheduling pass covers the whole multi-create."""
    if key == "schedule_instances" and info["count"] > 1 and info["instance"] != 1:
        return []  # the first instance's pass placed it: its messages went out with that pass
    whole = key == "schedule_instances" and info["count"] > 1
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


def publish_api(instance: Instance, record: InstanceAction) -> None:
    """nova-api accepted the request: its HTTP exchange, its writes and its cast, after commit."""
    info = flow_context(instance, record)
    at = timezone.now().isoformat()
    messages = _mine(_flow(record, info).for_step("api"), info, False)
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
    if rescheduled:
        outcome = "reschedule"
    elif failure is not None:
        outcome = "no_valid_host" if key in SCHEDULING_STEPS else "failed"
    elif lost and record.context["action"] == lifecycle.BUILD:
        outcome = "rescheduled"
    attempt = max(lost, 1) if rescheduled else lost + 1
    at = timezone.now().isoformat()
    messages = _step_messages(record, info, key, outcome, attempt)
    _remember(record, info, {"index": index, "step": key, "at": at, "outcome": outcome, "attempt": attempt})
    _publish(instance, _payload(instance, record, context["action"], info["era"], key, index, at, outcome, messages))


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
            "messages": _step_messages(record, info, key, entry["outcome"], entry["attempt"])
            if key != "api" else _mine(_flow(record, info).for_step("api"), info, False),
        })  # fmt: skip
    return steps
