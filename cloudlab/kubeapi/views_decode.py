"""Request bodies: size, content type, JSON or YAML, and field validation (``fieldValidation``).

The engine's ``manifest.decode`` reads a body the way the apiserver's non-strict decoder does
(unknown fields ignored). ``decode_checked`` runs it over a body whose maps remember which keys
were read: a key never read, and not one of the API's fields the simulation does not model
(probes, volumes, securityContext …), is an unknown field. With ``fieldValidation=Strict`` (what
kubectl sends) that is kube-apiserver's 400 ``strict decoding error: unknown field "spec.foo"``
(server-side apply words it ``.spec.foo: field not declared in schema``); with ``Warn`` (the
default) the request goes on and the answer carries a ``Warning`` header; ``Ignore`` ignores.
A duplicate key in JSON is handled the same way (``duplicate field "x"``)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest

from cloudlab.engine.kubernetes import manifest

from .errors import BODY_TYPES, MAX_BODY_BYTES, StatusError, bad_request, too_large, unsupported_media_type

_META_EXTRA = {
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generation",
    "managedFields",
    "selfLink",
}
_PODSPEC_EXTRA = {
    "volumes", "serviceAccountName", "serviceAccount", "automountServiceAccountToken", "securityContext",
    "dnsPolicy", "dnsConfig", "hostname", "subdomain", "hostNetwork", "hostPID", "hostIPC", "shareProcessNamespace",
    "imagePullSecrets", "priorityClassName", "preemptionPolicy", "runtimeClassName", "enableServiceLinks",
    "activeDeadlineSeconds", "hostAliases", "os", "setHostnameAsFQDN", "ephemeralContainers", "schedulingGates",
    "resourceClaims", "hostUsers", "resources",
}  # fmt: skip
_CONTAINER_EXTRA = {
    "workingDir", "envFrom", "volumeMounts", "volumeDevices", "livenessProbe", "readinessProbe", "startupProbe",
    "lifecycle", "terminationMessagePath", "terminationMessagePolicy", "securityContext", "stdin", "stdinOnce", "tty",
    "resizePolicy",
}  # fmt: skip
_SERVICESPEC_EXTRA = {
    "externalIPs", "loadBalancerIP", "loadBalancerSourceRanges", "externalTrafficPolicy", "internalTrafficPolicy",
    "healthCheckNodePort", "ipFamilies", "ipFamilyPolicy", "clusterIPs", "allocateLoadBalancerNodePorts",
    "loadBalancerClass", "trafficDistribution",
}  # fmt: skip
_EVENT_EXTRA = {
    "action",
    "related",
    "series",
    "eventTime",
    "reportingController",
    "reportingInstance",
    "reportingComponent",
}
_ROOT_EXTRA = {"apiVersion", "kind", "status"}


def _extra(kind: str, path: tuple[str, ...]) -> set[str]:
    """The declared fields that the simulation leaves alone, at the map ``path`` of a ``kind``."""
    if not path:
        return _ROOT_EXTRA | (_EVENT_EXTRA if kind == "Event" else set())
    last = path[-1]
    if last == "metadata":
        return _META_EXTRA
    if last in ("containers", "initContainers"):
        return _CONTAINER_EXTRA
    if last == "env":
        return {"valueFrom"}
    if last == "resources" and len(path) > 1 and path[-2] in ("containers", "initContainers"):
        return {"claims"}
    if (kind == "Pod" and path == ("spec",)) or path[-3:] == ("spec", "template", "spec"):
        return _PODSPEC_EXTRA
    if kind == "Service" and path == ("spec",):
        return _SERVICESPEC_EXTRA
    if kind == "Service" and path == ("spec", "ports"):
        return {"appProtocol"}
    if kind == "Node" and path == ("spec",):
        return {"podCIDRs", "providerID", "configSource", "externalID"}
    if kind == "Namespace" and path == ("spec",):
        return {"finalizers"}
    return set()


class Tracked(dict[str, Any]):
    """A JSON object that records which of its keys the decoder read."""

    def __init__(self, data: dict[str, Any], path: tuple[str, ...], shown: str) -> None:
        super().__init__(data)
        self.path, self.shown = path, shown
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.read.add(key)
        return super().__contains__(key)


def _wrap(value: Any, kind: str, path: tuple[str, ...], shown: str, found: list[Tracked]) -> Any:
    """Tracked maps all the way down, except under the declared fields left alone and the
    user's own maps (their keys are not fields)."""
    if isinstance(value, dict):
        if path[:1] == ("status",) or _free_form(kind, path):
            return value
        t = Tracked({}, path, shown)
        found.append(t)
        allowed = _extra(kind, path)
        for k, v in dict.items(value):
            inner = f"{shown}.{k}" if shown else k
            dict.__setitem__(t, k, v if k in allowed else _wrap(v, kind, (*path, k), inner, found))
        return t
    if isinstance(value, list):
        return [_wrap(v, kind, path, f"{shown}[{n}]", found) for n, v in enumerate(value)]
    return value


_FREE_FORM = {
    "labels",
    "annotations",
    "nodeSelector",
    "matchLabels",
    "requests",
    "limits",
    "overhead",
    "capacity",
    "allocatable",
}


def _free_form(kind: str, path: tuple[str, ...]) -> bool:
    """A map whose keys are the user's (labels, a Service's or an RC's selector, quantities)."""
    if not path:
        return False
    return path[-1] in _FREE_FORM or (path == ("spec", "selector") and kind in ("Service", "ReplicationController"))


def unknown_fields(kind: str, maps: list[Tracked]) -> list[str]:
    """The paths (``spec.foo``, ``spec.containers[0].bar``) of the keys the decoder never read."""
    out = []
    for m in maps:
        allowed = _extra(kind, m.path)
        for key in dict.keys(m):
            if key not in m.read and key not in allowed:
                out.append(f"{m.shown}.{key}" if m.shown else key)
    return out


def decode_checked(body: dict[str, Any], namespace: str, validation: str, apply: bool = False) -> tuple[Any, list[str]]:
    """``manifest.decode`` with field validation: the object and the warnings to send."""
    maps: list[Tracked] = []
    tracked = _wrap(body, str(body.get("kind", "")), (), "", maps)
    obj = manifest.decode(tracked, namespace=namespace)
    unknown = unknown_fields(str(body.get("kind", "")), maps)
    if not unknown or validation == "Ignore":
        return obj, []
    if validation == "Strict":
        if apply:
            raise bad_request("; ".join(f".{u}: field not declared in schema" for u in unknown))
        kind = str(body.get("kind"))
        listed = ", ".join(f'unknown field "{u}"' for u in unknown)
        raise bad_request(f'{kind} in version "v1" cannot be handled as a {kind}: strict decoding error: {listed}')
    return obj, [f'unknown field "{u}"' for u in unknown]


def validation_mode(request: HttpRequest) -> str:
    mode = request.GET.get("fieldValidation", "Warn") or "Warn"
    if mode not in ("Ignore", "Warn", "Strict"):
        raise bad_request(
            f'fieldValidation parameter {mode} is not supported: valid values are "Ignore", "Warn", "Strict"'
        )
    return mode


def media_type(request: HttpRequest) -> str:
    return request.headers.get("Content-Type", "").split(";")[0].strip().lower()


def read_body(request: HttpRequest) -> bytes:
    """The body, at most 3 MiB (413 RequestEntityTooLarge beyond, as kube-apiserver)."""
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        raise too_large()
    raw = request.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise too_large()
    return raw


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise bad_request(f'json: duplicate field "{key}"')
        out[key] = value
    return out


def parse(raw: bytes, content_type: str) -> Any:
    """JSON (every JSON patch type too) or YAML (``application/yaml``, server-side apply)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise bad_request(f"invalid character in request body: {error.reason}") from error
    if not text.strip():
        raise bad_request("the body of the request was empty")
    if content_type in ("application/yaml", "application/apply-patch+yaml"):
        try:
            docs = manifest.parse_documents(text)
        except manifest.ManifestError as error:
            raise bad_request(error.message) from error
        if len(docs) != 1:
            raise bad_request("error decoding YAML: the body must hold exactly one object")
        return json.loads(json.dumps(docs[0], default=str))
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except StatusError:
        raise
    except (ValueError, RecursionError) as error:
        raise bad_request(f"json: {error}") from error


def object_body(request: HttpRequest) -> dict[str, Any]:
    """A POST or PUT body: one object in JSON or YAML."""
    content_type = media_type(request) or "application/json"
    if content_type not in BODY_TYPES:
        raise unsupported_media_type(("application/json", "application/yaml", "application/vnd.kubernetes.protobuf"))
    body = parse(read_body(request), content_type)
    if not isinstance(body, dict):
        raise bad_request(
            f"json: cannot unmarshal {type(body).__name__.replace('list', 'array')} into Go value of type struct"
        )
    return body
