"""``CLOUDLAB_LIVE_PROFILE=<path>``: profile this process's main thread (where Daphne runs its
event loop and every consumer) with cProfile from start-up and write the statistics to
``<path>.<pid>`` when the process exits. ``bench/ws_fanout.py --profile`` sets it, to find where
an event's delivery spends its time; nothing else does (the profiler slows every call)."""

from __future__ import annotations

import atexit
import cProfile
import os

_started: cProfile.Profile | None = None


def start_if_asked() -> None:
    global _started
    path = os.environ.get("CLOUDLAB_LIVE_PROFILE", "").strip()
    if not path or _started is not None:
        return
    profile = cProfile.Profile()
    target = f"{path}.{os.getpid()}"

    def dump() -> None:
        profile.disable()
        profile.dump_stats(target)

    atexit.register(dump)
    profile.enable()
    _started = profile
