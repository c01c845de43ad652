"""How long things take in a simulated cloud: the one pacing model every paced step reads.

A cloud's ``pace`` is the seconds one lifecycle step of weight 1 lasts (0 = instant). A step's
phase lasts ``pace × weight × architecture factor``; spawning also copies the image from
Glance. The scheduler's funnel is shown stage by stage, each stage half a step, and the build
waits for it so the class and the student see the same stage at the same moment.
"""

from __future__ import annotations

from typing import Final

from .architectures import ARCHITECTURES
from .lifecycle.states import Step, TaskState

#: How much longer a phase takes by the host's architecture class (``architectures.py`` says why).
ARCHITECTURE_PACE: Final[dict[str, float]] = {a.code: a.pace for a in ARCHITECTURES}

#: One stage of the scheduler's funnel (a filter, the weighing, the choice) lasts half a step.
FUNNEL_STAGE_WEIGHT: Final = 0.5


def phase_seconds(step: Step, pace: float, architecture: str, image_size_mb: int = 0) -> float:
    """Seconds the phase started by ``step`` lasts in a cloud whose pace is ``pace`` (0 = instant).

    Spawning also copies the image from Glance to the host: one more pace unit per GB.
    """
    if pace <= 0:
        return 0.0
    units = step.weight
    if step.task_state == TaskState.SPAWNING:
        units += image_size_mb / 1024
    return pace * units * ARCHITECTURE_PACE.get(architecture, 1.0)


def funnel_stage_seconds(pace: float) -> float:
    """Seconds one stage of a live scheduling decision stays on screen."""
    return max(pace, 0.0) * FUNNEL_STAGE_WEIGHT


def funnel_seconds(pace: float, stages: int) -> float:
    """Seconds the whole funnel of a decision with ``stages`` stages takes to play."""
    return funnel_stage_seconds(pace) * stages
