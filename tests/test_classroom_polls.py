"""Polls (cloudlab.classroom.polls): open, answer, change, the time limit, reveal's marking and
points, the running score, and the refusals (a student's controls, a late answer, another
session's poll); no event before the reveal carries an answer."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from cloudlab.classroom.models import Answer, Poll, PollState
from cloudlab.classroom.polls import (
    FULL_POINTS,
    NO_FILTER,
    NO_VALID_HOST,
    close_poll,
    correct_answer,
    distribution,
    dry_run,
    give_answer,
    open_poll,
    reveal,
    scores,
    set_show_scores,
    settle_expired,
)
from cloudlab.classroom.sessions import SessionError, join, start_session
from cloudlab.compute.models import Host
from cloudlab.live import events

pytestmark = pytest.mark.django_db


@pytest.fixture
def lecture(ivy, demo_cloud):
    return start_session(ivy, cloud=demo_cloud, name="Lecture 6")


@pytest.fixture
def class_of(lecture, alice, bob):
    return {"alice": join(lecture, user=alice), "bob": join(lecture, user=bob)}


@pytest.fixture
def sent(monkeypatch):
    """Every event that leaves for the channel layer, with its data."""
    messages = []
    send = events._group_send

    def keep(message):
        messages.append(message)
        send(message)

    monkeypatch.setattr(events, "_group_send", keep)
    return messages


@pytest.fixture
def later(monkeypatch):
    """The count a busy moment holds back: the tasks queued to send it (not sent to a broker)."""
    from celery import current_app

    from cloudlab.classroom.polls import ANNOUNCE_COUNT

    queued = []
    monkeypatch.setattr(
        current_app.tasks[ANNOUNCE_COUNT], "apply_async", lambda args, countdown: queued.append((args, countdown))
    )
    return queued


def _host_poll(lecture, ivy, **extra):
    return open_poll(lecture, ivy, kind="host", flavor="m1.large", **extra)


def test_a_host_poll_offers_the_clouds_hosts_and_no_valid_host(lecture, ivy):
    poll = _host_poll(lecture, ivy)
    hosts = sorted(Host.objects.filter(cloud=lecture.cloud).values_list("name", flat=True))
    assert poll.choices == [*hosts, NO_VALID_HOST] and poll.state == PollState.OPEN


def test_a_filter_poll_offers_the_enabled_filters_and_none(lecture, ivy):
    poll = open_poll(lecture, ivy, kind="filter", flavor="m1.xlarge", target_host="compute-lxc")
    assert "RamFilter" in poll.choices or "ComputeFilter" in poll.choices
    assert poll.choices[-1] == NO_FILTER and poll.target_host == "compute-lxc"


def test_answers_change_until_the_poll_closes(lecture, ivy, alice, class_of):
    poll = _host_poll(lecture, ivy)
    give_answer(poll, alice, choice=poll.choices[0])
    give_answer(poll, alice, choice=poll.choices[1])
    assert Answer.objects.get(poll=poll).choice == poll.choices[1]
    assert distribution(poll)[poll.choices[1]] == 1 and distribution(poll)[poll.choices[0]] == 0
    close_poll(poll, ivy)
    with pytest.raises(SessionError) as refused:
        give_answer(poll, alice, choice=poll.choices[0])
    assert refused.value.status == 409 and "closed" in refused.value.message
    assert Answer.objects.get(poll=poll).choice == poll.choices[1]


def test_the_time_limit_closes_the_poll_and_a_late_answer_is_refused_with_a_message(lecture, ivy, alice, class_of):
    poll = _host_poll(lecture, ivy, time_limit=30)
    assert poll.closes_at == poll.opened_at + timedelta(seconds=30)
    Poll.objects.filter(pk=poll.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    poll.refresh_from_db()
    with pytest.raises(SessionError) as refused:
        give_answer(poll, alice, choice=poll.choices[0])
    assert "Time is up" in refused.value.message
    poll.refresh_from_db()
    assert poll.state == PollState.CLOSED and poll.closed_at == poll.closes_at
    assert not Answer.objects.exists()
    assert settle_expired(poll) is False  # once


def test_reveal_runs_the_request_and_marks_the_answers(lecture, ivy, alice, bob, class_of):
    poll = _host_poll(lecture, ivy)
    trace, _moment = dry_run(poll)
    winner = correct_answer(poll, trace)
    loser = next(c for c in poll.choices if c != winner)
    give_answer(poll, alice, choice=winner)
    give_answer(poll, bob, choice=loser)
    reveal(poll, ivy)
    assert poll.state == PollState.REVEALED and poll.correct == winner and poll.trace["instances"]
    mine = Answer.objects.get(participant=class_of["alice"])
    theirs = Answer.objects.get(participant=class_of["bob"])
    assert (mine.correct, mine.points) == (True, FULL_POINTS)  # no time limit: flat points
    assert (theirs.correct, theirs.points) == (False, 0)
    assert next((s["nickname"], s["score"]) for s in scores(lecture)) == (class_of["alice"].nickname, FULL_POINTS)
    # Nothing was launched: a dry run claims no capacity.
    assert not lecture.cloud.instances.filter(project__name="instructors").exists()


def test_a_faster_correct_answer_earns_more_with_a_time_limit(lecture, ivy, alice, bob, class_of):
    poll = _host_poll(lecture, ivy, time_limit=100)
    winner = correct_answer(poll, dry_run(poll)[0])
    give_answer(poll, alice, choice=winner)
    give_answer(poll, bob, choice=winner)
    Answer.objects.filter(participant=class_of["alice"]).update(answered_at=poll.opened_at + timedelta(seconds=10))
    Answer.objects.filter(participant=class_of["bob"]).update(answered_at=poll.opened_at + timedelta(seconds=60))
    reveal(poll, ivy)
    points = dict(Answer.objects.values_list("participant__nickname", "points"))
    assert points[class_of["alice"].nickname] == 950 and points[class_of["bob"].nickname] == 700


def test_scores_run_over_the_sessions_polls(lecture, ivy, alice, class_of):
    for _ in range(2):
        poll = _host_poll(lecture, ivy)
        give_answer(poll, alice, choice=correct_answer(poll, dry_run(poll)[0]))
        reveal(poll, ivy)
    assert scores(lecture)[0]["score"] == 2 * FULL_POINTS and scores(lecture)[0]["correct"] == 2


def test_a_number_poll_is_marked_within_its_tolerance(lecture, ivy, alice, bob, class_of):
    poll = open_poll(lecture, ivy, kind="number", flavor="m1.small", target_host="compute-kvm1", tolerance="0.1")
    weight = correct_answer(poll, dry_run(poll)[0])
    assert isinstance(weight, float)
    give_answer(poll, alice, value=str(weight + 0.05))
    give_answer(poll, bob, value=weight + 0.5)
    reveal(poll, ivy)
    assert dict(Answer.objects.values_list("participant__nickname", "correct")) == {
        class_of["alice"].nickname: True,
        class_of["bob"].nickname: False,
    }


def test_a_student_cannot_open_close_or_reveal(lecture, ivy, alice, class_of):
    with pytest.raises(SessionError) as refused:
        _host_poll(lecture, alice)
    assert refused.value.status == 403
    poll = _host_poll(lecture, ivy)
    for action in (close_poll, reveal):
        with pytest.raises(SessionError) as refused:
            action(poll, alice)
        assert refused.value.status == 403
    with pytest.raises(SessionError):
        set_show_scores(lecture, True, alice)
    poll.refresh_from_db()
    assert poll.state == PollState.OPEN and poll.correct is None


def test_an_answer_to_another_sessions_poll_is_refused(lecture, ivy, alice, class_of, demo_cloud):
    other = start_session(ivy, cloud=demo_cloud, name="Another lecture")
    poll = _host_poll(other, ivy)
    with pytest.raises(SessionError) as refused:
        give_answer(poll, alice, choice=poll.choices[0])
    assert refused.value.status == 403 and "participants" in refused.value.message
    assert not Answer.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"kind": "guess", "flavor": "m1.large"}, "kind", "not a kind of poll"),
        ({"kind": "host", "flavor": "m9.huge"}, "flavor", "m9.huge"),
        ({"kind": "host", "flavor": "m1.large", "image": "windows"}, "image", "windows"),
        ({"kind": "host", "flavor": "m1.large", "count": 0}, "count", "from 1 to 10"),
        ({"kind": "host", "flavor": "m1.large", "time_limit": "2"}, "time_limit", "from 5 to 600"),
        ({"kind": "filter", "flavor": "m1.large"}, "target_host", "Choose the host"),
        ({"kind": "number", "flavor": "m1.large", "target_host": "compute9"}, "target_host", "compute9"),
        (
            {"kind": "number", "flavor": "m1.large", "target_host": "compute-kvm1", "tolerance": "x"},
            "tolerance",
            "number",
        ),
    ],
)
def test_bad_poll_settings_are_refused_naming_the_problem(lecture, ivy, kwargs, field, words):
    with pytest.raises(SessionError) as refused:
        open_poll(lecture, ivy, **kwargs)
    assert refused.value.field == field and words in refused.value.message
    assert not Poll.objects.exists()


def test_only_one_poll_is_open_at_a_time(lecture, ivy):
    _host_poll(lecture, ivy)
    with pytest.raises(SessionError) as refused:
        _host_poll(lecture, ivy)
    assert refused.value.status == 409 and Poll.objects.count() == 1


def test_a_bad_answer_is_refused(lecture, ivy, alice, class_of):
    poll = _host_poll(lecture, ivy)
    with pytest.raises(SessionError) as refused:
        give_answer(poll, alice, choice="compute-nowhere")
    assert "not one of the poll's choices" in refused.value.message
    close_poll(poll, ivy)
    number = open_poll(lecture, ivy, kind="number", flavor="m1.small", target_host="compute-kvm1")
    with pytest.raises(SessionError) as refused:
        give_answer(number, alice, value="lots")
    assert refused.value.field == "value" and not Answer.objects.exists()


def test_no_event_before_the_reveal_carries_an_answer(
    lecture, ivy, alice, bob, class_of, sent, later, django_capture_on_commit_callbacks
):
    from cloudlab.classroom.tasks import announce_poll_count

    with django_capture_on_commit_callbacks(execute=True):
        poll = _host_poll(lecture, ivy, time_limit=60)
    winner = correct_answer(poll, dry_run(poll)[0])
    loser = next(c for c in poll.choices if c != winner)
    with django_capture_on_commit_callbacks(execute=True):
        give_answer(poll, alice, choice=winner)
    with django_capture_on_commit_callbacks(execute=True):
        give_answer(poll, bob, choice=loser)
    [(args, _)] = later  # within COUNT_SPACING of alice's: its count goes at the end of the moment
    with django_capture_on_commit_callbacks(execute=True):
        announce_poll_count(*args)
    with django_capture_on_commit_callbacks(execute=True):
        close_poll(poll, ivy)
    before = [m for m in sent if m["event"].startswith("poll.")]
    assert [m["event"] for m in before] == ["poll.opened", "poll.answers", "poll.answers", "poll.closed"]
    for message in before:
        text = json.dumps(message["data"])
        assert winner not in text and loser not in text, message
        assert "correct" not in message["data"] and "distribution" not in message["data"]
    assert before[2]["data"]["answers"] == 2
    with django_capture_on_commit_callbacks(execute=True):
        reveal(poll, ivy)
    revealed = next(m for m in sent if m["event"] == "poll.revealed")
    assert revealed["data"]["correct"] == winner and revealed["data"]["distribution"][loser] == 1


def test_shown_scores_go_to_the_class_and_hidden_ones_do_not(
    lecture, ivy, alice, class_of, sent, django_capture_on_commit_callbacks
):
    poll = _host_poll(lecture, ivy)
    give_answer(poll, alice, choice=correct_answer(poll, dry_run(poll)[0]))
    with django_capture_on_commit_callbacks(execute=True):
        reveal(poll, ivy)
    assert not [m for m in sent if m["event"] == "poll.scores"]
    with django_capture_on_commit_callbacks(execute=True):
        set_show_scores(lecture, True, ivy)
    shown = [m["data"] for m in sent if m["event"] == "poll.scores"][-1]
    assert shown["show_scores"] and shown["scores"][0]["score"] == FULL_POINTS
    with django_capture_on_commit_callbacks(execute=True):
        set_show_scores(lecture, False, ivy)
    assert [m["data"] for m in sent if m["event"] == "poll.scores"][-1] == {"show_scores": False, "scores": []}


def test_a_class_answering_together_gets_the_count_at_most_every_spacing(
    lecture, ivy, class_of, sent, later, django_capture_on_commit_callbacks, monkeypatch
):
    """300 answers in ten seconds would be 300 events to each of 300 sockets: the first answer's
    count goes at once, the rest of the busy moment's in one event at its end, with every answer."""
    from cloudlab.classroom import polls
    from cloudlab.classroom.tasks import announce_poll_count

    people = [join(lecture, nickname=f"guest-{i}").user for i in range(5)]
    with django_capture_on_commit_callbacks(execute=True):
        poll = _host_poll(lecture, ivy)
    for person in people:
        with django_capture_on_commit_callbacks(execute=True):
            give_answer(poll, person, choice=poll.choices[0])
    counts = [m["data"]["answers"] for m in sent if m["event"] == "poll.answers"]
    assert counts == [1], "only the first answer's count goes at once"
    assert len(later) == 1 and later[0][1] == polls.COUNT_SPACING, "one send at the end of the moment"
    with django_capture_on_commit_callbacks(execute=True):
        announce_poll_count(*later[0][0])
    assert [m["data"]["answers"] for m in sent if m["event"] == "poll.answers"] == [1, 5]
    monkeypatch.setattr(polls, "spacing_turn", lambda key, spacing: "now")  # the moment is over
    with django_capture_on_commit_callbacks(execute=True):
        give_answer(poll, people[0], choice=poll.choices[-1])  # a changed answer counts once
    assert [m["data"]["answers"] for m in sent if m["event"] == "poll.answers"] == [1, 5, 5]
