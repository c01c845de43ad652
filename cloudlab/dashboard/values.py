"""Form values as the engine wants them: numbers where the text is one, the text itself otherwise
(so the engine's validation names the bad value: "must be a number, not 'lots'")."""

from __future__ import annotations

import math
import re
from typing import Any

#: What a number looks like in a form: ASCII digits only. Python's int() and float() also read
#: other scripts' digits ('١' is 1), underscores ('1_0'), 'nan' and 'inf': none is a number a
#: nova.conf option takes, so they stay text and the engine names them.
_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)


def typed(value: Any, *, booleans: bool = False) -> Any:
    """'2' → 2, '-1.5' → -1.5, with ``booleans`` 'true'/'false' → True/False; else the text
    (also for '1e309', which is no finite number, and an integer too long for int())."""
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value)
    if booleans and text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        if _INTEGER.fullmatch(text):
            return int(text)
        if _DECIMAL.fullmatch(text):
            number = float(text)
            return number if math.isfinite(number) else text
    except ValueError:  # more digits than int() converts (sys.get_int_max_str_digits)
        pass
    return text
