"""How long things take in a simulated cloud: the one pacing model every paced step reads.

A cloud's ``pace`` is the seconds one lifecycle step of weight 1 lasts on screen (0 = instant).

* A phase in which the driver boots a guest (``plans.GUEST_BOOT_PHASES``: spawn, reboot, power
  on, rescue …) lasts the host kind's start time from the cited model
  (``architectures.start_seconds``), compressed: ``pace × start seconds ÷ MODEL_SECONDS_PER_STEP``.
  At pace 1 a Type I VM's 96.9 s cloud launch plays in ≈3.0 s, a Type II VM's illustrative
  260.7 s in ≈8.1 s, a container's 0.6 s in ≈0.02 s and a microVM's 0.125 s in ≈0.004 s: the
  order and the ratios are the model's, the wait stays short enough for a class.
* Every other phase lasts ``pace × weight``: the model has no cited figure that would tell a
  container's pause from a VM's, so no kind changes it.
* Spawning also copies the image from Glance to the host: one more pace unit per GB.

The scheduler's funnel is shown stage by stage, each stage half a step, and the build waits for
it so the class and the student see the same stage at the same moment.

Phases are laid on a timeline (``next_due``): each is counted from when the step that starts it
was due, not from when a busy worker got to it, so a class launching together settles as late as
its last request plus its own launch's time, not later with every step. A step that ran late
shortens the phases after it, each down to ``MIN_PHASE_SHARE`` of its time, until the action is
back on its timeline; a funnel always plays whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from .architectures import DEFAULT_ARCHITECTURE, kind_of, start_seconds
from .lifecycle.plans import boots_guest
from .lifecycle.states import Step, TaskState

#: Model seconds of a guest's boot that one step of the cloud's pace stands for. 32 keeps a
#: Type I boot at pace 1 near the 2 pace units the spawn phase took before the model (a build
#: ≈12 s on screen), and a Type II boot under 10 s.
MODEL_SECONDS_PER_STEP: Final = 32.0

#: One stage of the scheduler's funnel (a filter, the weighing, the choice) lasts half a step.
FUNNEL_STAGE_WEIGHT: Final = 0.5

#: The share of its time a phase keeps on screen when the step that started it ran late.
MIN_PHASE_SHARE: Final = 0.25


def boot_seconds(pace: float, architecture: str, illustrative: Mapping[str, float] | None = None) -> float:
    """Seconds on screen a guest boot on a host of class ``architecture`` lasts at ``pace``."""
    if pace <= 0:
        return 0.0
    return pace * start_seconds(kind_of(architecture), illustrative) / MODEL_SECONDS_PER_STEP


def phase_seconds(
    step: Step,
    pace: float,
    architecture: str = DEFAULT_ARCHITECTURE,
    image_size_mb: int = 0,
    illustrative: Mapping[str, float] | None = None,
) -> float:
    """Seconds the phase started by ``step`` lasts in a cloud whose pace is ``pace`` (0 = instant).

    ``illustrative``: the cloud's instructor-set start times for kinds without a published one
    (``architectures.start_time``).
    """
    if pace <= 0:
        return 0.0
    seconds = boot_seconds(pace, architecture, illustrative) if boots_guest(step) else pace * step.weight
    if step.task_state == TaskState.SPAWNING:
        seconds += pace * image_size_mb / 1024
    return seconds


def funnel_stage_seconds(pace: float) -> float:
    """Seconds one stage of a live scheduling decision stays on screen."""
    return max(pace, 0.0) * FUNNEL_STAGE_WEIGHT


def funnel_seconds(pace: float, stages: int) -> float:
    """Seconds the whole funnel of a decision with ``stages`` stages takes to play."""
    return funnel_stage_seconds(pace) * stages


def next_due(due: float, done: float, phase: float, funnel: float = 0.0) -> tuple[float, float]:
    """When the step after one is due: ``(on the timeline, at)``.

    The step was due at ``due`` on its action's timeline (laid when the request came: each phase
    after the one before) and was done at ``done`` (later when a busy worker got to it late); it
    started a phase of ``phase`` seconds and a funnel of ``funnel`` seconds, which must play whole
    before anything moves on. The next step is due on the timeline at ``due + phase + funnel``;
    it runs then, or, if that leaves the phase less than ``MIN_PHASE_SHARE`` of its time after
    the funnel has played, at that share. A late action thus catches up over its phases and ends
    as the request's timeline says, unless it was later than its phases can take back."""
    on_timeline = due + phase + funnel
    return on_timeline, max(on_timeline, done + funnel + phase * MIN_PHASE_SHARE)
