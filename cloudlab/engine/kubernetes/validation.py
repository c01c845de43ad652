"""Names, label keys and values, and the field errors the API returns (Kubernetes v1.32).

Read: apimachinery ``pkg/util/validation/validation.go`` (``IsDNS1123Subdomain``,
``IsDNS1123Label``, ``IsDNS1035Label``, ``IsQualifiedName``, ``IsValidLabelValue``, ``RegexError``,
``MaxLenError``, ``EmptyError``) and ``pkg/util/validation/field/errors.go`` (how a field error
prints: ``metadata.name: Invalid value: "Bad_Name": <detail>``). v1.32 says "a lowercase RFC 1123
…"; the later "must not contain dots" variant of the label check is not in v1.32. The texts are
Kubernetes' own and stay in English (kubernetes-semantics.md §5.1, §5.2, §7.5).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_SUBDOMAIN_FMT = DNS1123_LABEL_FMT + "(\\." + DNS1123_LABEL_FMT + ")*"
DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
LABEL_VALUE_FMT = "(" + QUALIFIED_NAME_FMT + ")?"

DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_MAX = 253
DNS1035_LABEL_MAX = 63
QUALIFIED_NAME_MAX = 63
LABEL_VALUE_MAX = 63

_DNS1123_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character"
)
_DNS1123_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character"
)
_DNS1035_LABEL_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character"
)
_QUALIFIED_NAME_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
)
_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character"
)

_RE_LABEL = re.compile("^" + DNS1123_LABEL_FMT + "$")
_RE_SUBDOMAIN = re.compile("^" + DNS1123_SUBDOMAIN_FMT + "$")
_RE_1035 = re.compile("^" + DNS1035_LABEL_FMT + "$")
_RE_QUALIFIED = re.compile("^" + QUALIFIED_NAME_FMT + "$")
_RE_LABEL_VALUE = re.compile("^" + LABEL_VALUE_FMT + "$")


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    """``RegexError``: the rule, its examples (joined by ``' or '`` after a comma) and the regex."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    shown = " or ".join(f"'{e}', " for e in examples)
    return f"{msg} (e.g. {shown}regex used for validation is '{fmt}')"


def max_len_error(length: int) -> str:
    return f"must be no more than {length} characters"


def empty_error() -> str:
    return "must be non-empty"


def is_dns1123_label(value: str) -> list[str]:
    errs = []
    if len(value) > DNS1123_LABEL_MAX:
        errs.append(max_len_error(DNS1123_LABEL_MAX))
    if not _RE_LABEL.match(value):
        errs.append(regex_error(_DNS1123_LABEL_MSG, DNS1123_LABEL_FMT, "my-name", "123-abc"))
    return errs


def is_dns1123_subdomain(value: str) -> list[str]:
    errs = []
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        errs.append(max_len_error(DNS1123_SUBDOMAIN_MAX))
    if not _RE_SUBDOMAIN.match(value):
        errs.append(regex_error(_DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errs


def is_dns1035_label(value: str) -> list[str]:
    errs = []
    if len(value) > DNS1035_LABEL_MAX:
        errs.append(max_len_error(DNS1035_LABEL_MAX))
    if not _RE_1035.match(value):
        errs.append(regex_error(_DNS1035_LABEL_MSG, DNS1035_LABEL_FMT, "my-name", "abc-123"))
    return errs


def is_qualified_name(value: str) -> list[str]:
    """A label or annotation key: ``[prefix/]name`` (``IsQualifiedName``)."""
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if prefix == "":
            errs.append("prefix part " + empty_error())
        else:
            errs.extend("prefix part " + m for m in is_dns1123_subdomain(prefix))
    else:
        return [
            "a qualified name "
            + regex_error(_QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if name == "":
        errs.append("name part " + empty_error())
    elif len(name) > QUALIFIED_NAME_MAX:
        errs.append("name part " + max_len_error(QUALIFIED_NAME_MAX))
    if not _RE_QUALIFIED.match(name):
        errs.append("name part " + regex_error(_QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc"))
    return errs


def is_valid_label_value(value: str) -> list[str]:
    errs = []
    if len(value) > LABEL_VALUE_MAX:
        errs.append(max_len_error(LABEL_VALUE_MAX))
    if not _RE_LABEL_VALUE.match(value):
        errs.append(regex_error(_LABEL_VALUE_MSG, LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errs


# -- field errors (field/errors.go) ---------------------------------------------------------------

#: ErrorType → (the cause ``reason`` of a 422 Status, the words the error prints).
ERROR_TYPES = {
    "Invalid": ("FieldValueInvalid", "Invalid value"),
    "Required": ("FieldValueRequired", "Required value"),
    "NotSupported": ("FieldValueNotSupported", "Unsupported value"),
    "Duplicate": ("FieldValueDuplicate", "Duplicate value"),
    "Forbidden": ("FieldValueForbidden", "Forbidden"),
    "TooLong": ("FieldValueTooLong", "Too long"),
}

_NO_VALUE = object()


def _shown_value(value: Any) -> str:
    """How ``field.Error`` prints a bad value: strings quoted, numbers bare, lists Go-style."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "[]string{" + ", ".join(json.dumps(v) for v in value) + "}"
    return json.dumps(value, sort_keys=True)


@dataclass(frozen=True)
class FieldError:
    """One ``field.Error``: its type, its path (``metadata.name``), the bad value and the detail."""

    type: str
    field: str
    value: Any = None
    detail: str = ""
    has_value: bool = True

    def body(self) -> str:
        """``ErrorBody``: the text after the path (a Status cause's ``message``)."""
        words = ERROR_TYPES[self.type][1]
        if self.type in ("Required", "Forbidden", "TooLong") and not self.has_value:
            text = words
        else:
            text = f"{words}: {_shown_value(self.value)}"
        if self.detail:
            text += f": {self.detail}"
        return text

    def __str__(self) -> str:
        return f"{self.field}: {self.body()}"

    def cause(self) -> dict[str, str]:
        """The ``details.causes[]`` entry of a 422 Invalid Status."""
        return {"reason": ERROR_TYPES[self.type][0], "message": self.body(), "field": self.field}


def invalid(field: str, value: Any, detail: str) -> FieldError:
    return FieldError("Invalid", field, value, detail)


def required(field: str, detail: str = "") -> FieldError:
    return FieldError("Required", field, None, detail, has_value=False)


def not_supported(field: str, value: Any, supported: list[str]) -> FieldError:
    detail = "supported values: " + ", ".join(json.dumps(s) for s in supported)
    return FieldError("NotSupported", field, value, detail)


def validate_name(value: str, field: str = "metadata.name", rule: str = "subdomain") -> list[FieldError]:
    """An object's name: ``subdomain`` (most kinds), ``label`` (namespaces) or ``1035`` (Services)."""
    if value == "":
        return [required(field, "name or generateName is required")]
    check = {"subdomain": is_dns1123_subdomain, "label": is_dns1123_label, "1035": is_dns1035_label}[rule]
    return [invalid(field, value, m) for m in check(value)]


def validate_labels(labels: dict[str, str], field: str = "metadata.labels") -> list[FieldError]:
    """``ValidateLabels``: every key a qualified name, every value a label value."""
    out: list[FieldError] = []
    for key in sorted(labels):
        out.extend(invalid(field, key, m) for m in is_qualified_name(key))
        out.extend(invalid(f"{field}[{key}]", labels[key], m) for m in is_valid_label_value(labels[key]))
    return out


def invalid_status(kind: str, name: str, errors: list[FieldError]) -> dict[str, Any]:
    """The 422 ``Status`` for ``errors`` (``apierrors.NewInvalid``), as §7.5 gives it."""
    joined = ", ".join(str(e) for e in errors)
    if len(errors) > 1:
        joined = "[" + joined + "]"
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": f'{kind} "{name}" is invalid: {joined}',
        "reason": "Invalid",
        "details": {"name": name, "kind": kind, "causes": [e.cause() for e in errors]},
        "code": 422,
    }
