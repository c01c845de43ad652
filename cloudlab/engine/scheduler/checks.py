"""The validator behind scenario files: each check records a problem by path and goes on.

A ``Checker`` never raises: a helper that finds a mistake appends ``"<path>: <message>"`` to
``problems`` and returns None, so one pass over a file collects every problem.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

#: The largest magnitude a number may have: the largest integer a double holds exactly. The
#: engine's arithmetic multiplies totals by ratios and weights by multipliers in floats; beyond
#: this it would round, and a product of two such numbers would still be finite.
MAX_MAGNITUDE = 2**53


def magnitude_problem(value: int | float) -> str | None:
    """Why a number cannot be used (not finite, or beyond ``MAX_MAGNITUDE``), or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"must be a number, not {show(value)}"  # NaN and Infinity are not numbers here
    if abs(value) > MAX_MAGNITUDE:
        return f"must be between -{MAX_MAGNITUDE} and {MAX_MAGNITUDE} (2**53), not {show(value)}"
    return None


def control_character(text: str, *, newlines: bool = False) -> tuple[int, str] | None:
    """The first character of ``text`` no name or sentence may hold, with its position from 1:
    a control character (NUL, ESC, DEL, C1 controls: PostgreSQL refuses NUL, pages and logs
    misread the others) or half of a surrogate pair (not encodable). ``newlines`` lets a
    description keep its line breaks and tabs."""
    for index, ch in enumerate(text):
        if newlines and ch in "\n\t\r":
            continue
        if unicodedata.category(ch) in ("Cc", "Cs"):
            return index + 1, ch
    return None


def control_problem(text: str, *, newlines: bool = False) -> str | None:
    """Why a text cannot be stored or shown (see ``control_character``), or None."""
    found = control_character(text, newlines=newlines)
    if found is None:
        return None
    position, ch = found
    return f"contains the control character U+{ord(ch):04X} at position {position}"


class Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def mapping(self, path: str, value: Any, keys: Sequence[str]) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.add(path, f"must be a mapping, not {kind(value)}")
            return None
        for key in value:
            if not isinstance(key, str) or key not in keys:
                self.add(join(path, str(key)), "unknown key" + did_you_mean(str(key), keys))
        return value

    def items(self, path: str, value: Any) -> list[tuple[str, Any]]:
        """The elements of a list with their paths (a problem if it is not a list)."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.add(path, f"must be a list, not {kind(value)}")
            return []
        return [(f"{path}[{i}]", v) for i, v in enumerate(value)]

    def integer(self, path: str, value: Any, minimum: int | None = None, what: str = "") -> int | None:
        ok = isinstance(value, int) and not isinstance(value, bool)
        if ok and (minimum is None or value >= minimum):
            problem = magnitude_problem(value)
            if problem:
                self.add(path, problem)
                return None
            return int(value)
        if not what:
            what = {0: "a non-negative integer", 1: "a positive integer"}.get(
                minimum if minimum is not None else -1,
                "an integer" if minimum is None else f"an integer ≥ {minimum}",
            )
        self.add(path, f"must be {what}" + ("" if ok else f", not {show(value)}"))
        return None

    def number(self, path: str, value: Any, *, positive: bool = False) -> float | None:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and magnitude_problem(value):
            self.add(path, magnitude_problem(value) or "")
            return None
        if ok and (not positive or value > 0):
            return float(value)
        what = "a positive number" if positive else "a number"
        self.add(path, f"must be {what}" + ("" if ok else f", not {show(value)}"))
        return None

    def string(self, path: str, value: Any, *, allow_empty: bool = False, newlines: bool = False) -> str | None:
        if isinstance(value, str) and (allow_empty or value.strip()):
            problem = control_problem(value, newlines=newlines)
            if problem:
                self.add(path, problem)
                return None
            return value
        self.add(path, "must be a non-empty string" + ("" if isinstance(value, str) else f", not {show(value)}"))
        return None

    def boolean(self, path: str, value: Any) -> bool | None:
        if isinstance(value, bool):
            return value
        self.add(path, f"must be true or false, not {show(value)}")
        return None

    def choice(self, path: str, value: Any, choices: Sequence[str]) -> str | None:
        if isinstance(value, str) and value in choices:
            return value
        shown = show(value)
        self.add(
            path,
            f"{shown} is not one of {', '.join(choices)}"
            + (did_you_mean(value, choices) if isinstance(value, str) else ""),
        )
        return None

    def uuid(self, path: str, value: Any) -> str | None:
        if isinstance(value, str) and UUID_RE.match(value):
            return value.lower()
        self.add(path, f"{show(value)} is not a UUID (like 6d2d1c7e-0000-4000-8000-000000000001)")
        return None

    def ip(self, path: str, value: Any) -> str | None:
        if isinstance(value, str):
            try:
                return str(ipaddress.ip_address(value))
            except ValueError:
                pass
        self.add(path, f"{show(value)} is not an IP address")
        return None

    def str_map(self, path: str, value: Any) -> dict[str, str] | None:
        """Metadata, extra specs, properties: string keys, scalar values kept as strings."""
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.add(path, f"must be a mapping, not {kind(value)}")
            return None
        out: dict[str, str] = {}
        for k, v in value.items():
            if not isinstance(k, str) or not k:
                self.add(path, f"key {show(k)} must be a non-empty string")
            elif control_problem(k):
                self.add(path, f"key {show(k)} {control_problem(k)}")
            elif isinstance(v, str) and control_problem(v):
                self.add(join(path, k), control_problem(v) or "")
            elif isinstance(v, int | float) and not isinstance(v, bool) and magnitude_problem(v):
                self.add(join(path, k), magnitude_problem(v) or "")
            elif isinstance(v, bool):
                out[k] = "true" if v else "false"  # YAML `ssd: true` means the string "true"
            elif isinstance(v, str | int | float):
                out[k] = str(v)
            else:
                self.add(join(path, k), f"must be a string, not {kind(v)}")
        return out


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )


def show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value) if len(value) <= 80 else repr(value[:40]) + f"… ({len(value)} characters)"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**20:
        return f"a {len(str(abs(value))) if abs(value) < 10**4000 else 'more than 4000'}-digit integer"
    if isinstance(value, dict | list):
        return kind(value)
    return json.dumps(value) if value is None or isinstance(value, bool | int | float) else repr(value)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    options = list(choices)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in options}
        if word.lower() in lowered:
            close = [lowered[word.lower()]]
    if not close and word:
        starting = [c for c in options if c.lower().startswith(word.lower())]
        close = starting if len(starting) == 1 else []
    return f"; did you mean {close[0]!r}?" if close else ""


def get(m: Mapping[str, Any] | None, key: str, default: Any) -> Any:
    if m is None or key not in m or m[key] is None:
        return default
    return m[key]


def or_default(value: T | None, default: T) -> T:
    return default if value is None else value


def unique(c: Checker, path: str, items: list[tuple[str, T | None]], key: Callable[[T], str], what: str) -> None:
    seen: dict[str, str] = {}
    for item_path, item in items:
        if item is None:
            continue
        k = key(item)
        if k in seen:
            c.add(item_path, f"duplicate {what} {k!r} (first at {seen[k]})")
        else:
            seen[k] = item_path
