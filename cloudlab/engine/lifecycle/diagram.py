"""The instance page's state diagram, derived from the action table and the plans.

Nothing here is written twice: starting from a new instance (building) and a failed boot (error),
every action ``refusal()`` accepts (as an administrator would see it, no task in progress) is
planned with ``plan()``; where the plan ends is the edge's target, the task_states it writes on
the way are the edge's tasks. The power state is followed along, because some targets depend on
it (confirming a resize of a powered-off instance ends stopped). Shelve is planned under both
settings of ``shelved_offload_time`` (0: offloaded at once, the default; −1: stays shelved), so
both shelved states are on the diagram. Lock and unlock change no state and are not edges.

The error state is explored as an instance that had booted and has a host (an evacuation that
found no host, a rebuild that crashed); an instance whose boot failed can only be deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .actions import ACTIONS, refusal
from .plans import NO_PARAMS, plan
from .states import BUILD_FAILED_STEP, BUILD_STEPS, PowerState, TaskState, VmState

#: The pseudo-action of the boot edges (the Launch Instance dialog, not a row action).
LAUNCH = "launch"

#: The settings a plan's outcome depends on, explored for the diagram.
_VARIANTS: dict[str, tuple[Mapping[str, Any], ...]] = {
    "shelve": ({"shelved_offload_time": 0}, {"shelved_offload_time": -1}),
}


@dataclass(frozen=True)
class DiagramEdge:
    source: str  # vm_state the action is taken from
    action: str  # a key of ACTIONS, or LAUNCH
    target: str  # vm_state the plan ends in
    tasks: tuple[str, ...]  # the task_states written on the way, in order

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "action": self.action, "target": self.target, "tasks": list(self.tasks)}


@dataclass(frozen=True)
class StateDiagram:
    nodes: tuple[str, ...]  # vm_states, in VmState.ALL order
    edges: tuple[DiagramEdge, ...]

    def in_progress(
        self, vm_state: str, task_state: str | None, *, action: str | None = None, target: str | None = None
    ) -> tuple[DiagramEdge, ...]:
        """The edges an instance in (vm_state, task_state) may be travelling (none without a task).

        A task_state alone can be on several edges (resize_migrating: resize and migrate; shelving:
        to shelved and to shelved_offloaded). Given the action running (and where its plan ends),
        only its edges are kept, unless none of them has that task (a start-up settlement)."""
        if task_state is None:
            return ()
        moving = tuple(e for e in self.edges if e.source == vm_state and task_state in e.tasks)
        known = tuple(e for e in moving if action in (None, e.action) and target in (None, e.target))
        return known or moving

    def as_dict(self) -> dict[str, Any]:
        """JSON for the page."""
        return {"nodes": list(self.nodes), "edges": [e.as_dict() for e in self.edges]}


def _legal_from(vm_state: str) -> list[str]:
    """The actions an administrator may take from vm_state with no task in progress."""
    launched = vm_state != VmState.BUILDING
    has_host = vm_state not in (VmState.SHELVED_OFFLOADED, VmState.BUILDING)
    return [
        name
        for name in ACTIONS
        if refusal(
            name, instance_id="", vm_state=vm_state, task_state=None, launched=launched, locked=False,
            has_host=has_host, is_admin=True,
        ) is None
    ]  # fmt: skip


def _derive() -> StateDiagram:
    launch_tasks = (TaskState.SCHEDULING, *(s.task_state for s in BUILD_STEPS if s.task_state))
    edges: dict[tuple[str, str, str], list[str]] = {
        (VmState.BUILDING, LAUNCH, BUILD_STEPS[-1].vm_state): list(launch_tasks),
        (VmState.BUILDING, LAUNCH, BUILD_FAILED_STEP.vm_state): [TaskState.SCHEDULING],
    }
    seen: set[tuple[str, int]] = set()
    todo = [
        (VmState.BUILDING, int(PowerState.NOSTATE)),
        (BUILD_STEPS[-1].vm_state, int(BUILD_STEPS[-1].power_state)),
        (BUILD_FAILED_STEP.vm_state, int(BUILD_FAILED_STEP.power_state)),
    ]
    while todo:
        vm_state, power = todo.pop()
        if (vm_state, power) in seen:
            continue
        seen.add((vm_state, power))
        if vm_state == VmState.DELETED:
            continue  # the API answers 404 for a deleted instance: nothing leaves this state
        for action in _legal_from(vm_state):
            for params in _VARIANTS.get(action, (NO_PARAMS,)):
                walk = plan(action, vm_state=vm_state, power_state=power, params=params)
                final = walk.final
                if final is None:
                    continue  # lock, unlock
                tasks = edges.setdefault((vm_state, action, final.vm_state), [])
                for _vm, task, _power in walk.states():
                    if task is not None and task not in tasks:
                        tasks.append(task)
                todo.append((final.vm_state, int(final.power_state)))
    reached = {vm for vm, _ in seen}
    order = {name: i for i, name in enumerate(ACTIONS)}
    ordered = sorted(
        edges.items(),
        key=lambda item: (VmState.ALL.index(item[0][0]), order.get(item[0][1], -1), VmState.ALL.index(item[0][2])),
    )
    return StateDiagram(
        nodes=tuple(vm for vm in VmState.ALL if vm in reached),
        edges=tuple(DiagramEdge(s, a, t, tuple(tasks)) for (s, a, t), tasks in ordered),
    )


#: The state diagram: nodes are vm_states, edges the actions between them.
STATE_DIAGRAM: StateDiagram = _derive()
