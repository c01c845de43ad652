"""``meta.k8s.io/v1 Table`` answers (§7.4): the columns kube-apiserver's printers declare
(``pkg/printers/internalversion/printers.go``) and cells from the engine's printers, the same
functions the dashboard's tables use. A row's object is a ``PartialObjectMetadata`` with the full
ObjectMeta (kubectl reads NAMESPACE for ``-A`` and LABELS for ``--show-labels`` from it), the
whole object with ``includeObject=Object``, or nothing with ``None``.

``table`` and ``row`` take the engine's objects; the watch stream reuses ``row`` for its
one-row Tables."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cloudlab.engine.kubernetes import manifest
from cloudlab.engine.kubernetes.podlifecycle import (
    human_duration,
    print_endpoints,
    print_node,
    print_pod,
    print_service,
)
from cloudlab.engine.kubernetes.printers import print_deployment, print_event, print_namespace, print_replicas

from .views_fixups import for_client, node_info

TABLE_CONTENT_TYPE = "application/json;as=Table;v=v1;g=meta.k8s.io"

_NAME = (
    "Name must be unique within a namespace. Is required when creating resources, although some resources may "
    "allow a client to request the generation of an appropriate name automatically. Name is primarily intended "
    "for creation idempotence and configuration definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
)
_AGE = (
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not "
    "guaranteed to be set in happens-before order across separate operations. Clients may not set this value. "
    "It is represented in RFC3339 form and is in UTC."
)
_SELECTOR = "Selector is a label query over pods that should match the replica count."


@dataclass(frozen=True)
class Column:
    name: str
    key: str  # the engine printer's key (kubectl's header)
    type: str = "string"
    format: str = ""
    priority: int = 0
    description: str = ""

    def definition(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        }


def _c(name: str, key: str = "", type_: str = "string", priority: int = 0, description: str = "") -> Column:
    fmt = "name" if name == "Name" and priority == 0 else ""
    desc = description or {"Name": _NAME, "Age": _AGE}.get(name, "")
    return Column(name, key or name.upper(), type_, fmt, priority, desc)


_WORKLOAD_WIDE = (
    _c("Containers", priority=1, description="Names of each container in the template."),
    _c("Images", priority=1, description="Images referenced by each container in the template."),
    _c("Selector", priority=1, description=_SELECTOR),
)
COLUMNS: dict[str, tuple[Column, ...]] = {
    "pods": (
        _c("Name"),
        _c("Ready", description="The aggregate readiness state of this pod for accepting traffic."),
        _c("Status", description="The aggregate status of the containers in this pod."),
        _c(
            "Restarts",
            description=(
                "The number of times the containers in this pod have been restarted and when the "
                "last container in this pod has restarted."
            ),
        ),
        _c("Age"),
        _c(
            "IP",
            priority=1,
            description=(
                "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated."
            ),
        ),
        _c("Node", priority=1, description="NodeName is a request to schedule this pod onto a specific node."),
        _c(
            "Nominated Node",
            priority=1,
            description="nominatedNodeName is set only when this pod preempts other pods on the node.",
        ),
        _c(
            "Readiness Gates",
            priority=1,
            description="If specified, all readiness gates will be evaluated for pod readiness.",
        ),
    ),
    "nodes": (
        _c("Name"),
        _c("Status", description="The status of the node"),
        _c("Roles", description="The roles of the node"),
        _c("Age"),
        _c("Version", description="Kubelet Version reported by the node."),
        _c("Internal-IP", priority=1, description="List of addresses reachable to the node."),
        _c("External-IP", priority=1, description="List of addresses reachable to the node."),
        _c(
            "OS-Image",
            priority=1,
            description="OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).",
        ),
        _c(
            "Kernel-Version",
            priority=1,
            description="Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
        ),
        _c(
            "Container-Runtime",
            priority=1,
            description=(
                "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2)."
            ),
        ),
    ),
    "services": (
        _c("Name"),
        _c("Type", description="type determines how the Service is exposed."),
        _c("Cluster-IP", description="clusterIP is the IP address of the service and is usually assigned randomly."),
        _c(
            "External-IP",
            description=(
                "externalIPs is a list of IP addresses for which nodes in the cluster will also "
                "accept traffic for this service."
            ),
        ),
        _c("Port(s)", description="The list of ports that are exposed by this service."),
        _c("Age"),
        _c(
            "Selector",
            priority=1,
            description="Route service traffic to pods with label keys and values matching this selector.",
        ),
    ),
    "endpoints": (
        _c("Name"),
        _c("Endpoints", description="Endpoints is the list of endpoints in the object."),
        _c("Age"),
    ),
    "namespaces": (
        _c("Name"),
        _c("Status", description="The status of the namespace"),
        _c("Age"),
    ),
    "replicationcontrollers": (
        _c("Name"),
        _c("Desired", type_="integer", description="Replicas is the number of desired replicas."),
        _c("Current", type_="integer", description="Replicas is the most recently observed number of replicas."),
        _c("Ready", type_="integer", description="The number of ready replicas for this replication controller."),
        _c("Age"),
        *_WORKLOAD_WIDE,
    ),
    "deployments": (
        _c("Name"),
        _c("Ready", description="Number of the pod with ready state"),
        _c(
            "Up-to-date",
            type_="integer",
            description=(
                "Total number of non-terminated pods targeted by this deployment that have the desired template spec."
            ),
        ),
        _c(
            "Available",
            type_="integer",
            description=(
                "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."
            ),
        ),
        _c("Age"),
        *_WORKLOAD_WIDE,
    ),
    "events": (
        _c("Last Seen", description="The last time this event was observed"),
        _c("Type", description="Type of this event (Normal, Warning), new types could be added in the future."),
        _c(
            "Reason",
            description=(
                "This should be a short, machine understandable string that gives the reason for "
                "this event being generated."
            ),
        ),
        _c("Object", description="The object that this event is about."),
        _c("Subobject", priority=1, description="The field path of the object that this event is about."),
        _c("Source", priority=1, description="The component reporting this event."),
        _c("Message", description="A human-readable description of the status of this operation."),
        _c("First Seen", priority=1, description="The first time this event was observed"),
        _c("Count", priority=1, description="The number of times this event has occurred."),
        _c("Name", priority=1, description=_NAME),
    ),
}
COLUMNS["replicasets"] = COLUMNS["replicationcontrollers"]
_OTHER = (_c("Name"), Column("Created At", "CREATED AT", "date", "", 0, _AGE))


def _node_cells(node: Any, now: float) -> dict[str, str]:
    cells = print_node(node, now)
    info = manifest.encode(node).get("status", {}).get("nodeInfo", {})
    info = node_info(node.metadata, info)
    cells["OS-IMAGE"] = info.get("osImage") or "<unknown>"
    cells["KERNEL-VERSION"] = info.get("kernelVersion") or "<unknown>"
    cells["CONTAINER-RUNTIME"] = info.get("containerRuntimeVersion") or "<unknown>"
    return cells


PRINTERS: dict[str, Callable[[Any, float], dict[str, str]]] = {
    "pods": print_pod,
    "nodes": _node_cells,
    "services": print_service,
    "endpoints": print_endpoints,
    "namespaces": print_namespace,
    "replicationcontrollers": print_replicas,
    "replicasets": print_replicas,
    "deployments": print_deployment,
    "events": print_event,
}


def columns(resource: str) -> tuple[Column, ...]:
    return COLUMNS.get(resource, _OTHER)


def _cell(column: Column, printed: dict[str, str]) -> Any:
    value = printed.get(column.key, "")
    if column.type == "integer":
        try:
            return int(value)
        except ValueError:
            return 0
    return value


def row(resource: str, obj: Any, now: float, include_object: str = "Metadata", *, epoch: float = 0.0) -> dict[str, Any]:
    """One Table row: the printer's cells in column order and the row's object."""
    printer = PRINTERS.get(resource)
    if printer is None:
        printed = {"NAME": obj.metadata.name, "CREATED AT": human_duration(now - obj.metadata.creation_timestamp)}
    else:
        printed = printer(obj, now)
    out: dict[str, Any] = {"cells": [_cell(c, printed) for c in columns(resource)]}
    if include_object != "None":
        body = for_client(resource, manifest.encode(obj, epoch=epoch))
        if include_object == "Object":
            out["object"] = body
        else:
            out["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": body.get("metadata", {}),
            }
    return out


def table(
    resource: str,
    objects: Iterable[Any],
    now: float,
    include_object: str = "Metadata",
    *,
    epoch: float = 0.0,
    resource_version: str = "",
    continue_token: str = "",
    remaining: int | None = None,
) -> dict[str, Any]:
    """The whole Table of ``objects`` (engine objects; ``now`` and ``epoch`` are the cluster's)."""
    metadata: dict[str, Any] = {}
    if resource_version:
        metadata["resourceVersion"] = resource_version
    if continue_token:
        metadata["continue"] = continue_token
    if remaining is not None:
        metadata["remainingItemCount"] = remaining
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": [c.definition() for c in columns(resource)],
        "rows": [row(resource, obj, now, include_object, epoch=epoch) for obj in objects],
    }


def wants_table(accept: str) -> bool:
    """kubectl's ``Accept: application/json;as=Table;v=v1;g=meta.k8s.io,…`` (v1beta1 too)."""
    compact = accept.replace(" ", "")
    return "as=Table" in compact and "g=meta.k8s.io" in compact
