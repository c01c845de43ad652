"""Servers (nova/api/openstack/compute/servers.py): list, detail with filters, show, create,
rename and delete, scoped to the token's project (an admin, the cloud's instructor, may also
reach the cloud's other instances, as Nova's admin does; anyone else's answer 404).

Every write goes through the actions the dashboard uses (``check_launch``/``do_launch``,
``do_instance_action``, ``do_rename_instance``), carrying this request's id into the action log."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from cloudlab.compute.actions import launch as launching
from cloudlab.compute.actions.errors import ActionError
from cloudlab.compute.actions.instance import do_instance_action, do_rename_instance
from cloudlab.compute.ids import is_uuid
from cloudlab.compute.models import Host, Instance
from cloudlab.engine import lifecycle

from . import server_view
from .base import Call, accepted, endpoint, no_content, ok
from .faults import Fault
from .networks import network_id
from .paging import next_links, page
from .validation import (
    a_boolean,
    a_name,
    a_positive_integer,
    a_string,
    a_uuid,
    an_object,
    invalid,
    not_of_type,
    unexpected,
    uuid_list,
)


def visible_servers(call: Call) -> QuerySet[Instance]:
    """The instances this token may see: its project's, or (admin) its cloud's; not deleted."""
    instances = Instance.objects.live().select_related("cloud", "flavor", "image", "host", "project")
    if call.caller.is_admin:
        return instances.filter(cloud=call.cloud)
    return instances.filter(project=call.caller.project)


def find_server(call: Call, server_id: str) -> Instance:
    instance = visible_servers(call).filter(uuid=server_id).first() if is_uuid(server_id) else None
    if instance is None:
        raise Fault(404, f"Instance {server_id[:80]} could not be found.")
    return instance


# -- list ---------------------------------------------------------------------------------------


def _name_filter(pattern: str) -> re.Pattern[str]:
    """Nova matches ``name`` (and ``ip``) as a regular expression in the database. Here a subset
    with no repetition, so no pattern can make a request backtrack for ever: ``^`` and ``$``
    anchor, ``.`` is any character, the rest is literal (``web(1)`` finds ``web(1)``). The clients
    send ``^name$`` or the plain name and keep the exact matches themselves."""
    pattern = pattern[:255]
    start = "^" if pattern.startswith("^") else ""
    end = "$" if pattern.endswith("$") and len(pattern) > len(start) else ""
    body = pattern[len(start) : len(pattern) - len(end)]
    return re.compile(start + ".".join(re.escape(part) for part in body.split(".")) + end, re.DOTALL)


def _filtered(call: Call) -> list[Instance]:
    params = call.request.GET
    instances = visible_servers(call)
    all_tenants = call.caller.is_admin and params.get("all_tenants", "").lower() in ("1", "true", "yes", "")
    if not ("all_tenants" in params and all_tenants):
        instances = instances.filter(project=call.caller.project)
    if params.get("flavor"):
        instances = instances.filter(flavor__flavorid=params["flavor"])
    if params.get("image"):
        image = params["image"].rsplit("/", 1)[-1]
        instances = instances.filter(image__uuid=image) if is_uuid(image) else instances.none()
    if params.get("availability_zone"):
        instances = instances.filter(availability_zone=params["availability_zone"])
    if call.caller.is_admin and params.get("host"):
        instances = instances.filter(host__name=params["host"])
    if params.get("changes-since"):
        instances = instances.filter(updated_at__gte=_since(params["changes-since"]))
    chosen = list(instances.order_by("-created_at", "-id"))
    if "name" in params:
        pattern = _name_filter(params["name"])
        chosen = [i for i in chosen if pattern.search(i.name)]
    if params.get("status"):
        wanted = {s.strip().upper() for s in params.getlist("status")}
        chosen = [i for i in chosen if i.status in wanted]
    if params.get("ip"):
        pattern = _name_filter(params["ip"])
        chosen = [i for i in chosen if i.fixed_ip and pattern.search(i.fixed_ip)]
    return chosen


def _since(raw: str) -> datetime:
    """``changes-since``: an ISO 8601 time (UTC when it names no zone)."""
    try:
        since = parse_datetime(raw.strip())
    except ValueError:  # well formed, not a time: 2026-13-45T00:00:00
        since = None
    if since is None:
        raise invalid("changes-since", raw, f"{raw[:80]!r} is not a 'date-time'")
    return since if since.tzinfo is not None else since.replace(tzinfo=UTC)


def _listed(call: Call, path: str, detailed: bool) -> HttpResponse:
    chosen, full = page(call, _filtered(call), lambda i: str(i.uuid))
    shape = server_view.detail if detailed else server_view.summary
    body: dict[str, Any] = {"servers": [shape(call, i) for i in chosen]}
    if full:
        body["servers_links"] = next_links(call, path, str(chosen[-1].uuid))
    return ok(body)


def _list(call: Call) -> HttpResponse:
    return _listed(call, "servers", detailed=False)


def _detail(call: Call) -> HttpResponse:
    return _listed(call, "servers/detail", detailed=True)


# -- create -------------------------------------------------------------------------------------

#: The keys of ``server`` in Nova's create schema (2.1 … 2.100); anything else is refused.
SERVER_KEYS = frozenset(
    {
        "name", "imageRef", "flavorRef", "adminPass", "metadata", "networks", "OS-DCF:diskConfig",
        "accessIPv4", "accessIPv6", "personality", "min_count", "max_count", "return_reservation_id",
        "key_name", "user_data", "availability_zone", "block_device_mapping", "block_device_mapping_v2",
        "config_drive", "security_groups", "description", "tags", "trusted_image_certificates", "host",
        "hypervisor_hostname", "hostname",
    }
)  # fmt: skip
BODY_KEYS = frozenset({"server", "OS-SCH-HNT:scheduler_hints", "os:scheduler_hints"})


def _image_id(server: dict[str, Any]) -> str:
    """The image to boot: ``imageRef`` (an id or a link ending in one), else the block device
    mapping's image at boot index 0 (the SDK and OSC send both)."""
    ref = server.get("imageRef")
    if ref not in (None, ""):
        ref = a_string(ref, "imageRef", max_length=2048)
        assert ref is not None
        image_id = ref.rstrip("/").rsplit("/", 1)[-1]
        if not is_uuid(image_id):
            raise Fault(400, "Invalid imageRef provided.")
        return image_id
    mappings = server.get("block_device_mapping_v2") or []
    if not isinstance(mappings, list):
        raise not_of_type("block_device_mapping_v2", mappings, "array")
    for mapping in mappings:
        if not isinstance(mapping, dict):
            raise not_of_type("block_device_mapping_v2", mapping, "object")
        if mapping.get("source_type") == "image" and str(mapping.get("boot_index")) == "0":
            image_id = mapping.get("uuid")
            if not isinstance(image_id, str) or not is_uuid(image_id):
                raise Fault(400, "Invalid imageRef provided.")
            return image_id
        if mapping.get("source_type") in ("volume", "snapshot", "blank"):
            raise Fault(400, "Block Device Mapping is Invalid: " + _("this cloud has no block storage (Cinder)."))
    raise Fault(400, "Missing imageRef attribute")


def _networks(call: Call, server: dict[str, Any]) -> str | None:
    """``networks``: required from 2.37 (``auto``, ``none`` or a list); "none" boots without a
    port. Only the cloud's one network (os-networks) can be named."""
    if "networks" not in server:
        if call.at_least("2.37"):
            raise invalid("server", server, "'networks' is a required property")
        return None
    networks = server["networks"]
    if isinstance(networks, str):
        if not call.at_least("2.37"):
            raise not_of_type("networks", networks, "array")
        if networks not in ("auto", "none"):
            raise invalid("networks", networks, f"{networks[:80]!r} is not one of ['none', 'auto']")
        return networks
    if not isinstance(networks, list):
        raise not_of_type("networks", networks, "array", "string")
    for entry in networks:
        item = an_object(entry, "networks", allowed=frozenset({"uuid", "port", "fixed_ip", "tag"}))
        if "port" in item and item["port"] is not None:
            raise Fault(400, f"Port {str(item['port'])[:80]} could not be found.")
        if "uuid" in item:
            wanted = a_string(item["uuid"], "uuid", max_length=64)
            if wanted != network_id(call.cloud):
                raise Fault(400, f"Network {str(wanted)[:80]} could not be found.")
    return None


def _hints(body: dict[str, Any]) -> dict[str, list[str]]:
    """``OS-SCH-HNT:scheduler_hints`` (or ``os:scheduler_hints``): same_host and different_host
    as lists of uuids (a single one arrives as a string), as Nova keeps them in the RequestSpec."""
    raw = body.get("OS-SCH-HNT:scheduler_hints", body.get("os:scheduler_hints"))
    if raw is None:
        return {}
    hints = an_object(raw, "OS-SCH-HNT:scheduler_hints")
    kept: dict[str, list[str]] = {}
    for key in ("same_host", "different_host"):
        if key in hints:
            kept[key] = uuid_list(hints[key], key)
    if "group" in hints:
        group = hints["group"]
        if not isinstance(group, str):
            raise not_of_type("group", group, "string")
        kept["group"] = [a_uuid(group, "group")]  # the project's group: do_launch finds and joins it
    return kept


def _availability_zone(call: Call, server: dict[str, Any]) -> str | None:
    if server.get("availability_zone") in (None, ""):
        return None
    zone = a_string(server["availability_zone"], "availability_zone", max_length=255)
    assert zone is not None
    if ":" in zone:
        raise Fault(
            400, _("Forcing a host with availability_zone 'zone:host' is not offered here; name the zone only.")
        )
    zones = set(Host.objects.filter(cloud=call.cloud).values_list("availability_zone", flat=True))
    if zone not in zones:
        raise Fault(400, "The requested availability zone is not available")
    return zone


def _check_extras(call: Call, server: dict[str, Any]) -> None:
    """The create body's other fields, as Nova validates them (none changes the simulation)."""
    if server.get("key_name") not in (None, ""):
        a_string(server["key_name"], "key_name")
        raise Fault(400, "Invalid key_name provided.")
    if "metadata" in server:
        metadata = an_object(server["metadata"], "metadata")
        for key, value in metadata.items():
            a_string(key, "metadata", min_length=1)
            a_string(value, "metadata")
    for group in server.get("security_groups") or []:
        name = an_object(group, "security_groups").get("name")
        if name != "default":
            raise Fault(400, f"Unable to find security_group with name or id '{str(name)[:80]}'")
    if "config_drive" in server and server["config_drive"] not in (None, ""):
        a_boolean(server["config_drive"], "config_drive")
    if "description" in server:
        if not call.at_least("2.19"):
            raise unexpected("server", server, "description")
        a_string(server["description"], "description", nullable=True)
    for address in ("accessIPv4", "accessIPv6"):
        if server.get(address) not in (None, ""):
            a_string(server[address], address, max_length=64)
    if "personality" in server and call.at_least("2.57"):
        raise unexpected("server", server, "personality")
    for key, since in (("tags", "2.52"), ("trusted_image_certificates", "2.63")):
        if key in server and not call.at_least(since):
            raise unexpected("server", server, key)
    if "hostname" in server and not call.at_least("2.90"):
        raise unexpected("server", server, "hostname")
    if ("host" in server or "hypervisor_hostname" in server) and not call.at_least("2.74"):
        key = "host" if "host" in server else "hypervisor_hostname"
        raise unexpected("server", server, key)
    if server.get("host") or server.get("hypervisor_hostname"):
        call.require_admin("compute:servers:create:requested_destination")
        raise Fault(400, _("Requesting a destination host at create is not offered here; use scheduler hints."))


def _create(call: Call) -> HttpResponse:
    body = an_object(call.body, None, required=("server",), allowed=BODY_KEYS)
    server = an_object(body["server"], "server", required=("name", "flavorRef"), allowed=SERVER_KEYS)
    name = a_name(server["name"])
    flavor_ref = server["flavorRef"]
    if isinstance(flavor_ref, int) and not isinstance(flavor_ref, bool):
        flavor_ref = str(flavor_ref)
    flavor_ref = a_string(flavor_ref, "flavorRef", min_length=1)
    assert flavor_ref is not None
    flavor_id = flavor_ref.rstrip("/").rsplit("/", 1)[-1]
    image_id = _image_id(server)
    networks = _networks(call, server)
    min_count = a_positive_integer(server.get("min_count", 1), "min_count")
    max_count = a_positive_integer(server.get("max_count", min_count), "max_count")
    if min_count > max_count:
        raise Fault(400, "min_count must be <= max_count")
    want_reservation = a_boolean(server.get("return_reservation_id", False), "return_reservation_id")
    zone = _availability_zone(call, server)
    hints = _hints(body)
    _check_extras(call, server)
    project = call.caller.project
    if not launching.launchable_images(project).filter(uuid=image_id).exists():
        raise Fault(400, "Can not find requested image")
    if not launching.launchable_flavors(project).filter(flavorid=flavor_id).exists():
        raise Fault(400, "Invalid flavorRef provided.")
    launch = _check_counts(call, name, image_id, flavor_id, min_count, max_count)
    created = launching.do_launch(
        call.caller.user,
        launch,
        request_id=call.request_id,
        availability_zone=zone,
        scheduler_hints=hints,
        networks=networks,
    )
    first = created[0]
    if want_reservation:
        return accepted({"reservation_id": server_view.reservation_id(call.request_id)})
    shown = {
        "id": str(first.uuid),
        "links": call.links(f"servers/{first.uuid}"),
        "OS-DCF:diskConfig": "MANUAL",
        "security_groups": [{"name": "default"}],
        "adminPass": server["adminPass"] if isinstance(server.get("adminPass"), str) else secrets.token_urlsafe(9),
    }
    return accepted({"server": shown}, location=call.url(f"servers/{first.uuid}"))


def _check_counts(
    call: Call, name: str, image_id: str, flavor_id: str, min_count: int, max_count: int
) -> launching.LaunchRequest:
    """Nova builds ``max_count`` instances, or as many down to ``min_count`` as the quota allows."""
    for count in range(max_count, min_count - 1, -1):
        try:
            return launching.check_launch(
                call.caller.user, call.caller.project, name=name, count=count, image_id=image_id, flavor_id=flavor_id
            )
        except ActionError as refused:
            if refused.status != 403 or count == min_count:
                raise
    raise AssertionError("unreachable")  # the loop returns or raises at min_count


# -- show, rename, delete ---------------------------------------------------------------------


def _show(call: Call, server_id: str) -> HttpResponse:
    return ok({"server": server_view.detail(call, find_server(call, server_id), show=True)})


def _update(call: Call, server_id: str) -> HttpResponse:
    instance = find_server(call, server_id)
    body = an_object(call.body, None, required=("server",), allowed=frozenset({"server"}))
    allowed = {"name", "accessIPv4", "accessIPv6", "OS-DCF:diskConfig"}
    if call.at_least("2.19"):
        allowed.add("description")
    if call.at_least("2.90"):
        allowed.add("hostname")
    server = an_object(body["server"], "server", allowed=frozenset(allowed))
    if "description" in server:
        a_string(server["description"], "description", nullable=True)
    if "name" in server:
        instance = do_rename_instance(call.caller.user, instance, a_name(server["name"]))
    shown = server_view.updated(call, instance)
    return ok({"server": shown})


def _delete(call: Call, server_id: str) -> HttpResponse:
    instance = find_server(call, server_id)
    if instance.task_state == lifecycle.TaskState.DELETING:
        return no_content()  # already being deleted: Nova accepts it again and changes nothing
    do_instance_action(call.caller.user, instance, "delete", request_id=call.request_id)
    return no_content()


server_list = endpoint(GET=_list, POST=_create)
server_list_detail = endpoint(GET=_detail)
server = endpoint(GET=_show, PUT=_update, DELETE=_delete)
