"""The scheduling view's model (static/cloudlab/decision_model.js) reads real decisions as the server
does: the real scheduler decides, the view serves the data, and Node's test runner checks the
model against what the server says (tests/js/)."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from cloudlab.compute.actions.instance import do_instance_action
from cloudlab.compute.models import Host, SchedulingRecord
from cloudlab.engine.scheduler import moment_from_dict, moment_to_dict, replay_stages, rerun
from tests import steps

pytestmark = pytest.mark.books_unbalanced  # compute-vbox is filled by hand

JS_TESTS = Path(settings.BASE_DIR) / "tests" / "js"
FULL = "compute-vbox"  # RamFilter removes it
DISABLED = "compute-lxc"  # ComputeFilter removes it


def _decide(launch, user, name, **options):
    [instance] = launch(user, name=name, flavor="m1.small", **options)
    steps.schedule(instance)
    return SchedulingRecord.objects.get(instance=instance)


def _twice(record):
    """The same moment with a request for two instances, scheduled by the engine and kept as a
    record of its own (the dashboard launches one instance per decision; Nova may ask for more)."""
    moment = moment_to_dict(moment_from_dict(record.moment))
    moment["request"]["num_instances"] = 2
    trace = rerun(moment_from_dict(moment))
    return SchedulingRecord.objects.create(
        cloud=record.cloud,
        instance=record.instance,
        attempt=record.attempt + 1,
        era=record.era,
        driver=record.driver,
        trace=trace,
        moment=moment,
        selected_host=trace["selected_hosts"][0],
        outcome=SchedulingRecord.Outcome.CLAIMED,
    )


def _moved(user, instance_user, launch):
    """A cold migration's decision: its source host is left out of the request."""
    [instance] = launch(instance_user, name="mover", flavor="m1.small")
    steps.run_to_end(instance)
    instance.refresh_from_db()
    do_instance_action(user, instance, "migrate", {})
    steps.run_next_step(instance)
    return SchedulingRecord.objects.filter(instance=instance).latest("id"), instance.host.name


def _case(client, record, *, removed, chosen, excluded=()):
    decision = client.get(reverse("dashboard:decision-data", args=[record.pk])).json()
    hosts = Host.objects.filter(cloud=record.cloud).exclude(name__in=excluded)
    return {
        "decision": decision,
        "expect": {
            "stages": replay_stages(record.trace),
            "hosts": sorted(hosts.values_list("name", flat=True)),
            "excluded": list(excluded),
            "removed": removed,
            "chosen": chosen,
            "full": [FULL],
        },
    }


@pytest.fixture
def decisions(alice, ivy, launch, django_capture_on_commit_callbacks):
    """alice's decisions, as the view serves them: one placed, the same request for two instances,
    a cold migration (its source host left out), and one that found no valid host."""
    Host.objects.filter(name=FULL).update(memory_mb_used=12000)
    Host.objects.filter(name=DISABLED).update(enabled=False)
    client = Client()
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=False):
        placed = _decide(launch, alice, "vm")
        pair = _twice(placed)
        moved, source = _moved(ivy, alice, launch)
        Host.objects.update(enabled=False)
        nowhere = _decide(launch, alice, "nowhere")
    removed = {"RamFilter": [FULL], "ComputeFilter": [DISABLED]}
    return {
        "placed": _case(client, placed, removed=removed, chosen=[placed.selected_host]),
        "pair": _case(client, pair, removed=removed, chosen=pair.trace["selected_hosts"]),
        "moved": _case(client, moved, removed=removed, chosen=[moved.selected_host], excluded=[source]),
        "no_valid_host": _case(
            client,
            nowhere,  # RamFilter runs before ComputeFilter, which removes every host left
            removed={
                "RamFilter": [FULL],
                "ComputeFilter": sorted(Host.objects.exclude(name=FULL).values_list("name", flat=True)),
            },
            chosen=[],
        ),
    }


def test_the_decision_model_reads_real_decisions_as_the_server_does(decisions, tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is not installed: apt-get install -y nodejs (the model's tests run on `node --test`)")
    assert decisions["placed"]["decision"]["stages"], "the view served no stages"
    assert decisions["no_valid_host"]["decision"]["record"]["outcome"] == SchedulingRecord.Outcome.NO_VALID_HOST
    data = tmp_path / "decisions.json"
    data.write_text(json.dumps(decisions))
    result = subprocess.run(
        [node, "--test", str(JS_TESTS)],
        env={"CLOUDLAB_DECISIONS": str(data), "PATH": "/usr/bin:/bin", "NODE_OPTIONS": ""},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"node --test failed:\n{result.stdout}\n{result.stderr}"
