"""One rule says who sees a project's instances (``cloudlab.identity.access``): the WebSocket lets a
user follow exactly the streams whose rows the tables show them, for alice (a student), bob
(another student) and ivy (the instructor)."""

import asyncio

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse

from cloudlab.compute.models import Instance
from cloudlab.identity.access import may_see_cloud, may_see_project, visible_projects
from cloudlab.live.events import cloud_stream, project_stream
from tests.live_sockets import communicator_factory, open_socket

pytestmark = pytest.mark.django_db(transaction=True)


def _socket_accepts(user, stream):
    """Whether the real consumer lets ``user`` join ``stream`` (closed with 4403 otherwise)."""
    make = communicator_factory(f"/ws/live/?streams={stream}", user)

    async def connect():
        communicator = make()
        hello, code = await open_socket(communicator)
        if hello is not None:
            await communicator.disconnect()
        else:
            assert code == 4403, f"{user} on {stream}: closed with {code}"
        return hello is not None

    return asyncio.run(connect())


def _page_shows(user, url):
    client = Client()
    client.force_login(user)
    status = client.get(url).status_code
    assert status in (200, 404), f"{url} answered {status}"
    return status == 200


def test_students_see_their_own_project_and_the_instructor_sees_every_project(alice, bob, ivy, demo_cloud):
    names = {user.username: set(visible_projects(user).values_list("name", flat=True)) for user in (alice, bob, ivy)}
    assert names == {"alice": {"alice"}, "bob": {"bob"}, "ivy": {"alice", "bob", "teaching"}}
    assert may_see_cloud(ivy, demo_cloud.pk) and not may_see_cloud(alice, demo_cloud.pk)


def test_the_socket_and_the_tables_agree_on_every_project(alice, bob, ivy, demo_cloud, launch, project_of):
    instances = {user.username: launch(user, name=f"{user.username}-vm")[0] for user in (alice, bob, ivy)}
    sees = {
        "alice": {"alice"},
        "bob": {"bob"},
        "ivy": {"alice", "bob", "ivy"},
    }
    for viewer in (alice, bob, ivy):
        for owner, instance in instances.items():
            expected = owner in sees[viewer.username]
            stream = project_stream(instance.project_id)
            on_socket = _socket_accepts(viewer, stream)
            in_table = Instance.objects.visible_to(viewer).filter(pk=instance.pk).exists()
            on_page = _page_shows(viewer, reverse("dashboard:instance", args=[instance.uuid]))
            assert (on_socket, in_table, on_page) == (expected,) * 3, f"{viewer} and {owner}'s instance"
            assert may_see_project(viewer, instance.project_id) is expected


def test_the_socket_and_the_admin_table_agree_on_the_cloud(alice, bob, ivy, demo_cloud):
    for viewer, expected in ((alice, False), (bob, False), (ivy, True)):
        on_socket = _socket_accepts(viewer, cloud_stream(demo_cloud.pk))
        on_page = _page_shows(viewer, reverse("dashboard:admin-instances-rows"))
        assert (on_socket, on_page) == (expected, expected), viewer


def test_nobody_logged_out_sees_a_project(demo_cloud, alice, launch, project_of):
    launch(alice, name="web")
    anonymous = AnonymousUser()
    assert not visible_projects(anonymous).exists()
    assert not may_see_project(anonymous, project_of(alice).pk)
    assert not Instance.objects.visible_to(anonymous).exists()
