"""Flavors (nova/api/openstack/compute/flavors.py, flavors_extraspecs.py): list, detail, show
and extra specs, with ``is_public`` (an admin's filter; ``None`` means every flavor), ``minRam``,
``minDisk``, ``limit`` and ``marker``. Flavors are looked up by their Nova id only: a name is
404, after which the clients list and match it themselves."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse

from cloudlab.compute.models import Flavor

from .base import Call, endpoint, ok
from .faults import Fault
from .paging import next_links, page


def flavor_links(call: Call, flavor: Flavor) -> list[dict[str, str]]:
    return call.links(f"flavors/{flavor.flavorid}")


def extra_specs(flavor: Flavor) -> dict[str, str]:
    return {str(k): str(v) for k, v in (flavor.extra_specs or {}).items()}


def flavor_summary(call: Call, flavor: Flavor) -> dict[str, Any]:
    shown: dict[str, Any] = {"id": flavor.flavorid, "name": flavor.name, "links": flavor_links(call, flavor)}
    if call.at_least("2.55"):
        shown["description"] = None
    return shown


def flavor_detail(call: Call, flavor: Flavor) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "id": flavor.flavorid,
        "name": flavor.name,
        "ram": flavor.memory_mb,
        "disk": flavor.root_gb,
        "vcpus": flavor.vcpus,
        "links": flavor_links(call, flavor),
        "OS-FLV-EXT-DATA:ephemeral": flavor.ephemeral_gb,
        "OS-FLV-DISABLED:disabled": False,
        "os-flavor-access:is_public": flavor.is_public,
        # Before 2.75 a flavor without swap showed "" (the column's old default).
        "swap": flavor.swap if (flavor.swap or call.at_least("2.75")) else "",
        "rxtx_factor": 1.0,
    }
    if call.at_least("2.55"):
        shown["description"] = None
    if call.at_least("2.61"):
        shown["extra_specs"] = extra_specs(flavor)
    return shown


def visible_flavors(call: Call) -> QuerySet[Flavor]:
    flavors = Flavor.objects.filter(cloud=call.cloud)
    return flavors if call.caller.is_admin else flavors.filter(is_public=True)


def _is_public(raw: str | None) -> bool | None:
    """``_parse_is_public``: absent → public only; ``none`` → all; else a boolean."""
    if raw is None:
        return True
    if raw.lower() == "none":
        return None
    if raw.lower() in ("true", "t", "1", "on", "y", "yes"):
        return True
    if raw.lower() in ("false", "f", "0", "off", "n", "no"):
        return False
    raise Fault(400, f"Invalid is_public filter [{raw[:80]}]")


def _minimum(call: Call, name: str) -> int | None:
    raw = call.request.GET.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise Fault(400, f"Invalid {name} filter [{raw[:80]}]") from None
    return max(min(value, 2**31 - 1), -(2**31))  # beyond any flavor either way; fits the column


def _listed(call: Call, path: str, shape: Any, key: str = "flavors") -> HttpResponse:
    flavors = Flavor.objects.filter(cloud=call.cloud)
    if call.caller.is_admin:
        public = _is_public(call.request.GET.get("is_public"))
        if public is not None:
            flavors = flavors.filter(is_public=public)
    else:
        _is_public(call.request.GET.get("is_public"))  # still refused when malformed
        flavors = flavors.filter(is_public=True)
    min_ram = _minimum(call, "minRam")
    if min_ram is not None:
        flavors = flavors.filter(memory_mb__gte=min_ram)
    min_disk = _minimum(call, "minDisk")
    if min_disk is not None:
        flavors = flavors.filter(root_gb__gte=min_disk)
    ordered = sorted(flavors, key=lambda f: f.flavorid)
    chosen, full = page(call, ordered, lambda f: f.flavorid)
    body: dict[str, Any] = {key: [shape(call, f) for f in chosen]}
    if full:
        body[key + "_links"] = next_links(call, path, chosen[-1].flavorid)
    return ok(body)


def _list(call: Call) -> HttpResponse:
    return _listed(call, "flavors", flavor_summary)


def _detail(call: Call) -> HttpResponse:
    return _listed(call, "flavors/detail", flavor_detail)


def find_flavor(call: Call, flavor_id: str) -> Flavor:
    flavor = visible_flavors(call).filter(flavorid=flavor_id).first()
    if flavor is None:
        raise Fault(404, f"Flavor {flavor_id[:80]} could not be found.")
    return flavor


def _show(call: Call, flavor_id: str) -> HttpResponse:
    return ok({"flavor": flavor_detail(call, find_flavor(call, flavor_id))})


def _extra_specs(call: Call, flavor_id: str) -> HttpResponse:
    return ok({"extra_specs": extra_specs(find_flavor(call, flavor_id))})


def _extra_spec(call: Call, flavor_id: str, key: str) -> HttpResponse:
    specs = extra_specs(find_flavor(call, flavor_id))
    if key not in specs:
        raise Fault(404, f"Flavor {flavor_id[:80]} has no extra specs with key {key[:80]}.")
    return ok({key: specs[key]})


flavor_list = endpoint(GET=_list)
flavor_list_detail = endpoint(GET=_detail)
flavor_show = endpoint(GET=_show)
flavor_extra_specs = endpoint(GET=_extra_specs)
flavor_extra_spec = endpoint(GET=_extra_spec)
