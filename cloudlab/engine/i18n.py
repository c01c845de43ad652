"""Marking engine sentences for translation without importing Django.

The engine writes sentences for students ("usable RAM 1536 MB < 2048 MB requested"). It keeps
the English template and the numbers apart, so that the same trace can be shown in any language
later: the page translates the template through Django's catalogue (the templates are extracted
by ``makemessages --keyword=N_``), the command line prints English.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Translate = Callable[[str], str]


def N_(message: str) -> str:
    """Mark ``message`` for extraction; return it unchanged (translation happens when shown)."""
    return message


def identity(message: str) -> str:
    return message


def render(template: str, numbers: Mapping[str, Any], translate: Translate = identity) -> str:
    """Translate ``template`` and fill it with ``numbers`` (``str.format`` fields)."""
    return translate(template).format(**{k: fmt_number(v) for k, v in numbers.items()})


def fmt_number(value: Any) -> Any:
    """Show 1536.0 as 1536 and 1.5 as 1.5, so arithmetic reads as the course writes it."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, float):
        return round(value, 4)
    return value
