"""Reads: list (label and field selectors, ``limit`` and ``continue``), get, and ``?watch=true``
(handed to ``watch.watch_response``). ``Accept: …;as=Table;…`` answers a Table (§7.4); otherwise
the objects' JSON, a List's ``metadata.resourceVersion`` being the cluster's revision."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from django.http import HttpResponse

from cloudlab.kube.store import cluster_now

from . import tables
from .errors import StatusError, bad_request, json_response
from .selectors import from_query
from .views_common import Call, Target, bool_param, decoded, fresh_revision, int_param, rows, stored
from .views_fixups import for_client

INCLUDE_OBJECT = ("None", "Metadata", "Object")


def _accept(call: Call) -> str:
    accept = call.request.headers.get("Accept", "")
    if accept and not any(t in accept for t in ("json", "yaml", "*/*", "application/*")):
        raise StatusError(
            406,
            "NotAcceptable",
            "only the following media types are accepted: application/json, application/yaml, "
            "application/vnd.kubernetes.protobuf",
        )
    return accept


def _include_object(call: Call) -> str:
    value = call.request.GET.get("includeObject", "Metadata") or "Metadata"
    if value not in INCLUDE_OBJECT:
        raise bad_request(
            f'includeObject: Unsupported value: "{value}": supported values: "Metadata", "None", "Object"'
        )
    return value


def _continue_token(revision: int, key: str) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": revision, "start": key + "\x00"}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _continue_key(token: str) -> str:
    """The key after which a continued list resumes (``storage.DecodeContinue``)."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(data, dict) or data.get("v") != "meta.k8s.io/v1" or not isinstance(data.get("start"), str):
            raise ValueError("version")
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise bad_request(f"continue key is not valid: {error}") from error
    return str(data["start"]).rstrip("\x00")


def _kind_list(target: Target) -> str:
    return target.resource.kind + "List"


def list_objects(call: Call, target: Target) -> HttpResponse:
    accept = _accept(call)
    request = call.request
    selectors = from_query(request.GET, target.resource.name)
    limit = int_param(request, "limit")
    if limit < 0:
        limit = 0
    start = _continue_key(request.GET["continue"]) if request.GET.get("continue") else ""
    revision = fresh_revision(call.cluster)
    found: list[dict[str, Any]] = []
    more = 0
    for row in rows(call.cluster, target):
        key = f"{row.namespace}/{row.name}"
        if start and key <= start:
            continue
        if not selectors.matches(row.body):
            continue
        if limit and len(found) == limit:
            more += 1
            continue
        found.append(row.body)
    token = ""
    if more:
        last = found[-1]["metadata"]
        token = _continue_token(revision, f"{last.get('namespace', '')}/{last['name']}")
    if tables.wants_table(accept):
        body = tables.table(
            target.resource.name,
            [decoded(call.cluster, b) for b in found],
            cluster_now(call.cluster),
            _include_object(call),
            epoch=call.cluster.epoch,
            resource_version=str(revision),
            continue_token=token,
            remaining=more if more else None,
        )
        return json_response(body, content_type=tables.TABLE_CONTENT_TYPE)
    metadata: dict[str, Any] = {"resourceVersion": str(revision)}
    if token:
        metadata["continue"] = token
        metadata["remainingItemCount"] = more
    items = []
    for b in found:
        item = for_client(target.resource.name, b)
        item.pop("kind", None)
        item.pop("apiVersion", None)
        items.append(item)
    return json_response(
        {"kind": _kind_list(target), "apiVersion": target.resource.group_version, "metadata": metadata, "items": items}
    )


def get_object(call: Call, target: Target) -> HttpResponse:
    accept = _accept(call)
    body = stored(call.cluster, target)
    if tables.wants_table(accept) and target.sub is None:
        out = tables.table(
            target.resource.name,
            [decoded(call.cluster, body)],
            cluster_now(call.cluster),
            _include_object(call),
            epoch=call.cluster.epoch,
            resource_version=str(body.get("metadata", {}).get("resourceVersion", "")),
        )
        return json_response(out, content_type=tables.TABLE_CONTENT_TYPE)
    return json_response(for_client(target.resource.name, body))


def watch(call: Call, target: Target, name: str | None = None) -> HttpResponse:
    """``?watch=true``: the change stream (the kubeapi-serve part); 501 if it is not there."""
    try:
        from .watch import watch_response  # noqa: PLC0415 (another module, built alongside)
    except ImportError:
        return json_response(
            StatusError(501, "NotImplemented", "watch is not served by this server").error.status(), status=501
        )
    request = call.request
    from_query(request.GET, target.resource.name)  # a bad selector is a 400 before any stream starts
    fields = request.GET.get("fieldSelector", "")
    if name is not None:
        escaped = name.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")
        fields = ",".join(f for f in (fields, f"metadata.name={escaped}") if f)
    timeout = request.GET.get("timeoutSeconds")
    return watch_response(
        request,
        call.cluster,
        target.resource.name,
        target.ns,
        label_selector=request.GET.get("labelSelector", ""),
        field_selector=fields,
        resource_version=request.GET.get("resourceVersion") or None,
        as_table=tables.wants_table(_accept(call)),
        timeout_seconds=int_param(request, "timeoutSeconds") if timeout else None,
        allow_bookmarks=bool_param(request, "allowWatchBookmarks"),
    )
