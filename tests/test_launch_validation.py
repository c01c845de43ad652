"""Bad launch requests get a clear answer and create nothing."""

import pytest
from django.test import Client
from django.urls import reverse

from cloudlab.compute.actions import launch as actions
from cloudlab.compute.actions.errors import ActionError
from cloudlab.compute.models import Flavor, Image, Instance
from cloudlab.identity.models import Quota


def _post(client, **fields):
    data = {"name": "web", "count": "1", "image": None, "flavor": "1"}
    data.update(fields)
    if data["image"] is None:
        data["image"] = str(Image.objects.get(name="cirros").uuid)
    return client.post(reverse("dashboard:launch"), data)


@pytest.fixture
def alice_client(alice):
    client = Client()
    client.force_login(alice)
    return client


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": ""}, "name", "Instance name is required."),
        ({"name": "   "}, "name", "Instance name is required."),
        ({"name": "x" * 256}, "name", "256 characters long; at most 255"),
        ({"name": "bad\x07name"}, "name", "control characters"),
        ({"count": "0"}, "count", "between 1 and 10; you asked for 0"),
        ({"count": "eleven"}, "count", "Count must be a whole number."),
        ({"image": "not-a-uuid"}, "image", "Select an image of this cloud"),
        ({"image": "00000000-0000-4000-8000-000000000000"}, "image", "Select an image of this cloud"),
        ({"flavor": "999"}, "flavor", "Select a flavor of this cloud"),
        ({"flavor": "42", "image": "ubuntu"}, "flavor", "Flavor's memory is too small for requested image"),
    ],
)
def test_bad_launch_is_refused_and_creates_nothing(alice_client, fields, field, message):
    if fields.get("image") == "ubuntu":
        fields["image"] = str(Image.objects.get(name="ubuntu").uuid)
    response = _post(alice_client, **fields)
    assert response.status_code == 400
    body = response.json()
    assert body["ok"] is False and body["field"] == field
    assert message in body["message"]
    assert not Instance.objects.filter(project__name="alice").exists()


def test_a_flavor_too_small_for_the_image_names_the_numbers(alice_client):
    ubuntu = Image.objects.get(name="ubuntu")
    response = _post(alice_client, image=str(ubuntu.uuid), flavor="1")  # m1.tiny: 1 GB root < 3 GB min_disk
    assert response.status_code == 400
    assert "m1.tiny has 1 GB, ubuntu needs at least 3 GB (min_disk)" in response.json()["message"]


def test_over_quota_is_refused_with_novas_words(alice_client, alice):
    Quota.objects.filter(project__name="alice").update(cores=2)
    response = _post(alice_client, flavor="3", count="2")  # 2 × m1.medium = 4 vCPUs > 2
    assert response.status_code == 403
    assert "Quota exceeded for cores: Requested 4, but already used 0 of 2 cores" in response.json()["message"]
    assert not Instance.objects.filter(project__name="alice").exists()


def test_another_clouds_flavor_is_unknown_here(alice_client, demo_cloud):
    from cloudlab.compute.models import Cloud

    other = Cloud.objects.create(name="other")
    Flavor.objects.create(cloud=other, flavorid="777", name="m9.huge", vcpus=1, memory_mb=64)
    response = _post(alice_client, flavor="777")
    assert response.status_code == 400 and response.json()["field"] == "flavor"


def test_a_post_without_csrf_token_is_refused(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = _post(client)
    assert response.status_code == 403
    assert not Instance.objects.filter(project__name="alice").exists()


def test_another_projects_instance_is_not_found(alice, bob, launch):
    [instance] = launch(bob, name="bobs")
    client = Client()
    client.force_login(alice)
    assert client.get(reverse("dashboard:instance", args=[instance.uuid])).status_code == 404
    assert client.get(reverse("dashboard:instance-json", args=[instance.uuid])).status_code == 404


def test_the_instructor_sees_every_instance_of_her_cloud(ivy, bob, launch):
    [instance] = launch(bob, name="bobs")
    client = Client()
    client.force_login(ivy)
    assert client.get(reverse("dashboard:instance", args=[instance.uuid])).status_code == 200
    rows = client.get(reverse("dashboard:admin-instances-rows")).json()["rows"]
    assert "bobs" in {r["name"] for r in rows}
    assert all("host" in r for r in rows)


def test_students_do_not_get_the_admin_panels(alice):
    client = Client()
    client.force_login(alice)
    assert client.get(reverse("dashboard:admin-instances")).status_code == 404


def test_launch_needs_a_login(demo_cloud):
    response = Client().post(reverse("dashboard:launch"), {"name": "x"})
    assert response.status_code == 302 and "/auth/login/" in response["Location"]


def test_a_multi_create_names_instances_as_nova_does(alice, launch):
    created = launch(alice, name="web", count=3)
    assert [i.name for i in created] == ["web-1", "web-2", "web-3"]


def test_the_dialog_greys_out_what_the_action_would_refuse(alice_client, alice, project_of):
    Quota.objects.filter(project__name="alice").update(ram=1024)
    choices = alice_client.get(reverse("dashboard:launch-choices")).json()
    flavors = {f["name"]: f for f in choices["flavors"]}
    ubuntu = str(Image.objects.get(name="ubuntu").uuid)
    assert flavors["m1.tiny"]["quota"] == []
    assert "Quota exceeded for ram: Requested 2048, but already used 0 of 1024 ram" in flavors["m1.small"]["quota"]
    assert flavors["m1.nano"]["image"][ubuntu]  # 64 MB < ubuntu's 512 MB min_ram
    for name, flavor in flavors.items():
        for image_id, reasons in flavor["image"].items():
            with_action = _refused(alice, project_of(alice), image_id, flavor["id"])
            assert bool(reasons or flavor["quota"]) == with_action, name


def _refused(user, project, image_id, flavor_id):
    try:
        actions.check_launch(user, project, name="x", count=1, image_id=image_id, flavor_id=flavor_id)
    except ActionError:
        return True
    return False
