"""Every live event has a declared schema; the validator names each problem of a payload, the
publisher refuses an undeclared event, and the suite checks every event its tests send."""

import datetime

import pytest

from cloudlab.compute.models import Host, Instance
from cloudlab.compute.rows import host_row, instance_row
from cloudlab.live.events import project_stream, publish_on_commit, send_now
from cloudlab.live.schemas import EVENT_SCHEMAS, validate_event


def _stage(**changes):
    return {"record": 7, "instance": "7b0c5d1e-0000-0000-0000-000000000000", "index": 0, **changes}


def test_a_payload_that_matches_its_schema_has_no_problems():
    assert validate_event("scheduler.stage", _stage()) == []


def test_a_missing_key_is_named():
    data = _stage()
    del data["index"]
    assert validate_event("scheduler.stage", data) == ["data.index: missing"]


def test_a_wrong_type_is_named_with_its_path():
    assert validate_event("scheduler.stage", _stage(index="0")) == ["data.index: expected int, got str"]
    assert validate_event("scheduler.stage", _stage(index=True)) == ["data.index: expected int, got bool"]


def test_an_unknown_event_is_a_problem():
    [problem] = validate_event("instance.exploded", {"id": "x"})
    assert "'instance.exploded' is not a declared event" in problem


def test_a_key_the_schema_does_not_declare_is_a_problem():
    assert validate_event("scheduler.stage", _stage(colour="red")) == ["data.colour: not declared in SchedulerStage"]


def test_nested_values_are_checked_where_they_are(demo_cloud):
    row = {**host_row(Host.objects.filter(cloud=demo_cloud).first()), "by": "ivy"}
    row["ratios"]["ram"] = "1.5"
    row["aggregates"] = ["fast", 3]
    row["host_ip"] = 10
    assert sorted(validate_event("host.updated", row)) == [
        "data.aggregates[1]: expected str, got int",
        "data.host_ip: expected str | None, got int",
        "data.ratios.ram: expected float, got str",
    ]


def test_optional_and_nullable_keys(demo_cloud, alice, launch):
    [instance] = launch(alice, name="web")
    instance = Instance.objects.for_table().get(pk=instance.pk)
    student_row = instance_row(instance, for_instructor=False)
    instructor_row = instance_row(instance, for_instructor=True)
    assert "host" not in student_row and validate_event("instance.created", student_row) == []
    assert instructor_row["host"] is None and validate_event("instance.updated", instructor_row) == []
    assert validate_event("instance.updated", {**student_row, "task_state": None, "fault": 3}) == [
        "data.fault: expected str | None, got int"
    ]


def test_a_payload_that_is_not_json_is_a_problem():
    [problem] = validate_event("scheduler.stage", _stage(index=datetime.date(2024, 1, 1)))
    assert problem.startswith("data: not JSON")


def test_every_event_the_architecture_names_is_declared():
    assert set(EVENT_SCHEMAS) >= {
        "instance.created",
        "instance.updated",
        "scheduler.decision",
        "scheduler.stage",
        "host.updated",
        "cloud.scheduler_changed",
    }


def test_publishing_an_undeclared_event_is_refused():
    with pytest.raises(ValueError, match="not a declared live event"):
        publish_on_commit("project-1", "instance.exploded", {"id": "x"})


def test_the_suite_records_every_event_sent_and_its_problems(sent_events):
    good = send_now(project_stream(999), "scheduler.stage", _stage())
    bad = send_now(project_stream(999), "scheduler.stage", _stage(index="first"))
    by_seq = {e["seq"]: e for e in sent_events.entries() if e["stream"] == project_stream(999)}
    assert by_seq[good]["problems"] == []
    assert by_seq[bad]["problems"] == ["data.index: expected int, got str"]
    assert sent_events.problems() == [f"scheduler.stage on project-999 (seq {bad}): data.index: expected int, got str"]
    sent_events.forgive()  # sent on purpose: this test must not fail for it
