"""The pure check engine on snapshots built by hand: each kind of check passes and fails where
it should, says what it expected and found in both languages, and hides hidden tasks."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from cloudlab.assignments.checks import evaluate
from cloudlab.assignments.definition import LatePolicy, TaskDef
from cloudlab.assignments.state import ActionFacts, HostFacts, InstanceFacts, Snapshot


def task(kind: str, check: dict[str, Any], *, visible: bool = True) -> TaskDef:
    return TaskDef(key="t", kind=kind, check=check, points=4.0, title={"en": "t", "zh-hans": "t"}, visible=visible)


def vm(name: str, host: str | None, status: str = "ACTIVE", flavor: str = "m1.small") -> InstanceFacts:
    vm_state = {"ACTIVE": "active", "SHUTOFF": "stopped", "ERROR": "error"}[status]
    power = {"ACTIVE": "RUNNING", "SHUTOFF": "SHUTDOWN", "ERROR": "NOSTATE"}[status]
    return InstanceFacts(name, f"uuid-{name}", status, vm_state, None, power, flavor, "cirros", host)


def host(name: str, used: int, memory_mb: int = 8192, ratio: float = 1.5) -> HostFacts:
    return HostFacts(name, 8, memory_mb, 100, 0, used, 0, 16.0, ratio, 1.0)


SPREAD = {
    "state": {
        "instances": {
            "where": {"status": {"==": "ACTIVE"}, "flavor": {"==": "m1.small"}},
            "count": {"==": 3},
            "distinct": "host",
        }
    }
}


def test_three_active_small_instances_on_three_hosts_pass() -> None:
    snap = Snapshot(instances=(vm("a", "c1"), vm("b", "c2"), vm("c", "c3"), vm("d", "c1", flavor="m1.tiny")))
    outcome = evaluate(task("state", SPREAD), snap)
    assert outcome.passed and outcome.score == 4.0
    assert "3 instances with status = ACTIVE, flavor = m1.small" in outcome.feedback_en


def test_two_on_one_host_fail_and_feedback_names_what_was_found() -> None:
    snap = Snapshot(instances=(vm("a", "c1"), vm("b", "c1"), vm("c", "c3")))
    outcome = evaluate(task("state", SPREAD), snap)
    assert not outcome.passed and outcome.score == 0.0
    assert "different hosts" in outcome.feedback_en and "a → c1, b → c1" in outcome.feedback_en
    assert "各不相同" in outcome.feedback_zh


def test_a_count_that_is_short_fails() -> None:
    snap = Snapshot(instances=(vm("a", "c1"), vm("b", "c2", status="SHUTOFF")))
    outcome = evaluate(task("state", SPREAD), snap)
    assert not outcome.passed and "found 1 (a)" in outcome.feedback_en


def test_a_named_instance_state() -> None:
    check = {"state": {"instance": "web-1", "is": {"status": {"==": "SHUTOFF"}}}}
    assert evaluate(task("state", check), Snapshot(instances=(vm("web-1", "c1", "SHUTOFF"),))).passed
    failed = evaluate(task("state", check), Snapshot(instances=(vm("web-1", "c1"),)))
    assert not failed.passed and "found status ACTIVE" in failed.feedback_en
    missing = evaluate(task("state", check), Snapshot())
    assert not missing.passed and "there is none" in missing.feedback_en


def test_no_host_above_80_percent_of_its_ram_limit() -> None:
    check = {"state": {"hosts": {"all": {"ram_used_percent_of_limit": {"<=": 80}}}}}
    # limit 8192 × 1.5 = 12288: 9830 MB is 79.997 %, 9831 is 80.005 %
    assert evaluate(task("state", check), Snapshot(hosts=(host("c1", 9830), host("c2", 512)))).passed
    failed = evaluate(task("state", check), Snapshot(hosts=(host("c1", 9831), host("c2", 512))))
    assert not failed.passed and "c1: ram_used_percent_of_limit 80.0049" in failed.feedback_en


def test_composed_state_checks() -> None:
    either = {"state": {"any_of": [SPREAD["state"], {"instance": "x", "exists": False}]}}
    assert evaluate(task("state", either), Snapshot(instances=(vm("a", "c1"),))).passed
    assert not evaluate(task("state", either), Snapshot(instances=(vm("x", "c1"),))).passed
    negated = {"state": {"not": {"hosts": {"where": {"aggregates": {"==": "ssd"}}, "count": {">=": 1}}}}}
    ssd = replace(host("c1", 512), aggregates=("ssd",))
    assert evaluate(task("state", negated), Snapshot(hosts=(host("c1", 512),))).passed
    assert not evaluate(task("state", negated), Snapshot(hosts=(ssd,))).passed


def act(action: str, name: str, result: str, flavor: str = "m1.large", fault: str | None = None) -> ActionFacts:
    return ActionFacts(action, name, f"uuid-{name}", result, flavor, "cirros", None if fault else "c1", fault)


RETRY = {
    "events": [
        {"action": "create", "match": {"fault": "NoValidHost"}},
        {"action": "create", "match": {"flavor": "same", "result": "success"}},
    ],
    "without": [{"action": "delete", "match": {}}],
}


def test_a_no_valid_host_then_the_same_flavor_placed_passes() -> None:
    log = (
        act("create", "big", "error", fault="NoValidHost"),
        act("stop", "web", "success"),
        act("create", "big2", "success"),
    )
    outcome = evaluate(task("events", RETRY), Snapshot(actions=log))
    assert outcome.passed and "create big (m1.large): error NoValidHost" in outcome.feedback_en


def test_a_delete_in_between_fails_the_event_check() -> None:
    log = (
        act("create", "big", "error", fault="NoValidHost"),
        act("delete", "web", "success"),
        act("create", "b2", "success"),
    )
    outcome = evaluate(task("events", RETRY), Snapshot(actions=log))
    assert not outcome.passed and "no delete" in outcome.feedback_en and "其间没有" in outcome.feedback_zh


def test_another_flavor_or_the_wrong_order_fails() -> None:
    other = (act("create", "big", "error", fault="NoValidHost"), act("create", "b2", "success", flavor="m1.tiny"))
    assert not evaluate(task("events", RETRY), Snapshot(actions=other)).passed
    reversed_ = (act("create", "b2", "success"), act("create", "big", "error", fault="NoValidHost"))
    outcome = evaluate(task("events", RETRY), Snapshot(actions=reversed_))
    assert not outcome.passed and "only the first 1 of 2 steps" in outcome.feedback_en


def test_a_later_match_avoids_an_earlier_forbidden_delete() -> None:
    log = (
        act("create", "a", "error", fault="NoValidHost"),
        act("delete", "w", "success"),
        act("create", "b", "error", fault="NoValidHost"),
        act("create", "c", "success"),
    )
    assert evaluate(task("events", RETRY), Snapshot(actions=log)).passed


def test_number_and_choice_questions() -> None:
    number = {"question": {"type": "number", "answer": 1536.0, "tolerance": 0.5}}
    t = replace(task("question", number), key="q")
    assert evaluate(t, Snapshot(answers={"q": "1536.4"})).passed
    wrong = evaluate(t, Snapshot(answers={"q": 1537}))
    assert not wrong.passed and "1536" not in wrong.feedback_en  # the answer is never told
    assert evaluate(t, Snapshot()).feedback_en == "No answer yet."
    assert not evaluate(t, Snapshot(answers={"q": "lots"})).passed
    choice = {"question": {"type": "choice", "choices": ["c1", "c2", "c3"], "answer": 2}}
    c = replace(task("question", choice), key="q")
    assert evaluate(c, Snapshot(answers={"q": 2})).passed
    assert evaluate(c, Snapshot(answers={"q": "c3"})).passed
    assert not evaluate(c, Snapshot(answers={"q": 0})).passed


def test_a_hidden_task_shows_a_student_nothing_before_release() -> None:
    outcome = evaluate(task("state", SPREAD, visible=False), Snapshot())
    assert outcome.hidden
    assert outcome.for_student(released=False) == {"id": "t", "hidden": True}
    shown = outcome.for_student(released=True)
    assert shown["feedback"]["en"] == outcome.feedback_en and shown["score"] == 0.0


def test_late_policy() -> None:
    late = LatePolicy(per_day_percent=10, max_days=3)
    assert [late.multiplier(d) for d in (0, 1, 3, 4)] == [1.0, 0.9, 0.7, 0.0]
