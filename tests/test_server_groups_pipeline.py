"""Server groups through the boot pipeline: the hint ``group`` joins the group before the
scheduler's pass, whose request carries the group (policy, rules, members), so the affinity
filters place the members (nova-semantics.md; Nova's ServerGroup(Anti)AffinityFilter)."""

from __future__ import annotations

import pytest

from cloudlab.compute.actions import launch as launching
from cloudlab.compute.actions import server_groups as groups
from cloudlab.compute.actions.errors import ActionError
from cloudlab.compute.models import Flavor, Host, Image, Instance, SchedulingRecord
from cloudlab.compute.scheduling import schedule_request
from cloudlab.engine.lifecycle import VmState
from tests import steps

pytestmark = pytest.mark.django_db


def _boot(user, project, name, group, count=1):
    image = Image.objects.get(cloud=project.cloud, name="cirros")
    flavor = Flavor.objects.get(cloud=project.cloud, name="m1.tiny")
    request = launching.check_launch(
        user, project, name=name, count=count, image_id=str(image.uuid), flavor_id=flavor.flavorid
    )
    return launching.do_launch(user, request, scheduler_hints={"group": [str(group.uuid)]})


def _placed(instance):
    steps.schedule(instance)
    instance.refresh_from_db()
    return instance


def test_an_anti_affinity_group_of_two_is_on_two_hosts(alice, project_of, django_capture_on_commit_callbacks):
    project = project_of(alice)
    group = groups.create_server_group(alice, project, name="spread", policy="anti-affinity")
    with django_capture_on_commit_callbacks(execute=False):
        [one] = _boot(alice, project, "a", group)
        one = _placed(one)
        [two] = _boot(alice, project, "b", group)
        request = schedule_request(two)
        assert request.server_group is not None and request.server_group.policy == "anti-affinity"
        assert set(request.server_group.members) == {str(one.uuid), str(two.uuid)}
        two = _placed(two)
    assert one.host is not None and two.host is not None and one.host != two.host
    assert list(group.live_members()) == [one, two]
    verdicts = SchedulingRecord.objects.get(instance=two).trace["instances"][0]["filters"]
    anti = next(f for f in verdicts if f["name"] == "ServerGroupAntiAffinityFilter")
    assert anti["verdicts"][one.host.name]["passed"] is False


def test_an_affinity_group_is_on_one_host(alice, project_of, django_capture_on_commit_callbacks):
    project = project_of(alice)
    group = groups.create_server_group(alice, project, name="together", policy="affinity")
    with django_capture_on_commit_callbacks(execute=False):
        placed = [_placed(i) for i in _boot(alice, project, "a", group)]
        placed += [_placed(i) for i in _boot(alice, project, "b", group)]
        placed += [_placed(i) for i in _boot(alice, project, "c", group)]
    assert len({i.host_id for i in placed}) == 1 and placed[0].host is not None


def test_a_third_in_a_full_anti_affinity_group_fails_with_the_filters_reason(
    alice, project_of, django_capture_on_commit_callbacks
):
    project = project_of(alice)
    Host.objects.filter(cloud=project.cloud).exclude(name__in=["compute-kvm1", "compute-kvm2"]).update(
        enabled=False, disabled_reason="maintenance"
    )
    group = groups.create_server_group(alice, project, name="spread", policy="anti-affinity")
    with django_capture_on_commit_callbacks(execute=False):
        first = [_placed(i) for i in _boot(alice, project, "a", group, count=2)]
        [third] = _boot(alice, project, "c", group)
        steps.schedule(third)
    assert {i.host.name for i in first} == {"compute-kvm1", "compute-kvm2"}
    third.refresh_from_db()
    assert third.vm_state == VmState.ERROR and third.host is None
    record = SchedulingRecord.objects.get(instance=third)
    assert record.outcome == "NoValidHost"
    assert record.detail == "No valid host was found. There are not enough hosts available."  # Nova's words
    # The reason is the filter's, on each host it rejected (the decision page shows it).
    anti = next(f for f in record.trace["instances"][0]["filters"] if f["name"] == "ServerGroupAntiAffinityFilter")
    for host in ("compute-kvm1", "compute-kvm2"):
        verdict = anti["verdicts"][host]
        assert verdict["passed"] is False
        assert verdict["reason"] == "1 members of spread here ≥ max_server_per_host 1"


def test_rules_let_two_members_share_a_host(alice, project_of, django_capture_on_commit_callbacks):
    project = project_of(alice)
    Host.objects.filter(cloud=project.cloud).exclude(name="compute-kvm1").update(enabled=False)
    group = groups.create_server_group(
        alice, project, name="pairs", policy="anti-affinity", rules={"max_server_per_host": 2}
    )
    with django_capture_on_commit_callbacks(execute=False):
        placed = [_placed(i) for i in _boot(alice, project, "a", group, count=2)]
    assert {i.host.name for i in placed} == {"compute-kvm1"}


def test_the_member_quota_and_a_group_of_another_project(alice, bob, project_of, monkeypatch):
    project = project_of(alice)
    group = groups.create_server_group(alice, project, name="g", policy="soft-affinity")
    monkeypatch.setattr(groups, "SERVER_GROUP_MEMBERS_QUOTA", 2)
    _boot(alice, project, "one", group)
    with pytest.raises(ActionError) as refused:
        _boot(alice, project, "many", group, count=2)
    assert refused.value.status == 403 and refused.value.message == groups.TOO_MANY_MEMBERS
    assert not Instance.objects.filter(project=project, name__startswith="many").exists()
    theirs = groups.create_server_group(bob, project_of(bob), name="b", policy="affinity")
    with pytest.raises(ActionError) as refused:
        _boot(alice, project, "x", theirs)
    assert refused.value.status == 404 and str(theirs.uuid) in refused.value.message


def test_a_deleted_instance_leaves_the_group(alice, project_of, django_capture_on_commit_callbacks):
    project = project_of(alice)
    group = groups.create_server_group(alice, project, name="g", policy="anti-affinity")
    with django_capture_on_commit_callbacks(execute=False):
        [one] = _boot(alice, project, "a", group)
        Instance.objects.filter(pk=one.pk).update(vm_state=VmState.DELETED)
    assert list(group.live_members()) == []


def test_create_validates_and_counts_the_quota(alice, project_of):
    project = project_of(alice)
    for kwargs, field in [
        ({"name": " ", "policy": "affinity"}, "name"),
        ({"name": "g", "policy": "spread"}, "policy"),
        ({"name": "g", "policy": "affinity", "rules": {"max_server_per_host": 2}}, "rules"),
        ({"name": "g", "policy": "anti-affinity", "rules": {"max_server_per_host": 0}}, "rules"),
        ({"name": "g", "policy": "anti-affinity", "rules": {"other": 1}}, "rules"),
    ]:
        with pytest.raises(ActionError) as refused:
            groups.create_server_group(alice, project, **kwargs)
        assert refused.value.field == field and refused.value.status == 400
    for n in range(groups.SERVER_GROUPS_QUOTA):
        groups.create_server_group(alice, project, name=f"g{n}", policy="affinity")
    with pytest.raises(ActionError) as refused:
        groups.create_server_group(alice, project, name="one-more", policy="affinity")
    assert refused.value.status == 403 and refused.value.message == groups.TOO_MANY_GROUPS


def _active(instance):
    with_steps = Instance.objects.get(pk=instance.pk)
    steps.run_to_end(with_steps, "create")
    return Instance.objects.select_related("host").get(pk=instance.pk)


def _migrate(user, instance):
    from cloudlab.compute.actions.instance import do_instance_action

    do_instance_action(user, Instance.objects.get(pk=instance.pk), "migrate", {})
    steps.run_next_step(instance)
    return SchedulingRecord.objects.filter(instance=instance).latest("id")


def test_a_migrated_member_keeps_the_policy(alice, ivy, project_of, django_capture_on_commit_callbacks):
    """Nova's group hosts include the move's source: an anti-affinity member goes to a host with
    no other member; an affinity member has nowhere to go (its group is on the source only)."""
    project = project_of(alice)
    apart = groups.create_server_group(alice, project, name="apart", policy="anti-affinity")
    together = groups.create_server_group(alice, project, name="together", policy="affinity")
    with django_capture_on_commit_callbacks(execute=False):
        one, two = (_active(i) for i in _boot(alice, project, "a", apart, count=2))
        record = _migrate(ivy, one)
        assert record.outcome != "NoValidHost", record.detail
        assert record.selected_host not in (one.host.name, two.host.name)
        pair = [_active(i) for i in _boot(alice, project, "t", together, count=2)]
        assert pair[0].host_id == pair[1].host_id
        record = _migrate(ivy, pair[0])
    assert record.outcome == "NoValidHost"
    affinity = next(f for f in record.trace["instances"][0]["filters"] if f["name"] == "ServerGroupAffinityFilter")
    assert all(not v["passed"] for v in affinity["verdicts"].values())
    assert f"group together is on {pair[0].host.name}, not here" in {v["reason"] for v in affinity["verdicts"].values()}


def test_a_moves_moment_keeps_the_groups_hosts_for_replay(alice, ivy, project_of, django_capture_on_commit_callbacks):
    from cloudlab.engine.scheduler import moment_from_dict, rerun

    project = project_of(alice)
    together = groups.create_server_group(alice, project, name="together", policy="affinity")
    with django_capture_on_commit_callbacks(execute=False):
        pair = [_active(i) for i in _boot(alice, project, "t", together, count=2)]
        record = _migrate(ivy, pair[0])
    assert record.moment["request"]["server_group"]["hosts"] == [pair[0].host.name]
    replayed = rerun(moment_from_dict(record.moment))
    assert replayed["error"] is not None and replayed["error"]["type"] == "NoValidHost"
