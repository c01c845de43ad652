"""An over-committed host loads, balances, shows red with its numbers, and takes no new instance.

The cloud: compute1 (16384 MB, ratio 1.5) holds an m1.xlarge, within its limit; compute2
(8192 MB, ratio 1.0) holds an m1.large and an m1.medium, 12800 MB with its reservation: over
its 8192 MB limit, as after an operator lowered its ratio.
"""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from cloudlab.compute.audit import audit
from cloudlab.compute.claims import try_claim
from cloudlab.compute.models import Cloud, Flavor, Host, SchedulingRecord
from tests import steps

SCENARIO = """\
name: tight
hosts:
  - {name: compute1, vcpus: 8, memory_mb: 16384, local_gb: 200,
     instances: [{name: big, flavor: m1.xlarge, project: teach}]}
  - {name: compute2, vcpus: 8, memory_mb: 8192, local_gb: 200, ram_allocation_ratio: 1.0,
     instances: [{name: web, flavor: m1.large, project: teach}, {name: db, flavor: m1.medium, project: teach}]}
"""
CLASSROOM = """\
people:
  - {username: tess, password: change-me-please, role: instructor, projects: [teach]}
  - {username: sam, password: change-me-please, role: student, projects: [sam]}
"""
WARNING = (
    "warning: compute2: memory_mb used 12800 MB > limit 8192 MB (8192 × ratio 1.0; used includes 512 MB "
    "reserved) — over-committed; Nova keeps such hosts and its filters skip them"
)
NOT_OVER = {"vcpus": False, "memory_mb": False, "local_gb": False}


@pytest.fixture
def tight(db, tmp_path, capsys):
    scenario, people = tmp_path / "tight.yaml", tmp_path / "people.yaml"
    scenario.write_text(SCENARIO)
    people.write_text(CLASSROOM)
    call_command("load_scenario", scenario, classroom=people, pace=0)
    out = capsys.readouterr().out
    yield Cloud.objects.get(name="tight"), out
    assert audit() == []  # every test leaves the books balanced


def _client(username):
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def test_load_scenario_makes_the_cloud_and_prints_the_warning_with_its_numbers(tight):
    cloud, out = tight
    lines = out.splitlines()
    assert lines[0].startswith("cloud 'tight': 2 hosts")
    assert lines[1:] == [WARNING]
    compute2 = Host.objects.get(cloud=cloud, name="compute2")
    assert (compute2.memory_mb_used, compute2.ram_allocation_ratio) == (512 + 8192 + 4096, 1.0)
    assert compute2.instances.count() == 2


def test_the_audit_balances_an_over_committed_host(tight, capsys):
    call_command("audit", cloud=["tight"])
    assert "all 2 hosts balance" in capsys.readouterr().out


def test_a_claim_on_the_over_committed_host_is_refused_with_the_numbers(tight):
    cloud, _ = tight
    compute2 = Host.objects.get(cloud=cloud, name="compute2")
    tiny = Flavor.objects.get(cloud=cloud, name="m1.tiny")
    claimed, [short] = try_claim(compute2.pk, tiny, cloud.era)
    assert claimed is None
    assert (short.resource, short.requested, short.free, short.limit, short.used) == (
        "memory_mb",
        512,
        -4608,
        8192,
        12800,
    )
    assert Host.objects.get(pk=compute2.pk).memory_mb_used == 12800  # nothing taken


@pytest.fixture
def decided(tight, launch, django_capture_on_commit_callbacks):
    """sam's m1.tiny, scheduled: RamFilter removes compute2, compute1 takes it."""
    with django_capture_on_commit_callbacks(execute=False):
        [instance] = launch(get_user_model().objects.get(username="sam"), name="vm", flavor="m1.tiny")
        steps.schedule(instance)
    return SchedulingRecord.objects.get(instance=instance)


def test_the_scheduler_skips_the_host_and_its_card_is_marked(decided):
    assert decided.selected_host == "compute1"
    data = _client("sam").get(reverse("dashboard:decision-data", args=[decided.pk])).json()
    cards = {h["name"]: h for h in data["hosts"]}
    assert cards["compute2"]["over"] == {**NOT_OVER, "memory_mb": True}
    assert cards["compute1"]["over"] == NOT_OVER
    ram = next(f for f in data["trace"]["instances"][0]["filters"] if f["name"] == "RamFilter")
    assert ram["verdicts"]["compute2"]["reason"] == (
        "usable RAM = 8192 × 1 − 12800 = -4608 MB, below zero: the host is over-committed and takes no new "
        "instance (512 MB requested)"
    )


def test_a_what_if_that_lowers_a_ratio_below_the_usage_is_shown_over_committed(decided):
    # compute1 holds 512 + 16384 MB: within 16384 × 1.5, over 16384 × 1.0.
    response = _client("tess").post(
        reverse("dashboard:decision-whatif", args=[decided.pk]),
        {"kind": "host", "host": "compute1", "field": "ram_allocation_ratio", "value": "1.0"},
    )
    assert response.status_code == 200, response.content
    result = response.json()
    assert result["change"] == (
        "compute1 ram_allocation_ratio 1.5 → 1; compute1 is now over-committed: memory_mb used 16896 > limit 16384"
    )
    cards = {h["name"]: h for h in result["decision"]["hosts"]}
    assert cards["compute1"]["over"] == {**NOT_OVER, "memory_mb": True}
    row = next(r for r in result["compare"]["hosts"] if r["host"] == "compute1")
    assert (row["before"]["outcome"], row["after"]["outcome"], row["after"]["filter"]) == (
        "chosen",
        "filtered",
        "RamFilter",
    )
    assert "below zero: the host is over-committed" in row["after"]["reason"]
    assert result["compare"]["errors"][1]["type"] == "NoValidHost"
    assert Host.objects.get(name="compute1").ram_allocation_ratio == 1.5  # the live cloud is untouched


def test_lowering_the_clouds_ratio_on_admin_scheduler_is_accepted_and_over_commits(
    tight, launch, django_capture_on_commit_callbacks
):
    client = _client("tess")
    form = client.get(reverse("dashboard:scheduler-settings")).context["form"]
    data = {name: form.initial.get(name, field.initial) for name, field in form.fields.items()}
    data = {name: value for name, value in data.items() if value is not None and value is not False}
    data["ram_allocation_ratio"] = "1.0"
    response = client.post(reverse("dashboard:scheduler-settings"), data)
    assert response.status_code == 302, response.content.decode()
    assert set(Host.objects.filter(cloud=tight[0]).values_list("ram_allocation_ratio", flat=True)) == {1.0}
    with django_capture_on_commit_callbacks(execute=False):
        [instance] = launch(get_user_model().objects.get(username="sam"), name="vm", flavor="m1.tiny")
        steps.schedule(instance)
    record = SchedulingRecord.objects.get(instance=instance)
    assert record.trace["error"]["type"] == "NoValidHost"
    cards = _client("sam").get(reverse("dashboard:decision-data", args=[record.pk])).json()["hosts"]
    assert [c["over"]["memory_mb"] for c in cards] == [True, True]
