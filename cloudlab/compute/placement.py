"""One scheduler pass for an instance and the claim on its outcome, with the era's claim policy.

The boot, the unshelve of an offloaded instance and every move (resize, migrate, live migrate,
evacuate) place an instance the same way:

1. run the cloud's scheduler (the engine) on the current state of every host, excluding a
   move's source host and the hosts this request's claims already failed on (RetryFilter). A
   multi-create is one request (``select_destinations`` with num_instances = N): one pass
   places every instance, consuming each chosen host before the next pick;
2. keep the trace as a SchedulingRecord per instance and play its funnel to the viewers, once;
3. NoValidHost for any instance: the step fails with Nova's fault, for every instance of the
   request (all or nothing);
4. claim on each chosen host under its row lock, re-checking the fit
   (``resources.claim_shortfalls``). The era decides what a lost race does: *classic*
   (RetryFilter) records it and reschedules, up to ``max_attempts`` passes; *placement* walks
   the alternates the scheduler returned, then gives up (MaxRetriesExceeded). A request whose
   claims cannot all be made gives back the ones it made (Nova deletes the request's
   allocations).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import timezone

from cloudlab.engine.lifecycle import BUILD, TaskState, VmState
from cloudlab.engine.pacing import funnel_seconds
from cloudlab.engine.resources import Shortfall
from cloudlab.engine.scheduler import max_retries_exceeded, replay_stages

from .claims import release, try_claim_named
from .live_replay import start_live_replay
from .models import Flavor, Host, Instance, InstanceAction, SchedulingRecord
from .outcomes import Reschedule, StepFailed
from .scheduling import decide, scheduler_config


@dataclass(frozen=True)
class Member:
    """One instance of a request, with the action (its ``create``) it is placed for."""

    instance: Instance
    record: InstanceAction


@dataclass(frozen=True)
class Placed:
    host: Host  # locked, its usage already holding the claim
    funnel_seconds: float  # how long the decision's funnel plays to the viewers


def schedule_and_claim(
    instance: Instance,
    record: InstanceAction,
    flavor: Flavor,
    *,
    exclude: str | None = None,
    siblings: Sequence[Member] = (),
    requested_destination: str | None = None,
) -> list[Placed]:
    """Place ``instance`` (with ``flavor``, a resize's new one) for the action ``record``, and the
    ``siblings`` of its multi-create in the same pass; one Placed per instance, in order.
    ``requested_destination``: the host a move named (RequestSpec.requested_destination).

    Raises ``StepFailed`` (``others``: the siblings, which fail with it) or ``Reschedule``."""
    members = [Member(instance, record), *siblings]
    earlier = SchedulingRecord.objects.filter(
        action__in=[m.record for m in members], outcome=SchedulingRecord.Outcome.CLAIM_FAILED
    ).order_by("attempt", "instance_index")
    tried = list(dict.fromkeys(r.selected_host for r in earlier if r.selected_host))
    passes = sum(1 for r in earlier if r.action_id == record.pk)
    trace, moment = decide(
        instance,
        tried=tried,
        exclude=exclude,
        flavor=flavor,
        siblings=[m.instance for m in siblings],
        requested_destination=requested_destination,
        # A boot's action is the create action that keeps the request spec: no need to read it again.
        create_context=record.context if record.action == BUILD else None,
    )
    config = scheduler_config(instance.cloud)
    records = [
        SchedulingRecord(
            cloud=instance.cloud,
            instance=m.instance,
            action=m.record,
            attempt=m.instance.scheduling_records.count() + 1,
            instance_index=index,
            era=trace["era"],
            driver=trace["driver"],
            trace=trace,
            moment=moment,
        )
        for index, m in enumerate(members)
    ]
    if trace["error"]:
        for scheduling in records:
            scheduling.outcome = trace["error"]["type"]
            scheduling.detail = trace["error"]["message"]
        _keep(records)
        raise StepFailed(trace["error"]["message"], others=siblings)
    alternates = list(trace.get("alternates", [])) if config.era == "placement" else []
    # The records are written before any host row is locked: a claim holds its host's lock
    # until the step commits, and every other pass choosing that host waits for it. They read
    # as the common outcome (claimed on the host the scheduler chose) and are corrected below
    # if a claim goes otherwise, in this same transaction.
    for index, scheduling in enumerate(records):
        scheduling.outcome = SchedulingRecord.Outcome.CLAIMED
        scheduling.selected_host = trace["selected_hosts"][index]
        scheduling.save()
    claimed: list[Host] = []
    lost = ""
    for index, m in enumerate(members):
        host = _claim_one(m, flavor, [trace["selected_hosts"][index], *alternates], records[index])
        if host is None:
            lost = records[index].detail
            break
        if host.name in alternates:
            alternates.remove(host.name)
        claimed.append(host)
    if lost:
        # The request's claims are given back together (Nova deletes all its allocations).
        for host in claimed:
            release(host.pk, flavor)
        for scheduling in records:
            scheduling.outcome = SchedulingRecord.Outcome.CLAIM_FAILED
            if not scheduling.detail:
                scheduling.selected_host = ""  # not a host to avoid: its claim was given back, or never tried
                scheduling.detail = (
                    f"The request's claims were given back: another of its instances lost its claim. {lost}"
                )
            scheduling.save()
        if config.era == "classic" and passes + 1 < config.max_attempts:
            raise Reschedule(lost.strip())
        raise StepFailed(max_retries_exceeded(config, str(instance.uuid), lost.strip())["message"], others=siblings)
    for scheduling in records:
        if scheduling.selected_host != trace["selected_hosts"][scheduling.instance_index] or scheduling.detail:
            scheduling.save(update_fields=["selected_host", "detail"])  # an alternate took the claim
    funnel = _play(records)
    return [Placed(host, funnel) for host in claimed]


def _claim_one(member: Member, flavor: Flavor, candidates: list[str], scheduling: SchedulingRecord) -> Host | None:
    """Claim the first candidate that still fits; record the chosen host, or why none fitted."""
    for name in candidates:
        host, shortfalls = try_claim_named(member.instance.cloud_id, name, flavor, member.instance.cloud.era)
        if host is not None:
            scheduling.selected_host = name
            return host
        scheduling.detail += shortfall_text(name, shortfalls)
    scheduling.selected_host = candidates[0]
    return None


def _keep(records: list[SchedulingRecord]) -> float:
    """Save the request's records and play its funnel (``_play``). Returns how long it plays."""
    for scheduling in records:
        scheduling.save()
    return _play(records)


def _play(records: list[SchedulingRecord]) -> float:
    """Play the request's funnel once (the first instance's record carries the live replay; the
    others share its moment). Returns how long the funnel plays."""
    funnel = start_live_replay(records[0])
    for scheduling in records[1:]:
        scheduling.live_started_at = records[0].live_started_at
        scheduling.save(update_fields=["live_started_at"])
    return funnel


def remaining_funnel(record: InstanceAction) -> float:
    """Seconds the funnel of the pass that placed this action's instance still plays (an
    instance placed with the rest of its multi-create waits for it like the first one)."""
    latest = record.scheduling_records.order_by("-attempt", "-id").first()
    if latest is None or latest.live_started_at is None:
        return 0.0
    total = funnel_seconds(latest.cloud.pace, len(replay_stages(latest.trace)))
    return max(0.0, total - (timezone.now() - latest.live_started_at).total_seconds())


def unplaced_siblings(instance: Instance, record: InstanceAction) -> list[Member]:
    """The other instances of this boot's multi-create (the same request) still waiting for
    their pass, locked, in the order they were created. A request of one instance has none (no
    query for it: a class's burst is mostly such requests)."""
    if record.context.get("count") == 1:
        return []
    others = (
        InstanceAction.objects.filter(
            request_id=record.request_id, action=BUILD, finish_time__isnull=True, instance__host__isnull=True
        )
        .exclude(instance=instance)
        .order_by("instance_id")
    )
    found = []
    for other in others:
        sibling = Instance.objects.locked().filter(pk=other.instance_id).first()
        if sibling is not None and (sibling.vm_state, sibling.task_state) == (VmState.BUILDING, TaskState.SCHEDULING):
            found.append(Member(sibling, other))
    return found


def shortfall_text(host: str, shortfalls: list[Shortfall]) -> str:
    parts = ", ".join(f"{s.resource} requested {s.requested:g} > free {s.free:g}" for s in shortfalls)
    return f"{host}: {parts}. "
