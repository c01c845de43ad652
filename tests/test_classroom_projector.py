"""The projector view of a class session: only the session's instructors open it (a participant
hears whose it is, anyone else gets the classroom's 404), and its feed tells real launches by the
participant's nickname: one placed on its host, one that met NoValidHost with the filter that
removed the last hosts and each host's reason, in English and Chinese."""

import html

import pytest
from django.test import Client
from django.urls import reverse

from cloudlab.classroom.projector_feed import projector_snapshot
from cloudlab.classroom.sessions import join, start_session
from cloudlab.compute.actions import launch as launching
from cloudlab.compute.models import Flavor, Host, Image, Instance, SchedulingRecord
from tests.helpers import wait_for


@pytest.fixture
def lecture(ivy, demo_cloud):
    return start_session(ivy, cloud=demo_cloud, name="Lecture 5", quota={"instances": 3, "cores": 4, "ram": 4096})


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_only_the_sessions_instructors_open_the_projector(ivy, alice, bob, lecture):
    join(lecture, user=alice)
    url = reverse("classroom:projector", args=[lecture.pk])
    page = _client(ivy).get(url)
    assert page.status_code == 200
    assert lecture.code in page.content.decode() and b'id="projector-hosts"' in page.content

    refused = _client(alice).get(url)
    assert refused.status_code == 403
    assert "for the session's instructors" in html.unescape(refused.content.decode())
    assert reverse("classroom:student", args=[lecture.pk]) in refused.content.decode()
    assert _client(alice).get(reverse("classroom:projector-snapshot", args=[lecture.pk])).status_code == 403

    # bob is in no session of ivy's: not even its name.
    assert _client(bob).get(url).status_code == 404
    assert _client(bob).get(reverse("classroom:projector-snapshot", args=[lecture.pk])).status_code == 404
    assert _client(ivy).get(reverse("classroom:projector", args=[lecture.pk + 100])).status_code == 404
    assert Client().get(url).status_code == 302  # to the login page


@pytest.mark.django_db
def test_the_lobby_links_to_the_projector(ivy, lecture):
    page = _client(ivy).get(reverse("classroom:lobby", args=[lecture.pk]))
    assert reverse("classroom:projector", args=[lecture.pk]).encode() in page.content


def _launch(participant, name, flavor="m1.tiny"):
    project = participant.project
    image = Image.objects.get(cloud=project.cloud, name="cirros")
    request = launching.check_launch(
        participant.user,
        project,
        name=name,
        count=1,
        image_id=str(image.uuid),
        flavor_id=Flavor.objects.get(cloud=project.cloud, name=flavor).flavorid,
    )
    [instance] = launching.do_launch(participant.user, request)
    return wait_for(
        lambda: (
            (fresh := Instance.objects.get(pk=instance.pk)).task_state is None
            and fresh.vm_state in ("active", "error")
            and fresh
        ),
        timeout=30,
    )


@pytest.mark.django_db(transaction=True)
def test_the_feed_tells_a_placed_launch_and_a_no_valid_host_with_its_reason(celery_worker, ivy, lecture, settings):
    guest = join(lecture, nickname="Li Lei")
    web = _launch(guest, "web")
    assert web.vm_state == "active"
    Host.objects.update(enabled=False)
    try:
        nvh = _launch(guest, "nvh")
    finally:
        Host.objects.update(enabled=True)
    assert nvh.vm_state == "error"

    snapshot = projector_snapshot(lecture)
    newest, oldest = snapshot["feed"]
    assert snapshot["latest_decision"] == SchedulingRecord.objects.get(instance=nvh).pk
    assert oldest["who"] == "Li Lei" and oldest["outcome"] == "claimed" and oldest["host"] == web.host.name
    assert oldest["what"] == "Li Lei launched web (m1.tiny)" and oldest["text"] == f"placed on {web.host.name}"
    assert newest["outcome"] == "NoValidHost" and newest["kind"] == "error"
    assert newest["last_filter"] == "ComputeFilter"
    assert newest["why"].startswith("ComputeFilter removed the last hosts: ")
    hosts = sorted(Host.objects.filter(cloud=lecture.cloud).values_list("name", flat=True))
    assert sorted(r["host"] for r in newest["removed"]) == hosts
    assert all("disabled" in r["reason"] for r in newest["removed"]), newest["removed"]
    # The host the launch went to holds it, and says so by status.
    [host] = [h for h in snapshot["hosts"] if h["name"] == web.host.name]
    active = {s["status"]: s["count"] for s in host["by_status"]}.get("ACTIVE", 0)
    assert host["vcpus_used"] >= 1 and active >= 1

    chinese = (
        _client(ivy)
        .get(reverse("classroom:projector-snapshot", args=[lecture.pk]), headers={"accept-language": "zh-hans"})
        .json()
    )
    line = chinese["feed"][0]
    assert line["what"].startswith("Li Lei") and "启动" in line["what"], line["what"]
    assert "ComputeFilter" in line["why"] and "最后" in line["why"], line["why"]
