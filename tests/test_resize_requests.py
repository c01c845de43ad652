"""A resize request meets nova-api's checks: each refusal gets Nova's text and status and changes
nothing; what only the host's driver refuses (a disk it cannot shrink) nova-api accepts."""

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from cloudlab.compute.models import Flavor, Instance, InstanceAction
from cloudlab.dashboard.instances import action_choices
from cloudlab.identity.models import Quota
from tests import steps


@pytest.fixture
def boot(alice, launch, django_capture_on_commit_callbacks):
    """Boot an instance of alice's to active (its steps applied in this thread)."""

    def do(*, flavor="m1.tiny", image="cirros"):
        with django_capture_on_commit_callbacks(execute=False):
            [instance] = launch(alice, name="vm", flavor=flavor, image=image)
            steps.schedule(instance)
            steps.run_to_end(instance)
        instance.refresh_from_db()
        assert instance.vm_state == "active"
        return instance

    return do


def _resize(user, instance, flavor_id):
    client = Client()
    client.force_login(user)
    return client.post(
        reverse("dashboard:instance-action", args=[instance.uuid]), {"action": "resize", "flavor": flavor_id}
    )


def _refused(response, instance, status, message):
    assert response.status_code == status
    body = response.json()
    assert body["ok"] is False and body["field"] == "flavor"
    assert body["message"] == message
    fresh = Instance.objects.get(pk=instance.pk)
    assert (fresh.vm_state, fresh.task_state, fresh.flavor_id) == ("active", None, instance.flavor_id)
    assert not InstanceAction.objects.filter(instance=instance, action="resize").exists()


def test_an_unknown_flavor_is_named(alice, boot):
    vm = boot()
    _refused(_resize(alice, vm, "999"), vm, 400, "Select a flavor of this cloud to resize to.")


def test_the_current_flavor_is_refused(alice, boot):
    vm = boot()
    _refused(_resize(alice, vm, "1"), vm, 400, "When resizing, instances must change flavor!")


def test_a_zero_disk_flavor_is_refused(alice, boot):
    vm = boot()  # m1.tiny: 1 GB root disk; m1.nano has none
    _refused(
        _resize(alice, vm, "42"),
        vm,
        400,
        "Server disk was unable to be resized because: Resize to zero disk flavor is not allowed.",
    )


def test_the_upsize_over_the_quota_is_refused_with_a_403(alice, boot):
    vm = boot()
    Quota.objects.filter(project__name="alice").update(cores=1)
    _refused(
        _resize(alice, vm, "3"),  # m1.medium: 2 vCPUs, one more than m1.tiny's
        vm,
        403,
        "Quota exceeded for cores: Requested 1, but already used 1 of 1 cores",
    )


def test_a_flavor_below_the_images_min_disk_is_refused(alice, boot):
    vm = boot(flavor="m1.small", image="ubuntu")
    _refused(
        _resize(alice, vm, "1"),  # m1.tiny's 1 GB root < ubuntu's min_disk 3 GB
        vm,
        400,
        "Flavor's disk is smaller than the minimum size specified in image metadata: m1.tiny has 1 GB, "
        "ubuntu needs at least 3 GB (min_disk).",
    )


def test_a_flavor_below_the_images_min_ram_is_refused(alice, boot, demo_cloud):
    vm = boot(flavor="m1.small", image="ubuntu")
    Flavor.objects.create(cloud=demo_cloud, flavorid="7", name="m1.lowram", vcpus=1, memory_mb=256, root_gb=20)
    _refused(
        _resize(alice, vm, "7"),
        vm,
        400,
        "Flavor's memory is too small for requested image: m1.lowram has 256 MB, ubuntu needs at least 512 MB "
        "(min_ram).",
    )


def test_a_disk_the_driver_cannot_shrink_is_accepted_by_nova_api(alice, boot, django_capture_on_commit_callbacks):
    """libvirt's ResizeError comes from nova-compute (migrate_disk_and_power_off), after nova-api
    answered 202: the request is not refused here."""
    vm = boot(flavor="m1.small")  # 20 GB root disk on a KVM or LXC host (libvirt), or VirtualBox
    with django_capture_on_commit_callbacks(execute=False):
        response = _resize(alice, vm, "1")  # m1.tiny: 1 GB
    assert response.status_code == 202
    assert Instance.objects.get(pk=vm.pk).task_state == "resize_prep"


def test_the_dialog_greys_exactly_what_the_writer_refuses(alice, boot, project_of, django_capture_on_commit_callbacks):
    """action_choices gives each instance's flavors the writer's own reasons (the driver's too),
    and for every flavor the writer answers as the dialog says."""
    vm = boot(flavor="m1.small")
    Quota.objects.filter(project__name="alice").update(cores=2)
    reasons = action_choices(project_of(alice))["resize"][str(vm.uuid)]
    assert reasons["2"] == ["When resizing, instances must change flavor!"]
    assert reasons["42"] == ["Server disk was unable to be resized because: Resize to zero disk flavor is not allowed."]
    assert reasons["4"] == ["Quota exceeded for cores: Requested 3, but already used 1 of 2 cores"]
    [shrink] = reasons["1"]
    assert shrink.startswith("Resize error: Unable to resize disk down.")
    assert [flavor_id for flavor_id, found in reasons.items() if not found] == ["3"]
    for flavor_id, found in reasons.items():
        with transaction.atomic(), django_capture_on_commit_callbacks(execute=False):
            response = _resize(alice, vm, flavor_id)
            transaction.set_rollback(True)
        if found and not found[0].startswith("Resize error"):
            assert (response.status_code, response.json()["message"]) in ((400, found[0]), (403, found[0]))
        else:  # offered, or refused by the host's driver only once nova-api has accepted
            assert response.status_code == 202, (flavor_id, response.json())


def test_another_projects_instances_are_not_in_the_dialogs_choices(alice, bob, boot, project_of):
    vm = boot()
    assert str(vm.uuid) in action_choices(project_of(alice))["resize"]
    assert str(vm.uuid) not in action_choices(project_of(bob))["resize"]
