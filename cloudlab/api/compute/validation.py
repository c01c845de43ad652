"""Request bodies checked as Nova's JSON schemas check them (nova/api/validation), with Nova's
words: ``'networks' is a required property``, ``Additional properties are not allowed ('x' was
unexpected)``, and for a bad value ``Invalid input for field/attribute <name>. Value: <v>.
<reason>`` (the reason as jsonschema words it). Values quoted in a message are cut short."""

from __future__ import annotations

import json
import re
from typing import Any

from django.http import HttpRequest
from django.http.request import RawPostDataException
from django.utils.translation import gettext as _

from cloudlab.compute.ids import is_uuid
from cloudlab.compute.limits import text_problem

from .faults import Fault

#: oslo.middleware's default ``max_request_body_size`` in front of nova-api (112 KiB).
MAX_BODY_BYTES = 114688

#: parameter_types.boolean's enum, as jsonschema lists it in a refusal.
BOOLEAN_SPELLINGS = (
    "[True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', "
    "False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no']"
)


def shown(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 120 else text[:117] + "..."


def quoted(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def invalid(path: str, value: Any, reason: str) -> Fault:
    return Fault(400, f"Invalid input for field/attribute {path}. Value: {shown(value)}. {reason}")


def unexpected(path: str, value: Any, key: str) -> Fault:
    return invalid(path, value, f"Additional properties are not allowed ({key!r} was unexpected)")


def not_of_type(path: str, value: Any, *types: str) -> Fault:
    spelled = ", ".join(f"'{t}'" for t in types)
    return invalid(path, value, f"{quoted(value)} is not of type {spelled}")


def read_body(request: HttpRequest) -> Any:
    """The request's JSON document: 413 past Nova's size limit, 400 when it is not JSON."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        raise Fault(413, "Request is too large.")
    try:
        raw = request.body
    except RawPostDataException:
        raise Fault(400, "Malformed message body: cannot understand JSON") from None
    if len(raw) > MAX_BODY_BYTES:
        raise Fault(413, "Request is too large.")
    if not raw.strip():
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Fault(400, "Malformed message body: cannot understand JSON") from None


def an_object(
    value: Any, path: str | None, *, required: tuple[str, ...] = (), allowed: frozenset[str] | None = None
) -> dict[str, Any]:
    """``value`` as an object with its ``required`` keys and (when ``allowed`` is given) no others."""
    if not isinstance(value, dict):
        if path is None:
            raise Fault(400, f"{quoted(value)} is not of type 'object'")
        raise not_of_type(path, value, "object")
    for key in required:
        if key not in value:
            reason = f"'{key}' is a required property"
            raise Fault(400, reason) if path is None else invalid(path, value, reason)
    if allowed is not None:
        extra = sorted(k for k in value if k not in allowed)
        if extra:
            listed = ", ".join(quoted(k) for k in extra[:5])
            verb = "were" if len(extra) > 1 else "was"
            reason = f"Additional properties are not allowed ({listed} {verb} unexpected)"
            raise Fault(400, reason) if path is None else invalid(path, value, reason)
    return value


def a_string(
    value: Any, path: str, *, min_length: int = 0, max_length: int = 255, nullable: bool = False
) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise not_of_type(path, value, "string", *(("null",) if nullable else ()))
    if len(value) < min_length:
        raise invalid(path, value, f"{quoted(value)} is too short")
    if len(value) > max_length:
        raise invalid(path, value, f"{quoted(value)} is too long")
    problem = text_problem(value)
    if problem:
        raise invalid(path, value, _("The value %(problem)s") % {"problem": problem})
    return value


def a_name(value: Any, path: str = "name") -> str:
    """Nova's ``name`` parameter type: 1 to 255 printable characters, no space at either end."""
    name = a_string(value, path, min_length=1, max_length=255)
    assert name is not None
    if name != name.strip():
        raise Fault(
            400,
            f"Invalid input for field/attribute {path}. Value: {shown(name)}. An invalid 'name' value was provided. "
            "The name must be: printable characters. Can not start or end with whitespace.",
        )
    return name


_POSITIVE = re.compile(r"^[0-9]*$", re.ASCII)


def a_positive_integer(value: Any, path: str, *, minimum: int = 1) -> int:
    """Nova's ``positive_integer``: an integer, or a string of digits, at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise not_of_type(path, value, "integer", "string")
    if isinstance(value, str):
        if not value or not _POSITIVE.match(value) or len(value) > 18:
            raise invalid(path, value, f"{quoted(value)} does not match '^[0-9]*$'")
        value = int(value)
    if value < minimum:
        raise invalid(path, value, f"{value} is less than the minimum of {minimum}")
    return value


def a_boolean(value: Any, path: str) -> bool:
    """Nova's ``boolean`` parameter type: true/false, or their usual spellings as strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "1", "yes", "on", "false", "0", "no", "off"):
        return value.lower() in ("true", "1", "yes", "on")
    raise invalid(
        path,
        value,
        f"{quoted(value)} is not one of {BOOLEAN_SPELLINGS}",
    )


def a_uuid(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise not_of_type(path, value, "string")
    if not is_uuid(value) or len(value) > 40:
        raise invalid(path, value, f"{quoted(value)} is not a 'uuid'")
    return value


def uuid_list(value: Any, path: str) -> list[str]:
    """A hint's value: one uuid (a string) or several (a list), as a list."""
    items = value if isinstance(value, list) else [value]
    if not isinstance(value, list | str):
        raise not_of_type(path, value, "string", "array")
    if len(items) > 100:
        raise invalid(path, value, "The list is too long")
    return [a_uuid(item, path) for item in items]
