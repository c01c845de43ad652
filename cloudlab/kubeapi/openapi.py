"""The OpenAPI v3 minimum kubectl needs before ``create`` and ``apply`` (§7.2).

kubectl (``cli-runtime/pkg/resource/query_param_verifier_v3.go``) fetches ``/openapi/v3``, then the
group-version document its ``serverRelativeURL`` names, and looks for a PATCH operation whose
``x-kubernetes-group-version-kind`` is the object's and whose parameters include
``fieldValidation``. Finding it, kubectl sends ``fieldValidation=Strict`` and leaves validation to
this server (which refuses unknown fields itself). No schemas are served: ``kubectl explain``
is not supported, and ``/openapi/v2`` answers 404, which kubectl tolerates."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .discovery import GROUP_VERSIONS, RESOURCES

#: group-version path in the root document ↔ the API group.
GV_PATHS = {"api/v1": "", "apis/apps/v1": "apps"}

_PARAMETERS = [
    {
        "name": name,
        "in": "query",
        "description": text,
        "schema": {"type": "string", "uniqueItems": True},
    }
    for name, text in (
        ("dryRun", "When present, indicates that modifications should not be persisted."),
        ("fieldManager", "fieldManager is a name associated with the actor or entity that is making these changes."),
        (
            "fieldValidation",
            "fieldValidation instructs the server on how to handle objects in the request containing unknown or "
            "duplicate fields. Valid values are: - Ignore - Warn - Strict",
        ),
        ("force", 'Force is going to "force" Apply requests.'),
    )
]


def _operation(verb: str, group: str, kind: str, plural: str) -> dict[str, Any]:
    return {
        "description": f"{verb} the specified {kind}",
        "operationId": f"{verb}{'Apps' if group else 'Core'}V1Namespaced{kind}",
        "parameters": _PARAMETERS,
        "responses": {"200": {"description": "OK"}},
        "x-kubernetes-action": verb,
        "x-kubernetes-group-version-kind": {"group": group, "version": "v1", "kind": kind},
        "x-kubernetes-resource": plural,
    }


def group_version_document(group: str) -> dict[str, Any]:
    prefix = "/api/v1" if not group else f"/apis/{GROUP_VERSIONS[group]}"
    paths: dict[str, Any] = {}
    for r in RESOURCES:
        if r.group != group:
            continue
        where = (
            f"{prefix}/namespaces/{{namespace}}/{r.name}/{{name}}" if r.namespaced else f"{prefix}/{r.name}/{{name}}"
        )
        item: dict[str, Any] = {}
        if r.writable:
            item["patch"] = _operation("patch", group, r.kind, r.name)
            item["put"] = _operation("replace", group, r.kind, r.name)
        item["get"] = {
            "description": f"read the specified {r.kind}",
            "responses": {"200": {"description": "OK"}},
            "x-kubernetes-action": "get",
            "x-kubernetes-group-version-kind": {"group": group, "version": "v1", "kind": r.kind},
        }
        paths[where] = item
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.5"},
        "paths": paths,
        "components": {"schemas": {}},
    }


def digest(group: str) -> str:
    """The ``?hash=`` of a group-version document (its content's sha512, as upstream)."""
    raw = json.dumps(group_version_document(group), sort_keys=True).encode()
    return hashlib.sha512(raw).hexdigest().upper()


def root_document(prefix: str) -> dict[str, Any]:
    """``/openapi/v3``: each group version's document, relative to the server (with the cluster's
    path prefix, which kubectl keeps)."""
    return {
        "paths": {
            path: {"serverRelativeURL": f"{prefix}/openapi/v3/{path}?hash={digest(group)}"}
            for path, group in GV_PATHS.items()
        }
    }
