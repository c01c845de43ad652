"""Writes: create (POST, 201), replace (PUT, a stale resourceVersion is a Conflict), patch (the
four content types; server-side apply creates an absent object), delete (``propagationPolicy``
Background / Foreground / Orphan), and the ``scale`` and ``status`` subresources.

Every write runs through ``cloudlab.kube.clusters.write``, the writer the pages use: under the
cluster's row lock it loads the objects, runs the engine's apiserver function (``create``,
``update``, ``scale``, ``delete``), saves what changed, publishes ``kube.changed`` (so the
dashboard animates what kubectl did) and wakes the reconcile loop. A refusal raises before
anything is saved, so nothing is ever half-written."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

from django.http import HttpResponse

from cloudlab.engine.kubernetes import cluster as engine
from cloudlab.engine.kubernetes import manifest
from cloudlab.engine.kubernetes.controllers.deployment import REVISION, revision_of
from cloudlab.engine.kubernetes.etcd import ApiError
from cloudlab.engine.kubernetes.selectors import label_selector_as_selector

from . import patch as patches
from .errors import (
    PATCH_TYPES,
    StatusError,
    bad_request,
    conflict,
    json_response,
    success,
    unsupported_media_type,
)
from .views_common import Call, Target, bool_param, check_namespace, current_object, rows, run
from .views_decode import decode_checked, media_type, object_body, parse, read_body, validation_mode
from .views_fixups import for_client
from .views_scale import put_scale, scale_write

_POLICIES = '"Foreground", "Background", "Orphan"'
PROTECTED_NAMESPACES = ("default", "kube-system", "kube-public")
#: Pod spec fields an update may change (``ValidatePodUpdate``).
POD_UPDATE_FORBIDDEN = (
    "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,"
    "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
)


def _respond(call: Call, resource: str, obj: Any, status: int = 200, warnings: list[str] | None = None) -> HttpResponse:
    response = json_response(for_client(resource, manifest.encode(obj, epoch=call.cluster.epoch)), status=status)
    if warnings:  # RFC 7234 warn-text, quoted as Go's strconv.QuoteToASCII (no newline or non-ASCII in a header)
        response.headers["Warning"] = ", ".join(f"299 - {json.dumps(w, ensure_ascii=True)}" for w in warnings)
    return response


def _check_identity(target: Target, body: dict[str, Any]) -> None:
    meta = body.get("metadata")
    if not isinstance(meta, dict):
        return
    namespace = meta.get("namespace")
    if target.resource.namespaced and namespace not in (None, "") and namespace != target.namespace:
        raise bad_request("the namespace of the provided object does not match the namespace sent on the request")
    name = meta.get("name")
    if target.name is not None and name not in (None, "") and name != target.name:
        raise bad_request(f"the name of the object ({name}) does not match the name on the URL ({target.name})")


def _check_kind(target: Target, body: dict[str, Any]) -> None:
    kind, version = body.get("kind"), body.get("apiVersion")
    if kind and version and (kind != target.resource.kind or version != target.resource.group_version):
        raise bad_request(
            f"the API version in the data ({version}) does not match the expected API version "
            f"({target.resource.group_version})"
            if kind == target.resource.kind
            else f'{kind} in version "{str(version).split("/")[-1]}" cannot be handled as a {target.resource.kind}: '
            f"converting (from {kind}) to {target.resource.kind} is not supported"
        )


def _with_kind(target: Target, body: dict[str, Any]) -> dict[str, Any]:
    """A body may leave kind and apiVersion out: they are the URL's."""
    _check_kind(target, body)
    return {"apiVersion": target.resource.group_version, "kind": target.resource.kind, **body}


def _keep_server_fields(target: Target, obj: Any, current: Any) -> None:
    """What a client's body cannot change: the status, the deletion timestamp; and the checks
    ``ValidatePodUpdate`` / the immutable selectors make."""
    name = target.resource.name
    if name == "pods":
        before = copy.deepcopy(current.spec)
        after = copy.deepcopy(obj.spec)
        for c in [*before.containers, *before.init_containers, *after.containers, *after.init_containers]:
            c.image = ""
        before.tolerations = after.tolerations = []
        if not after.node_name:
            after.node_name = before.node_name
        if before != after:
            raise _invalid(target, f"spec: Forbidden: {POD_UPDATE_FORBIDDEN}", "spec", "FieldValueForbidden")
        obj.spec.node_name = current.spec.node_name
    if name in ("deployments", "replicasets") and obj.selector != current.selector:
        shown = str(label_selector_as_selector(obj.selector))
        raise _invalid(target, f'spec.selector: Invalid value: "{shown}": field is immutable', "spec.selector")
    if hasattr(current, "status"):
        obj.status = copy.deepcopy(current.status)
    if name == "namespaces":
        obj.phase = current.phase
    obj.metadata.deletion_timestamp = current.metadata.deletion_timestamp
    obj.metadata.deletion_grace_period_seconds = current.metadata.deletion_grace_period_seconds


def _invalid(target: Target, text: str, field: str, reason: str = "FieldValueInvalid") -> ApiError:
    qualified = f"{target.resource.kind}.{target.resource.group}" if target.resource.group else target.resource.kind
    message = text.split(": ", 1)[1] if ": " in text else text
    details: dict[str, Any] = {"name": target.name, "kind": target.resource.kind}
    if target.resource.group:
        details["group"] = target.resource.group
    details["causes"] = [{"reason": reason, "message": message, "field": field}]
    return ApiError(422, "Invalid", f'{qualified} "{target.name}" is invalid: {text}', details)


# -- create and replace -------------------------------------------------------------------------


def create(call: Call, target: Target) -> HttpResponse:
    if target.sub is not None:
        raise StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
    body = _with_kind(target, object_body(call.request))
    _check_identity(target, body)
    return _create_from(call, target, body, validation_mode(call.request), apply=False)


def _create_from(call: Call, target: Target, body: dict[str, Any], mode: str, apply: bool) -> HttpResponse:
    check_namespace(call.cluster, target)
    meta = body.get("metadata")
    if not apply and isinstance(meta, dict) and meta.get("resourceVersion") not in (None, ""):
        raise bad_request("resourceVersion should not be set on objects to be created")
    obj, warnings = decode_checked(body, target.namespace or "default", mode, apply=apply)
    name = target.resource.name
    change = run(call, lambda state, rng: [engine.create(state, name, obj, rng)])[0]
    return _respond(call, name, change.obj, 201, warnings)


def replace(call: Call, target: Target) -> HttpResponse:
    if target.sub == "scale":
        return put_scale(call, target)
    body = _with_kind(target, object_body(call.request))
    _check_identity(target, body)
    if target.sub == "status":
        return _status_write(call, target, lambda current: body)
    mode = validation_mode(call.request)
    body.setdefault("metadata", {})
    if isinstance(body["metadata"], dict):
        body["metadata"].setdefault("name", target.name)
    obj, warnings = decode_checked(body, target.namespace or "default", mode)
    name = target.resource.name

    def do(state: engine.ClusterState, rng: random.Random) -> list[engine.Change]:
        current = current_object(state, target)
        if obj.metadata.resource_version and obj.metadata.resource_version != current.metadata.resource_version:
            raise conflict(name, target.name or "", target.resource.group)
        _keep_server_fields(target, obj, current)
        return [engine.update(state, name, obj)]

    change = run(call, do)[0]
    return _respond(call, name, change.obj, 200, warnings)


def _status_write(call: Call, target: Target, new_body: Any) -> HttpResponse:
    """PUT/PATCH …/status: the status from the body, everything else as stored."""
    name = target.resource.name
    epoch = call.cluster.epoch

    def do(state: engine.ClusterState, rng: random.Random) -> list[engine.Change]:
        current = current_object(state, target)
        current_json = manifest.encode(current, epoch=epoch)
        body = new_body(current_json)
        meta = body.get("metadata") if isinstance(body, dict) else None
        rv = str(meta.get("resourceVersion", "")) if isinstance(meta, dict) else ""
        if rv and rv != str(current_json["metadata"].get("resourceVersion", "")):
            raise conflict(name, target.name or "", target.resource.group)
        merged = dict(current_json)
        if isinstance(body, dict) and "status" in body:
            merged["status"] = body["status"]
        new = manifest.decode_stored(merged, epoch=epoch)
        obj = copy.deepcopy(current)
        if hasattr(obj, "status"):
            obj.status = new.status
        elif name == "namespaces":
            obj.phase = new.phase
        obj.metadata.resource_version = 0
        return [engine.update(state, name, obj)]

    change = run(call, do)[0]
    return _respond(call, name, change.obj)


# -- patch --------------------------------------------------------------------------------------


def _patch_body(call: Call) -> tuple[str, Any]:
    content_type = media_type(call.request)
    if content_type not in PATCH_TYPES:
        raise unsupported_media_type(PATCH_TYPES)
    return content_type, parse(read_body(call.request), content_type)


def _patch_options(call: Call, content_type: str) -> None:
    """``ValidatePatchOptions``, before the object is looked up."""
    query = call.request.GET
    if content_type == patches.APPLY and not query.get("fieldManager"):
        raise _options_invalid("fieldManager", "FieldValueRequired", "Required value: is required for apply patch")
    if content_type != patches.APPLY and "force" in query:
        raise _options_invalid("force", "FieldValueForbidden", "Forbidden: may not be specified for non-apply patch")


def _options_invalid(field: str, reason: str, message: str) -> ApiError:
    return ApiError(
        422,
        "Invalid",
        f'PatchOptions.meta.k8s.io "" is invalid: {field}: {message}',
        {
            "group": "meta.k8s.io",
            "kind": "PatchOptions",
            "causes": [{"reason": reason, "message": message, "field": field}],
        },
    )


def patch(call: Call, target: Target) -> HttpResponse:
    content_type, body = _patch_body(call)
    _patch_options(call, content_type)
    if target.sub == "scale":
        return scale_write(call, target, lambda scale: patches.apply(content_type, scale, body))
    if target.sub == "status":
        return _status_write(call, target, lambda current: patches.apply(content_type, current, body))
    mode = validation_mode(call.request)
    name = target.resource.name
    epoch = call.cluster.epoch
    if content_type == patches.APPLY:
        if not isinstance(body, dict):
            raise bad_request("error decoding YAML: the applied configuration must be an object")
        _check_kind(target, body)
        _check_identity(target, body)
        check_namespace(call.cluster, target)
        if not rows(call.cluster, target).exists():  # absent: server-side apply creates it
            full = _with_kind(target, body)
            full.setdefault("metadata", {})
            if isinstance(full["metadata"], dict):
                full["metadata"].setdefault("name", target.name)
            return _create_from(call, target, full, mode, apply=True)
    warnings: list[str] = []

    def do(state: engine.ClusterState, rng: random.Random) -> list[engine.Change]:
        current = current_object(state, target)
        current_json = manifest.encode(current, epoch=epoch)
        revision = _with_revision(state, name, current, current_json)
        patched = patches.apply(content_type, current_json, body)
        if not isinstance(patched, dict):
            raise bad_request("the patched object is not a JSON object")
        _check_kind(target, patched)
        _check_identity(target, patched)
        patched = _with_kind(target, patched)
        obj, found = decode_checked(patched, target.namespace or "default", mode, apply=content_type == patches.APPLY)
        warnings.extend(found)
        if revision and obj.metadata.annotations.get(REVISION) == revision:
            del obj.metadata.annotations[REVISION]  # the controller's, shown for the patch only
        if obj.metadata.resource_version and obj.metadata.resource_version != current.metadata.resource_version:
            raise conflict(name, target.name or "", target.resource.group)
        _keep_server_fields(target, obj, current)
        return [engine.update(state, name, obj)]

    change = run(call, do)[0]
    return _respond(call, name, change.obj, 200, warnings)


def _with_revision(state: engine.ClusterState, resource: str, current: Any, body: dict[str, Any]) -> str:
    """A Deployment's ``deployment.kubernetes.io/revision`` (its newest ReplicaSet's), put into the
    JSON a patch applies to: ``kubectl rollout undo`` sends a JSON patch replacing
    ``/metadata/annotations``, which needs the path that kube-controller-manager always writes.
    Returns the value added ("" when none was)."""
    if resource != "deployments" or REVISION in current.metadata.annotations:
        return ""
    owned = [
        revision_of(rs)
        for rs in state.replica_sets.values()
        if any(r.uid == current.metadata.uid for r in rs.metadata.owner_references)
    ]
    if not owned:
        return ""
    value = str(max(owned))
    body.setdefault("metadata", {}).setdefault("annotations", {})[REVISION] = value
    return value


# -- delete -------------------------------------------------------------------------------------


def _delete_options(call: Call) -> dict[str, Any]:
    request = call.request
    options: dict[str, Any] = {}
    if request.headers.get("Content-Length") not in (None, "", "0") or request.headers.get("Transfer-Encoding"):
        raw = read_body(request)
        if raw.strip():
            parsed = parse(raw, media_type(request) or "application/json")
            if not isinstance(parsed, dict):
                raise bad_request("json: cannot unmarshal array into Go value of type v1.DeleteOptions")
            options = parsed
    policy = request.GET.get("propagationPolicy") or options.get("propagationPolicy")
    if bool_param(request, "orphanDependents") or options.get("orphanDependents") is True:
        policy = policy or "Orphan"
    if policy is not None and policy not in ("Foreground", "Background", "Orphan"):
        raise ApiError(
            422,
            "Invalid",
            f'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "{policy}": '
            f"supported values: {_POLICIES}",
            {
                "kind": "DeleteOptions",
                "group": "meta.k8s.io",
                "causes": [
                    {
                        "reason": "FieldValueNotSupported",
                        "message": f'Unsupported value: "{policy}": supported values: {_POLICIES}',
                        "field": "propagationPolicy",
                    }
                ],
            },
        )
    options["propagationPolicy"] = policy
    return options


#: What a namespace's deletion takes with it, owners first (the namespace controller's work).
NAMESPACED = ("deployments", "replicasets", "replicationcontrollers", "services", "endpoints", "pods")


def _delete_namespace(state: engine.ClusterState, namespace: str) -> list[engine.Change]:
    """The namespace and everything in it: its workloads, Services, Endpoints and events go now,
    its pods are deleted (a running pod's kubelet finishes it, as after any delete)."""
    changes: list[engine.Change] = []
    for resource in NAMESPACED:
        for key, obj in list(state.table(resource).items()):
            if key[0] == namespace and key in state.table(resource):
                if resource == "pods" and obj.metadata.deletion_timestamp is not None:
                    continue
                changes.extend(engine.delete(state, resource, namespace, obj.metadata.name, "Background"))
    for event in [e for e in state.events if e.metadata.namespace == namespace]:
        state.events.remove(event)
        changes.append(engine.Change("delete", "events", namespace, event.metadata.name, event))
    changes.extend(engine.delete(state, "namespaces", "", namespace))
    return changes


def delete(call: Call, target: Target) -> HttpResponse:
    options = _delete_options(call)
    name = target.resource.name
    if name == "namespaces" and target.name in PROTECTED_NAMESPACES:
        raise StatusError(
            403,
            "Forbidden",
            f'namespaces "{target.name}" is forbidden: this namespace may not be deleted',
            {"name": target.name, "kind": "namespaces"},
        )
    preconditions = options.get("preconditions") if isinstance(options.get("preconditions"), dict) else {}
    holder: dict[str, Any] = {}

    def do(state: engine.ClusterState, rng: random.Random) -> list[engine.Change]:
        current = current_object(state, target)
        uid, rv = preconditions.get("uid"), preconditions.get("resourceVersion")
        if uid and uid != current.metadata.uid:
            raise StatusError(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on {name} "{target.name}": Precondition failed: UID in precondition: '
                f"{uid}, UID in object meta: {current.metadata.uid}",
                {"name": target.name, "kind": name},
            )
        if rv and str(rv) != str(current.metadata.resource_version):
            raise conflict(name, target.name or "", target.resource.group)
        holder["before"] = copy.deepcopy(current)
        if name == "namespaces":
            return _delete_namespace(state, target.name or "")
        changes = engine.delete(state, name, target.ns, target.name or "", options["propagationPolicy"])
        mine = [c for c in changes if c.resource == name and c.name == target.name and c.namespace == target.ns]
        holder["after"] = mine[-1] if mine else None
        return changes

    run(call, do)
    after = holder.get("after")
    if name == "pods":  # the pod as it is now: with its deletionTimestamp, the kubelet finishing it
        obj = after.obj if after is not None else holder["before"]
        return _respond(call, name, obj)
    before = holder["before"]
    return json_response(success(name, target.name or "", before.metadata.uid, target.resource.group))
