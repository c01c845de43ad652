"""The project a user lands in with none chosen: the one they were given first (their course's),
not the first by name, so a sandbox or experiment cloud made for them later never takes over."""

import pytest
from django.test import Client
from django.urls import reverse

from cloudlab.compute.models import Cloud
from cloudlab.identity.models import Membership, Project

pytestmark = pytest.mark.django_db


def test_a_user_with_no_project_chosen_lands_in_the_first_one_they_were_given(demo_cloud, alice):
    course = Membership.objects.filter(user=alice).order_by("pk").first().project
    sandbox_cloud = Cloud.objects.create(name="aaa-sandbox")  # sorts before the course's cloud
    sandbox = Project.objects.create(cloud=sandbox_cloud, name="sandbox")
    Membership.objects.create(user=alice, project=sandbox)
    client = Client()
    client.force_login(alice)
    page = client.get(reverse("dashboard:instances"))
    assert page.status_code == 200
    assert client.session["cloudlab_project_id"] == course.pk


def test_an_error_message_is_a_bootstrap_danger_alert(settings):
    from django.contrib.messages import constants
    from django.contrib.messages.storage.base import Message

    assert Message(constants.ERROR, "x").tags == "danger"
