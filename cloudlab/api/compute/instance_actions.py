"""The action log as Nova's os-instance-actions shows it (``openstack server event list/show``):
one entry per request, newest first, keyed by the request id the API answered with; its events
(the compute side's steps) on show. Listed for a deleted server too, from 2.21."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.http import HttpResponse

from cloudlab.api.auth import project_id, user_id_for_pk
from cloudlab.compute.ids import is_uuid
from cloudlab.compute.models import Instance, InstanceAction, InstanceActionEvent

from .base import Call, endpoint, ok
from .faults import Fault
from .paging import next_links, page
from .servers import visible_servers


def action_time(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") if moment else None


def _server(call: Call, server_id: str) -> Instance:
    instances = visible_servers(call) if not call.at_least("2.21") else _with_deleted(call)
    instance = instances.filter(uuid=server_id).first() if is_uuid(server_id) else None
    if instance is None:
        raise Fault(404, f"Instance {server_id[:80]} could not be found.")
    return instance


def _with_deleted(call: Call) -> Any:
    instances = Instance.objects.select_related("project")
    return instances.filter(cloud=call.cloud) if call.caller.is_admin else instances.filter(project=call.caller.project)


def action_body(call: Call, instance: Instance, record: InstanceAction) -> dict[str, Any]:
    body: dict[str, Any] = {
        "action": record.action,
        "instance_uuid": str(instance.uuid),
        "request_id": record.request_id,
        "user_id": user_id_for_pk(record.user_id) if record.user_id else None,
        "project_id": project_id(record.project) if record.project else None,
        "start_time": action_time(record.start_time),
        "message": record.message or None,
    }
    if call.at_least("2.58"):
        body["updated_at"] = action_time(record.finish_time or record.start_time)
    return body


def event_body(call: Call, instance: Instance, event: InstanceActionEvent) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event": event.event,
        "start_time": action_time(event.start_time),
        "finish_time": action_time(event.finish_time),
        "result": event.result or None,
    }
    if call.caller.is_admin:
        body["traceback"] = None
    if call.at_least("2.62"):
        if call.caller.is_admin:
            body["host"] = event.host
        body["hostId"] = (
            hashlib.sha224((project_id(instance.project) + event.host).encode()).hexdigest() if event.host else ""
        )
    if call.at_least("2.84"):
        body["details"] = event.details or None
    return body


def _list(call: Call, server_id: str) -> HttpResponse:
    instance = _server(call, server_id)
    records = list(instance.actions.select_related("project").order_by("-start_time", "-id"))
    if call.at_least("2.58"):
        chosen, full = page(call, records, lambda r: r.request_id)
    else:
        chosen, full = records, False
    body: dict[str, Any] = {"instanceActions": [action_body(call, instance, r) for r in chosen]}
    if full:
        body["links"] = next_links(call, f"servers/{instance.uuid}/os-instance-actions", chosen[-1].request_id)
    return ok(body)


def _show(call: Call, server_id: str, request_id: str) -> HttpResponse:
    instance = _server(call, server_id)
    record = instance.actions.select_related("project").filter(request_id=request_id).first()
    if record is None:
        raise Fault(404, f"Action for request_id {request_id[:80]} on instance {instance.uuid} not found")
    body = action_body(call, instance, record)
    if call.caller.is_admin or call.at_least("2.51"):
        body["events"] = [event_body(call, instance, e) for e in record.events.order_by("start_time", "id")]
    return ok({"instanceAction": body})


action_list = endpoint(GET=_list)
action_show = endpoint(GET=_show)
