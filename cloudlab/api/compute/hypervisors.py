"""The cloud's compute hosts as Nova's admin APIs show them: os-hypervisors (list, detail, show,
uptime, statistics), os-services, os-aggregates and os-availability-zone.

Hypervisor and service ids are integers before 2.53 and UUIDs from it (a non-UUID id is then a
400); ``cpu_info`` is a JSON string before 2.28 and an object from it; from 2.88 a hypervisor
carries ``uptime`` and no capacity numbers, and uptime/statistics are gone (404). Admin only,
as Nova's default policy (a project member gets Nova's 403)."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone

from cloudlab.compute.actions.host import do_host_action
from cloudlab.compute.models import Aggregate, Host, Instance
from cloudlab.engine.resources import counts_toward_usage, is_io_workload

from .base import Call, endpoint, ok
from .faults import Fault
from .paging import next_links, page
from .validation import a_boolean, a_string, an_object, invalid

_NAMESPACE = uuid.UUID("6c0b5a53-2f2e-4b3e-9d8a-5f1e3c2b7a10")


def stable_uuid(kind: str, pk: object) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{pk}"))


def _small_id(value: str) -> bool:
    """An integer id as Nova's database keeps them: ASCII digits that fit the column (``²`` and
    ``99999999999`` are not found, never a 500)."""
    return re.fullmatch(r"[0-9]{1,9}", value, re.ASCII) is not None


def hypervisor_id(call: Call, host: Host) -> int | str:
    return stable_uuid("hypervisor", host.pk) if call.at_least("2.53") else host.pk


def service_id(call: Call, host: Host) -> int | str:
    return stable_uuid("service", host.pk) if call.at_least("2.53") else host.pk


def hosts(call: Call) -> QuerySet[Host]:
    return Host.objects.filter(cloud=call.cloud).select_related("cloud").order_by("name")


def _instances_on(host: Host) -> list[Instance]:
    return [i for i in host.instances.all() if counts_toward_usage(i.vm_state)]


def cpu_info(call: Call, host: Host) -> str | dict[str, Any]:
    info = {
        "arch": host.cpu_arch,
        "model": "Haswell-noTSX-IBRS",
        "vendor": "Intel",
        "topology": {"cells": 1, "sockets": 1, "cores": host.vcpus, "threads": 1},
        "features": [],
    }
    return info if call.at_least("2.28") else json.dumps(info)


def uptime_text(host: Host) -> str | None:
    """``uptime(1)``'s line, as the libvirt driver returns it (OSC parses it), since the cloud
    was made (or the host came back up)."""
    if not host.up:
        return None
    since: datetime = host.cloud.created_at
    now = timezone.localtime()
    elapsed = now - since
    days, rest = elapsed.days, elapsed.seconds
    running = f"{days} day{'s' if days != 1 else ''}, {rest // 3600:2d}:{rest % 3600 // 60:02d}"
    return f" {now:%H:%M:%S} up {running},  0 users,  load average: 0.00, 0.00, 0.00"


def hypervisor_summary(call: Call, host: Host) -> dict[str, Any]:
    return {
        "id": hypervisor_id(call, host),
        "hypervisor_hostname": host.name,
        "state": "up" if host.up else "down",
        "status": "enabled" if host.enabled else "disabled",
    }


def hypervisor_detail(call: Call, host: Host, *, with_servers: bool = False) -> dict[str, Any]:
    body = hypervisor_summary(call, host)
    body.update(
        {
            "host_ip": host.host_ip,
            "hypervisor_type": host.hypervisor_type,
            "hypervisor_version": host.hypervisor_version,
            "service": {
                "host": host.name,
                "id": service_id(call, host),
                "disabled_reason": host.disabled_reason or None,
            },
        }
    )
    on_host = _instances_on(host)
    if call.at_least("2.88"):
        body["uptime"] = uptime_text(host)
    else:
        free_disk = host.local_gb - host.local_gb_used
        body.update(
            {
                "vcpus": host.vcpus,
                "vcpus_used": host.vcpus_used,
                "memory_mb": host.memory_mb,
                "memory_mb_used": host.memory_mb_used,
                "local_gb": host.local_gb,
                "local_gb_used": host.local_gb_used,
                "free_ram_mb": host.memory_mb - host.memory_mb_used,
                "free_disk_gb": free_disk,
                "running_vms": len(on_host),
                "current_workload": sum(1 for i in on_host if is_io_workload(i.vm_state, i.task_state)),
                "disk_available_least": free_disk,
                "cpu_info": cpu_info(call, host),
            }
        )
    if with_servers:
        body["servers"] = [{"name": f"instance-{i.pk:08x}", "uuid": str(i.uuid)} for i in on_host]
    return body


def _find(call: Call, hypervisor: str) -> Host:
    if call.at_least("2.53"):
        try:
            uuid.UUID(hypervisor)
        except ValueError:
            raise Fault(400, f"Invalid uuid {hypervisor[:80]}") from None
        found = next((h for h in hosts(call) if stable_uuid("hypervisor", h.pk) == hypervisor), None)
    else:
        found = hosts(call).filter(pk=int(hypervisor)).first() if _small_id(hypervisor) else None
    if found is None:
        raise Fault(404, f"Hypervisor with ID '{hypervisor[:80]}' could not be found.")
    return found


def _listed(call: Call, path: str, detailed: bool) -> HttpResponse:
    call.require_admin("os_compute_api:os-hypervisors:" + ("list-detail" if detailed else "list"))
    chosen = list(hosts(call))
    pattern = call.request.GET.get("hypervisor_hostname_pattern")
    if pattern is not None:
        chosen = [h for h in chosen if pattern in h.name]
        if not chosen:
            raise Fault(404, f"No hypervisor matching '{pattern[:80]}' could be found.")
    full = False
    if call.at_least("2.33"):
        chosen, full = page(call, chosen, lambda h: str(hypervisor_id(call, h)))
    with_servers = call.at_least("2.53") and call.request.GET.get("with_servers", "").lower() in ("1", "true", "yes")
    shape = (
        (lambda h: hypervisor_detail(call, h, with_servers=with_servers))
        if detailed
        else (lambda h: hypervisor_summary(call, h))
    )
    body: dict[str, Any] = {"hypervisors": [shape(h) for h in chosen]}
    if full:
        body["hypervisors_links"] = next_links(call, path, str(hypervisor_id(call, chosen[-1])))
    return ok(body)


def _list(call: Call) -> HttpResponse:
    return _listed(call, "os-hypervisors", detailed=False)


def _detail(call: Call) -> HttpResponse:
    return _listed(call, "os-hypervisors/detail", detailed=True)


def _show(call: Call, hypervisor: str) -> HttpResponse:
    call.require_admin("os_compute_api:os-hypervisors:show")
    host = _find(call, hypervisor)
    with_servers = call.at_least("2.53") and call.request.GET.get("with_servers", "").lower() in ("1", "true", "yes")
    return ok({"hypervisor": hypervisor_detail(call, host, with_servers=with_servers)})


def _uptime(call: Call, hypervisor: str) -> HttpResponse:
    if call.at_least("2.88"):
        raise Fault(404, "The resource could not be found.")
    call.require_admin("os_compute_api:os-hypervisors:uptime")
    host = _find(call, hypervisor)
    return ok({"hypervisor": {**hypervisor_summary(call, host), "uptime": uptime_text(host)}})


def _statistics(call: Call) -> HttpResponse:
    if call.at_least("2.88"):
        raise Fault(404, "The resource could not be found.")
    call.require_admin("os_compute_api:os-hypervisors:statistics")
    every = list(hosts(call))
    on_hosts = [i for h in every for i in _instances_on(h)]
    free_disk = sum(h.local_gb - h.local_gb_used for h in every)
    return ok(
        {
            "hypervisor_statistics": {
                "count": len(every),
                "vcpus": sum(h.vcpus for h in every),
                "vcpus_used": sum(h.vcpus_used for h in every),
                "memory_mb": sum(h.memory_mb for h in every),
                "memory_mb_used": sum(h.memory_mb_used for h in every),
                "local_gb": sum(h.local_gb for h in every),
                "local_gb_used": sum(h.local_gb_used for h in every),
                "free_ram_mb": sum(h.memory_mb - h.memory_mb_used for h in every),
                "free_disk_gb": free_disk,
                "current_workload": sum(1 for i in on_hosts if is_io_workload(i.vm_state, i.task_state)),
                "running_vms": len(on_hosts),
                "disk_available_least": free_disk,
            }
        }
    )


# -- os-services --------------------------------------------------------------------------------

#: The control services of the cloud (one each), in the "internal" zone as Nova shows them.
CONTROL_SERVICES = ("nova-scheduler", "nova-conductor")


def _services(call: Call) -> HttpResponse:
    call.require_admin("os_compute_api:os-services:list")
    now = timezone.now().strftime("%Y-%m-%dT%H:%M:%S.%f")
    rows: list[dict[str, Any]] = []
    for index, binary in enumerate(CONTROL_SERVICES, start=1):
        rows.append(
            {
                "id": stable_uuid("control", f"{call.cloud.pk}:{binary}") if call.at_least("2.53") else index,
                "binary": binary,
                "host": "controller",
                "zone": "internal",
                "status": "enabled",
                "state": "up",
                "updated_at": now,
                "disabled_reason": None,
            }
        )
    if call.at_least("2.11"):
        for row in rows:
            row["forced_down"] = False
    rows.extend(_compute_service(call, host, now) for host in hosts(call))
    for key in ("host", "binary"):
        wanted = call.request.GET.get(key)
        if wanted:
            rows = [r for r in rows if r[key] == wanted]
    return ok({"services": rows})


def _service_update(call: Call, service: str) -> HttpResponse:
    """``PUT /os-services/{id}`` (2.53): enable, disable with a reason, force down or up, through
    the same host action as Admin → Hypervisors. A state it is already in changes nothing."""
    if not call.at_least("2.53"):
        raise Fault(404, "The resource could not be found.")
    call.require_admin("os_compute_api:os-services:update")
    body = an_object(call.body, None, allowed=frozenset({"status", "disabled_reason", "forced_down"}))
    host = next((h for h in hosts(call) if stable_uuid("service", h.pk) == service), None)
    if host is None:
        if any(stable_uuid("control", f"{call.cloud.pk}:{b}") == service for b in CONTROL_SERVICES):
            raise Fault(
                400,
                "Updating a nova-scheduler or nova-conductor service is not supported. "
                "Only nova-compute services can be updated.",
            )
        raise Fault(404, f"Service {service[:80]} could not be found.")
    status = body.get("status")
    if status is not None and status not in ("enabled", "disabled"):
        raise invalid("status", status, f"{status!r:.80} is not one of ['enabled', 'disabled']")
    reason = a_string(body["disabled_reason"], "disabled_reason", min_length=1) if "disabled_reason" in body else None
    if reason is not None and status != "disabled":
        raise Fault(400, "Specifying 'disabled_reason' with status 'enabled' is invalid.")
    forced_down = a_boolean(body["forced_down"], "forced_down") if "forced_down" in body else None
    if status is None and forced_down is None:
        raise Fault(400, "'status' or 'forced_down' is required.")
    wanted = []
    if status == "disabled" and host.enabled:
        wanted.append(("disable", reason or ""))
    elif status == "enabled" and not host.enabled:
        wanted.append(("enable", ""))
    if forced_down is True and host.up:
        wanted.append(("mark_down", ""))
    elif forced_down is False and not host.up:
        wanted.append(("bring_up", ""))
    for action, why in wanted:
        host = do_host_action(call.caller.user, host, action, why)
    host.refresh_from_db()
    return ok({"service": _compute_service(call, host, timezone.now().strftime("%Y-%m-%dT%H:%M:%S.%f"))})


def _compute_service(call: Call, host: Host, now: str) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": stable_uuid("service", host.pk) if call.at_least("2.53") else len(CONTROL_SERVICES) + host.pk,
        "binary": "nova-compute",
        "host": host.name,
        "zone": host.availability_zone,
        "status": "enabled" if host.enabled else "disabled",
        "state": "up" if host.up else "down",
        "updated_at": (host.down_since.strftime("%Y-%m-%dT%H:%M:%S.%f") if host.down_since else now),
        "disabled_reason": host.disabled_reason or None,
    }
    if call.at_least("2.11"):
        row["forced_down"] = not host.up
    return row


# -- os-aggregates and os-availability-zone ---------------------------------------------------


def aggregate_body(call: Call, aggregate: Aggregate) -> dict[str, Any]:
    created = aggregate.cloud.created_at.strftime("%Y-%m-%dT%H:%M:%S.%f")
    metadata = {str(k): str(v) for k, v in (aggregate.metadata or {}).items()}
    if aggregate.availability_zone:
        metadata["availability_zone"] = aggregate.availability_zone
    body: dict[str, Any] = {
        "id": aggregate.pk,
        "name": aggregate.name,
        "availability_zone": aggregate.availability_zone or None,
        "hosts": sorted(aggregate.hosts.values_list("name", flat=True)),
        "metadata": metadata,
        "created_at": created,
        "updated_at": None,
        "deleted": False,
        "deleted_at": None,
    }
    if call.at_least("2.41"):
        body["uuid"] = stable_uuid("aggregate", aggregate.pk)
    return body


def _aggregates(call: Call) -> HttpResponse:
    call.require_admin("os_compute_api:os-aggregates:index")
    found = Aggregate.objects.filter(cloud=call.cloud).select_related("cloud").order_by("name")
    return ok({"aggregates": [aggregate_body(call, a) for a in found]})


def _aggregate(call: Call, aggregate_id: str) -> HttpResponse:
    call.require_admin("os_compute_api:os-aggregates:show")
    found = (
        Aggregate.objects.filter(cloud=call.cloud, pk=int(aggregate_id)).select_related("cloud").first()
        if _small_id(aggregate_id)
        else None
    )
    if found is None:
        raise Fault(404, f"Aggregate {aggregate_id[:80]} could not be found.")
    return ok({"aggregate": aggregate_body(call, found)})


def _zones(call: Call) -> list[str]:
    return sorted(set(hosts(call).filter(enabled=True).values_list("availability_zone", flat=True)))


def _availability_zones(call: Call) -> HttpResponse:
    return ok(
        {
            "availabilityZoneInfo": [
                {"zoneName": z, "zoneState": {"available": True}, "hosts": None} for z in _zones(call)
            ]
        }
    )


def _availability_zones_detail(call: Call) -> HttpResponse:
    call.require_admin("os_compute_api:os-availability-zone:detail")
    now = timezone.now().strftime("%Y-%m-%dT%H:%M:%S.%f")
    info: list[dict[str, Any]] = [
        {
            "zoneName": "internal",
            "zoneState": {"available": True},
            "hosts": {
                "controller": {b: {"available": True, "active": True, "updated_at": now} for b in CONTROL_SERVICES}
            },
        }
    ]
    for zone in sorted(set(hosts(call).values_list("availability_zone", flat=True))):
        in_zone = hosts(call).filter(availability_zone=zone)
        info.append(
            {
                "zoneName": zone,
                "zoneState": {"available": any(h.enabled and h.up for h in in_zone)},
                "hosts": {
                    h.name: {"nova-compute": {"available": h.up, "active": h.enabled, "updated_at": now}}
                    for h in in_zone
                },
            }
        )
    return ok({"availabilityZoneInfo": info})


hypervisor_list = endpoint(GET=_list)
hypervisor_list_detail = endpoint(GET=_detail)
hypervisor_show = endpoint(GET=_show)
hypervisor_uptime = endpoint(GET=_uptime)
hypervisor_statistics = endpoint(GET=_statistics)
service_list = endpoint(GET=_services)
service = endpoint(PUT=_service_update)
aggregate_list = endpoint(GET=_aggregates)
aggregate_show = endpoint(GET=_aggregate)
availability_zone_list = endpoint(GET=_availability_zones)
availability_zone_detail = endpoint(GET=_availability_zones_detail)
