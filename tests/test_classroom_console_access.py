"""Who reaches the instructor console (issue 13): an anonymous visitor is sent to the login page
(Django's ``login_required``, coming back to the console after), a logged-in student of the
session gets the 403 page saying why, in their language, and so does its snapshot; the
session's instructor gets the console."""

import html

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from cloudlab.classroom.sessions import join, start_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def lecture(ivy, demo_cloud):
    return start_session(ivy, cloud=demo_cloud, name="Lecture 8")


def _as(user, language="en"):
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    return client


def test_an_anonymous_visitor_is_sent_to_log_in(lecture):
    url = reverse("classroom:console", args=[lecture.pk])
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse(settings.LOGIN_URL)}?next={url}"


def test_a_student_of_the_session_gets_the_403_page(lecture, alice):
    join(lecture, user=alice)
    response = _as(alice).get(reverse("classroom:console", args=[lecture.pk]))
    assert response.status_code == 403
    text = html.unescape(response.content.decode())
    assert "Only the session's instructors can use its console and controls." in text
    assert 'id="heatmap"' not in text
    chinese = _as(alice, "zh-hans").get(reverse("classroom:console", args=[lecture.pk]))
    assert chinese.status_code == 403
    assert "只有本课堂会话的教师才能使用它的控制台和控制操作。" in chinese.content.decode()
    snapshot = _as(alice).get(reverse("classroom:console-heatmap", args=[lecture.pk]))
    assert snapshot.status_code == 403 and "tiles" not in snapshot.json()


def test_the_instructor_gets_the_console(lecture, ivy):
    response = _as(ivy).get(reverse("classroom:console", args=[lecture.pk]))
    assert response.status_code == 200 and 'id="heatmap"' in response.content.decode()
