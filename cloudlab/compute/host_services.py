"""A compute host's service, as Admin → Hypervisors manages it: which of its actions make sense
now. The menu (``rows.host_row``) and the writer (``actions.host``) read this one rule."""

from __future__ import annotations

#: disable / enable the nova-compute service; stop / restart its heartbeat (ComputeFilter).
HOST_ACTIONS = ("disable", "enable", "mark_down", "bring_up")


def available_host_actions(*, enabled: bool, up: bool) -> list[str]:
    """The actions that change something for a service in this state, in HOST_ACTIONS' order."""
    state = {"disable": enabled, "enable": not enabled, "mark_down": up, "bring_up": not up}
    return [action for action in HOST_ACTIONS if state[action]]
