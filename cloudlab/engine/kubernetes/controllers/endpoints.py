"""The endpoints controller: a Service's Endpoints from the pods it selects (§3.4).

Read: ``pkg/controller/endpoint/endpoints_controller.go syncService`` (candidate pods: same
namespace, selector match, ``podIP`` set, not terminal, no deletionTimestamp unless
``publishNotReadyAddresses``; ready → ``addresses``, else ``notReadyAddresses``; the 1000-address
cap and the ``endpoints.kubernetes.io/over-capacity: truncated`` annotation),
``podutil.FindPort`` (a named targetPort resolves through the container's port names) and
``endpoints.RepackSubsets`` (addresses with the same ports share a subset, sorted by IP).
"""

from __future__ import annotations

from ...i18n import N_
from ..objects import (
    EndpointAddress,
    EndpointPort,
    Endpoints,
    EndpointSubset,
    ObjectMeta,
    ObjectReference,
    Pod,
    Service,
    ServicePort,
)
from .actions import Action

MAX_CAPACITY = 1000
OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity"

UPDATE = N_("Endpoints {name}: {ready} ready, {not_ready} not ready address(es)")


def find_port(pod: Pod, port: ServicePort) -> int | None:
    """``FindPort``: a number is used as is (0 = the service port); a name looks the port up."""
    target = port.target_port or port.port
    if isinstance(target, int):
        return target
    if target.isdigit():
        return int(target)
    for c in pod.spec.containers:
        for cp in c.ports:
            if cp.name == target and cp.protocol == port.protocol:
                return cp.container_port
    return None


def _ip_key(ip: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in ip.split("."))
    except ValueError:
        return (999,)


def desired_endpoints(svc: Service, pods: list[Pod]) -> Endpoints:
    meta = ObjectMeta(svc.metadata.name, namespace=svc.metadata.namespace, labels=dict(svc.metadata.labels))
    groups: dict[tuple[tuple[str, int, str], ...], EndpointSubset] = {}
    selector = svc.selector or {}
    total = 0
    for p in pods:
        if p.metadata.namespace != svc.metadata.namespace or not p.status.pod_ip or p.is_terminal():
            continue
        if any(p.metadata.labels.get(k) != v for k, v in selector.items()):
            continue
        if p.metadata.deletion_timestamp is not None and not svc.publish_not_ready_addresses:
            continue
        ports = []
        for sp in svc.ports:
            number = find_port(p, sp)
            if number is not None:
                ports.append((sp.name, number, sp.protocol))
        key = tuple(ports)
        subset = groups.setdefault(
            key, EndpointSubset(ports=[EndpointPort(n, name, proto) for name, n, proto in ports])
        )
        address = EndpointAddress(
            p.status.pod_ip,
            p.spec.node_name,
            ObjectReference("Pod", p.metadata.name, p.metadata.namespace, p.metadata.uid),
        )
        if p.is_ready() or svc.publish_not_ready_addresses:
            subset.addresses.append(address)
        else:
            subset.not_ready_addresses.append(address)
        total += 1
    subsets = []
    for subset in groups.values():
        subset.addresses.sort(key=lambda a: _ip_key(a.ip))
        subset.not_ready_addresses.sort(key=lambda a: _ip_key(a.ip))
        subsets.append(subset)
    if total > MAX_CAPACITY:
        meta.annotations[OVER_CAPACITY] = "truncated"
        left = MAX_CAPACITY
        for subset in subsets:
            subset.addresses = subset.addresses[:left]
            left -= len(subset.addresses)
            subset.not_ready_addresses = subset.not_ready_addresses[: max(left, 0)]
            left -= len(subset.not_ready_addresses)
    return Endpoints(meta, subsets)


def _shape(ep: Endpoints | None) -> object:
    if ep is None:
        return None
    return (
        sorted(ep.metadata.annotations.items()),
        [
            (
                [(a.ip, a.node_name) for a in s.addresses],
                [(a.ip, a.node_name) for a in s.not_ready_addresses],
                [(p.name, p.port, p.protocol) for p in s.ports],
            )
            for s in ep.subsets
        ],
    )


def reconcile_endpoints(svc: Service, pods: list[Pod], current: Endpoints | None) -> list[Action]:
    """Nothing for a Service without a selector (its Endpoints are manual); else the write needed."""
    if svc.selector is None:
        return []
    want = desired_endpoints(svc, pods)
    if current is not None and _shape(current) == _shape(want):
        return []
    ready = sum(len(s.addresses) for s in want.subsets)
    not_ready = sum(len(s.not_ready_addresses) for s in want.subsets)
    verb = "create" if current is None else "update"
    return [
        Action(
            verb,
            "Endpoints",
            svc.metadata.name,
            UPDATE,
            {"name": svc.metadata.name, "ready": ready, "not_ready": not_ready},
            obj=want,
        )
    ]
