"""Form values as the engine wants them: numbers where the text is one, the text itself otherwise
(so the engine's validation names the bad value: "must be a number, not 'lots'")."""

from __future__ import annotations

from typing import Any


def typed(value: Any, *, booleans: bool = False) -> Any:
    """'2' → 2, '-1.5' → -1.5, with ``booleans`` 'true'/'false' → True/False; else the text."""
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value)
    if booleans and text.lower() in ("true", "false"):
        return text.lower() == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text
