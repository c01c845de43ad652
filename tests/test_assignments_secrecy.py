"""A hidden task reveals nothing of itself before the grades are released: not its id, title,
hint, check fields or expected value, in any page, JSON answer or WebSocket event the student
gets while working (launching and stopping through the real lifecycle, checking, answering,
resetting), nor once graded. After the release, the same grep finds it (the test can fail)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.urls import reverse

from cloudlab.assignments import grading
from cloudlab.assignments.loader import load_assignment
from cloudlab.assignments.models import Assignment, Submission
from cloudlab.assignments.work import do_publish, sandbox_project
from cloudlab.compute.actions.instance import do_instance_action
from cloudlab.compute.models import Instance, SchedulingRecord
from cloudlab.live.events import project_stream
from tests import steps
from tests.live_sockets import communicator_factory, open_socket
from tests.test_assignments_work import launch_in

# The example's scenario presets usage on compute2 that no instance accounts for (on purpose).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.books_unbalanced]

EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "assignments" / "example.yaml"
SLUG = "example-scheduler"

HIDDEN = """  - id: secret-headroom-zz
    title: {en: "Quiet-Harbour headroom", zh-hans: "静港余量"}
    points: 2
    hint: {en: "whisper-hint-qq", zh-hans: "耳语提示"}
    visible: false
    check:
      state: {hosts: {all: {ram_used_percent_of_limit: {"<=": 61.75}}}}
"""
#: Everything of the hidden task a leak would show.
SECRETS = (
    "secret-headroom-zz",
    "Quiet-Harbour",
    "静港余量",
    "whisper-hint-qq",
    "耳语提示",
    "ram_used_percent_of_limit",
    "61.75",
)


@pytest.fixture
def assignment(demo_cloud: Any, ivy: Any, tmp_path: Path) -> Assignment:
    text = EXAMPLE.read_text(encoding="utf-8")
    start = text.index("  - id: headroom")
    end = text.index("  - id: retry")
    source = tmp_path / "secret.yaml"
    source.write_text(text[:start] + HIDDEN + text[end:], encoding="utf-8")
    return do_publish(ivy, load_assignment(source), demo_cloud)


def leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def student_responses(c: Client, submission: Submission) -> dict[str, str]:
    """Every page and JSON answer the student can get for the assignment and its sandbox."""
    url = reverse("assignments:assignment", kwargs={"slug": SLUG})
    got: dict[str, str] = {}
    for lang in ("en", "zh-hans"):
        got[f"assignment {lang}"] = c.get(url, headers={"accept-language": lang}).content.decode()
        got[f"list {lang}"] = c.get(reverse("assignments:list"), headers={"accept-language": lang}).content.decode()
    got["check"] = c.post(reverse("assignments:check", kwargs={"slug": SLUG}), follow=True).content.decode()
    got["answers"] = c.post(
        reverse("assignments:answers", kwargs={"slug": SLUG}), {"answer-winner": "1"}, follow=True
    ).content.decode()
    got["open sandbox"] = c.post(
        reverse("assignments:open-sandbox", kwargs={"slug": SLUG}), follow=True
    ).content.decode()
    for name in ("instances", "instances-rows", "overview", "overview-data", "decisions", "launch-choices"):
        got[name] = c.get(reverse(f"dashboard:{name}")).content.decode()
    project = sandbox_project(submission)
    for instance in Instance.objects.filter(cloud=project.cloud):
        kw = {"instance_id": instance.uuid}
        got[f"instance {instance.name}"] = c.get(reverse("dashboard:instance", kwargs=kw)).content.decode()
        got[f"instance.json {instance.name}"] = c.get(reverse("dashboard:instance-json", kwargs=kw)).content.decode()
    for record in SchedulingRecord.objects.filter(cloud=project.cloud):
        kw = {"record_id": record.pk}
        got[f"decision {record.pk}"] = c.get(reverse("dashboard:decision", kwargs=kw)).content.decode()
        got[f"decision.json {record.pk}"] = c.get(reverse("dashboard:decision-data", kwargs=kw)).content.decode()
    return got


def test_a_hidden_task_never_reaches_the_student_before_release(assignment: Assignment, alice: Any, ivy: Any) -> None:
    c = Client()
    c.force_login(alice)
    c.get(reverse("assignments:assignment", kwargs={"slug": SLUG}))
    submission = Submission.objects.get(student=alice)
    stream = project_stream(sandbox_project(submission).pk)
    make = communicator_factory(f"/ws/live/?streams={stream}", alice)

    def work() -> None:
        web = launch_in(submission, "web-1", "m1.small")
        do_instance_action(alice, web, "stop", {})
        steps.run_to_end(web, "stop")
        launch_in(submission, "huge", "m1.xlarge")  # NoValidHost: a fault in the events too

    async def events() -> list[str]:
        communicator = make()
        hello, _code = await open_socket(communicator)
        assert hello is not None
        await sync_to_async(work)()
        received = []
        while not await communicator.receive_nothing(timeout=0.5):
            received.append(await communicator.receive_from(timeout=5))
        await communicator.disconnect()
        return received

    received = asyncio.run(events())
    assert len(received) > 5, "the student's socket should have seen the lifecycle's events"
    for event in received:
        assert not leaks(event), event

    for name, text in student_responses(c, submission).items():
        assert not leaks(text), f"{name} shows {leaks(text)}"

    grading.grade(Submission.objects.get(pk=submission.pk))  # graded, not released
    for name, text in student_responses(c, submission).items():
        assert not leaks(text), f"{name} after grading shows {leaks(text)}"

    grading.do_release(ivy, Assignment.objects.get(pk=assignment.pk), True)
    page = c.get(reverse("assignments:assignment", kwargs={"slug": SLUG})).content.decode()
    assert "Quiet-Harbour headroom" in page  # released: the grep finds it now


def test_check_my_work_never_evaluates_a_hidden_task(assignment: Assignment, alice: Any) -> None:
    c = Client()
    c.force_login(alice)
    c.get(reverse("assignments:assignment", kwargs={"slug": SLUG}))
    c.post(reverse("assignments:check", kwargs={"slug": SLUG}))
    stored = Submission.objects.get(student=alice).last_check
    assert stored and all(not o["hidden"] for o in stored)
    assert not leaks(repr(stored))
