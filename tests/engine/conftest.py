"""The scheduler engine tests are pure Python: no Django, no database."""

from __future__ import annotations

import sys
from pathlib import Path

# The builders in sched_helpers.py, importable whichever import mode pytest uses.
sys.path.insert(0, str(Path(__file__).parent))
