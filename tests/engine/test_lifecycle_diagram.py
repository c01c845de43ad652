"""STATE_DIAGRAM agrees with ACTIONS and plan(): every edge is a legal action whose plan ends at
its target, and every legal action from every state on the diagram is an edge."""

from __future__ import annotations

import json

from cloudlab.engine.lifecycle import (
    ACTIONS,
    LAUNCH,
    STATE_DIAGRAM,
    PowerState,
    TaskState,
    VmState,
    plan,
    refusal,
)


def _accepts(action: str, vm_state: str) -> bool:
    answer = refusal(
        action, instance_id="i", vm_state=vm_state, task_state=None, launched=vm_state != "building",
        locked=False, has_host=vm_state not in ("building", "shelved_offloaded"), is_admin=True,
    )  # fmt: skip
    return answer is None


def test_every_edge_is_an_action_the_api_accepts_from_its_source() -> None:
    for edge in STATE_DIAGRAM.edges:
        if edge.action == LAUNCH:
            assert edge.source == "building"
            continue
        assert edge.action in ACTIONS
        assert _accepts(edge.action, edge.source), edge


def test_every_edge_ends_where_the_actions_plan_ends() -> None:
    for edge in STATE_DIAGRAM.edges:
        if edge.action == LAUNCH:
            continue
        outcomes = {}
        for power in PowerState:
            for offload in (0, -1):
                p = plan(edge.action, vm_state=edge.source, power_state=power, params={"shelved_offload_time": offload})
                assert p.final is not None
                tasks = tuple(dict.fromkeys(t for _vm, t, _p in p.states() if t is not None))
                outcomes.setdefault(p.final.vm_state, set()).update(tasks)
        assert edge.target in outcomes, edge
        assert set(edge.tasks) <= outcomes[edge.target], edge
        assert set(edge.tasks) <= set(TaskState.ALL)


def test_every_legal_action_from_every_node_is_drawn() -> None:
    drawn = {(e.source, e.action) for e in STATE_DIAGRAM.edges}
    for node in STATE_DIAGRAM.nodes:
        if node == VmState.DELETED:
            continue
        for action in ACTIONS:
            if action in ("lock", "unlock"):
                continue
            assert ((node, action) in drawn) == _accepts(action, node), (node, action)


def test_the_nodes_are_the_states_an_instance_can_reach() -> None:
    assert set(STATE_DIAGRAM.nodes) == set(VmState.ALL) - {VmState.SOFT_DELETED}
    ends = {e.source for e in STATE_DIAGRAM.edges} | {e.target for e in STATE_DIAGRAM.edges}
    assert ends == set(STATE_DIAGRAM.nodes)


def test_the_page_finds_the_edge_a_task_is_travelling() -> None:
    moving = {(e.action, e.target) for e in STATE_DIAGRAM.in_progress("active", "resize_migrating")}
    assert moving == {("resize", "resized"), ("migrate", "resized")}
    stopping = STATE_DIAGRAM.in_progress("resized", "powering-off")
    assert [(e.action, e.target) for e in stopping] == [("revert_resize", "stopped")]
    assert STATE_DIAGRAM.in_progress("active", None) == ()


def test_the_action_running_picks_its_edges_among_those_of_its_task() -> None:
    resize = STATE_DIAGRAM.in_progress("active", "resize_migrating", action="resize")
    assert [(e.action, e.target) for e in resize] == [("resize", "resized")]
    offload = STATE_DIAGRAM.in_progress("active", "shelving", action="shelve", target="shelved_offloaded")
    assert [(e.target, e.tasks[-1]) for e in offload] == [("shelved_offloaded", "shelving_offloading")]
    kept = STATE_DIAGRAM.in_progress("active", "shelving", action="shelve", target="shelved")
    assert [e.target for e in kept] == ["shelved"]
    # a start-up settlement is no edge's action: every edge the task is on stays
    assert len(STATE_DIAGRAM.in_progress("active", "resize_migrating", action="settle")) == 2
    assert STATE_DIAGRAM.in_progress("active", None, action="resize") == ()


def test_shelving_is_drawn_for_both_offload_settings_and_confirm_for_both_power_states() -> None:
    edges = {(e.source, e.action, e.target) for e in STATE_DIAGRAM.edges}
    assert {("active", "shelve", "shelved"), ("active", "shelve", "shelved_offloaded")} <= edges
    assert {("resized", "confirm_resize", "active"), ("resized", "confirm_resize", "stopped")} <= edges
    assert ("building", LAUNCH, "active") in edges and ("building", LAUNCH, "error") in edges


def test_the_diagram_is_json_for_the_page() -> None:
    data = json.loads(json.dumps(STATE_DIAGRAM.as_dict()))
    assert data["nodes"][0] == "active"
    assert {"source", "action", "target", "tasks"} == set(data["edges"][0])
