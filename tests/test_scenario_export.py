"""Save a cloud as a scenario file (cloudlab.compute.scenario_export): what it writes, and the
round trip export → load_scenario into a new cloud → export again, identical."""

import pytest
import yaml
from django.core.management import call_command

from cloudlab.compute.actions.host import do_host_action
from cloudlab.compute.actions.scheduler_settings import do_update_scheduler
from cloudlab.compute.models import Cloud, Host, Instance
from cloudlab.compute.scenario_export import cloud_rows, export_scenario, scenario_document, scenario_yaml
from cloudlab.engine.scheduler import ScenarioError, parse_scheduler_config
from tests import steps

pytestmark = pytest.mark.django_db


def _round_trip(cloud, tmp_path):
    first = export_scenario(cloud)
    path = tmp_path / "saved.yaml"
    path.write_text(scenario_yaml(first), encoding="utf-8")
    name = cloud.name
    Instance.objects.filter(cloud=cloud).delete()
    cloud.delete()  # the uuids are unique across clouds: the copy is the only one
    call_command("load_scenario", str(path))
    return first, export_scenario(Cloud.objects.get(name=name))


def test_the_demo_cloud_round_trips_exactly(demo_cloud, tmp_path):
    hosts = sorted(demo_cloud.hosts.values_list("name", flat=True))
    first, second = _round_trip(demo_cloud, tmp_path)
    assert first == second
    assert [h["name"] for h in first["hosts"]] == hosts
    assert sum(len(h["instances"]) for h in first["hosts"]) == Instance.objects.filter(cloud__name="demo").count()


def test_a_changed_cloud_round_trips_with_its_changes(
    demo_cloud, ivy, alice, launch, tmp_path, django_capture_on_commit_callbacks
):
    host = Host.objects.filter(cloud=demo_cloud).order_by("name").first()
    do_host_action(ivy, host, "disable", "maintenance")
    config = parse_scheduler_config({**demo_cloud.scheduler_config, "ram_weight_multiplier": -1.0})
    do_update_scheduler(ivy, demo_cloud, config, {"cpu_allocation_ratio": 4.0})
    with django_capture_on_commit_callbacks(execute=False):
        launched = launch(alice, name="web")
        steps.schedule(launched[0])
        steps.run_to_end(launched[0])
    launched[0].refresh_from_db()
    assert launched[0].vm_state == "active" and launched[0].host is not None
    project, placed_on = launched[0].project.name, launched[0].host.name

    first, second = _round_trip(demo_cloud, tmp_path)
    assert first == second
    exported = {h["name"]: h for h in first["hosts"]}
    assert exported[host.name]["enabled"] is False
    assert first["scheduler"]["ram_weight_multiplier"] == -1.0
    assert {h["cpu_allocation_ratio"] for h in first["hosts"]} == {4.0}
    placed = [i for h in first["hosts"] for i in h["instances"] if i["uuid"] == str(launched[0].uuid)]
    assert placed == [
        {
            "uuid": str(launched[0].uuid),
            "name": "web",
            "flavor": "m1.tiny",
            "image": "cirros",
            "vm_state": "active",
            "project": project,
        }
    ]
    copy = Instance.objects.get(uuid=launched[0].uuid)
    assert (copy.host.name, copy.project.name, copy.vm_state) == (placed_on, project, "active")


def test_a_recorded_usage_is_written_only_where_it_differs(demo_cloud):
    rows = cloud_rows(demo_cloud)
    plain = scenario_document(rows)
    assert all("usage" not in h for h in plain["hosts"])
    rows.hosts[0]["usage"]["failed_builds"] = 3
    stated = scenario_document(rows)
    assert stated["hosts"][0]["usage"]["failed_builds"] == 3
    assert list(stated["hosts"][0])[-1] == "instances"


def test_a_cloud_the_format_cannot_say_is_refused_whole(demo_cloud):
    rows = cloud_rows(demo_cloud)
    rows.images.append({**rows.images[0], "id": "11111111-1111-4111-8111-111111111111"})
    with pytest.raises(ScenarioError) as refused:
        scenario_document(rows)
    assert any("image name" in p for p in refused.value.problems)


def test_the_file_is_yaml_in_the_formats_order(demo_cloud):
    text = scenario_yaml(export_scenario(demo_cloud))
    sections = ["name", "description", "scheduler", "aggregates", "hosts", "flavors", "images"]
    assert list(yaml.safe_load(text)) == sections


def test_server_groups_round_trip_with_their_policy_rules_project_and_members(demo_cloud, alice, tmp_path):
    from cloudlab.compute.actions.server_groups import create_server_group
    from cloudlab.compute.models import ServerGroup

    member = Instance.objects.filter(cloud=demo_cloud, vm_state="active").order_by("pk").first()
    spread = create_server_group(
        alice, member.project, name="spread", policy="anti-affinity", rules={"max_server_per_host": 2}
    )
    spread.members.add(member)
    empty = create_server_group(alice, member.project, name="later", policy="soft-affinity")
    first, second = _round_trip(demo_cloud, tmp_path)
    assert first == second
    assert first["server_groups"] == [
        {"name": "spread", "uuid": str(spread.uuid), "policy": "anti-affinity",
         "rules": {"max_server_per_host": 2}, "project": member.project.name, "members": [str(member.uuid)]},
        {"name": "later", "uuid": str(empty.uuid), "policy": "soft-affinity", "rules": {},
         "project": member.project.name, "members": []},
    ]  # fmt: skip
    loaded = ServerGroup.objects.get(uuid=spread.uuid)
    assert [str(u) for u in loaded.members.values_list("uuid", flat=True)] == [str(member.uuid)]
    assert loaded.project.name == member.project.name and loaded.cloud.name == demo_cloud.name
