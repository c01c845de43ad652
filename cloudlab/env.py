"""Typed settings from the environment that fail loudly on a bad value (healthchecks-style)."""

from __future__ import annotations

import os
from pathlib import Path


class ConfigError(RuntimeError):
    """A setting in the environment is missing or malformed; the message names it."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envstr(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None else value


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(f"{name}={value!r} is not a boolean (use one of: 1/0, true/false, yes/no, on/off)")


def envint(name: str, default: int, *, minimum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not an integer") from None
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name}={number} must be at least {minimum}")
    return number


def envfloat(name: str, default: float, *, minimum: float | None = None) -> float:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ConfigError(f"{name}={value!r} must be a finite number")
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name}={number:g} must be at least {minimum:g}")
    return number


def envlist(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        raise ConfigError(f"{name} is set but lists nothing (use comma-separated values)")
    return items


def envseconds(name: str, default: float) -> float:
    """A duration in seconds that must be more than zero (a timeout of 0 would never wait)."""
    seconds = envfloat(name, default, minimum=0.0)
    if seconds <= 0:
        raise ConfigError(f"{name}={seconds:g} must be more than 0 seconds")
    return seconds


def envintrange(low_name: str, high_name: str, default: tuple[int, int], *, minimum: int = 0) -> tuple[int, int]:
    """Two integers that bound a range, e.g. a pool's smallest and largest size: the low one at
    least ``minimum``, the high one at least 1 and at least the low one."""
    low = envint(low_name, default[0], minimum=minimum)
    high = envint(high_name, default[1], minimum=max(1, minimum))
    if high < low:
        raise ConfigError(f"{high_name}={high} must be at least {low_name}={low}")
    return low, high


def data_dir() -> Path:
    """Where CloudLab keeps its files (the SQLite database, the embedded Redis's socket, the
    Kubernetes API's certificates): ``CLOUDLAB_DATA_DIR``, else ``data/`` in the checkout."""
    return Path(os.environ.get("CLOUDLAB_DATA_DIR", Path(__file__).resolve().parent.parent / "data")).resolve()
