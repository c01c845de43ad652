"""Scheduling decisions as students watch them: published stage by stage at the cloud's pace,
so a class on the projector and the student who clicked see the same funnel at the same moment.
How long a stage lasts is the engine's pacing model (``pacing.funnel_stage_seconds``)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from django.utils import timezone

from cloudlab.engine.pacing import funnel_seconds, funnel_stage_seconds
from cloudlab.engine.scheduler import replay_stages
from cloudlab.live.events import cloud_stream, project_stream, publish_many_on_commit

from . import queue
from .models import SchedulingRecord


@dataclass(frozen=True)
class Funnel:
    """What a decision's stage tasks need to publish each stage, carried in the task's arguments
    so a stage costs no query (a class launching together plays dozens of funnels at once)."""

    record: int
    instance: str  # the instance's uuid
    project: int
    cloud: int
    stages: int
    seconds: float  # between two stages (``pacing.funnel_stage_seconds``)
    #: When stage 0 was shown (``time.time()``): stage N is due N stages later, however late a
    #: busy worker ran the stage before it (0: a task an older worker queued; then one stage after).
    started: float = 0.0

    @classmethod
    def of(cls, record: SchedulingRecord, stages: int) -> Funnel:
        started = record.live_started_at.timestamp() if record.live_started_at else 0.0
        return cls(
            record.pk, str(record.instance.uuid), record.instance.project_id, record.cloud_id, stages,
            funnel_stage_seconds(record.cloud.pace), started,
        )

    def delay_of(self, index: int) -> float:
        """Seconds from now until stage ``index`` is due."""
        if not self.started:
            return self.seconds
        return max(0.0, self.started + index * self.seconds - time.time())


def publish_stage(funnel: Funnel, index: int) -> None:
    data = {"record": funnel.record, "instance": funnel.instance, "index": index}
    publish_many_on_commit([
        (project_stream(funnel.project), "scheduler.stage", data),
        (cloud_stream(funnel.cloud), "scheduler.stage", data),
    ])  # fmt: skip


def start_live_replay(record: SchedulingRecord) -> float:
    """Announce the decision and publish its first stage after commit; the rest follow at the
    cloud's pace (a task per stage, no sleeping). Returns how long the whole funnel takes."""
    stages = replay_stages(record.trace)
    record.live_started_at = timezone.now()
    record.save(update_fields=["live_started_at"])
    data = {"record": record.pk, "instance": str(record.instance.uuid), "stages": len(stages)}
    publish_many_on_commit([
        (project_stream(record.instance.project_id), "scheduler.decision", data),
        (cloud_stream(record.cloud_id), "scheduler.decision", data),
    ])  # fmt: skip
    pace = record.cloud.pace
    if pace <= 0 or not stages:
        return 0.0
    funnel = Funnel.of(record, len(stages))
    publish_stage(funnel, 0)
    if funnel.stages > 1:
        queue.publish_decision_stage(asdict(funnel), 1, funnel.delay_of(1))
    return funnel_seconds(pace, len(stages))


def continue_live_replay(funnel: Funnel, index: int) -> None:
    """Publish stage ``index`` of a decision being watched, then schedule the next one."""
    if index >= funnel.stages:
        return
    publish_stage(funnel, index)
    if index + 1 < funnel.stages:
        queue.publish_decision_stage(asdict(funnel), index + 1, funnel.delay_of(index + 1))


def funnel_of_record(record_id: int) -> Funnel | None:
    """The funnel of a stored decision (a stage task queued by an older worker named only the
    record), or ``None`` if it is gone."""
    record = SchedulingRecord.objects.select_related("instance", "cloud").filter(pk=record_id).first()
    return None if record is None else Funnel.of(record, len(replay_stages(record.trace)))
