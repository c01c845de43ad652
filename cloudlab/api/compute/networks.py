"""Nova's os-networks proxy (served below microversion 2.36, as Nova does): with no network
service in the catalog, ``openstack server create --network private`` resolves the name here
(``GET /os-networks/private`` 404, then ``GET /os-networks`` matched on ``label``). A cloud has
one network, ``Cloud.network_name`` / ``network_cidr``."""

from __future__ import annotations

import ipaddress
import uuid
from typing import Any

from django.http import HttpResponse

from cloudlab.compute.models import Cloud

from .base import Call, endpoint, ok
from .faults import Fault

_NAMESPACE = uuid.UUID("0f6f3a52-3f0b-4c43-a3e5-2f7f4f1d6c01")


def network_id(cloud: Cloud) -> str:
    """The cloud's network's id: the same on every start."""
    return str(uuid.uuid5(_NAMESPACE, f"network:{cloud.pk}"))


def network_body(cloud: Cloud) -> dict[str, Any]:
    network = ipaddress.ip_network(cloud.network_cidr)
    gateway = next(network.hosts(), None)
    return {
        "id": network_id(cloud),
        "label": cloud.network_name,
        "cidr": cloud.network_cidr,
        "gateway": str(gateway) if gateway else None,
        "netmask": str(network.netmask),
        "broadcast": str(network.broadcast_address),
    }


def _proxy_available(call: Call) -> None:
    if call.at_least("2.36"):
        raise Fault(404, "The resource could not be found.")


def _list(call: Call) -> HttpResponse:
    _proxy_available(call)
    return ok({"networks": [network_body(call.cloud)]})


def _show(call: Call, network: str) -> HttpResponse:
    _proxy_available(call)
    if network != network_id(call.cloud):
        raise Fault(404, f"Network {network[:80]} could not be found.")
    return ok({"network": network_body(call.cloud)})


network_list = endpoint(GET=_list)
network_show = endpoint(GET=_show)
