"""Resource quantities (``100m``, ``128Mi``, ``1Gi``, ``0.5``) as ``resource.Quantity`` reads them.

Read: apimachinery ``pkg/api/resource/quantity.go`` (``ParseQuantity``, the suffixer in
``suffix.go``, ``Value`` and ``MilliValue``). A quantity is a signed decimal number followed by an
optional suffix: a binary SI one (``Ki Mi Gi Ti Pi Ei``, powers of 1024), a decimal SI one
(``n u m "" k M G T P E``) or a decimal exponent (``e3``, ``E-2``). ``Value()`` and
``MilliValue()`` round **up** to the next integer (``0.1`` → 1, ``1.5m`` CPU → 2 millicores), as
upstream's ``ScaledValue`` does. The arithmetic here is exact (``Fraction``), so ``0.5`` is
exactly 500m. The error texts are upstream's ``ErrFormatWrong`` and ``ErrSuffix``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from math import ceil

#: resource.ErrFormatWrong, verbatim.
ERR_FORMAT_WRONG = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
#: resource.ErrSuffix, verbatim.
ERR_SUFFIX = "unable to parse quantity's suffix"

_SPLIT = re.compile(r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")
_NUMBER = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")
_EXPONENT = re.compile(r"^[eE][-+]?[0-9]+$")

_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}


class QuantityError(ValueError):
    """A string that is not a quantity; ``str()`` is upstream's message."""


@dataclass(frozen=True)
class Quantity:
    """A parsed quantity: its exact amount and the text it came from."""

    amount: Fraction
    text: str

    def value(self) -> int:
        """``Quantity.Value()``: the amount rounded up to an integer (bytes, pods, cores)."""
        return ceil(self.amount)

    def milli_value(self) -> int:
        """``Quantity.MilliValue()``: the amount × 1000 rounded up (millicores)."""
        return ceil(self.amount * 1000)


def parse_quantity(text: str) -> Quantity:
    """Parse ``text`` as ``resource.ParseQuantity`` does, or raise ``QuantityError``."""
    if not isinstance(text, str):
        text = str(text)
    stripped = text.strip()
    if stripped == "":
        raise QuantityError(ERR_FORMAT_WRONG)
    match = _SPLIT.match(stripped)
    if not match:
        raise QuantityError(ERR_FORMAT_WRONG)
    number, suffix = match.group(1), match.group(2)
    if not _NUMBER.match(number):
        raise QuantityError(ERR_FORMAT_WRONG)
    value = Fraction(number)
    if suffix in _BINARY:
        return Quantity(value * (1024 ** _BINARY[suffix]), text)
    if suffix in _DECIMAL:
        return Quantity(value * Fraction(10) ** _DECIMAL[suffix], text)
    if _EXPONENT.match(suffix):
        return Quantity(value * Fraction(10) ** int(suffix[1:]), text)
    raise QuantityError(ERR_SUFFIX)


def milli_cpu(text: str | int | float) -> int:
    """A CPU quantity in millicores (``"500m"`` → 500, ``"0.5"`` → 500, ``2`` → 2000)."""
    return parse_quantity(str(text)).milli_value()


def int_value(text: str | int | float) -> int:
    """A memory, storage or count quantity as an integer (``"128Mi"`` → 134217728)."""
    return parse_quantity(str(text)).value()


def resource_amount(name: str, text: str | int | float) -> int:
    """The integer the scheduler adds up for ``name``: millicores for ``cpu``, else ``Value()``."""
    return milli_cpu(text) if name == "cpu" else int_value(text)


def format_amount(name: str, amount: int) -> str:
    """An integer amount back in the units kubectl describes it with (``1500m``, ``512Mi``)."""
    if name == "cpu":
        return f"{amount // 1000}" if amount % 1000 == 0 else f"{amount}m"
    if name in ("memory", "ephemeral-storage"):
        for suffix, power in (("Gi", 3), ("Mi", 2), ("Ki", 1)):
            if amount and amount % (1024**power) == 0:
                return f"{amount // 1024**power}{suffix}"
    return str(amount)
