"""VM vs Container: a student's experiment through the real worker (pace 0). Each kind lands on
its own host, a full host refuses the rest with NoValidHost, the charted density is what the
hosts hold under the cited model, and the books balance."""

import pytest

from cloudlab.architectures import experiment_cloud as exp
from cloudlab.architectures.experiment_data import snapshot
from cloudlab.compute.audit import audit
from cloudlab.compute.models import Cloud, Instance
from cloudlab.engine import architectures as model
from cloudlab.engine.lifecycle import VmState
from tests.helpers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _settled(project):
    mine = Instance.objects.filter(project=project)
    return mine.exists() and not mine.filter(vm_state=VmState.BUILDING).exists()


def _run(user, copies):
    run = exp.do_run(user, copies, pace=0)
    wait_for(lambda: _settled(run.project), timeout=120)
    return run


def test_the_charted_density_is_what_each_host_holds_under_the_model(celery_worker, alice):
    run = _run(alice, 16)
    charted = {k["kind"]: k for k in snapshot(run.project)["kinds"]}
    assert list(charted) == list(model.KINDS)
    for kind, k in charted.items():
        host = exp.host_of_kind(run.project.cloud, kind)
        ram_for_instances = host.memory_mb - host.reserved_host_memory_mb  # ratio 1.0, no over-commit
        expected = model.density(kind, ram_for_instances, 256)
        on_host = Instance.objects.filter(host=host, vm_state=VmState.ACTIVE)
        assert k["density"]["model"] == expected
        assert k["density"]["launched"] == k["active"] == on_host.count() == expected, kind
        assert set(on_host.values_list("name", flat=True)) <= {f"{kind}-{i}" for i in range(1, 17)}
        assert k["refused"] == 16 - expected and k["building"] == 0 and k["failed"] == 0
        assert [s["copy"] for s in k["started"]] == sorted(s["copy"] for s in k["started"])
    # The kinds differ as the model says: no guest kernel, then a tiny VMM, then QEMU's.
    assert charted["container"]["active"] > charted["microvm"]["active"] > charted["type1"]["active"]
    assert not audit([run.project.cloud])


def test_the_hosts_claims_hold_the_models_overhead_per_instance(celery_worker, alice):
    run = _run(alice, 3)
    for k in snapshot(run.project)["kinds"]:
        assert k["active"] == 3
        assert k["overhead"]["claimed_mb"] == model.memory_overhead_mb(k["kind"], 256), k["kind"]
    assert not audit([run.project.cloud])


def test_a_rerun_starts_from_a_fresh_cloud(celery_worker, alice):
    first = _run(alice, 16)
    second = _run(alice, 2)
    assert not Cloud.objects.filter(pk=first.project.cloud_id).exists()
    assert Instance.objects.filter(cloud__name=exp.cloud_name(alice)).count() == 8
    assert all(k["asked"] == 2 and k["active"] == 2 for k in snapshot(second.project)["kinds"])
    assert not audit()
