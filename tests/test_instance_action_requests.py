"""Illegal actions that arrive anyway (a stale page, a crafted request) are refused with Nova's
text, and nothing changes; the row offers exactly what is legal."""

import pytest
from django.test import Client
from django.urls import reverse

from cloudlab.compute.models import Host, Instance, InstanceAction, Migration
from cloudlab.compute.rows import instance_row
from cloudlab.engine import lifecycle
from tests import steps


@pytest.fixture
def running(alice, launch, django_capture_on_commit_callbacks):
    """An instance that finished building (the build steps applied in this thread)."""
    with django_capture_on_commit_callbacks(execute=False):
        [instance] = launch(alice, name="vm")
        steps.schedule(instance)
        steps.run_to_end(instance)
    instance.refresh_from_db()
    assert instance.vm_state == "active"
    return instance


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _post(client, instance, action, **params):
    return client.post(reverse("dashboard:instance-action", args=[instance.uuid]), {"action": action, **params})


def test_an_illegal_action_gets_novas_409_and_changes_nothing(alice, running):
    Instance.objects.filter(pk=running.pk).update(vm_state="stopped", power_state=4)
    response = _post(_client(alice), running, "reboot_soft")
    assert response.status_code == 409
    assert response.json()["message"] == f"Cannot 'reboot' instance {running.uuid} while it is in vm_state stopped"
    fresh = Instance.objects.get(pk=running.pk)
    assert (fresh.vm_state, fresh.task_state) == ("stopped", None)
    assert not InstanceAction.objects.filter(instance=running, action="reboot").exists()


def test_a_locked_instance_refuses_a_student_but_not_the_instructor(
    alice, ivy, running, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        assert _post(_client(ivy), running, "lock").status_code == 202
        response = _post(_client(alice), running, "stop")
        assert response.status_code == 409
        assert response.json()["message"] == f"Instance {running.uuid} is locked"
        assert _post(_client(ivy), running, "stop").status_code == 202
    assert Instance.objects.get(pk=running.pk).task_state == "powering-off"


def test_a_student_cannot_migrate(alice, running):
    response = _post(_client(alice), running, "migrate")
    assert response.status_code == 403
    assert "Policy doesn't allow" in response.json()["message"]


def test_another_projects_instance_is_not_found(bob, running):
    assert _post(_client(bob), running, "stop").status_code == 404


@pytest.mark.parametrize(
    ("action", "params", "field", "message"),
    [
        ("explode", {}, None, "Unknown action 'explode'."),
        ("resize", {"flavor": "999"}, "flavor", "Select a flavor of this cloud"),
        ("resize", {"flavor": "1"}, "flavor", "When resizing, instances must change flavor!"),
        ("create_snapshot", {"name": ""}, "name", "Snapshot name is required."),
        ("rebuild", {"image": "not-a-uuid"}, "image", "Select an image of this cloud"),
    ],
)
def test_bad_parameters_are_named(alice, running, action, params, field, message):
    response = _post(_client(alice), running, action, **params)
    assert response.status_code == 400
    assert response.json()["field"] == field and message in response.json()["message"]
    assert Instance.objects.get(pk=running.pk).task_state is None


def test_the_row_offers_exactly_the_legal_actions(running):
    row = instance_row(running, for_instructor=False)
    expected = lifecycle.allowed_actions(
        vm_state="active", task_state=None, launched=True, locked=False, has_host=True, host_up=True, is_admin=False
    )
    assert row["actions"] == expected
    for name in row["actions"]:  # and each one offered is accepted by the gate
        assert (
            lifecycle.refusal(
                name,
                instance_id="x",
                vm_state="active",
                task_state=None,
                launched=True,
                locked=False,
                has_host=True,
                host_up=True,
                is_admin=False,
            )
            is None
        )
    assert "start" not in row["actions"] and "stop" in row["actions"] and "migrate" not in row["actions"]
    assert "migrate" in instance_row(running, for_instructor=True)["actions"]


def test_a_batch_reports_each_row(alice, running, launch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        [other] = launch(alice, name="other")  # still building: cannot be stopped
        response = _client(alice).post(
            reverse("dashboard:batch-action"), {"action": "stop", "ids": [str(running.uuid), str(other.uuid)]}
        )
    results = {r["id"]: r for r in response.json()["results"]}
    assert results[str(running.uuid)]["ok"] is True
    assert results[str(other.uuid)]["ok"] is False
    assert results[str(other.uuid)]["message"] == f"Instance {other.uuid} is not ready"  # stop checks the host first


def test_only_batch_actions_are_batched(alice, running):
    response = _client(alice).post(reverse("dashboard:batch-action"), {"action": "resize", "ids": [str(running.uuid)]})
    assert response.status_code == 400


def test_shelve_offload_is_the_admins_and_a_student_never_sees_it(
    alice, ivy, running, django_capture_on_commit_callbacks
):
    """nova/policies/shelve.py: os-shelve:shelve_offload defaults to ADMIN, checked before the state."""
    Instance.objects.filter(pk=running.pk).update(vm_state="shelved", power_state=4)
    shelved = Instance.objects.for_table().get(pk=running.pk)
    assert "shelve_offload" not in instance_row(shelved, for_instructor=False)["actions"]
    assert "shelve_offload" in instance_row(shelved, for_instructor=True)["actions"]
    response = _post(_client(alice), running, "shelve_offload")
    assert response.status_code == 403
    assert response.json()["message"] == (
        "Policy doesn't allow os_compute_api:os-shelve:shelve_offload to be performed."
    )
    assert not InstanceAction.objects.filter(instance=running, action="shelveOffload").exists()
    with django_capture_on_commit_callbacks(execute=False):
        assert _post(_client(ivy), running, "shelve_offload").status_code == 202
    assert Instance.objects.get(pk=running.pk).task_state == "shelving_offloading"


@pytest.mark.books_unbalanced  # a resize made up by hand: the source holds no claim for it
def test_confirm_resize_waits_for_the_source_compute_service(alice, ivy, running):
    """nova/compute/api.py confirm_resize: ServiceUnavailable (409) while the source host is down."""
    source = Host.objects.exclude(pk=running.host_id).filter(cloud=running.cloud).first()
    Migration.objects.create(
        instance=running,
        kind=Migration.Kind.RESIZE,
        status=Migration.Status.FINISHED,
        source_host=source,
        dest_host=running.host,
        old_flavor=running.flavor,
        new_flavor=running.flavor,
        old_vm_state="active",
    )
    Instance.objects.filter(pk=running.pk).update(vm_state="resized")
    Host.objects.filter(pk=source.pk).update(up=False)
    resized = Instance.objects.for_table().get(pk=running.pk)
    row = instance_row(resized, for_instructor=False)
    assert "confirm_resize" not in row["actions"] and "revert_resize" in row["actions"]
    response = _post(_client(alice), running, "confirm_resize")
    assert response.status_code == 409
    assert response.json()["message"] == "Service is unavailable at this time."
    assert Instance.objects.get(pk=running.pk).vm_state == "resized"
    Host.objects.filter(pk=source.pk).update(up=True)
    assert (
        "confirm_resize"
        in instance_row(Instance.objects.for_table().get(pk=running.pk), for_instructor=False)["actions"]
    )
