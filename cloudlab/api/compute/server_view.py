"""A server as Nova's view builder shows it (nova/api/openstack/compute/views/servers.py), field
by field per microversion, as Tempest's response schemas (``api_schema/response/compute/v2_*``)
expect: the summary of ``GET /servers``, the detail of ``/servers/detail`` and the show of
``GET /servers/{id}`` (which alone has ``server_groups``, from 2.71).

The ``OS-EXT-SRV-ATTR:*`` attributes (host, instance name, reservation …) are the admin's
(policy ``os_compute_api:os-extended-server-attributes``), except ``hostname`` from 2.90."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any

from cloudlab.api.auth import project_id, user_id_for_pk
from cloudlab.compute.models import Instance
from cloudlab.compute.rows import shown_host
from cloudlab.compute.scheduling import request_spec

from .base import Call

#: The statuses that carry ``progress`` (the view builder's ``_progress_statuses``).
PROGRESS_STATUSES = frozenset({"ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "MIGRATING"})
#: The statuses that show the instance's fault (``_fault_statuses``).
FAULT_STATUSES = frozenset({"ERROR", "DELETED"})


def isotime(moment: datetime | None) -> str | None:
    """Nova's ``created``/``updated``: seconds and a Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def usage_time(moment: datetime | None) -> str | None:
    """``OS-SRV-USG:launched_at``'s spelling: microseconds, no zone."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") if moment else None


def host_id(instance: Instance) -> str:
    """Nova's ``hostId``: sha224 of project id and host, so a project tells its instances' hosts
    apart without learning their names; '' before the instance has one."""
    host = shown_host(instance)
    if host is None:
        return ""
    return hashlib.sha224((project_id(instance.project) + host.name).encode()).hexdigest()


def mac_address(instance: Instance) -> str:
    digest = hashlib.sha256(str(instance.uuid).encode()).hexdigest()
    return "fa:16:3e:" + ":".join(digest[i : i + 2] for i in (0, 2, 4))


def hostname(name: str) -> str:
    """The guest hostname Nova derives from the display name (``utils.sanitize_hostname``)."""
    text = re.sub(r"[ _]", "-", name.lower())
    text = re.sub(r"[^\w.-]+", "", text, flags=re.ASCII).strip(".-")
    return text[:63] or "server"


def addresses(instance: Instance) -> dict[str, list[dict[str, Any]]]:
    if not instance.fixed_ip:
        return {}
    return {
        instance.cloud.network_name: [
            {
                "version": 6 if ":" in instance.fixed_ip else 4,
                "addr": instance.fixed_ip,
                "OS-EXT-IPS:type": "fixed",
                "OS-EXT-IPS-MAC:mac_addr": mac_address(instance),
            }
        ]
    }


def flavor_of(call: Call, instance: Instance) -> dict[str, Any]:
    flavor = instance.flavor
    if call.at_least("2.47"):
        return {
            "vcpus": flavor.vcpus,
            "ram": flavor.memory_mb,
            "disk": flavor.root_gb,
            "ephemeral": flavor.ephemeral_gb,
            "swap": flavor.swap,
            "original_name": flavor.name,
            "extra_specs": {str(k): str(v) for k, v in (flavor.extra_specs or {}).items()},
        }
    return {"id": flavor.flavorid, "links": [{"rel": "bookmark", "href": call.bookmark(f"flavors/{flavor.flavorid}")}]}


def image_of(call: Call, instance: Instance) -> dict[str, Any]:
    image_id = str(instance.image.uuid)
    shown: dict[str, Any] = {
        "id": image_id,
        "links": [{"rel": "bookmark", "href": call.bookmark(f"images/{image_id}")}],
    }
    if call.at_least("2.98"):
        shown["properties"] = {str(k): str(v) for k, v in (instance.image.properties or {}).items()}
    return shown


def create_record(instance: Instance) -> tuple[str, int]:
    """The boot's request id and which instance of its request this is (launch_index)."""
    found = (
        instance.actions.filter(action="create")
        .order_by("start_time", "id")
        .values_list("request_id", "context")
        .first()
    )
    if found is None:
        return "", 0
    request_id, context = found
    return request_id, max(0, int((context or {}).get("index", 1)) - 1)


def reservation_id(request_id: str) -> str:
    """``r-`` and eight characters, the same for every instance of one request."""
    return "r-" + hashlib.sha256(request_id.encode()).hexdigest()[:8] if request_id else ""


def host_status(instance: Instance) -> str:
    host = shown_host(instance)
    if host is None:
        return ""
    if not host.up:
        return "DOWN"
    return "UP" if host.enabled else "MAINTENANCE"


def summary(call: Call, instance: Instance) -> dict[str, Any]:
    """An entry of ``GET /servers``."""
    return {"id": str(instance.uuid), "name": instance.name, "links": call.links(f"servers/{instance.uuid}")}


def detail(call: Call, instance: Instance, *, show: bool = False) -> dict[str, Any]:
    """An entry of ``/servers/detail`` (``show``: the body of ``GET /servers/{id}``)."""
    status = instance.status
    host = shown_host(instance)
    spec = request_spec(instance)
    admin = call.caller.is_admin
    server: dict[str, Any] = {
        "id": str(instance.uuid),
        "name": instance.name,
        "status": status,
        "tenant_id": project_id(instance.project),
        "user_id": user_id_for_pk(instance.user_id) if instance.user_id else "",
        "metadata": {},
        "hostId": host_id(instance),
        "image": image_of(call, instance),
        "flavor": flavor_of(call, instance),
        "created": isotime(instance.created_at),
        "updated": isotime(instance.updated_at),
        "addresses": addresses(instance),
        "accessIPv4": "",
        "accessIPv6": "",
        "links": call.links(f"servers/{instance.uuid}"),
        "OS-DCF:diskConfig": "MANUAL",
        # The zone asked for until the host's is known, as Nova writes it at the API.
        "OS-EXT-AZ:availability_zone": instance.availability_zone or spec.get("availability_zone") or "",
        "config_drive": "",
        "key_name": None,
        "OS-SRV-USG:launched_at": usage_time(instance.launched_at),
        "OS-SRV-USG:terminated_at": usage_time(instance.deleted_at),
        "OS-EXT-STS:task_state": instance.task_state,
        "OS-EXT-STS:vm_state": instance.vm_state,
        "OS-EXT-STS:power_state": instance.power_state,
        "os-extended-volumes:volumes_attached": [],
        "security_groups": [{"name": "default"}],
    }
    if status in PROGRESS_STATUSES:
        server["progress"] = 100 if status == "ACTIVE" else 0
    if status in FAULT_STATUSES and instance.fault:
        fault = {
            "code": instance.fault.get("code", 500),
            "created": instance.fault.get("created") or isotime(instance.updated_at),
            "message": instance.fault.get("message", ""),
        }
        if admin:
            fault["details"] = instance.fault.get("details", "")
        server["fault"] = fault
    if admin:
        server.update(
            {
                "OS-EXT-SRV-ATTR:host": host.name if host else None,
                "OS-EXT-SRV-ATTR:instance_name": f"instance-{instance.pk:08x}",
                "OS-EXT-SRV-ATTR:hypervisor_hostname": (instance.node or host.name) if host else None,
            }
        )
        if call.at_least("2.3"):
            request_id, launch_index = create_record(instance)
            server.update(
                {
                    "OS-EXT-SRV-ATTR:reservation_id": reservation_id(request_id),
                    "OS-EXT-SRV-ATTR:launch_index": launch_index,
                    "OS-EXT-SRV-ATTR:kernel_id": "",
                    "OS-EXT-SRV-ATTR:ramdisk_id": "",
                    "OS-EXT-SRV-ATTR:root_device_name": "/dev/vda",
                    "OS-EXT-SRV-ATTR:user_data": None,
                }
            )
    if (admin and call.at_least("2.3")) or call.at_least("2.90"):
        server["OS-EXT-SRV-ATTR:hostname"] = hostname(instance.name)
    if call.at_least("2.9"):
        server["locked"] = instance.locked
    if call.at_least("2.16") and admin:
        server["host_status"] = host_status(instance)
    if call.at_least("2.19"):
        server["description"] = None
    if call.at_least("2.26"):
        server["tags"] = []
    if call.at_least("2.63"):
        server["trusted_image_certificates"] = None
    if call.at_least("2.71") and show:
        server["server_groups"] = [str(u) for u in instance.server_groups.values_list("uuid", flat=True)]
    if call.at_least("2.73"):
        server["locked_reason"] = None
    if call.at_least("2.96"):
        server["pinned_availability_zone"] = spec.get("availability_zone") or None
    if call.at_least("2.100"):
        server["scheduler_hints"] = {k: list(v) for k, v in (spec.get("scheduler_hints") or {}).items()}
    return server


#: What PUT /servers/{id} and rebuild leave out before 2.75 (the view builder's show with
#: every extension off); from 2.75 they answer as GET /servers/{id} does.
_NOT_IN_UPDATE_PREFIXES = ("OS-EXT-SRV-ATTR:", "OS-EXT-STS:", "OS-SRV-USG:", "OS-EXT-AZ:", "os-extended-volumes:")
_NOT_IN_UPDATE = frozenset({"key_name", "security_groups", "config_drive", "host_status"})


def updated(call: Call, instance: Instance) -> dict[str, Any]:
    """The server in the answer of a rename (PUT) or a rebuild."""
    shown = detail(call, instance, show=True)
    if call.at_least("2.75"):
        return shown
    kept = {k: v for k, v in shown.items() if k not in _NOT_IN_UPDATE and not k.startswith(_NOT_IN_UPDATE_PREFIXES)}
    kept["addresses"] = {
        network: [{"version": a["version"], "addr": a["addr"]} for a in entries]
        for network, entries in shown["addresses"].items()
    }
    return kept
