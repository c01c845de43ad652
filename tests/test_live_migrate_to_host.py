"""Live Migrate (and Evacuate) to a host the instructor names: nova-api checks the name first, then
the scheduler runs with requested_destination (only that host, the filters still apply), and the
decision says the request named it.

Nova: nova/compute/api.py ``live_migrate`` (ComputeNodeList.get_all_by_host → ComputeHostNotFound,
400; a host without force becomes RequestSpec.requested_destination), the conductor's
``_check_destination_is_not_source`` (UnableToMigrateToSelf, 400 before microversion 2.34), and
nova/api/openstack/compute/evacuate.py ("Compute host … not found.", 404; "The target host can't
be the same one.", 400).
"""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from cloudlab.compute.models import Host, Instance, InstanceAction, Migration, SchedulingRecord
from cloudlab.dashboard.admin_instances import cloud_action_choices
from cloudlab.identity.models import Quota
from tests import steps


@pytest.fixture
def boot(launch, django_capture_on_commit_callbacks):
    def do(user, *, flavor="m1.tiny", name="vm"):
        with django_capture_on_commit_callbacks(execute=False):
            [instance] = launch(user, name=name, flavor=flavor, image="cirros")
            steps.schedule(instance)
            steps.run_to_end(instance)
        return Instance.objects.select_related("host").get(pk=instance.pk)

    return do


def _post(user, instance, capture, **data):
    client = Client()
    client.force_login(user)
    with capture(execute=False):
        return client.post(reverse("dashboard:instance-action", args=[instance.uuid]), data)


def _other_host(instance):
    return Host.objects.filter(cloud=instance.cloud).exclude(pk=instance.host_id).order_by("name").last()


def _unchanged(instance, action):
    fresh = Instance.objects.get(pk=instance.pk)
    assert (fresh.vm_state, fresh.task_state, fresh.host_id) == ("active", None, instance.host_id)
    assert not InstanceAction.objects.filter(instance=instance, action=action).exists()


def test_an_unknown_host_is_novas_compute_host_not_found(ivy, alice, boot, django_capture_on_commit_callbacks):
    vm = boot(alice)
    response = _post(ivy, vm, django_capture_on_commit_callbacks, action="live_migrate", host="compute-nowhere")
    assert response.status_code == 400
    body = response.json()
    assert (body["ok"], body["field"], body["message"]) == (
        False, "host", "Compute host compute-nowhere could not be found.",
    )  # fmt: skip
    _unchanged(vm, "os-migrateLive")


def test_the_current_host_is_unable_to_migrate_to_self(ivy, alice, boot, django_capture_on_commit_callbacks):
    vm = boot(alice)
    response = _post(ivy, vm, django_capture_on_commit_callbacks, action="live_migrate", host=vm.host.name)
    assert response.status_code == 400
    assert response.json()["message"] == f"Unable to migrate instance ({vm.uuid}) to current host ({vm.host.name})."
    _unchanged(vm, "os-migrateLive")


def test_the_chosen_host_is_where_the_instance_goes(ivy, alice, boot, django_capture_on_commit_callbacks):
    vm = boot(alice)
    target = _other_host(vm)
    response = _post(ivy, vm, django_capture_on_commit_callbacks, action="live_migrate", host=target.name)
    assert response.status_code == 202, response.json()
    with django_capture_on_commit_callbacks(execute=False):
        steps.run_to_end(vm, "os-migrateLive")
    fresh = Instance.objects.get(pk=vm.pk)
    assert (fresh.vm_state, fresh.task_state, fresh.host_id) == ("active", None, target.pk)
    assert Migration.objects.get(instance=fresh).status == Migration.Status.COMPLETED
    decision = SchedulingRecord.objects.filter(instance=fresh).latest("id")
    assert decision.trace["request"]["requested_destination"] == target.name
    assert decision.moment["request"]["requested_destination"] == target.name
    first = decision.trace["instances"][0]["filters"][0]
    assert first["name"] == "requested_destination"
    assert {h for h, v in first["verdicts"].items() if not v["passed"]} == {
        h.name for h in Host.objects.filter(cloud=vm.cloud).exclude(pk__in=[vm.host_id, target.pk])
    }


def test_the_filters_still_judge_the_chosen_host(ivy, alice, boot, django_capture_on_commit_callbacks):
    """A named host that is disabled: nova-api accepts (the name exists), ComputeFilter refuses
    it, and the live migration fails back to active on the source with Nova's NoValidHost."""
    vm = boot(alice)
    target = _other_host(vm)
    Host.objects.filter(pk=target.pk).update(enabled=False, disabled_reason="maintenance")
    response = _post(ivy, vm, django_capture_on_commit_callbacks, action="live_migrate", host=target.name)
    assert response.status_code == 202
    with django_capture_on_commit_callbacks(execute=False):
        steps.run_to_end(vm, "os-migrateLive")
    fresh = Instance.objects.get(pk=vm.pk)
    assert (fresh.vm_state, fresh.task_state, fresh.host_id) == ("active", None, vm.host_id)
    assert fresh.fault["message"].startswith("No valid host was found.")
    decision = SchedulingRecord.objects.filter(instance=fresh).latest("id")
    stages = decision.trace["instances"][0]["filters"]
    assert stages[0]["hosts_out"] == 1
    assert any(not v["passed"] for s in stages[1:] for h, v in s["verdicts"].items() if h == target.name)


def test_no_host_leaves_it_to_the_scheduler(ivy, alice, boot, django_capture_on_commit_callbacks):
    vm = boot(alice)
    response = _post(ivy, vm, django_capture_on_commit_callbacks, action="live_migrate", host="")
    assert response.status_code == 202
    with django_capture_on_commit_callbacks(execute=False):
        steps.run_to_end(vm, "os-migrateLive")
    decision = SchedulingRecord.objects.filter(instance=vm).latest("id")
    assert "requested_destination" not in decision.trace["request"]
    assert Instance.objects.get(pk=vm.pk).host_id != vm.host_id


def test_evacuate_names_its_host_in_novas_words(ivy, alice, boot, django_capture_on_commit_callbacks):
    vm = boot(alice)
    Host.objects.filter(pk=vm.host_id).update(up=False)
    unknown = _post(ivy, vm, django_capture_on_commit_callbacks, action="evacuate", host="compute-nowhere")
    assert (unknown.status_code, unknown.json()["message"]) == (404, "Compute host compute-nowhere not found.")
    same = _post(ivy, vm, django_capture_on_commit_callbacks, action="evacuate", host=vm.host.name)
    assert (same.status_code, same.json()["message"]) == (400, "The target host can't be the same one.")
    target = _other_host(vm)
    accepted = _post(ivy, vm, django_capture_on_commit_callbacks, action="evacuate", host=target.name)
    assert accepted.status_code == 202
    with django_capture_on_commit_callbacks(execute=False):
        steps.run_to_end(vm, "evacuate")
    assert Instance.objects.get(pk=vm.pk).host_id == target.pk


def test_a_chinese_reader_gets_novas_refusal_in_chinese(ivy, alice, boot, django_capture_on_commit_callbacks):
    vm = boot(alice)
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(ivy)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            reverse("dashboard:instance-action", args=[vm.uuid]), {"action": "live_migrate", "host": "x"}
        )
    assert response.json()["message"] == "找不到计算主机 x。"


def test_admin_instances_choices_are_each_instances_own_project(ivy, alice, bob, boot, project_of):
    """Admin → Instances' resize reasons read each instance's own project's quota, and the host
    list is every compute host of the cloud."""
    alices = boot(alice, flavor="m1.small")
    bobs = boot(bob, flavor="m1.small", name="bobs")
    Quota.objects.filter(project__name="bob").update(cores=1)
    with translation.override("en"):
        choices = cloud_action_choices(project_of(ivy))
    over = "Quota exceeded for cores: Requested 1, but already used 1 of 1 cores"
    assert choices["resize"][str(bobs.uuid)]["3"] == [over]
    assert choices["resize"][str(alices.uuid)]["3"] == []
    assert choices["hosts"] == sorted(Host.objects.filter(cloud=alices.cloud).values_list("name", flat=True))
