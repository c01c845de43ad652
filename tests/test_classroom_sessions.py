"""The session API (cloudlab.classroom.sessions): starting on a cloud the instructor teaches or on
a fresh copy of a scenario, joining as oneself or as a guest (a project each, idempotent), the
state table, and ending, which ends the guests' access."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client

from cloudlab.classroom.models import CODE_ALPHABET, CODE_LENGTH, ClassSession, Participant, State
from cloudlab.classroom.sessions import (
    SessionError,
    end_session,
    find_open_session,
    is_session_instructor,
    join,
    participant_for,
    record_guest_login,
    set_state,
    start_session,
)
from cloudlab.compute.models import Cloud, Instance
from cloudlab.identity.models import Membership, Quota, Role, is_instructor

pytestmark = pytest.mark.django_db


@pytest.fixture
def lecture(ivy, demo_cloud):
    return start_session(ivy, cloud=demo_cloud, name="Lecture 5", quota={"instances": 2, "cores": 2, "ram": 2048})


def test_an_instructor_starts_a_session_on_a_cloud_she_teaches(ivy, demo_cloud, lecture):
    assert lecture.cloud == demo_cloud and lecture.owner == ivy and lecture.state == State.LOBBY
    assert len(lecture.code) == CODE_LENGTH and set(lecture.code) <= set(CODE_ALPHABET)
    assert is_session_instructor(ivy, lecture)
    assert find_open_session(lecture.code.lower()) == lecture
    assert find_open_session(f" {lecture.code[:3]}-{lecture.code[3:]} ") == lecture


def test_a_student_cannot_start_a_session(alice, demo_cloud):
    with pytest.raises(SessionError) as refused:
        start_session(alice, cloud=demo_cloud, name="Mine")
    assert refused.value.status == 403 and "do not teach" in refused.value.message
    assert not ClassSession.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"name": "  "}, "name", "Give the session a name"),
        ({"name": "x" * 81}, "name", "at most 80"),
        ({"name": "bad\x1bname"}, "name", "U+001B"),
        ({"name": "ok", "quota": {"instances": "many"}}, "quota_instances", "whole number"),
        ({"name": "ok", "quota": {"cores": -2}}, "quota_cores", "−1 (unlimited) or more"),
        ({"name": "ok", "quota": {"ram": 2**40}}, "quota_ram", "between"),
        ({"name": "ok", "pace": "fast"}, "pace", "number of seconds"),
        ({"name": "ok", "pace": -1}, "pace", "between 0 and 60"),
        ({"name": "ok", "scenario": "nonesuch", "cloud": None}, "scenario", "no scenario “nonesuch”"),
    ],
)
def test_bad_start_input_names_the_problem_and_writes_nothing(ivy, demo_cloud, kwargs, field, words):
    kwargs = {"cloud": demo_cloud, **kwargs}
    clouds = Cloud.objects.count()
    with pytest.raises(SessionError) as refused:
        start_session(ivy, **kwargs)
    assert refused.value.field == field and words in refused.value.message
    assert not ClassSession.objects.exists() and Cloud.objects.count() == clouds


def test_a_session_on_a_fresh_copy_of_a_scenario(ivy, demo_cloud):
    session = start_session(ivy, scenario="demo", name="Lecture 5: the scheduler", pace=0.5)
    cloud = session.cloud
    assert cloud != demo_cloud and cloud.name == "lecture-5-the-scheduler" and cloud.title == "Lecture 5: the scheduler"
    assert session.scenario == "demo" and cloud.pace == 0.5 == session.pace
    assert cloud.hosts.count() == demo_cloud.hosts.count()
    # The scenario's instance is copied with a uuid of its own (uuids are unique across clouds).
    copied, original = Instance.objects.get(cloud=cloud), Instance.objects.get(cloud=demo_cloud)
    assert copied.name == original.name and copied.uuid != original.uuid
    assert is_instructor(ivy, cloud.pk)
    # A second session of the same name gets a cloud of its own.
    again = start_session(ivy, scenario="demo", name="Lecture 5: the scheduler")
    assert again.cloud.name == "lecture-5-the-scheduler-2" and again.code != session.code


def test_exactly_one_of_cloud_and_scenario(ivy, demo_cloud):
    for kwargs in ({}, {"cloud": demo_cloud, "scenario": "demo"}):
        with pytest.raises(SessionError, match="either an existing cloud or a scenario"):
            start_session(ivy, name="x", **kwargs)


def test_a_logged_in_student_joins_as_herself_with_a_project_of_her_own(alice, lecture):
    participant = join(lecture, user=alice)
    assert participant.user == alice and not participant.is_guest and participant.nickname == "Alice"
    project = participant.project
    assert project.cloud == lecture.cloud and project.name == f"s{lecture.pk}-alice"
    assert Membership.objects.get(user=alice, project=project).role == Role.STUDENT
    quota = Quota.objects.get(project=project)
    assert (quota.instances, quota.cores, quota.ram) == (2, 2, 2048)
    assert participant_for(alice, lecture) == participant


def test_joining_again_is_the_same_participant_and_repairs_the_project(alice, lecture):
    first = join(lecture, user=alice)
    Membership.objects.filter(user=alice, project=first.project).delete()
    again = join(lecture, user=alice)
    assert again.pk == first.pk and Participant.objects.filter(session=lecture).count() == 1
    assert Membership.objects.filter(user=alice, project=first.project).exists()


def test_a_guest_is_a_user_with_no_password(lecture):
    guest = join(lecture, nickname="  Li   Lei ")
    assert guest.is_guest and guest.nickname == "Li Lei"
    assert not guest.user.has_usable_password() and guest.user.is_active
    assert guest.user.first_name == "Li Lei"
    assert Membership.objects.filter(user=guest.user, project=guest.project).exists()


@pytest.mark.parametrize(
    ("nickname", "words"),
    [
        ("", "Choose a nickname"),
        ("x", "at least 2"),
        ("y" * 33, "at most 32"),
        ("ab\x07cd", "U+0007"),
        ("ab\u200bcd", "U+200B"),
        ("LI LEI", "taken"),
    ],
)
def test_bad_nicknames_are_refused_with_the_reason(lecture, nickname, words):
    join(lecture, nickname="Li Lei")
    users = get_user_model().objects.count()
    with pytest.raises(SessionError) as refused:
        join(lecture, nickname=nickname)
    assert refused.value.field == "nickname" and words in refused.value.message
    assert get_user_model().objects.count() == users and lecture.participants.count() == 1


def test_an_ended_session_cannot_be_joined(ivy, alice, lecture):
    end_session(lecture, ivy)
    with pytest.raises(SessionError, match="has ended"):
        join(lecture, user=alice)
    assert find_open_session(lecture.code) is None


def test_the_instructor_and_other_sessions_guests_cannot_join(ivy, demo_cloud, lecture):
    with pytest.raises(SessionError, match="You teach this session"):
        join(lecture, user=ivy)
    other = start_session(ivy, cloud=demo_cloud, name="Other")
    guest = join(other, nickname="Han Meimei")
    with pytest.raises(SessionError, match="only be in the session they joined"):
        join(lecture, user=guest.user)


def test_the_state_table(ivy, alice, lecture):
    with pytest.raises(SessionError) as refused:
        set_state(lecture, State.FROZEN, ivy)
    assert refused.value.status == 409 and "Lobby" in refused.value.message
    with pytest.raises(SessionError) as not_hers:
        set_state(lecture, State.RUNNING, alice)
    assert not_hers.value.status == 403
    set_state(lecture, State.RUNNING, ivy)
    started = lecture.started_at
    assert lecture.state == State.RUNNING and started is not None
    set_state(lecture, State.FROZEN, ivy)
    set_state(lecture, State.RUNNING, ivy)
    assert ClassSession.objects.get(pk=lecture.pk).started_at == started
    with pytest.raises(SessionError, match="not a session state"):
        set_state(lecture, "paused", ivy)


def test_ending_deactivates_the_guests_and_deletes_their_logins(ivy, alice, lecture):
    guest = join(lecture, nickname="Li Lei")
    browser = Client()
    browser.force_login(guest.user)
    record_guest_login(guest, browser.session.session_key)
    student = join(lecture, user=alice)
    end_session(lecture, ivy)
    guest.user.refresh_from_db()
    alice.refresh_from_db()
    assert lecture.state == State.ENDED and lecture.ended_at is not None
    assert not guest.user.is_active and alice.is_active
    assert not Session.objects.filter(session_key=guest.session_key).exists()
    assert Membership.objects.filter(user=alice, project=student.project).exists()
    with pytest.raises(SessionError, match="ended already"):
        end_session(lecture, ivy)


def test_a_code_is_reused_only_once_its_session_ended(ivy, demo_cloud, lecture, monkeypatch):
    from cloudlab.classroom import sessions

    codes = iter([lecture.code, lecture.code, "ACDEFG"])
    monkeypatch.setattr(sessions, "new_code", lambda: next(codes))
    second = start_session(ivy, cloud=demo_cloud, name="Second")
    assert second.code == "ACDEFG"  # the open session's code was skipped twice
    end_session(second, ivy)
    monkeypatch.setattr(sessions, "new_code", lambda: "ACDEFG")
    assert start_session(ivy, cloud=demo_cloud, name="Third").code == "ACDEFG"
