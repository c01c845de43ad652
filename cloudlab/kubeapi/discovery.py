"""Discovery (§7.3): ``/version``, the legacy ``/api``, ``/apis``, ``/api/v1``, ``/apis/apps/v1``
documents and the aggregated ``APIGroupDiscoveryList`` (v2) that kubectl asks for first.

``RESOURCES`` is the one catalogue of what this apiserver serves: the views route by it and
discovery prints it, so ``kubectl api-resources`` lists exactly what answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

#: kube-apiserver v1.32.5 (kubectl's dispatcher picks its bundled v1.32 client by this minor).
VERSION_INFO = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.5",
    "gitCommit": "9894294ef13a5b32803e3ca2c0d620a088cc84d1",
    "gitTreeState": "clean",
    "buildDate": "2025-05-15T09:09:26Z",
    "goVersion": "go1.23.8",
    "compiler": "gc",
    "platform": "linux/amd64",
}

WRITE_VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]
READ_VERBS = ["get", "list", "watch"]
AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


@dataclass(frozen=True)
class Sub:
    name: str
    kind: str
    verbs: tuple[str, ...]
    group: str = ""
    version: str = "v1"


@dataclass(frozen=True)
class Resource:
    name: str
    kind: str
    group: str
    namespaced: bool
    short_names: tuple[str, ...]
    singular: str
    verbs: tuple[str, ...] = tuple(WRITE_VERBS)
    categories: tuple[str, ...] = ()
    subresources: tuple[Sub, ...] = ()
    version: str = "v1"

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def writable(self) -> bool:
        return "create" in self.verbs


_SCALE = Sub("scale", "Scale", ("get", "patch", "update"), "autoscaling", "v1")
_ALL = ("all",)
RESOURCES: tuple[Resource, ...] = (
    Resource(
        "namespaces",
        "Namespace",
        "",
        False,
        ("ns",),
        "namespace",
        subresources=(Sub("status", "Namespace", ("get", "patch", "update")),),
    ),
    Resource("nodes", "Node", "", False, ("no",), "node", verbs=tuple(READ_VERBS)),
    Resource(
        "pods",
        "Pod",
        "",
        True,
        ("po",),
        "pod",
        categories=_ALL,
        subresources=(Sub("log", "Pod", ("get",)), Sub("status", "Pod", ("get", "patch", "update"))),
    ),
    Resource("services", "Service", "", True, ("svc",), "service", categories=_ALL),
    Resource("endpoints", "Endpoints", "", True, ("ep",), "endpoints"),
    Resource(
        "replicationcontrollers",
        "ReplicationController",
        "",
        True,
        ("rc",),
        "replicationcontroller",
        categories=_ALL,
        subresources=(_SCALE, Sub("status", "ReplicationController", ("get", "patch", "update"))),
    ),
    Resource("events", "Event", "", True, ("ev",), "event", verbs=tuple(READ_VERBS)),
    Resource(
        "deployments",
        "Deployment",
        "apps",
        True,
        ("deploy",),
        "deployment",
        categories=_ALL,
        subresources=(_SCALE, Sub("status", "Deployment", ("get", "patch", "update"), "apps")),
    ),
    Resource(
        "replicasets",
        "ReplicaSet",
        "apps",
        True,
        ("rs",),
        "replicaset",
        categories=_ALL,
        subresources=(_SCALE, Sub("status", "ReplicaSet", ("get", "patch", "update"), "apps")),
    ),
)
BY_GROUP_RESOURCE = {(r.group, r.name): r for r in RESOURCES}
GROUP_VERSIONS = {"": "v1", "apps": "apps/v1"}


def resource_for(group: str, name: str) -> Resource | None:
    return BY_GROUP_RESOURCE.get((group, name))


def wants_aggregated(request: HttpRequest) -> bool:
    """kubectl's Accept lists v2 (and v2beta1) APIGroupDiscoveryList before plain JSON."""
    accept = request.headers.get("Accept", "").replace(" ", "")
    return "g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList" in accept or (
        "as=APIGroupDiscoveryList" in accept and "v=v2;" in accept + ";"
    )


def _server_address(request: HttpRequest) -> str:
    return request.get_host()


def legacy_api(request: HttpRequest) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": _server_address(request)}],
    }


def legacy_apis() -> dict[str, Any]:
    gv = {"groupVersion": "apps/v1", "version": "v1"}
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [{"name": "apps", "versions": [gv], "preferredVersion": gv}],
    }


def resource_list(group: str) -> dict[str, Any]:
    """``APIResourceList`` of ``/api/v1`` (group ``""``) or ``/apis/apps/v1``."""
    items: list[dict[str, Any]] = []
    for r in RESOURCES:
        if r.group != group:
            continue
        entry: dict[str, Any] = {
            "name": r.name,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": list(r.verbs),
        }
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        if r.categories:
            entry["categories"] = list(r.categories)
        items.append(entry)
        for s in r.subresources:
            sub: dict[str, Any] = {
                "name": f"{r.name}/{s.name}",
                "singularName": "",
                "namespaced": r.namespaced,
                "kind": s.kind,
                "verbs": list(s.verbs),
            }
            if s.group != group:
                sub["group"], sub["version"] = s.group, s.version
            items.append(sub)
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": GROUP_VERSIONS[group], "resources": items}


def _aggregated_item(group: str) -> dict[str, Any]:
    resources = []
    for r in RESOURCES:
        if r.group != group:
            continue
        entry: dict[str, Any] = {
            "resource": r.name,
            "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
            "scope": "Namespaced" if r.namespaced else "Cluster",
            "singularResource": r.singular,
            "verbs": list(r.verbs),
        }
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        if r.categories:
            entry["categories"] = list(r.categories)
        if r.subresources:
            entry["subresources"] = [
                {
                    "subresource": s.name,
                    "responseKind": {"group": s.group, "version": s.version, "kind": s.kind},
                    "verbs": list(s.verbs),
                }
                for s in r.subresources
            ]
        resources.append(entry)
    return {
        "metadata": {"name": group, "creationTimestamp": None},
        "versions": [{"version": "v1", "resources": resources, "freshness": "Current"}],
    }


def aggregated(path: str) -> dict[str, Any]:
    """``/api`` → one item named ``""``; ``/apis`` → one item per group (``apps``)."""
    groups = [""] if path == "api" else ["apps"]
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": [_aggregated_item(g) for g in groups],
    }
