"""Flavor extra-spec requirements (nova/scheduler/filters/extra_specs_ops.py), as Nova reads them.

A requirement is ``"<op> value"``; with no recognised operator it is an exact string comparison.
``=`` means numeric **at least** (``"= 4"`` matches 4, 8, 16), not equality; ``==`` is numeric
equality. Used by AggregateInstanceExtraSpecsFilter and ComputeCapabilitiesFilter.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any


def _num(op: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    return lambda value, wanted: op(float(value), float(wanted))


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": _num(operator.ge),
    "<in>": lambda value, wanted: wanted in value,
    "<all-in>": lambda value, wanted: all(v in value for v in wanted),
    "==": _num(operator.eq),
    "!=": _num(operator.ne),
    ">=": _num(operator.ge),
    "<=": _num(operator.le),
    "s==": operator.eq,
    "s!=": operator.ne,
    "s<": operator.lt,
    "s<=": operator.le,
    "s>": operator.gt,
    "s>=": operator.ge,
}

OPERATORS: tuple[str, ...] = (*_OPS, "<or>")


def match(value: str | None, requirement: str) -> bool:
    """Whether the host's ``value`` satisfies the extra-spec ``requirement``.

    A numeric operator on a value that is not a number does not match (Nova would raise).
    """
    words = requirement.split()
    op = words.pop(0) if words else None
    method = _OPS.get(op) if op else None
    if op != "<or>" and method is None:
        return value == requirement
    if value is None:
        return False
    if op == "<or>":  # "<or> v1 <or> v2 <or> v3"
        while words:
            if words.pop(0) == value:
                return True
            if not words:
                break
            words.pop(0)  # the next "<or>"
        return False
    if not words or method is None:
        return False
    try:
        if op == "<all-in>":
            return method(value, words)
        return method(value, words[0])
    except ValueError:
        return False
