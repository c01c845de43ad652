"""What the verbs share: the parsed request (``Call``, ``Target``), the stored objects of a
cluster (``KubeObject.body`` already is an object's GET JSON), and the answers' common parts."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from cloudlab.engine.kubernetes import cluster as engine
from cloudlab.engine.kubernetes import manifest
from cloudlab.kube import clusters, store
from cloudlab.kube.models import Cluster, KubeObject

from .auth import Caller
from .discovery import Resource
from .errors import StatusError, bad_request, not_found


@dataclass(frozen=True)
class Target:
    """A resource path: ``api/v1/namespaces/default/pods/web-1/log`` → pods, default, web-1, log."""

    resource: Resource
    namespace: str | None  # None: cluster-scoped, or a list across all namespaces
    name: str | None
    sub: str | None

    @property
    def ns(self) -> str:
        """The namespace as the engine keys it ("" for cluster-scoped objects)."""
        return self.namespace or ""


@dataclass(frozen=True)
class Call:
    request: HttpRequest
    caller: Caller
    cluster: Cluster
    prefix: str  # "/kubernetes/<id>"


def rows(cluster: Cluster, target: Target) -> QuerySet[KubeObject]:
    found = KubeObject.objects.filter(cluster=cluster, resource=target.resource.name)
    if target.namespace is not None and target.resource.namespaced:
        found = found.filter(namespace=target.namespace)
    if target.name is not None:
        found = found.filter(name=target.name)
    return found.order_by("namespace", "name")


def stored(cluster: Cluster, target: Target) -> dict[str, Any]:
    """The object's stored JSON, or 404 NotFound in the apiserver's words."""
    row = rows(cluster, target).first()
    if row is None:
        raise not_found(target.resource.name, target.name or "", target.resource.group)
    return dict(row.body)


def decoded(cluster: Cluster, body: dict[str, Any]) -> Any:
    return manifest.decode_stored(body, epoch=cluster.epoch)


def fresh_revision(cluster: Cluster) -> int:
    return int(Cluster.objects.filter(pk=cluster.pk).values_list("revision", flat=True).first() or 0)


def check_namespace(cluster: Cluster, target: Target) -> None:
    """A namespaced request into a namespace that does not exist: 404 namespaces "x" not found."""
    if target.resource.namespaced and target.namespace is not None:
        if not KubeObject.objects.filter(cluster=cluster, resource="namespaces", name=target.namespace).exists():
            raise not_found("namespaces", target.namespace)


GO_TRUE = ("1", "t", "T", "TRUE", "true", "True")  # strconv.ParseBool (the Python client sends "True")


def bool_param(request: HttpRequest, name: str) -> bool:
    return request.GET.get(name, "") in GO_TRUE


def int_param(request: HttpRequest, name: str, default: int = 0) -> int:
    raw = request.GET.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as error:
        raise StatusError(
            400, "BadRequest", f'invalid value for {name}: strconv.ParseInt: parsing "{raw}": invalid syntax'
        ) from error
    return value


def dry_run(call: Call) -> bool:
    values = call.request.GET.getlist("dryRun")
    for value in values:
        if value != "All":
            raise bad_request(f'dryRun: Unsupported value: "{value}": supported values: "All"')
    return bool(values)


def run(call: Call, do: Any) -> list[engine.Change]:
    """``do(state, rng)`` through the pages' writer, or on a copy that is not saved (dryRun=All)."""
    if dry_run(call):
        with store.locked(call.cluster.pk) as cluster:
            state = store.load(cluster)
            return list(do(state, random.Random(0)))  # noqa: S311 (names, not secrets)
    return clusters.write(call.cluster.pk, do)  # the pages' writer


def current_object(state: engine.ClusterState, target: Target) -> Any:
    obj = state.table(target.resource.name).get(engine.key_of(target.resource.name, target.ns, target.name or ""))
    if obj is None:
        raise not_found(target.resource.name, target.name or "", target.resource.group)
    return obj
