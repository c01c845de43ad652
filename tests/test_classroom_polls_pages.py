"""The Polls page and the poll panel's endpoints: an instructor opens and reveals, a student
answers and changes it; the panel's data never shows a student the answers before the reveal;
a student's controls and another session's poll are refused."""

import pytest
from django.test import Client
from django.urls import reverse

from cloudlab.classroom.models import Answer, Poll, PollState
from cloudlab.classroom.sessions import join, start_session

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def lecture(ivy, demo_cloud):
    return start_session(ivy, cloud=demo_cloud, name="Lecture 7")


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def teacher(ivy):
    return _client(ivy)


@pytest.fixture
def student(lecture, alice):
    join(lecture, user=alice)
    return _client(alice)


def _open(teacher, lecture, **fields):
    data = {"kind": "host", "flavor": "m1.large", "count": "1", **fields}
    return teacher.post(reverse("classroom:poll-open", args=[lecture.pk]), data, **JSON)


def test_the_polls_page_loads_plotly_from_the_server_and_the_student_page_shows_the_panel(teacher, student, lecture):
    page = teacher.get(reverse("classroom:polls", args=[lecture.pk]))
    assert page.status_code == 200 and b"vendor/plotly/plotly.min.js" in page.content
    assert b'id="poll-new"' in page.content
    mine = student.get(reverse("classroom:student", args=[lecture.pk]))
    assert b'id="poll-panel"' in mine.content and b"plotly" not in mine.content


def test_a_student_answers_changes_and_sees_the_marking_after_the_reveal(teacher, student, lecture):
    opened = _open(teacher, lecture)
    assert opened.status_code == 201
    poll = Poll.objects.get()
    url = reverse("classroom:poll-answer", args=[lecture.pk, poll.pk])
    assert student.post(url, {"choice": poll.choices[0]}).status_code == 200
    changed = student.post(url, {"choice": poll.choices[1]}).json()
    assert changed["mine"]["choice"] == poll.choices[1] and Answer.objects.count() == 1
    before = student.get(reverse("classroom:poll-current", args=[lecture.pk])).json()
    assert "correct" not in before["poll"] and "distribution" not in before["poll"] and "scores" not in before
    assert "correct" not in before["mine"]
    watching = teacher.get(reverse("classroom:poll-current", args=[lecture.pk])).json()
    assert sum(d["count"] for d in watching["poll"]["distribution"]) == 1
    revealed = teacher.post(reverse("classroom:poll-reveal", args=[lecture.pk, poll.pk]), **JSON).json()
    assert revealed["poll"]["state"] == PollState.REVEALED
    decision = revealed["poll"]["decision"]
    assert [s["kind"] for s in decision["stages"]][-1] in ("selected", "no_valid_host")
    assert decision["hosts"] and decision["trace"]["instances"] and 0 <= decision["elapsed"] < 60
    after = student.get(reverse("classroom:poll-current", args=[lecture.pk])).json()
    assert after["poll"]["correct"] == Poll.objects.get().correct
    assert after["mine"]["correct"] is (poll.choices[1] == after["poll"]["correct"])


def test_a_student_cannot_open_close_or_reveal_a_poll(teacher, student, lecture):
    assert _open(student, lecture).status_code == 404
    _open(teacher, lecture)
    poll = Poll.objects.get()
    for name in ("classroom:poll-close", "classroom:poll-reveal"):
        assert student.post(reverse(name, args=[lecture.pk, poll.pk]), **JSON).status_code == 404
    assert student.post(reverse("classroom:poll-scores", args=[lecture.pk]), {"show": "1"}).status_code == 404
    poll.refresh_from_db()
    assert poll.state == PollState.OPEN


def test_a_late_answer_is_refused_with_a_message(teacher, student, lecture):
    _open(teacher, lecture)
    poll = Poll.objects.get()
    teacher.post(reverse("classroom:poll-close", args=[lecture.pk, poll.pk]), **JSON)
    late = student.post(reverse("classroom:poll-answer", args=[lecture.pk, poll.pk]), {"choice": poll.choices[0]})
    assert late.status_code == 409 and "closed" in late.json()["error"]
    assert not Answer.objects.exists()


def test_an_answer_to_another_sessions_poll_is_refused(teacher, student, lecture, ivy, demo_cloud):
    other = start_session(ivy, cloud=demo_cloud, name="Other lecture")
    _open(teacher, other)
    poll = Poll.objects.get()
    through_mine = student.post(
        reverse("classroom:poll-answer", args=[lecture.pk, poll.pk]), {"choice": poll.choices[0]}
    )
    assert through_mine.status_code == 403 and "another session" in through_mine.json()["error"]
    through_theirs = student.post(
        reverse("classroom:poll-answer", args=[other.pk, poll.pk]), {"choice": poll.choices[0]}
    )
    assert through_theirs.status_code == 404
    assert not Answer.objects.exists()


def test_a_bad_poll_form_says_what_is_wrong(teacher, lecture):
    refused = _open(teacher, lecture, flavor="m9.huge")
    assert refused.status_code == 400 and "m9.huge" in refused.json()["error"] and refused.json()["field"] == "flavor"
    page = teacher.post(
        reverse("classroom:poll-open", args=[lecture.pk]), {"kind": "filter", "flavor": "m1.large"}, follow=True
    )
    assert "Choose the host the question is about" in page.content.decode() and not Poll.objects.exists()
