"""How a step's effect can end other than by succeeding; the step runner handles both."""

from __future__ import annotations


class StepFailed(Exception):
    """The effect could not happen (no valid host, no fixed IP): the plan's failure step follows,
    with this message as the instance's fault and the action marked Error."""


class Reschedule(Exception):
    """The claim lost a race to another one (ComputeResourcesUnavailable) and the classic era's
    conductor tries again: the same step runs again, RetryFilter excluding the host that filled."""
