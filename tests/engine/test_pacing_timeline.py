"""A class launching together: the phases are laid on the action's timeline (``pacing.next_due``),
so a worker that runs a step late delays that step, and the phases after it take the delay back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudlab.engine.pacing import MIN_PHASE_SHARE, next_due


def test_on_time_the_next_step_waits_its_phase_and_the_funnel() -> None:
    assert next_due(10.0, 10.0, 0.5) == (10.5, 10.5)
    assert next_due(10.0, 10.0, 0.5, funnel=2.0) == (12.5, 12.5)


def test_a_step_late_by_less_than_its_phase_puts_the_next_back_on_the_timeline() -> None:
    on_timeline, at = next_due(10.0, 10.3, 1.0)
    assert on_timeline == at == 11.0


def test_a_step_later_than_its_phase_leaves_the_phase_its_minimum_share() -> None:
    on_timeline, at = next_due(10.0, 12.0, 1.0)
    assert on_timeline == 11.0
    assert at == pytest.approx(12.0 + MIN_PHASE_SHARE * 1.0)


def test_a_funnel_always_plays_whole_however_late_the_pass_ran() -> None:
    on_timeline, at = next_due(10.0, 11.0, 0.5, funnel=2.0)
    assert on_timeline == 12.5
    assert at == pytest.approx(11.0 + 2.0 + MIN_PHASE_SHARE * 0.5)


def _walk(start: float, phases: list[float], lateness: list[float], funnel_after_first: float) -> list[float]:
    """Run an action's steps with each one ``lateness[i]`` late after it fell due: when each ran."""
    due = at = start
    ran = []
    for i, phase in enumerate(phases):
        done = at + lateness[i]
        ran.append(done)
        due, at = next_due(due, done, phase, funnel_after_first if i == 0 else 0.0)
    ran.append(at)
    return ran


def test_a_late_scheduling_pass_is_taken_back_by_the_build_phases_after_it() -> None:
    """A build at pace 0.5 on a Type I host: the pass ran 0.8 s late and its funnel plays whole,
    then networking, block device mapping and spawning shorten until the build is on time."""
    phases = [0.5, 0.5, 0.5, 1.5]
    on_time = _walk(0.0, phases, [0.0] * 4, 2.0)
    late = _walk(0.0, phases, [0.8, 0.0, 0.0, 0.0], 2.0)
    assert late[1] == pytest.approx(0.8 + 2.0 + MIN_PHASE_SHARE * 0.5)  # the funnel was not cut
    assert late[-1] == pytest.approx(on_time[-1])  # settled when a launch alone would have


@given(
    st.lists(st.floats(0.0, 5.0), min_size=1, max_size=8),
    st.lists(st.floats(0.0, 3.0), min_size=8, max_size=8),
    st.floats(0.0, 4.0),
)
def test_the_timeline_never_runs_a_step_before_it_is_due_nor_a_phase_below_its_share(
    phases: list[float], lateness: list[float], funnel: float
) -> None:
    due = at = 100.0
    for i, phase in enumerate(phases):
        done = at + lateness[i]
        on_timeline, following = next_due(due, done, phase, funnel if i == 0 else 0.0)
        assert following >= on_timeline  # never earlier than the request's timeline
        assert following >= done + (funnel if i == 0 else 0.0) + MIN_PHASE_SHARE * phase - 1e-9
        if done == due:  # on time: the phase waits whole, as one launch alone
            assert following == pytest.approx(done + phase + (funnel if i == 0 else 0.0))
        due, at = on_timeline, following
