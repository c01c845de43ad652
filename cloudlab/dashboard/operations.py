"""What a scheduling decision was for, as the decisions list and the scheduling view name it:
the operation (boot, resize to m1.large, cold migrate …), the attempt within that request, and
the host a move left out of the request (Nova's ``ignore_hosts``).

Everything is read from the records as they are: a SchedulingRecord's action
(``InstanceAction.context["action"]`` and its parameters), the other records of the same action,
and the Migration the action made. The model keeps its own ``attempt`` (counted per instance);
the pages count as Nova does, per request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber

from cloudlab.compute.models import Flavor, Host, Migration, SchedulingRecord
from cloudlab.compute.runner import plan_of

from .labels import operation_label

#: The effect of the step that schedules a move's destination (lifecycle.plan): a request with
#: it leaves the instance's host out (nova/conductor: RequestSpec.ignore_hosts).
_SCHEDULE_DESTINATION = "schedule_destination"


def with_request_attempts(records: QuerySet[SchedulingRecord]) -> QuerySet[SchedulingRecord]:
    """The records, each with ``request_attempt``: its place among the records of the same action
    (the retries of one request: attempt 2 is the second pass for the same request), from 1; a
    new action of the same instance starts at 1 again. Records without an action count per
    instance among themselves."""
    return records.annotate(
        request_attempt=Window(RowNumber(), partition_by=[F("instance_id"), F("action_id")], order_by=F("id").asc())
    )


def request_attempt(record: SchedulingRecord) -> int:
    """``with_request_attempts`` for one record."""
    same = SchedulingRecord.objects.filter(instance_id=record.instance_id, pk__lte=record.pk)
    if record.action_id is None:
        return same.filter(action__isnull=True).count()
    return same.filter(action_id=record.action_id).count()


def operation_code(record: SchedulingRecord) -> str | None:
    """The request a decision placed an instance for: the action's name as the lifecycle knows it
    (``create`` for a boot, ``resize``, ``migrate``, ``live_migrate``, ``evacuate``,
    ``unshelve``), or None when the action is gone."""
    action = record.action
    if action is None:
        return None
    return str(action.context.get("action") or action.action)


def operation(record: SchedulingRecord, flavor_names: Mapping[str, str]) -> dict[str, Any] | None:
    """``{"code", "label"}``: the operation in the reader's language; a resize names its new
    flavor (``flavor_names``: flavorid → name, of the record's cloud)."""
    code = operation_code(record)
    if code is None:
        return None
    flavor = ""
    if code == "resize":
        flavorid = str((record.action.context.get("params") or {}).get("flavor", ""))  # type: ignore[union-attr]
        flavor = flavor_names.get(flavorid, flavorid)
    return {"code": code, "label": operation_label(code, flavor=flavor)}


def flavor_names(cloud_id: int) -> dict[str, str]:
    """flavorid → name, for ``operation``."""
    return dict(Flavor.objects.filter(cloud_id=cloud_id).values_list("flavorid", "name"))


def is_move(record: SchedulingRecord) -> bool:
    """Whether the decision placed a move's destination (its plan schedules one)."""
    action = record.action
    if action is None:
        return False
    try:
        steps = plan_of(action).steps
    except (KeyError, ValueError):  # an action whose context no plan can be derived from
        return False
    return any(step.effect == _SCHEDULE_DESTINATION for step in steps)


def excluded_source(record: SchedulingRecord) -> Host | None:
    """The host a move started from, which its request told the scheduler to ignore: the source
    of the Migration the action made, else (a move that found no host makes none) the host the
    instance was on when the action's scheduling step began (its event's host)."""
    if not is_move(record):
        return None
    action = record.action
    assert action is not None
    moves = Migration.objects.filter(instance_id=record.instance_id, created_at__gte=action.start_time)
    if action.finish_time is not None:
        moves = moves.filter(created_at__lte=action.finish_time)
    move = moves.select_related("source_host").order_by("created_at", "id").first()
    if move is not None:
        return move.source_host
    event = action.events.exclude(host="").order_by("start_time", "id").first()
    if event is None:
        return None
    return Host.objects.filter(cloud_id=record.cloud_id, name=event.host).first()
