"""loadassignment: a bad file is refused with every problem by path and line and nothing is
loaded; a good file loads; re-loading an updated file keeps the submissions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from cloudlab.assignments.loader import AssignmentError, load_assignment, parse_assignment
from cloudlab.assignments.models import Assignment, Submission, Task

EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "assignments" / "example.yaml"
GOOD = EXAMPLE.read_text(encoding="utf-8")


def edited(old: str, new: str) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new, 1)


# (the file's text, a fragment every refusal must contain: path, line and message)
MALFORMED: dict[str, tuple[str, str]] = {
    "unknown flavor in a where": (
        edited("where: {status: ACTIVE, flavor: m1.small}", "where: {status: ACTIVE, flavor: m1.hge}"),
        "tasks[0].check.state.instances.where.flavor: line 32: unknown flavor 'm1.hge'",
    ),
    "unknown host in a question": (
        edited("computed: {usable_ram: compute2}", "computed: {usable_ram: compute9}"),
        "tasks[4].check.question.computed.usable_ram: line 61: unknown host 'compute9'",
    ),
    "unknown weigher": (
        edited("weigher: RAMWeigher", "weigher: RamWeigher"),
        "tasks[5].check.question.computed.normalised_weight.weigher: line 71: "
        "'RamWeigher' is not one of the scenario's weighers",
    ),
    "unknown instance": (
        edited("state: {instance: web-1, is: {status: SHUTOFF}}", "state: {instance: db-1, is: {status: SHUTOFF}}"),
        "tasks[1].check.state.instance: line 39: unknown instance 'db-1'",
    ),
    "a status Nova has not": (
        edited("is: {status: SHUTOFF}", "is: {status: STOPPED}"),
        "tasks[1].check.state.is.status: line 39: 'STOPPED' is not a Nova status",
    ),
    "points zero": (
        edited("    points: 4\n", "    points: 0\n"),
        "tasks[0].points: line 27: must be a number of points > 0",
    ),
    "points negative": (
        edited("    points: 2\n", "    points: -2\n"),
        "tasks[1].points: line 37: must be a number of points > 0",
    ),
    "duplicate task id": (edited("- id: stopped", "- id: spread"), "tasks[1].id: line 35: duplicate task id 'spread'"),
    "due without zone": (
        edited("due: 2026-06-01T23:59:00+08:00", "due: 2026-06-01T23:59:00"),
        "due: line 21: 2026-06-01T23:59:00 has no time zone",
    ),
    "due not a date": (
        edited("due: 2026-06-01T23:59:00+08:00", "due: next friday"),
        "due: line 21: 'next friday' is not an ISO 8601",
    ),
    "due a bare date": (
        edited("due: 2026-06-01T23:59:00+08:00", "due: 2026-06-01"),
        "due: line 21: 2026-06-01 is a date without a time",
    ),
    "title without Chinese": (
        edited('  zh-hans: "示例：过滤器与权重计算"\n', ""),
        "title: line 4: the zh-hans text is missing",
    ),
    "task title without English": (
        edited('title: {en: "web-1 is stopped", zh-hans: "web-1 已关闭"}', 'title: {zh-hans: "web-1 已关闭"}'),
        "tasks[1].title: line 36: the en text is missing",
    ),
    "two checks in one task": (
        edited(
            "      state: {instance: web-1, is: {status: SHUTOFF}}",
            "      state: {instance: web-1, is: {status: SHUTOFF}}\n      events: [{action: stop}]",
        ),
        "tasks[1].check: line 38: must hold exactly one of state, events, question",
    ),
    "unknown field in a predicate": (
        edited("is: {status: SHUTOFF}", "is: {state: SHUTOFF}"),
        "tasks[1].check.state.is.state: line 39: unknown field",
    ),
    "a number compared with a text": (
        edited('ram_used_percent_of_limit: {"<=": 80}', 'ram_used_percent_of_limit: {"<=": high}'),
        "tasks[2].check.state.hosts.all.ram_used_percent_of_limit.<=: line 45: ram_used_percent_of_limit is a number",
    ),
    "unknown comparison": (
        edited('ram_used_percent_of_limit: {"<=": 80}', 'ram_used_percent_of_limit: {"=<": 80}'),
        "tasks[2].check.state.hosts.all.ram_used_percent_of_limit.=<: line 45: unknown comparison '=<'",
    ),
    "unknown action in an event": (
        edited("without: [{action: delete}]", "without: [{action: destroy}]"),
        "tasks[3].check.without[0].destroy: line 53: unknown action 'destroy'",
    ),
    "same in the first step": (
        edited("- {launch: {result: NoValidHost}}", "- {launch: {flavor: same, result: NoValidHost}}"),
        "tasks[3].check.events[0].launch.flavor: line 51: 'same' compares with the step before",
    ),
    "unknown result": (
        edited("{launch: {flavor: same, result: success}}", "{launch: {flavor: same, result: ok}}"),
        "tasks[3].check.events[1].launch.result: line 52: 'ok' is not a result",
    ),
    "choice answer not among the choices": (
        edited("choices: [compute1, compute2, compute3]", "choices: [compute1, compute2]"),
        "tasks[6].check.question.computed: line 81: 'compute3' is not one of the choices",
    ),
    "question with answer and computed": (
        edited(
            "        computed: {usable_ram: compute2}", "        computed: {usable_ram: compute2}\n        answer: 1536"
        ),
        "tasks[4].check.question: line 58: give exactly one of answer",
    ),
    "bad scenario inline": (
        edited("{name: compute1, vcpus: 8, memory_mb: 8192", "{name: compute1, vcpus: 8, memory_mb: -1"),
        "scenario.hosts[0].memory_mb: line 17: must be a positive integer",
    ),
    "scenario file missing": (
        GOOD[: GOOD.index("scenario:")] + "scenario: ../nowhere/cloud.yaml\n" + GOOD[GOOD.index("due:") :],
        "scenario: line 13: cannot read the scenario '../nowhere/cloud.yaml'",
    ),
    "late per_day over 100%": (edited("per_day: 10%", "per_day: 150%"), "late.per_day: line 22: must be a percentage"),
    "unknown top-level key": (GOOD + "deadline: tomorrow\n", "deadline: line 82: unknown key"),
    "no tasks": (GOOD[: GOOD.index("tasks:")] + "tasks: []\n", "tasks: line 24: must be a non-empty list of tasks"),
    "filter not enabled": (
        edited(
            "computed: {selected_host: {request: {flavor: m1.small}}}",
            "computed: {hosts_after: {filter: DiskFilter, request: {flavor: m1.small}}}",
        ),
        "tasks[6].check.question.computed.hosts_after.filter: line 81: "
        "'DiskFilter' is not one of the scenario's enabled filters",
    ),
    "request for an unknown flavor": (
        edited(
            "request: {flavor: m1.small}}}\n        tolerance: 0.01", "request: {flavor: m9}}}\n        tolerance: 0.01"
        ),
        "tasks[5].check.question.computed.normalised_weight.request.flavor: line 71: unknown flavor 'm9'",
    ),
    "a host filtered out has no weight": (
        edited("host: compute1, request: {flavor: m1.small}", "host: compute2, request: {flavor: m1.small}"),
        "tasks[5].check.question.computed.normalised_weight.host: line 71: compute2 does not pass the filters",
    ),
    "not YAML": (GOOD.replace("tasks:", "tasks: [", 1), "not valid YAML"),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_a_malformed_file_is_refused_with_its_path_line_and_message_and_nothing_is_loaded(
    db: None, tmp_path: Path, name: str
) -> None:
    text, expected = MALFORMED[name]
    file = tmp_path / "assignment.yaml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(AssignmentError) as caught:
        load_assignment(file)
    assert any(expected in p for p in caught.value.problems), caught.value.problems
    assert not Assignment.objects.exists() and not Task.objects.exists()


def test_the_command_lists_every_problem_and_loads_nothing(db: None, tmp_path: Path, capsys: Any) -> None:
    file = tmp_path / "two-problems.yaml"
    file.write_text(
        edited("    points: 4\n", "    points: 0\n").replace("flavor: m1.small}", "flavor: m1.hge}", 1),
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="2 problem"):
        call_command("loadassignment", str(file))
    err = capsys.readouterr().err
    assert "tasks[0].points: line 27" in err and "unknown flavor 'm1.hge'" in err
    assert not Assignment.objects.exists()


def test_dry_run_validates_and_writes_nothing(db: None, capsys: Any) -> None:
    call_command("loadassignment", str(EXAMPLE), "--dry-run")
    assert "is valid" in capsys.readouterr().out
    assert not Assignment.objects.exists()


def test_the_example_loads_with_its_tasks_in_order(db: None) -> None:
    assignment = load_assignment(EXAMPLE)
    assert assignment.slug == "example-scheduler"
    assert list(assignment.tasks.current().values_list("key", flat=True)) == [
        "spread", "stopped", "headroom", "retry", "usable-ram", "ram-weight", "winner",
    ]  # fmt: skip
    assert assignment.tasks.get(key="headroom").visible is False
    assert assignment.due_at.utcoffset() is not None and assignment.late_policy["per_day_percent"] == 10.0
    assert len(assignment.source_hash) == 64


def test_reloading_an_updated_file_keeps_submissions_and_retires_dropped_tasks(
    db: None, tmp_path: Path, alice: Any
) -> None:
    file = tmp_path / "a.yaml"
    file.write_text(GOOD, encoding="utf-8")
    assignment = load_assignment(file)
    submission = Submission.objects.create(assignment=assignment, student=alice, answers={"usable-ram": 1536})
    spread = assignment.tasks.get(key="spread")
    updated = GOOD.replace("    points: 4\n", "    points: 5\n", 1)
    updated = updated[: updated.index("  - id: winner")]  # the last task is dropped
    file.write_text(updated, encoding="utf-8")
    again = load_assignment(file)
    assert again.pk == assignment.pk
    assert Submission.objects.get(pk=submission.pk).answers == {"usable-ram": 1536}
    spread.refresh_from_db()
    assert spread.points == 5.0  # updated in place, same row
    assert again.tasks.get(key="winner").retired is True
    assert "winner" not in list(again.tasks.current().values_list("key", flat=True))


def test_a_refused_reload_leaves_the_loaded_assignment_as_it_was(db: None, tmp_path: Path) -> None:
    file = tmp_path / "a.yaml"
    file.write_text(GOOD, encoding="utf-8")
    load_assignment(file)
    file.write_text(edited("    points: 4\n", "    points: 0\n"), encoding="utf-8")
    with pytest.raises(AssignmentError):
        load_assignment(file)
    assert Assignment.objects.get().tasks.get(key="spread").points == 4.0


def test_a_scenario_by_fixture_name_is_read_from_fixtures(db: None) -> None:
    text = GOOD[: GOOD.index("scenario:")] + "scenario: demo\n" + GOOD[GOOD.index("due:") :]
    text = (
        text.replace("compute2", "compute-kvm2").replace("compute1", "compute-kvm1").replace("compute3", "compute-vbox")
    )
    definition = parse_assignment(text, EXAMPLE)
    assert definition.scenario["name"] == "demo" and definition.scenario_ref == "demo"
