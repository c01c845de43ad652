"""Identifiers as requests spell them."""

from __future__ import annotations

import uuid
from typing import Any


def is_uuid(value: Any) -> bool:
    """Whether ``value`` spells a UUID (anything else is simply "not found", never a 500)."""
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
