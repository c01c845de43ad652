"""The ``scale`` subresource of Deployments, ReplicaSets and ReplicationControllers: an
``autoscaling/v1 Scale`` (spec.replicas, status.replicas and the selector as a string) read,
patched with any patch type (``kubectl scale`` sends a merge patch, the Python client a strategic
one) or replaced, through the engine's ``scale`` under the pages' writer."""

from __future__ import annotations

import copy
import random
from typing import Any

from django.http import HttpResponse

from cloudlab.engine.kubernetes import cluster as engine
from cloudlab.engine.kubernetes import manifest
from cloudlab.engine.kubernetes.etcd import ApiError
from cloudlab.engine.kubernetes.selectors import label_selector_as_selector
from cloudlab.kube import store

from .errors import bad_request, conflict, json_response
from .views_common import Call, Target, current_object, run
from .views_decode import object_body


def _scale_of(call: Call, target: Target, obj: Any) -> dict[str, Any]:
    """The ``autoscaling/v1 Scale`` of a Deployment, ReplicaSet or ReplicationController."""
    if isinstance(obj.selector, dict):
        selector = ",".join(f"{k}={v}" for k, v in sorted(obj.selector.items()))
    else:
        selector = str(label_selector_as_selector(obj.selector))
    meta = manifest.encode(obj, epoch=call.cluster.epoch)["metadata"]
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in meta
        },
        "spec": {"replicas": obj.replicas},
        "status": {"replicas": obj.status.replicas, "selector": selector},
    }


def get_scale(call: Call, target: Target) -> HttpResponse:
    state = store.load(call.cluster)
    return json_response(_scale_of(call, target, current_object(state, target)))


def put_scale(call: Call, target: Target) -> HttpResponse:
    body = object_body(call.request)
    kind, version = body.get("kind"), body.get("apiVersion")
    if (kind and kind != "Scale") or (version and version != "autoscaling/v1"):
        raise bad_request(f'{kind} in version "{version}" cannot be handled as a Scale')
    return scale_write(call, target, lambda scale: body)


def scale_write(call: Call, target: Target, new_scale: Any) -> HttpResponse:
    name = target.resource.name
    holder: dict[str, Any] = {}

    def do(state: engine.ClusterState, rng: random.Random) -> list[engine.Change]:
        current = current_object(state, target)
        scale = _scale_of(call, target, current)
        wanted = new_scale(copy.deepcopy(scale))
        spec = wanted.get("spec") if isinstance(wanted, dict) else None
        replicas = spec.get("replicas") if isinstance(spec, dict) else None
        if isinstance(replicas, bool) or not isinstance(replicas, int):
            shown = "null" if replicas is None else replicas
            raise bad_request(
                f'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal {shown!r} into Go '
                "struct field ScaleSpec.spec.replicas of type int32"
                if replicas is not None
                else "spec.replicas: Required value"
            )
        meta = wanted.get("metadata") if isinstance(wanted, dict) else None
        rv = str(meta.get("resourceVersion") or "") if isinstance(meta, dict) else ""
        if rv and rv != str(current.metadata.resource_version):
            raise conflict(name, target.name or "", target.resource.group)
        if replicas < 0:
            raise ApiError(
                422,
                "Invalid",
                f'Scale.autoscaling "{target.name}" is invalid: spec.replicas: Invalid value: {replicas}: '
                "must be greater than or equal to 0",
                {
                    "name": target.name,
                    "group": "autoscaling",
                    "kind": "Scale",
                    "causes": [
                        {
                            "reason": "FieldValueInvalid",
                            "message": f"Invalid value: {replicas}: must be greater than or equal to 0",
                            "field": "spec.replicas",
                        }
                    ],
                },
            )
        change = engine.scale(state, name, target.ns, target.name or "", replicas)
        holder["obj"] = change.obj
        return [change]

    run(call, do)
    return json_response(_scale_of(call, target, holder["obj"]))
