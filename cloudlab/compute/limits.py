"""What fits a model's columns, read from the model fields themselves (never a copied number).

A value that reaches the database past its column (a name longer than ``max_length``, an integer
beyond what the column stores, NaN in a JSON column, NUL in any text) makes PostgreSQL raise and
the request answer 500; SQLite stores it and a later page breaks. Writers check their values
here first and answer with the problem instead:

* ``column_limits(Model, "field")``: the field's ``max_length`` and integer range, the range being
  the narrowest of the field's validators (``MinValueValidator(1)`` on a host's vCPUs), the
  connection's and the portable one PostgreSQL enforces (``BaseDatabaseOperations``), so what
  SQLite accepts in development also loads in production;
* ``column_problem(Model, "field", value)``: why ``value`` does not fit, in the reader's language,
  or None;
* ``text_problem(text)``: a control character or a lone surrogate in a name or a sentence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils.translation import gettext as _

from cloudlab.engine.scheduler.checks import MAX_MAGNITUDE, control_character


@dataclass(frozen=True)
class ColumnLimits:
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None


def column_limits(model: type[models.Model], name: str) -> ColumnLimits:
    """The limits of ``model.name``'s column: its length, or its integer range."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{model.__name__}.{name} is not a column")
    if isinstance(field, models.IntegerField):
        internal = field.get_internal_type()
        low, high = connection.ops.integer_field_range(internal)
        portable_low, portable_high = BaseDatabaseOperations.integer_field_ranges[internal]
        lows = [v for v in (low, portable_low) if v is not None]
        highs = [v for v in (high, portable_high) if v is not None]
        for validator in field.validators:
            if isinstance(validator, MinValueValidator) and isinstance(validator.limit_value, int):
                lows.append(validator.limit_value)
            elif isinstance(validator, MaxValueValidator) and isinstance(validator.limit_value, int):
                highs.append(validator.limit_value)
        return ColumnLimits(minimum=max(lows) if lows else None, maximum=min(highs) if highs else None)
    return ColumnLimits(max_length=getattr(field, "max_length", None))


def text_problem(text: str, *, newlines: bool = False) -> str | None:
    """A control character (NUL, ESC, DEL …) or half of a surrogate pair in ``text``, or None."""
    found = control_character(text, newlines=newlines)
    if found is None:
        return None
    position, ch = found
    return _("contains the control character U+%(code)04X at position %(position)d.") % {
        "code": ord(ch),
        "position": position,
    }


def column_problem(model: type[models.Model], name: str, value: Any) -> str | None:
    """Why ``value`` cannot be stored in ``model.name`` (too long, out of range, not finite, a
    control character, a JSON value PostgreSQL refuses), or None. ``None`` values are the
    model's business (null=True or a default), so they pass."""
    if value is None:
        return None
    field = model._meta.get_field(name)
    limits = column_limits(model, name)
    if isinstance(field, models.JSONField):
        return json_problem(value)
    if isinstance(value, str):
        if limits.max_length is not None and len(value) > limits.max_length:
            return _("is %(length)d characters long; at most %(max)d fit.") % {
                "length": len(value),
                "max": limits.max_length,
            }
        return text_problem(value, newlines=isinstance(field, models.TextField))
    if isinstance(value, float) and not math.isfinite(value):
        return _("must be a finite number, not %(value)s.") % {"value": value}
    if isinstance(field, models.IntegerField) and isinstance(value, int) and not isinstance(value, bool):
        low, high = limits.minimum, limits.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            return _("must be between %(min)s and %(max)s, not %(value)s.") % {
                "min": low,
                "max": high,
                "value": value if abs(value) < 10**20 else _("a %(digits)d-digit number") % {"digits": _digits(value)},
            }
    return None


def json_problem(value: Any) -> str | None:
    """A value PostgreSQL's jsonb refuses or a page cannot read back: NaN or Infinity, NUL in a
    string or key, an integer beyond what JavaScript reads exactly."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            problem = json_problem(key) if isinstance(key, str) else None
            problem = problem or json_problem(item)
            if problem:
                return problem
        return None
    if isinstance(value, list | tuple):
        return next((p for p in map(json_problem, value) if p), None)
    if isinstance(value, str):
        return _("contains NUL (U+0000).") if "\x00" in value else None
    if isinstance(value, float) and not math.isfinite(value):
        return _("must be a finite number, not %(value)s.") % {"value": value}
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_MAGNITUDE:
        return _("must be between %(min)s and %(max)s, not %(value)s.") % {
            "min": -MAX_MAGNITUDE,
            "max": MAX_MAGNITUDE,
            "value": _("a %(digits)d-digit number") % {"digits": _digits(value)},
        }
    return None


def _digits(value: int) -> int:
    # str() of an integer past sys.get_int_max_str_digits raises: count by logarithm instead.
    return int(math.log10(abs(value))) + 1 if value else 1
