"""One scheduler pass for an instance and the claim on its outcome, with the era's claim policy.

The boot, the unshelve of an offloaded instance and every move (resize, migrate, live migrate,
evacuate) place an instance the same way:

1. run the cloud's scheduler (the engine) on the current state of every host, excluding a
   move's source host and the hosts this action's claims already failed on (RetryFilter);
2. keep the trace as a SchedulingRecord and play its funnel to the viewers;
3. NoValidHost: the step fails with Nova's fault;
4. claim on the chosen host under its row lock, re-checking the fit
   (``resources.claim_shortfalls``). The era decides what a lost race does: *classic*
   (RetryFilter) records it and reschedules, up to ``max_attempts`` passes; *placement* walks
   the alternates the scheduler returned, then gives up (MaxRetriesExceeded).
"""

from __future__ import annotations

from dataclasses import dataclass

from cloudlab.engine.resources import Shortfall
from cloudlab.engine.scheduler import max_retries_exceeded

from .claims import try_claim
from .live_replay import start_live_replay
from .models import Flavor, Host, Instance, InstanceAction, SchedulingRecord
from .outcomes import Reschedule, StepFailed
from .scheduling import decide, scheduler_config


@dataclass(frozen=True)
class Placed:
    host: Host  # locked, its usage already holding the claim
    funnel_seconds: float  # how long the decision's funnel plays to the viewers


def schedule_and_claim(
    instance: Instance, record: InstanceAction, flavor: Flavor, *, exclude: str | None = None
) -> Placed:
    """Place ``instance`` (with ``flavor``, a resize's new one) for the action ``record``."""
    earlier = instance.scheduling_records.filter(action=record, outcome=SchedulingRecord.Outcome.CLAIM_FAILED)
    tried = [r.selected_host for r in earlier.order_by("attempt")]
    trace, moment = decide(instance, tried=tried, exclude=exclude, flavor=flavor)
    config = scheduler_config(instance.cloud)
    scheduling = SchedulingRecord(
        cloud=instance.cloud,
        instance=instance,
        action=record,
        attempt=instance.scheduling_records.count() + 1,
        era=trace["era"],
        driver=trace["driver"],
        trace=trace,
        moment=moment,
    )
    if trace["error"]:
        scheduling.outcome = trace["error"]["type"]
        scheduling.detail = trace["error"]["message"]
        scheduling.save()
        start_live_replay(scheduling)
        raise StepFailed(trace["error"]["message"])
    candidates = [trace["selected_hosts"][0]]
    if config.era == "placement":
        candidates += trace.get("alternates", [])
    for name in candidates:
        host_id = Host.objects.only("pk").get(cloud=instance.cloud, name=name).pk
        claimed, shortfalls = try_claim(host_id, flavor, instance.cloud.era)
        if claimed is not None:
            scheduling.selected_host = name
            scheduling.outcome = SchedulingRecord.Outcome.CLAIMED
            scheduling.save()
            return Placed(claimed, start_live_replay(scheduling))
        scheduling.detail += shortfall_text(name, shortfalls)
    scheduling.selected_host = candidates[0]
    scheduling.outcome = SchedulingRecord.Outcome.CLAIM_FAILED
    scheduling.save()
    if config.era == "classic" and len(tried) + 1 < config.max_attempts:
        raise Reschedule(scheduling.detail.strip())
    raise StepFailed(max_retries_exceeded(config, str(instance.uuid), scheduling.detail.strip())["message"])


def shortfall_text(host: str, shortfalls: list[Shortfall]) -> str:
    parts = ", ".join(f"{s.resource} requested {s.requested:g} > free {s.free:g}" for s in shortfalls)
    return f"{host}: {parts}. "
