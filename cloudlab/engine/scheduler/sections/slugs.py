"""Names and ids a scenario may leave out: slugs, and UUIDs derived from the names."""

from __future__ import annotations

import re
import uuid as uuidlib

from ..defaults import CLOUDLAB_NAMESPACE

#: A scenario or project name: lower-case letters, digits, '-' and '_'.
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def derived_uuid(*parts: object) -> str:
    """The same UUID for the same parts, so a scenario without ids loads the same every time."""
    return str(uuidlib.uuid5(CLOUDLAB_NAMESPACE, "/".join(str(p) for p in parts)))
