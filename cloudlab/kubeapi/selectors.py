"""``?labelSelector=`` and ``?fieldSelector=`` of a list or watch (§5.3).

Label selectors use the engine's ``labels.Parse`` grammar. Field selectors (apimachinery
``fields.ParseSelector``: ``=``, ``==``, ``!=`` joined by commas, ``\\`` escaping) are matched on
the object's JSON, on the fields each resource's registry supports (``GetAttrs`` /
``AddFieldLabelConversionFunc``); any other field is the apiserver's 400
``field label not supported: <field>``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cloudlab.engine.kubernetes import selectors as labels
from cloudlab.engine.kubernetes.selectors import Selector, SelectorError

from .errors import StatusError, bad_request


def _at(*path: str) -> Callable[[dict[str, Any]], str]:
    def get(body: dict[str, Any]) -> str:
        value: Any = body
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return get


_COMMON = {"metadata.name": _at("metadata", "name"), "metadata.namespace": _at("metadata", "namespace")}
FIELDS: dict[str, dict[str, Callable[[dict[str, Any]], str]]] = {
    "pods": {
        "spec.nodeName": _at("spec", "nodeName"),
        "spec.restartPolicy": _at("spec", "restartPolicy"),
        "spec.schedulerName": _at("spec", "schedulerName"),
        "spec.serviceAccountName": _at("spec", "serviceAccountName"),
        "spec.hostNetwork": lambda b: _at("spec", "hostNetwork")(b) or "false",
        "status.phase": _at("status", "phase"),
        "status.podIP": _at("status", "podIP"),
        "status.nominatedNodeName": _at("status", "nominatedNodeName"),
    },
    "events": {
        **{
            f"involvedObject.{k}": _at("involvedObject", k)
            for k in ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath")
        },
        "reason": _at("reason"),
        "reportingComponent": _at("reportingComponent"),
        "source": _at("source", "component"),
        "type": _at("type"),
    },
    "nodes": {"spec.unschedulable": lambda b: _at("spec", "unschedulable")(b) or "false"},
    "namespaces": {"status.phase": _at("status", "phase")},
    "replicationcontrollers": {"status.replicas": lambda b: _at("status", "replicas")(b) or "0"},
    "replicasets": {"status.replicas": lambda b: _at("status", "replicas")(b) or "0"},
    "services": {"spec.clusterIP": _at("spec", "clusterIP"), "spec.type": _at("spec", "type")},
}


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    equal: bool
    value: str


def _split(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside backslash escapes (``fields.splitTerms``)."""
    parts, current, escaped = [], [], False
    for ch in text:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            current.append(ch)
            escaped = True
        elif ch == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _unescape(value: str, whole: str) -> str:
    out, escaped = [], False
    for ch in value:
        if escaped:
            if ch not in "\\,=!":
                raise bad_request(f"invalid field selector: invalid escape sequence: \\{ch}")
            out.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in ",=":
            raise bad_request(f"invalid field selector: unescaped {ch!r}: {whole}")
        else:
            out.append(ch)
    if escaped:
        raise bad_request("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def _split_term(term: str) -> tuple[str, str, str] | None:
    """``fields.splitTerm``: the first unescaped ``!=``, ``==`` or ``=`` splits field from value."""
    escaped = False
    for i, ch in enumerate(term):
        if escaped:
            escaped = False
            continue
        if ch == "\\":
            escaped = True
            continue
        for op in ("!=", "==", "="):
            if term.startswith(op, i):
                return term[:i], op, term[i + len(op) :]
    return None


def parse_fields(text: str, resource: str) -> list[FieldRequirement]:
    out: list[FieldRequirement] = []
    if not text.strip():
        return out
    supported = {**_COMMON, **FIELDS.get(resource, {})}
    for term in _split(text, ","):
        if not term:
            continue
        split = _split_term(term)
        if split is None:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{term}'")
        field, op, value = split
        if field not in supported:
            raise bad_request(f"field label not supported: {field}")
        out.append(FieldRequirement(field, op != "!=", _unescape(value, text)))
    return out


def fields_match(resource: str, requirements: list[FieldRequirement], body: dict[str, Any]) -> bool:
    supported = {**_COMMON, **FIELDS.get(resource, {})}
    return all((supported[r.field](body) == r.value) == r.equal for r in requirements)


def parse_labels(text: str) -> Selector:
    try:
        return labels.parse(text)
    except SelectorError as error:
        raise StatusError(400, "BadRequest", str(error)) from error


@dataclass(frozen=True)
class Selectors:
    labels: Selector
    fields: list[FieldRequirement]
    resource: str

    def matches(self, body: dict[str, Any]) -> bool:
        meta = body.get("metadata") or {}
        return self.labels.matches(meta.get("labels") or {}) and fields_match(self.resource, self.fields, body)


def from_query(query: Any, resource: str) -> Selectors:
    return Selectors(
        parse_labels(query.get("labelSelector", "")), parse_fields(query.get("fieldSelector", ""), resource), resource
    )
