"""manage.py load_scenario: a valid file makes a cloud; an invalid one lists every problem and
makes nothing."""

import pytest
from django.core.management import CommandError, call_command

from cloudlab.compute.models import Cloud, Host, Instance
from cloudlab.identity.models import Membership


def test_a_scenario_and_classroom_make_a_cloud(db, tmp_path, capsys):
    scenario = tmp_path / "lab.yaml"
    scenario.write_text(
        "name: lab\nhosts:\n"
        "  - {name: c1, vcpus: 4, memory_mb: 8192, local_gb: 100,\n"
        "     instances: [{uuid: 6d2d1c7e-0000-4000-8000-0000000000aa, name: web, flavor: m1.small, project: p1}]}\n"
        "  - {name: c2, vcpus: 8, memory_mb: 16384, local_gb: 200}\n"
    )
    people = tmp_path / "people.yaml"
    people.write_text("people:\n  - {username: sam, password: long-enough, role: student, projects: [p1]}\n")
    call_command("load_scenario", scenario, classroom=people, pace=0)
    cloud = Cloud.objects.get(name="lab")
    assert cloud.pace == 0 and cloud.era == "classic"
    c1 = Host.objects.get(cloud=cloud, name="c1")
    assert c1.memory_mb_used == 512 + 2048 and c1.ram_allocation_ratio == 1.5
    assert Instance.objects.get(cloud=cloud).fixed_ip == "10.0.0.2"
    assert Membership.objects.get(user__username="sam").project.name == "p1"
    assert "cloud 'lab': 2 hosts, 8 flavors, 2 images" in capsys.readouterr().out


def test_an_invalid_scenario_lists_every_problem_and_makes_nothing(db, tmp_path):
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(
        "name: bad\nscheduler: {host_subset_size: 0, enabled_filters: [RamFiltr]}\n"
        "hosts:\n  - {name: c1, vcpus: -1, memory_mb: 8192, local_gb: 100}\n"
        "  - {name: c1, vcpus: 2, memory_mb: 1, local_gb: 1}\n"
    )
    with pytest.raises(CommandError) as error:
        call_command("load_scenario", scenario)
    message = str(error.value)
    assert "scheduler.host_subset_size: must be a positive integer" in message
    assert "did you mean 'RamFilter'" in message
    assert "hosts[0].vcpus" in message and "hosts[1].name" in message
    assert not Cloud.objects.filter(name="bad").exists()


def test_an_invalid_classroom_makes_nothing(db, tmp_path):
    scenario = tmp_path / "ok.yaml"
    scenario.write_text("name: ok\nhosts:\n  - {name: c1, vcpus: 2, memory_mb: 4096, local_gb: 40}\n")
    people = tmp_path / "people.yaml"
    people.write_text("people:\n  - {username: sam, password: short, role: dean, projects: []}\n")
    with pytest.raises(CommandError) as error:
        call_command("load_scenario", scenario, classroom=people)
    assert "people[0].password" in str(error.value) and "people[0].role" in str(error.value)
    assert not Cloud.objects.filter(name="ok").exists()


def test_the_demo_loads_once(db):
    call_command("load_demo", pace=0)
    call_command("load_demo", pace=0)
    assert Cloud.objects.filter(name="demo").count() == 1


def test_a_scenario_with_a_cluster_loads_its_cluster(db):
    from cloudlab.kube.models import Cluster

    call_command("load_scenario", "fixtures/scenarios/kubernetes-lab.yaml", pace=0)
    cluster = Cluster.objects.get()
    assert cluster.members.count() == 3
    assert cluster.kube_objects.filter(resource="deployments").count() == 1
