"""docs/lifecycle.md shows the engine's tables as they are: its action, plan and start-up tables
are the rows these functions write from ACTIONS, plan() and SETTLE_ON_RESTART.

To refresh the tables after changing the engine: ``PYTHONPATH=. python tests/engine/test_lifecycle_docs.py``
prints them.
"""

from __future__ import annotations

from pathlib import Path

from cloudlab.engine.lifecycle import ACTIONS, EFFECTS, SETTLE_ON_RESTART, VmState, plan

DOC = Path(__file__).resolve().parents[2] / "docs" / "lifecycle.md"

#: The starting states the plan table shows, per action.
PLAN_STARTS: dict[str, list[tuple[str, int]]] = {
    "start": [("stopped", 4)], "stop": [("active", 1)], "reboot_soft": [("active", 1), ("rescued", 1)],
    "reboot_hard": [("stopped", 4)], "pause": [("active", 1)], "unpause": [("paused", 3)],
    "suspend": [("active", 1)], "resume": [("suspended", 4)], "shelve": [("active", 1)],
    "shelve_offload": [("shelved", 4)], "unshelve": [("shelved", 4), ("shelved_offloaded", 4)],
    "resize": [("active", 1), ("stopped", 4)], "confirm_resize": [("resized", 1), ("resized", 4)],
    "revert_resize": [("resized", 1), ("resized", 4)], "migrate": [("active", 1)], "live_migrate": [("active", 1)],
    "rebuild": [("active", 1), ("stopped", 4)], "rescue": [("active", 1)], "unrescue": [("rescued", 1)],
    "create_snapshot": [("active", 1)], "lock": [("active", 1)], "unlock": [("active", 1)],
    "delete": [("active", 1)], "evacuate": [("active", 1), ("stopped", 4)],
}  # fmt: skip


def action_rows() -> list[str]:
    rows = []
    for name, rule in ACTIONS.items():
        vm = "any" if rule.vm_states is None else ", ".join(v for v in VmState.ALL if v in rule.vm_states)
        if rule.task_states is None:
            tasks = "any"
        else:
            named = sorted(t for t in rule.task_states if t is not None)
            tasks = ", ".join((["None"] if None in rule.task_states else []) + named)
        host = "—"
        if rule.needs_host:
            host = "before the state" if rule.host_checked_first else "after the state; up"
        if rule.needs_host_down:
            host = "down"
        if rule.needs_source_up:
            host = "resize's source up"
        rows.append(
            f"| `{name}` | `{rule.api_name}` | {rule.label} | {vm} | {tasks} | "
            f"{'yes' if rule.needs_launched else 'no'} | {host} | {'yes' if rule.lock_check else 'no'} | "
            f"`{rule.policy}`: {'admin' if rule.admin_only else 'members'} |"
        )
    return rows


def plan_rows() -> list[str]:
    rows = []
    for action, starts in PLAN_STARTS.items():
        for vm_state, power in starts:
            p = plan(action, vm_state=vm_state, power_state=power)
            api = "—" if p.api_step is None else f"{p.api_step.task_state}"
            steps = []
            for step in p.steps:
                words = [f"⟨{step.event}⟩"] if step.event else []
                words.append(f"{step.vm_state}/{step.task_state}/{int(step.power_state)}")
                if step.effect:
                    words.append(f"**{step.effect}**")
                steps.append(" ".join(words))
            rows.append(f"| `{action}` from {vm_state}/{power} | {api} | {' → '.join(steps) or '—'} |")
    return rows


def settle_rows() -> list[str]:
    return [
        f"| {i} | `{rule.key}` | {rule.when} | {rule.outcome} | {rule.source} |"
        for i, rule in enumerate(SETTLE_ON_RESTART, 1)
    ]


def _doc_rows(prefix: str) -> list[str]:
    return [line for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith(prefix)]


def test_the_docs_action_table_is_the_engines() -> None:
    documented = [row for row in _doc_rows("| `") if row.split("|")[1].strip(" `") in ACTIONS]
    assert documented == action_rows()


def test_the_docs_plan_table_is_what_plan_says() -> None:
    documented = [row for row in _doc_rows("| `") if " from " in row.split("|")[1]]
    assert documented == plan_rows()


def test_the_docs_start_up_table_is_the_engines() -> None:
    assert [row for row in _doc_rows("| ") if row.split("|")[1].strip().isdigit()] == settle_rows()


def test_every_effect_is_explained_in_the_docs() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert all(f"`{effect}`" in text for effect in EFFECTS)
    assert "## In the dashboard" in text


if __name__ == "__main__":
    print("\n".join(action_rows()), "\n")
    print("\n".join(plan_rows()), "\n")
    print("\n".join(settle_rows()))
