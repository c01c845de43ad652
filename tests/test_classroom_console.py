"""The instructor console (issue 13, item 3): the heat-map's data from real launches, every control
for the instructor, refused to a student and a guest with a 403 that says why, nothing written on
bad input, and a launch refused in a frozen session's cloud."""

import html

import pytest
from django.test import Client
from django.urls import reverse

from cloudlab.classroom.heatmap import tiles
from cloudlab.classroom.models import ClassSession, State
from cloudlab.classroom.sessions import join, set_state, start_session
from cloudlab.compute.actions.errors import ActionError
from cloudlab.compute.models import Cloud, Host, Instance
from cloudlab.identity.models import Project
from tests import steps

pytestmark = pytest.mark.django_db


@pytest.fixture
def lecture(ivy, demo_cloud):
    return start_session(ivy, scenario="demo", name="Lecture 6", quota={"instances": 3, "cores": 8, "ram": 16384})


@pytest.fixture
def alice_in(lecture, alice):
    return join(lecture, user=alice)


@pytest.fixture
def guest(lecture):
    return join(lecture, nickname="Wei")


def _text(response):
    return html.unescape(response.content.decode())


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _launch(participant, user, *, flavor="m1.tiny", name="web", capture=None):
    from cloudlab.compute.actions import launch as launching
    from cloudlab.compute.models import Flavor, Image

    project = participant.project
    image = Image.objects.get(cloud=project.cloud, name="cirros")
    chosen = Flavor.objects.get(cloud=project.cloud, name=flavor)
    request = launching.check_launch(
        user, project, name=name, count=1, image_id=str(image.uuid), flavor_id=chosen.flavorid
    )
    return launching.do_launch(user, request)


CONTROLS = [
    ("console-freeze", {"state": "frozen"}),
    ("console-host", {"host": "compute-kvm1", "action": "mark_down"}),
    ("console-scheduler", {}),
    ("console-reset", {"confirm": "reset"}),
    ("console-export", {}),
    ("console-pace", {"pace": "0.5"}),
    ("console-end", {"confirm": "end"}),
]


@pytest.mark.parametrize(("name", "data"), CONTROLS)
def test_a_student_and_a_guest_are_refused_every_control(lecture, alice_in, guest, name, data):
    set_state(lecture, State.RUNNING, lecture.owner)
    before = (lecture.cloud.pace, list(Host.objects.filter(cloud=lecture.cloud).values_list("up", flat=True)))
    for user in (alice_in.user, guest.user):
        response = _client(user).post(reverse(f"classroom:{name}", args=[lecture.pk]), data)
        assert response.status_code == 403
        assert "Only the session's instructors can use its console and controls." in _text(response)
    lecture.refresh_from_db()
    assert lecture.state == State.RUNNING
    cloud = Cloud.objects.get(pk=lecture.cloud_id)
    assert (cloud.pace, list(Host.objects.filter(cloud=cloud).values_list("up", flat=True))) == before


def test_a_student_cannot_open_the_console(lecture, alice_in):
    response = _client(alice_in.user).get(reverse("classroom:console", args=[lecture.pk]))
    assert response.status_code == 403 and "Only the session's instructors" in _text(response)
    assert _client(alice_in.user).get(reverse("classroom:console-heatmap", args=[lecture.pk])).status_code == 403


def test_the_instructor_freezes_and_unfreezes_launches(ivy, lecture, alice_in):
    set_state(lecture, State.RUNNING, ivy)
    client = _client(ivy)
    url = reverse("classroom:console-freeze", args=[lecture.pk])
    assert client.post(url, {"state": "frozen"}).status_code == 302
    lecture.refresh_from_db()
    assert lecture.state == State.FROZEN
    with pytest.raises(ActionError) as refused:
        _launch(alice_in, alice_in.user)
    assert refused.value.status == 409 and "Launches are frozen" in refused.value.message
    assert "Lecture 6" in refused.value.message
    assert not Instance.objects.filter(project=alice_in.project).exists()
    assert client.post(url, {"state": "running"}).status_code == 302
    assert len(_launch(alice_in, alice_in.user)) == 1


def test_the_frozen_refusal_reads_in_chinese(ivy, lecture, alice_in):
    from django.utils import translation

    set_state(lecture, State.RUNNING, ivy)
    set_state(lecture, State.FROZEN, ivy)
    with translation.override("zh-hans"), pytest.raises(ActionError) as refused:
        _launch(alice_in, alice_in.user)
    assert "冻结" in refused.value.message and "Lecture 6" in refused.value.message


def test_the_instructor_may_still_launch_while_frozen(ivy, lecture):
    set_state(lecture, State.RUNNING, ivy)
    set_state(lecture, State.FROZEN, ivy)
    project = Project.objects.get(cloud=lecture.cloud, name="instructors")

    class Me:
        pass

    me = Me()
    me.project, me.user = project, ivy
    assert len(_launch(me, ivy)) == 1


def test_a_bad_freeze_request_changes_nothing(ivy, lecture):
    set_state(lecture, State.RUNNING, ivy)
    response = _client(ivy).post(reverse("classroom:console-freeze", args=[lecture.pk]), {"state": "ended"})
    assert response.status_code == 400 and "freeze or to unfreeze" in _text(response)
    lecture.refresh_from_db()
    assert lecture.state == State.RUNNING


def test_the_instructor_fails_and_restores_a_host(ivy, lecture, sent_events):
    client = _client(ivy)
    url = reverse("classroom:console-host", args=[lecture.pk])
    assert client.post(url, {"host": "compute-kvm1", "action": "mark_down"}).status_code == 302
    assert not Host.objects.get(cloud=lecture.cloud, name="compute-kvm1").up
    assert client.post(url, {"host": "compute-kvm1", "action": "bring_up"}).status_code == 302
    assert Host.objects.get(cloud=lecture.cloud, name="compute-kvm1").up
    assert client.post(url, {"host": "compute-kvm1", "action": "disable"}).status_code == 302
    assert not Host.objects.get(cloud=lecture.cloud, name="compute-kvm1").enabled
    nowhere = client.post(url, {"host": "nonesuch", "action": "disable"})
    assert nowhere.status_code == 400 and "no host of that name" in _text(nowhere)
    twice = client.post(url, {"host": "compute-kvm1", "action": "disable"})
    assert twice.status_code == 409 and "already disabled" in _text(twice)
    unknown = client.post(url, {"host": "compute-kvm1", "action": "explode"})
    assert unknown.status_code == 400 and "Unknown host action" in _text(unknown)


def test_the_scheduler_control_opens_admin_scheduler_on_the_sessions_cloud(ivy, lecture):
    client = _client(ivy)
    response = client.post(reverse("classroom:console-scheduler", args=[lecture.pk]))
    assert response.status_code == 302 and response.url == reverse("dashboard:scheduler-settings")
    page = client.get(response.url)
    assert page.status_code == 200 and page.context["form"].cloud == lecture.cloud


def test_the_pace_changes_for_the_session_and_its_cloud(ivy, lecture):
    client = _client(ivy)
    url = reverse("classroom:console-pace", args=[lecture.pk])
    assert client.post(url, {"pace": "2.5"}).status_code == 302
    assert ClassSession.objects.get(pk=lecture.pk).pace == 2.5 and Cloud.objects.get(pk=lecture.cloud_id).pace == 2.5
    bad = client.post(url, {"pace": "fast"})
    assert bad.status_code == 400 and "number of seconds" in _text(bad)
    assert Cloud.objects.get(pk=lecture.cloud_id).pace == 2.5


def test_the_reset_brings_the_scenario_back_and_keeps_the_projects(
    ivy, lecture, alice_in, django_capture_on_commit_callbacks
):
    set_state(lecture, State.RUNNING, ivy)
    with django_capture_on_commit_callbacks(execute=False):
        mine = _launch(alice_in, alice_in.user)[0]
    Host.objects.filter(cloud=lecture.cloud, name="compute-kvm1").update(up=False)
    hosts_before = sorted(Host.objects.filter(cloud=lecture.cloud).values_list("name", flat=True))
    client = _client(ivy)
    url = reverse("classroom:console-reset", args=[lecture.pk])
    unconfirmed = client.post(url)
    assert unconfirmed.status_code == 400 and "Confirm the reset" in _text(unconfirmed)
    assert Instance.objects.filter(pk=mine.pk).exists()
    assert client.post(url, {"confirm": "reset"}).status_code == 302
    assert not Instance.objects.filter(pk=mine.pk).exists()
    assert Host.objects.get(cloud=lecture.cloud, name="compute-kvm1").up
    assert sorted(Host.objects.filter(cloud=lecture.cloud).values_list("name", flat=True)) == hosts_before
    assert Project.objects.filter(pk=alice_in.project_id, cloud=lecture.cloud).exists()
    assert ClassSession.objects.filter(pk=lecture.pk).exists()
    assert not Cloud.objects.filter(name__startswith="reset-").exists()


def test_a_session_on_an_existing_cloud_has_nothing_to_reset_to(ivy, demo_cloud):
    session = start_session(ivy, cloud=demo_cloud, name="On demo")
    count = Instance.objects.filter(cloud=demo_cloud).count()
    response = _client(ivy).post(reverse("classroom:console-reset", args=[session.pk]), {"confirm": "reset"})
    assert response.status_code == 409 and "nothing to reset it to" in _text(response)
    assert Instance.objects.filter(cloud=demo_cloud).count() == count


def test_the_export_is_the_sessions_cloud_as_a_scenario(ivy, lecture):
    response = _client(ivy).post(reverse("classroom:console-export", args=[lecture.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/yaml")
    assert f"name: {lecture.cloud.name}" in _text(response)


def test_ending_needs_a_confirmation(ivy, lecture):
    client = _client(ivy)
    url = reverse("classroom:console-end", args=[lecture.pk])
    assert client.post(url).status_code == 400
    assert ClassSession.objects.get(pk=lecture.pk).state == State.LOBBY
    assert client.post(url, {"confirm": "end"}).status_code == 302
    assert ClassSession.objects.get(pk=lecture.pk).state == State.ENDED


def test_the_heatmap_counts_real_launches_and_names_the_rejecting_filter(
    ivy, lecture, alice_in, guest, django_capture_on_commit_callbacks
):
    set_state(lecture, State.RUNNING, ivy)
    with django_capture_on_commit_callbacks(execute=False):
        web = _launch(alice_in, alice_in.user, name="web")[0]
        steps.schedule(web)
        steps.run_to_end(web)
        Host.objects.filter(cloud=lecture.cloud).update(enabled=False)
        big = _launch(alice_in, alice_in.user, name="big")[0]
        steps.schedule(big)
    by_name = {t["nickname"]: t for t in tiles(lecture)}
    mine = by_name[alice_in.nickname]
    assert mine["states"] == {"active": 1, "error": 1} and mine["errors"] == 1 and mine["heat"] == "error"
    assert mine["last_action"]["instance"] == "big" and mine["last_action"]["action"] == "create"
    assert mine["rejected_by"] == "ComputeFilter"
    assert by_name["Wei"] == {**by_name["Wei"], "instances": 0, "heat": "idle", "last_action": None}
    page = _client(ivy).get(reverse("classroom:console-heatmap", args=[lecture.pk])).json()
    assert [t["nickname"] for t in page["tiles"]] == sorted(by_name)


def test_the_console_page_renders_for_the_instructor(ivy, lecture):
    response = _client(ivy).get(reverse("classroom:console", args=[lecture.pk]))
    assert response.status_code == 200 and "Instructor console" in _text(response)
    lobby = _client(ivy).get(reverse("classroom:lobby", args=[lecture.pk]))
    assert reverse("classroom:console", args=[lecture.pk]) in _text(lobby)
