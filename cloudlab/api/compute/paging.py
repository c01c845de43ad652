"""Nova's list paging: ``limit`` (at most ``max_limit``, 1000) and ``marker`` (the last id seen);
a full page links to the next with ``<resource>_links``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from .base import Call
from .faults import Fault

MAX_LIMIT = 1000

T = TypeVar("T")


def limit_of(call: Call) -> int:
    raw = call.request.GET.get("limit")
    if raw is None:
        return MAX_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise Fault(400, "limit param must be an integer") from None
    if limit < 0:
        raise Fault(400, "limit param must be positive")
    return min(limit, MAX_LIMIT)


def page(call: Call, items: Sequence[T], key: Callable[[T], str]) -> tuple[list[T], bool]:
    """The items after ``marker``, at most ``limit`` of them, and whether the page is full."""
    marker = call.request.GET.get("marker")
    start = 0
    if marker is not None:
        ids = [key(item) for item in items]
        if marker not in ids:
            raise Fault(400, f"marker [{marker[:80]}] not found")
        start = ids.index(marker) + 1
    limit = limit_of(call)
    chosen = list(items[start : start + limit])
    return chosen, bool(chosen) and len(chosen) == limit and "limit" in call.request.GET


def next_links(call: Call, path: str, last_id: str) -> list[dict[str, Any]]:
    query = {k: v for k, v in call.request.GET.items() if k != "marker"}
    query["marker"] = last_id
    return [{"rel": "next", "href": call.url(path) + "?" + urlencode(query)}]
