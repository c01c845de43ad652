"""How a step's effect can end other than by succeeding; the step runner handles both."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class StepFailed(Exception):
    """The effect could not happen (no valid host, no fixed IP): the plan's failure step follows,
    with this message as the instance's fault and the action marked Error. ``others`` are the
    other instances of a multi-create (``placement.Member``), which fail with it."""

    def __init__(self, message: str, *, others: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.others = tuple(others)


class Reschedule(Exception):
    """The claim lost a race to another one (ComputeResourcesUnavailable) and the classic era's
    conductor tries again: the same step runs again, RetryFilter excluding the host that filled."""
