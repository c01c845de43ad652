"""The four PATCH bodies the apiserver takes (``staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go``):

* ``application/merge-patch+json`` — RFC 7386: maps merge, ``null`` deletes, lists are replaced;
* ``application/strategic-merge-patch+json`` — apimachinery ``strategicpatch``: as a merge patch,
  but the lists the Go types tag ``patchStrategy:"merge"`` merge element by element on their
  ``patchMergeKey`` (containers and env by ``name``, a container's ports by ``containerPort``, a
  Service's ports by ``port`` …), with the directives kubectl's apply sends: ``$patch: delete``
  (an element or a map), ``$patch: replace``, ``$setElementOrder/<list>``,
  ``$deleteFromPrimitiveList/<list>`` and ``$retainKeys``;
* ``application/json-patch+json`` — RFC 6902 (add, remove, replace, move, copy, test);
* ``application/apply-patch+yaml`` — server-side apply, done here as a strategic merge of the
  applied configuration (no managedFields): the views create the object when it is absent.
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import StatusError, bad_request

MERGE = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"
APPLY = "application/apply-patch+yaml"

#: list field → its patchMergeKey (``k8s.io/api`` struct tags); "ports" depends on its parent.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "imagePullSecrets": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "conditions": "type",
    "ownerReferences": "uid",
    "addresses": "type",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
}
#: lists of strings merged as sets (``patchStrategy:"merge"`` on a []string).
PRIMITIVE_MERGE = {"finalizers"}


def invalid(message: str) -> StatusError:
    return StatusError(422, "Invalid", message, {})


def merge_key(path: tuple[str, ...], field: str) -> str | None:
    if field == "ports":
        return (
            "containerPort" if path and path[-1] in ("containers", "initContainers", "ephemeralContainers") else "port"
        )
    return MERGE_KEYS.get(field)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 ``MergePatch``."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


# -- strategic merge patch ---------------------------------------------------------------------


def strategic_merge(original: Any, patch: Any, path: tuple[str, ...] = ()) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(original, dict):
        original = {}
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if directive == "delete":
        return None
    if directive is not None:
        raise bad_request(f"Unknown patch type: {directive} in map: {patch}")
    out = dict(original)
    retain = patch.get("$retainKeys")
    orders: dict[str, list[Any]] = {}
    deletions: dict[str, list[Any]] = {}
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys"):
            continue
        if key.startswith("$setElementOrder/"):
            if not isinstance(value, list):
                raise bad_request(f"invalid type for $setElementOrder list: {type(value).__name__}")
            orders[key.split("/", 1)[1]] = value
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            if not isinstance(value, list):
                raise bad_request(f"invalid type for $deleteFromPrimitiveList list: {type(value).__name__}")
            deletions[key.split("/", 1)[1]] = value
            continue
        if value is None:
            out.pop(key, None)
            continue
        if isinstance(value, list):
            merged = _merge_list(out.get(key), value, path, key)
            out[key] = merged
            continue
        if isinstance(value, dict):
            result = strategic_merge(out.get(key), value, (*path, key))
            if result is None:
                out.pop(key, None)
            else:
                out[key] = result
            continue
        out[key] = copy.deepcopy(value)
    for key, values in deletions.items():
        if isinstance(out.get(key), list):
            out[key] = [v for v in out[key] if v not in values]
    for key, order in orders.items():
        if isinstance(out.get(key), list):
            out[key] = _ordered(out[key], order, merge_key(path, key))
    if isinstance(retain, list):
        out = {k: v for k, v in out.items() if k in retain}
    return out


def _item_key(item: Any, key: str) -> Any:
    return item.get(key) if isinstance(item, dict) else None


def _merge_list(original: Any, patch: list[Any], path: tuple[str, ...], field: str) -> list[Any]:
    current = list(original) if isinstance(original, list) else []
    if field in PRIMITIVE_MERGE:
        return current + [v for v in patch if v not in current]
    key = merge_key(path, field)
    if key is None or not all(isinstance(item, dict) for item in patch):
        if any(isinstance(i, dict) and i.get("$patch") == "replace" for i in patch):
            return [copy.deepcopy(i) for i in patch if not (isinstance(i, dict) and "$patch" in i)]
        return [copy.deepcopy(i) for i in patch]
    if any(i.get("$patch") == "replace" for i in patch):
        return [copy.deepcopy(i) for i in patch if "$patch" not in i]
    out = [copy.deepcopy(i) for i in current]
    for item in patch:
        if key not in item:
            raise bad_request(f"map: {item} does not contain declared merge key: {key}")
        value = item[key]
        where = next((n for n, i in enumerate(out) if _item_key(i, key) == value), None)
        if item.get("$patch") == "delete":
            if where is not None:
                out.pop(where)
            continue
        if where is None:
            merged = strategic_merge({}, item, (*path, field))
            out.append(merged)
        else:
            out[where] = strategic_merge(out[where], item, (*path, field))
    return out


def _ordered(items: list[Any], order: list[Any], key: str | None) -> list[Any]:
    """``$setElementOrder``: the listed elements in that order, the others after them as they were."""
    if key is None:
        ranks = {repr(v): n for n, v in enumerate(order)}
        return sorted(items, key=lambda v: ranks.get(repr(v), len(ranks)))
    wanted = [_item_key(o, key) for o in order]
    ranks = {repr(v): n for n, v in enumerate(wanted)}
    return sorted(items, key=lambda i: ranks.get(repr(_item_key(i, key)), len(ranks)))


# -- JSON patch (RFC 6902) --------------------------------------------------------------------


def _pointer(path: Any) -> list[str]:
    if not isinstance(path, str) or (path and not path.startswith("/")):
        raise invalid(f"invalid JSON pointer: {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")[1:]] if path else []


def _parent(doc: Any, parts: list[str], op: str) -> tuple[Any, str]:
    node = doc
    for part in parts[:-1]:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise invalid(f"{op} operation does not apply: doc is missing path: /{'/'.join(parts)}")
    return node, parts[-1]


def _get(doc: Any, parts: list[str], op: str) -> Any:
    node = doc
    for part in parts:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise invalid(f"{op} operation does not apply: doc is missing path: /{'/'.join(parts)}")
    return node


def _add(doc: Any, parts: list[str], value: Any, op: str = "add") -> Any:
    if not parts:
        return copy.deepcopy(value)
    parent, last = _parent(doc, parts, op)
    if isinstance(parent, dict):
        parent[last] = copy.deepcopy(value)
    elif isinstance(parent, list):
        if last == "-":
            parent.append(copy.deepcopy(value))
        elif last.isdigit() and int(last) <= len(parent):
            parent.insert(int(last), copy.deepcopy(value))
        else:
            raise invalid(f"{op} operation does not apply: doc is missing path: /{'/'.join(parts)}")
    else:
        raise invalid(f"{op} operation does not apply: doc is missing path: /{'/'.join(parts)}")
    return doc


def _remove(doc: Any, parts: list[str], op: str = "remove") -> Any:
    if not parts:
        raise invalid(f"{op} operation does not apply: doc is missing path: ")
    parent, last = _parent(doc, parts, op)
    if isinstance(parent, dict) and last in parent:
        del parent[last]
    elif isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        parent.pop(int(last))
    else:
        raise invalid(f"{op} operation does not apply: doc is missing path: /{'/'.join(parts)}")
    return doc


def json_patch(doc: Any, operations: Any) -> Any:
    if not isinstance(operations, list):
        raise bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = copy.deepcopy(doc)
    for operation in operations:
        if not isinstance(operation, dict):
            raise bad_request("json: cannot unmarshal into Go value of type jsonpatch.Operation")
        op = operation.get("op")
        parts = _pointer(operation.get("path"))
        if op in ("add", "replace", "test") and "value" not in operation:
            raise invalid(f"{op} operation does not apply: value is missing")
        if op == "add":
            doc = _add(doc, parts, operation["value"])
        elif op == "remove":
            doc = _remove(doc, parts)
        elif op == "replace":
            _get(doc, parts, "replace")
            doc = (
                _add(_remove(doc, parts, "replace"), parts, operation["value"], "replace")
                if parts
                else copy.deepcopy(operation["value"])
            )
        elif op in ("move", "copy"):
            source = _pointer(operation.get("from"))
            value = copy.deepcopy(_get(doc, source, op))
            if op == "move":
                doc = _remove(doc, source, "move")
            doc = _add(doc, parts, value, op)
        elif op == "test":
            if _get(doc, parts, "test") != operation["value"]:
                raise invalid(f"testing value /{'/'.join(parts)} failed: test failed")
        else:
            raise bad_request(f"Unexpected kind: {op}")
    return doc


def apply(content_type: str, current: dict[str, Any], body: Any) -> Any:
    """``current`` (the object's JSON) with the patch applied."""
    if content_type == MERGE:
        if not isinstance(body, dict):
            raise bad_request("json: cannot unmarshal array into Go value of type map[string]interface {}")
        return merge_patch(current, body)
    if content_type in (STRATEGIC, APPLY):
        if not isinstance(body, dict):
            raise bad_request("json: cannot unmarshal array into Go value of type map[string]interface {}")
        result = strategic_merge(current, body)
        return result if result is not None else {}
    return json_patch(current, body)
