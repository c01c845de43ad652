"""The join flow as a browser walks it: the code form and the link, a visitor's nickname (refused
with the reason, the form kept), a logged-in student joining as herself, re-joining, an ended or
unknown code (a 404 page that says so, in both languages), and the start form's refusals."""

import pytest
from django.test import Client
from django.urls import reverse

from cloudlab.classroom.models import ClassSession, Participant
from cloudlab.classroom.sessions import end_session, start_session
from cloudlab.dashboard.current import SESSION_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture
def lecture(ivy, demo_cloud):
    return start_session(ivy, cloud=demo_cloud, name="Lecture 5")


def _logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_code_form_leads_to_the_link(lecture):
    response = Client().post(reverse("classroom:join"), {"code": f" {lecture.code.lower()} "})
    assert response.status_code == 302 and response["Location"] == reverse("classroom:join-code", args=[lecture.code])


def test_a_visitor_becomes_a_guest_and_lands_on_the_session_page(lecture):
    browser = Client()
    page = browser.get(reverse("classroom:join-code", args=[lecture.code]))
    assert page.status_code == 200 and b'name="nickname"' in page.content
    response = browser.post(reverse("classroom:join-code", args=[lecture.code]), {"nickname": "Li Lei"})
    assert response.status_code == 302 and response["Location"] == reverse("classroom:student", args=[lecture.pk])
    guest = Participant.objects.get(session=lecture)
    assert guest.is_guest and guest.session_key == browser.session.session_key
    assert browser.session[SESSION_KEY] == guest.project.pk
    student_page = browser.get(response["Location"])
    assert student_page.status_code == 200
    assert "Li Lei" in student_page.content.decode() and guest.project.name in student_page.content.decode()
    # The Instances panel is theirs: the project they were given.
    instances = browser.get(reverse("dashboard:instances"))
    assert instances.status_code == 200 and guest.project.name in instances.content.decode()
    # Coming back by the link is the same participant.
    again = browser.get(reverse("classroom:join-code", args=[lecture.code]))
    assert again.status_code == 302 and Participant.objects.filter(session=lecture).count() == 1


def test_a_refused_nickname_keeps_the_form_and_says_why(lecture):
    Client().post(reverse("classroom:join-code", args=[lecture.code]), {"nickname": "Li Lei"})
    response = Client().post(reverse("classroom:join-code", args=[lecture.code]), {"nickname": "li lei"})
    assert response.status_code == 409
    text = response.content.decode()
    assert "is taken in this session" in text and 'value="li lei"' in text
    assert Participant.objects.filter(session=lecture).count() == 1


def test_a_logged_in_student_joins_as_herself(alice, lecture):
    browser = _logged_in(alice)
    page = browser.get(reverse("classroom:join-code", args=[lecture.code]))
    assert page.status_code == 200 and b"You join as" in page.content and b'name="nickname"' not in page.content
    response = browser.post(reverse("classroom:join-code", args=[lecture.code]))
    assert response.status_code == 302
    participant = Participant.objects.get(session=lecture)
    assert participant.user == alice and not participant.is_guest
    assert browser.get(reverse("classroom:join-code", args=[lecture.code]))["Location"] == reverse(
        "classroom:student", args=[lecture.pk]
    )
    browser.post(reverse("classroom:join-code", args=[lecture.code]))
    assert Participant.objects.filter(session=lecture).count() == 1


@pytest.mark.parametrize(
    ("language", "unknown", "ended", "malformed"),
    [
        ("en", "No session has the code", "has ended", "is not a join code"),
        ("zh-hans", "没有课堂会话使用代码", "已经结束", "不是加入代码"),
    ],
)
def test_unknown_ended_and_malformed_codes_are_a_404_that_says_so(ivy, lecture, language, unknown, ended, malformed):
    browser = Client(headers={"accept-language": language})
    response = browser.get(reverse("classroom:join-code", args=["AAAAAA"]))
    assert response.status_code == 404 and unknown in response.content.decode()
    response = browser.get(reverse("classroom:join-code", args=["hello!"]))
    assert response.status_code == 404 and malformed in response.content.decode()
    end_session(lecture, ivy)
    for attempt in (
        browser.get(reverse("classroom:join-code", args=[lecture.code])),
        browser.post(reverse("classroom:join-code", args=[lecture.code]), {"nickname": "Late"}),
        browser.post(reverse("classroom:join"), {"code": lecture.code}),
    ):
        assert attempt.status_code == 404 and ended in attempt.content.decode()
    assert not Participant.objects.exists()


def test_a_guest_of_an_ended_session_is_logged_out(ivy, lecture):
    browser = Client()
    browser.post(reverse("classroom:join-code", args=[lecture.code]), {"nickname": "Li Lei"})
    assert browser.get(reverse("classroom:student", args=[lecture.pk])).status_code == 200
    end_session(lecture, ivy)
    response = browser.get(reverse("classroom:student", args=[lecture.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_guest_cannot_see_another_sessions_pages(ivy, demo_cloud, lecture):
    other = start_session(ivy, cloud=demo_cloud, name="Other")
    browser = Client()
    browser.post(reverse("classroom:join-code", args=[lecture.code]), {"nickname": "Li Lei"})
    for name in ("student", "snapshot", "lobby"):
        assert browser.get(reverse(f"classroom:{name}", args=[other.pk])).status_code == 404
    assert browser.get(reverse("classroom:lobby", args=[lecture.pk])).status_code == 404
    assert browser.get(reverse("classroom:sessions")).status_code == 403


def test_the_instructor_starts_a_session_from_the_form(ivy, demo_cloud):
    browser = _logged_in(ivy)
    page = browser.get(reverse("classroom:sessions"))
    assert page.status_code == 200 and f'value="cloud:{demo_cloud.pk}"'.encode() in page.content
    assert b'value="scenario:demo"' in page.content
    response = browser.post(
        reverse("classroom:sessions"),
        {
            "name": "Lecture 6",
            "source": "scenario:experiment",
            "quota_instances": "4",
            "quota_cores": "8",
            "quota_ram": "8192",
            "pace": "0",
        },
    )
    session = ClassSession.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("classroom:lobby", args=[session.pk])
    assert (session.scenario, session.quota_instances, session.pace) == ("experiment", 4, 0)
    lobby = browser.get(response["Location"]).content.decode()
    assert session.code in lobby and "<svg" in lobby and reverse("classroom:join-code", args=[session.code]) in lobby


@pytest.mark.parametrize(
    ("form", "words"),
    [
        ({"name": "", "source": "scenario:demo"}, "Give the session a name"),
        ({"name": "x", "source": ""}, "Choose a cloud or a scenario"),
        ({"name": "x", "source": "cloud:999999"}, "does not exist"),
        ({"name": "x", "source": "scenario:demo", "quota_ram": "lots"}, "whole number"),
    ],
)
def test_the_start_form_says_what_is_wrong_and_keeps_what_was_typed(ivy, form, words):
    response = _logged_in(ivy).post(reverse("classroom:sessions"), {"quota_instances": "3", **form})
    assert response.status_code == 400 and words in response.content.decode()
    assert not ClassSession.objects.exists()


def test_the_sidebar_offers_class_sessions_to_instructors_only(ivy, alice, lecture):
    assert b"Class Sessions" in _logged_in(ivy).get(reverse("dashboard:instances")).content
    assert b"Class Sessions" not in _logged_in(alice).get(reverse("dashboard:instances")).content
