"""The action log's bookkeeping, as ``openstack server event list`` shows it: one InstanceAction
per request, its events (a manager method each) opened and closed as the steps go, and the
action's end (finish time, "Error" when it failed). Every writer that records an action uses
these; none touches InstanceAction or InstanceActionEvent rows itself."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone

from .models import Instance, InstanceAction, InstanceActionEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

SUCCESS = InstanceActionEvent.Result.SUCCESS
ERROR = InstanceActionEvent.Result.ERROR


def record_action(
    instance: Instance,
    action: str,
    *,
    user: AbstractBaseUser | None,
    context: dict[str, Any],
    request_id: str | None = None,
) -> InstanceAction:
    """A new entry of the instance's log (``action`` as Nova's API names it: ``create``,
    ``reboot``, ``migrate`` …); ``context`` keeps what its plan is derived from."""
    return InstanceAction.objects.create(
        instance=instance,
        action=action,
        request_id=request_id or InstanceAction.new_request_id(),
        user=user,
        project=instance.project,
        start_time=timezone.now(),
        context=context,
    )


def start_event(record: InstanceAction, event: str, host: str = "") -> None:
    """A new phase starts: the open events are done, ``event`` opens. A step run again (a
    reschedule, a redelivery) finds its event already open and keeps it."""
    if record.events.filter(event=event, finish_time__isnull=True).exists():
        return
    finish_open_events(record, SUCCESS)
    InstanceActionEvent.objects.create(action=record, event=event, start_time=timezone.now(), host=host)


def finish_open_events(record: InstanceAction, result: str, details: str = "") -> None:
    """Close the events still running (a phase ended, or the action did)."""
    record.events.filter(finish_time__isnull=True).update(finish_time=timezone.now(), result=result, details=details)


def finish_action(record: InstanceAction, *, error: str | None = None) -> None:
    """The action is over: its open events end (in error, with the message, if it failed)."""
    finish_open_events(record, ERROR if error else SUCCESS, error or "")
    record.finish_time = timezone.now()
    if error:
        record.message = "Error"
    record.save(update_fields=["context", "finish_time", "message"])


def record_settled(record: InstanceAction, event: str, *, failed: bool, details: str, host: str) -> None:
    """What compute start-up did to an instance it found mid-task, as one finished event."""
    now = timezone.now()
    InstanceActionEvent.objects.create(
        action=record,
        event=event,
        start_time=now,
        finish_time=now,
        result=ERROR if failed else SUCCESS,
        details=details,
        host=host,
    )


def open_action(instance: Instance) -> InstanceAction | None:
    """The instance's latest action still in progress, if any."""
    return instance.actions.filter(finish_time__isnull=True).order_by("-start_time", "-id").first()
