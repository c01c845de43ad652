"""After class: the summary page and its CSV (UTF-8 with a BOM; one row per participant and per
answer), Chinese nicknames intact; only the session's instructors may read them."""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from cloudlab.classroom.pages.summary import CSV_COLUMNS
from cloudlab.classroom.polls import correct_answer, dry_run, give_answer, open_poll, reveal
from cloudlab.classroom.sessions import join, start_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def taught(ivy, alice, demo_cloud):
    session = start_session(ivy, cloud=demo_cloud, name="第六讲")
    guest = join(session, nickname="小明")
    join(session, user=alice)
    poll = open_poll(session, ivy, kind="host", flavor="m1.large")
    winner = correct_answer(poll, dry_run(poll)[0])
    give_answer(poll, guest.user, choice=winner)
    give_answer(poll, alice, choice=next(c for c in poll.choices if c != winner))
    reveal(poll, ivy)
    return session, poll, guest


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_csv_has_a_bom_and_keeps_chinese_nicknames(taught, ivy):
    session, poll, _guest = taught
    response = _client(ivy).get(reverse("classroom:summary-csv", args=[session.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert list(rows[0]) == CSV_COLUMNS
    people = [r for r in rows if r["row"] == "participant"]
    answers = [r for r in rows if r["row"] == "answer"]
    assert len(people) == 2 and len(answers) == 2
    mine = next(r for r in people if r["nickname"] == "小明")
    assert (mine["guest"], mine["score"], mine["correct_answers"]) == ("yes", "1000", "1")
    given = next(r for r in answers if r["nickname"] == "小明")
    assert (given["poll"], given["answer"], given["correct"], given["points"]) == (
        str(poll.pk),
        poll.correct,
        "yes",
        "1000",
    )
    assert next(r for r in answers if r["nickname"] != "小明")["correct"] == "no"


def test_the_summary_lists_participants_answers_and_polls(taught, ivy):
    session, poll, _guest = taught
    page = _client(ivy).get(reverse("classroom:summary", args=[session.pk])).content.decode()
    assert "小明" in page and 'id="summary-participants"' in page and f'data-poll="{poll.pk}"' in page
    assert "table-success" in page  # the correct choice marked in the distribution


def test_a_student_cannot_read_the_summary(taught, alice):
    session, _poll, _guest = taught
    for name in ("classroom:summary", "classroom:summary-csv"):
        assert _client(alice).get(reverse(name, args=[session.pk])).status_code == 404
