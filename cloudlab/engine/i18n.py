"""Marking engine sentences for translation without importing Django.

The engine writes sentences for students ("usable RAM 1536 MB < 2048 MB requested"). It keeps
the English template and the numbers apart, so that the same trace can be shown in any language
later: the page translates the template through Django's catalogue (the templates are extracted
by ``makemessages --keyword=N_``), the command line prints English.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
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


#: Decimal places of every shown number that is not whole: a weigher's weight, a normalised value,
#: a multiplied weight, a margin, a ratio. The browser's one formatter (``fmt`` in
#: static/cloudlab/decision_model.js) uses the same, so a weight reads alike on every page.
DIGITS = 4


def fmt_number(value: Any) -> Any:
    """A float as every page and sentence shows it: 1536.0 → '1536', 0.123456 → '0.1235',
    1.5 → '1.5' (trailing zeros dropped), -0.00001 → '0' (never '-0', never '1e-05'), so
    arithmetic reads as the course writes it. Anything else is returned as it is."""
    if not isinstance(value, float) or not math.isfinite(value):
        return value
    scaled = abs(value) * _SCALE
    if scaled - math.floor(scaled) == 0.5:
        # An exact tie (0.03125): half away from zero, as JavaScript's toFixed rounds, not
        # Python's half to even, so the page's two formatters never differ by one in the last place.
        text = str(Decimal(value).quantize(_QUANTUM, rounding=ROUND_HALF_UP))
    else:
        text = f"{value:.{DIGITS}f}"
    text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


_SCALE = 10**DIGITS
_QUANTUM = Decimal(1).scaleb(-DIGITS)
