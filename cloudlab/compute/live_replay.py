"""Scheduling decisions as students watch them: published stage by stage at the cloud's pace,
so a class on the projector and the student who clicked see the same funnel at the same moment.
How long a stage lasts is the engine's pacing model (``pacing.funnel_stage_seconds``)."""

from __future__ import annotations

from django.utils import timezone

from cloudlab.engine.pacing import funnel_seconds, funnel_stage_seconds
from cloudlab.engine.scheduler import replay_stages
from cloudlab.live.events import cloud_stream, project_stream, publish_on_commit

from . import queue
from .models import SchedulingRecord


def publish_stage(record: SchedulingRecord, index: int) -> None:
    data = {"record": record.pk, "instance": str(record.instance.uuid), "index": index}
    publish_on_commit(project_stream(record.instance.project_id), "scheduler.stage", data)
    publish_on_commit(cloud_stream(record.cloud_id), "scheduler.stage", data)


def start_live_replay(record: SchedulingRecord) -> float:
    """Announce the decision and publish its first stage after commit; the rest follow at the
    cloud's pace (a task per stage, no sleeping). Returns how long the whole funnel takes."""
    stages = replay_stages(record.trace)
    record.live_started_at = timezone.now()
    record.save(update_fields=["live_started_at"])
    data = {"record": record.pk, "instance": str(record.instance.uuid), "stages": len(stages)}
    publish_on_commit(project_stream(record.instance.project_id), "scheduler.decision", data)
    publish_on_commit(cloud_stream(record.cloud_id), "scheduler.decision", data)
    pace = record.cloud.pace
    if pace <= 0 or not stages:
        return 0.0
    publish_stage(record, 0)
    if len(stages) > 1:
        queue.publish_decision_stage(record.pk, 1, funnel_stage_seconds(pace))
    return funnel_seconds(pace, len(stages))


def continue_live_replay(record_id: int, index: int) -> None:
    """Publish stage ``index`` of a decision being watched, then schedule the next one."""
    record = SchedulingRecord.objects.select_related("instance", "cloud").filter(pk=record_id).first()
    if record is None:
        return
    count = len(replay_stages(record.trace))
    if index >= count:
        return
    publish_stage(record, index)
    if index + 1 < count:
        queue.publish_decision_stage(record_id, index + 1, funnel_stage_seconds(record.cloud.pace))
