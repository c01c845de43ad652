"""Working an assignment: publishing to a course, a sandbox per student on first open, "Check my
work" feedback that follows what the student does (the real lifecycle, step by step), answers,
the reset, and the dashboard's banner over the sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cloudlab.assignments.loader import load_assignment
from cloudlab.assignments.models import Assignment, Submission
from cloudlab.assignments.work import SANDBOX_PROJECT, do_publish, sandbox_project
from cloudlab.compute.actions import launch as launching
from cloudlab.compute.actions.instance import do_instance_action
from cloudlab.compute.models import Cloud, Flavor, Image, Instance
from cloudlab.identity.models import Membership
from tests import steps

# The example's scenario gives compute2 usage no instance accounts for (a busy host, on purpose),
# which the demo cloud's audit would report for every sandbox.
pytestmark = pytest.mark.books_unbalanced

EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "assignments" / "example.yaml"


@pytest.fixture
def assignment(demo_cloud: Any) -> Assignment:
    return load_assignment(EXAMPLE)


@pytest.fixture
def published(assignment: Assignment, ivy: Any, demo_cloud: Any) -> Assignment:
    return do_publish(ivy, assignment, demo_cloud)


def client_of(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def page(user: Any, slug: str = "example-scheduler") -> Any:
    return client_of(user).get(reverse("assignments:assignment", kwargs={"slug": slug}))


def launch_in(submission: Submission, name: str, flavor: str) -> Instance:
    project = sandbox_project(submission)
    cloud = project.cloud
    request = launching.check_launch(
        submission.student,
        project,
        name=name,
        count=1,
        image_id=str(Image.objects.get(cloud=cloud, name="cirros").uuid),
        flavor_id=Flavor.objects.get(cloud=cloud, name=flavor).flavorid,
    )
    [instance] = launching.do_launch(submission.student, request)
    steps.run_to_end(instance)
    return Instance.objects.get(pk=instance.pk)


def test_an_unpublished_assignment_is_not_there_for_students(assignment: Assignment, alice: Any) -> None:
    assert page(alice).status_code == 404
    assert not Submission.objects.exists()


def test_publishing_gives_each_student_a_sandbox_of_their_own_on_first_open(
    published: Assignment, alice: Any, bob: Any
) -> None:
    assert page(alice).status_code == 200
    assert page(bob).status_code == 200
    mine, theirs = Submission.objects.get(student=alice), Submission.objects.get(student=bob)
    assert mine.sandbox_id != theirs.sandbox_id
    for sub, user in ((mine, alice), (theirs, bob)):
        [member] = Membership.objects.filter(project__cloud=sub.sandbox)
        assert (member.user, member.project.name) == (user, SANDBOX_PROJECT)
        assert sorted(sub.sandbox.hosts.values_list("name", flat=True)) == ["compute1", "compute2", "compute3"]
    # Opening again keeps the same sandbox.
    page(alice)
    assert Submission.objects.get(student=alice).sandbox_id == mine.sandbox_id


def test_the_instructor_is_sent_to_the_gradebook_and_not_given_a_sandbox(published: Assignment, ivy: Any) -> None:
    response = page(ivy)
    assert response.status_code == 302 and response["Location"].endswith("/manage/")
    assert not Submission.objects.exists()


def test_a_student_cannot_publish(assignment: Assignment, alice: Any, demo_cloud: Any) -> None:
    response = client_of(alice).post(
        reverse("assignments:publish", kwargs={"slug": assignment.slug}), {"course": demo_cloud.pk}
    )
    assert response.status_code == 403
    assert not Assignment.objects.get(pk=assignment.pk).published


def test_check_my_work_follows_what_the_student_does(published: Assignment, alice: Any) -> None:
    c = client_of(alice)
    c.get(reverse("assignments:assignment", kwargs={"slug": "example-scheduler"}))
    submission = Submission.objects.get(student=alice)
    check = reverse("assignments:check", kwargs={"slug": "example-scheduler"})

    c.post(check)
    before = {o["id"]: o for o in Submission.objects.get(pk=submission.pk).last_check}
    assert not before["stopped"]["passed"]
    assert "Expected instance web-1" in before["stopped"]["feedback"]["en"]

    web = launch_in(submission, "web-1", "m1.small")
    do_instance_action(alice, web, "stop", {})
    steps.run_to_end(web, "stop")
    c.post(check)
    after = {o["id"]: o for o in Submission.objects.get(pk=submission.pk).last_check}
    assert after["stopped"]["passed"], after["stopped"]["feedback"]["en"]
    assert set(after) == {t.key for t in published.tasks.filter(visible=True)}

    response = c.get(reverse("assignments:assignment", kwargs={"slug": "example-scheduler"}))
    text = response.content.decode()
    assert "web-1 has status = SHUTOFF, as required." in text
    assert "1 hidden task, graded after the due date (2 points)" in text


def test_the_feedback_reads_in_chinese(published: Assignment, alice: Any) -> None:
    c = client_of(alice)
    url = reverse("assignments:assignment", kwargs={"slug": "example-scheduler"})
    c.get(url)
    c.post(reverse("assignments:check", kwargs={"slug": "example-scheduler"}))
    text = c.get(url, headers={"accept-language": "zh-hans"}).content.decode()
    assert "应当有实例 web-1，但没有找到。" in text
    assert "创建 <strong>三个</strong>" in text
    assert "检查我的作业" in text and "1 项隐藏任务，截止后评分（共 2 分）" in text


def test_answers_are_checked_and_kept(published: Assignment, alice: Any) -> None:
    c = client_of(alice)
    c.get(reverse("assignments:assignment", kwargs={"slug": "example-scheduler"}))
    url = reverse("assignments:answers", kwargs={"slug": "example-scheduler"})
    response = c.post(url, {"answer-usable-ram": "lots"}, follow=True)
    assert "must be a number; “lots” is not one" in response.content.decode()
    response = c.post(url, {"answer-headroom": "1"}, follow=True)
    assert "There is no question headroom" in response.content.decode()
    response = c.post(url, {"answer-winner": "7"}, follow=True)
    assert "Choose one of the choices" in response.content.decode()
    assert Submission.objects.get(student=alice).answers == {}
    c.post(url, {"answer-usable-ram": "2048", "answer-winner": "2"})
    assert Submission.objects.get(student=alice).answers == {"usable-ram": 2048.0, "winner": 2}


def test_reset_needs_the_typed_id_and_gives_a_fresh_sandbox(published: Assignment, alice: Any) -> None:
    c = client_of(alice)
    c.get(reverse("assignments:assignment", kwargs={"slug": "example-scheduler"}))
    submission = Submission.objects.get(student=alice)
    launch_in(submission, "web-1", "m1.small")
    c.post(reverse("assignments:answers", kwargs={"slug": "example-scheduler"}), {"answer-usable-ram": "10"})
    c.post(reverse("assignments:check", kwargs={"slug": "example-scheduler"}))
    reset = reverse("assignments:reset", kwargs={"slug": "example-scheduler"})

    response = c.post(reset, {"confirm": "yes"}, follow=True)
    assert "type the assignment&#x27;s ID, example-scheduler, to confirm" in response.content.decode()
    assert Submission.objects.get(pk=submission.pk).sandbox_id == submission.sandbox_id

    c.post(reset, {"confirm": "example-scheduler"})
    fresh = Submission.objects.get(pk=submission.pk)
    assert fresh.sandbox_id != submission.sandbox_id
    assert not Cloud.objects.filter(pk=submission.sandbox_id).exists()
    assert not Instance.objects.filter(cloud_id=fresh.sandbox_id).exists()
    assert fresh.last_check == [] and fresh.answers == {"usable-ram": 10.0}
    assert sandbox_project(fresh).memberships.get().user == alice


def test_the_sandbox_opens_in_the_dashboard_with_the_banner(published: Assignment, alice: Any) -> None:
    c = client_of(alice)
    c.get(reverse("dashboard:instances"))  # her own project becomes the current one
    c.get(reverse("assignments:assignment", kwargs={"slug": "example-scheduler"}))
    instances = c.get(reverse("dashboard:instances")).content.decode()
    assert 'id="assignment-banner"' not in instances
    response = c.post(reverse("assignments:open-sandbox", kwargs={"slug": "example-scheduler"}), follow=True)
    text = response.content.decode()
    assert 'id="assignment-banner"' in text
    assert "Three ACTIVE m1.small on three hosts" in text
    assert "Example: filters and weighers" in text


def test_the_sidebar_lists_assignments(published: Assignment, alice: Any, bob: Any) -> None:
    text = client_of(alice).get(reverse("assignments:list")).content.decode()
    assert 'id="sidebar-assignments"' in text and "Example: filters and weighers" in text
