"""Checks on a real sandbox cloud built from the example assignment's scenario: the snapshot
adapter reads what the actions did, and computed answers equal the numbers of a real decision."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from cloudlab.assignments.checks import evaluate
from cloudlab.assignments.loader import parse_assignment
from cloudlab.assignments.snapshot import sandbox_snapshot
from cloudlab.compute.actions import launch as launching
from cloudlab.compute.actions.instance import do_instance_action
from cloudlab.compute.models import Flavor, Image, Instance, SchedulingRecord
from cloudlab.compute.scenarios import Person, create_cloud, enrol
from cloudlab.engine.scheduler import parse_scenario
from cloudlab.identity.models import Project
from tests import steps

EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "assignments" / "example.yaml"


@pytest.fixture
def definition() -> Any:
    return parse_assignment(EXAMPLE.read_text(encoding="utf-8"), EXAMPLE)


@pytest.fixture
def sandbox(db: None, definition: Any) -> Any:
    cloud = create_cloud(parse_scenario(definition.scenario), pace=0)
    enrol(cloud, [Person("sam", "sandbox-pass-1", "student", ("sam",))])
    return cloud


def launch(cloud: Any, name: str, flavor: str) -> Instance:
    user = get_user_model().objects.get(username="sam")
    project = Project.objects.get(cloud=cloud, name="sam")
    request = launching.check_launch(
        user,
        project,
        name=name,
        count=1,
        image_id=str(Image.objects.get(cloud=cloud, name="cirros").uuid),
        flavor_id=Flavor.objects.get(cloud=cloud, name=flavor).flavorid,
    )
    [instance] = launching.do_launch(user, request)
    steps.run_to_end(instance)
    return Instance.objects.get(pk=instance.pk)


def test_stopping_web_1_passes_the_state_check(sandbox: Any, definition: Any) -> None:
    stopped = definition.task("stopped")
    web = launch(sandbox, "web-1", "m1.small")
    assert not evaluate(stopped, sandbox_snapshot(sandbox)).passed
    do_instance_action(get_user_model().objects.get(username="sam"), web, "stop", {})
    steps.run_to_end(web, "stop")
    outcome = evaluate(stopped, sandbox_snapshot(sandbox))
    assert outcome.passed, outcome.feedback_en


def test_three_launches_without_hints_do_not_spread(sandbox: Any, definition: Any) -> None:
    for name in ("web-1", "web-2", "web-3"):
        launch(sandbox, name, "m1.small")
    snap = sandbox_snapshot(sandbox)
    assert [i.status for i in snap.instances] == ["ACTIVE"] * 3
    outcome = evaluate(definition.task("spread"), snap)
    assert not outcome.passed and "different hosts" in outcome.feedback_en


def test_the_action_log_holds_a_no_valid_host_launch(sandbox: Any, definition: Any) -> None:
    failed = launch(sandbox, "huge", "m1.xlarge")  # 16384 MB: more than any host's RAM
    assert failed.status == "ERROR"
    snap = sandbox_snapshot(sandbox)
    assert [(a.action, a.result, a.fault) for a in snap.actions] == [("create", "error", "NoValidHost")]
    outcome = evaluate(definition.task("retry"), snap)
    assert not outcome.passed and "only the first 1 of 2 steps" in outcome.feedback_en
    launch(sandbox, "huge-again", "m1.xlarge")
    launch(sandbox, "fits", "m1.small")
    assert not evaluate(definition.task("retry"), sandbox_snapshot(sandbox)).passed  # not the same flavor


def test_computed_answers_equal_the_numbers_of_a_real_decision(sandbox: Any, definition: Any) -> None:
    instance = launch(sandbox, "probe", "m1.small")
    trace = SchedulingRecord.objects.get(instance=instance).trace["instances"][0]
    ram_filter = next(s for s in trace["filters"] if s["name"] == "RamFilter")
    usable = ram_filter["verdicts"]["compute2"]["numbers"]["usable_ram_mb"]
    assert definition.task("usable-ram").check["question"]["answer"] == usable == 1536
    ram_weigher = next(w for w in trace["weighers"] if w["name"] == "RAMWeigher")
    normalised = ram_weigher["values"]["compute1"]["normalized"]
    assert definition.task("ram-weight").check["question"]["answer"] == pytest.approx(normalised)
    winner = definition.task("winner").check["question"]
    assert winner["choices"][winner["answer"]] == trace["selected"] == instance.host.name
