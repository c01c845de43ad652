"""A cloud that models the per-instance memory overhead counts it as Nova counted its drivers'
estimate_instance_overhead (classic era): the claim holds flavor RAM + the host kind's overhead,
the host's usage shows it, RamFilter sees it through that usage, and the books balance.
The demo_cloud fixture audits every host after each test."""

from dataclasses import replace

import pytest

from cloudlab.compute.actions.architecture_model import do_set_architecture_model
from cloudlab.compute.actions.errors import ActionError
from cloudlab.compute.actions.instance import do_instance_action
from cloudlab.compute.actions.scheduler_settings import do_update_scheduler
from cloudlab.compute.audit import audit
from cloudlab.compute.models import Cloud, Host
from cloudlab.compute.scheduling import host_states, scheduler_config
from cloudlab.engine.resources import FlavorSize, HostResources, claim_shortfalls
from tests import steps

RESERVED = 512
SMALL, TINY = 2048, 512
QEMU_VMM = 131  # architecture-model.md §7: ≈131 MB (QEMU VMM) + guest RAM


def _memory_used(name):
    return Host.objects.get(name=name).memory_mb_used


def test_turning_the_overhead_on_recounts_what_the_instances_already_hold(demo_cloud, ivy):
    assert _memory_used("compute-kvm1") == RESERVED + SMALL  # course-web, an m1.small
    changed = do_set_architecture_model(ivy, demo_cloud, model_instance_overhead=True)
    assert changed == ["compute-kvm1"]
    assert _memory_used("compute-kvm1") == RESERVED + SMALL + QEMU_VMM
    assert audit() == []
    do_set_architecture_model(ivy, demo_cloud, model_instance_overhead=False)
    assert _memory_used("compute-kvm1") == RESERVED + SMALL


@pytest.mark.parametrize(
    ("host", "overhead"), [("compute-kvm2", QEMU_VMM), ("compute-vbox", QEMU_VMM), ("compute-lxc", 0)]
)
def test_a_claim_holds_the_flavor_and_the_hosts_overhead(
    demo_cloud, ivy, alice, launch, django_capture_on_commit_callbacks, host, overhead
):
    do_set_architecture_model(ivy, demo_cloud, model_instance_overhead=True)
    Host.objects.filter(cloud=demo_cloud).exclude(name=host).update(enabled=False)
    with django_capture_on_commit_callbacks(execute=False):
        [instance] = launch(alice)
        steps.schedule(instance)
    instance.refresh_from_db()
    assert instance.host.name == host
    assert _memory_used(host) == RESERVED + TINY + overhead
    with django_capture_on_commit_callbacks(execute=False):
        steps.run_to_end(instance)
    # a delete gives back exactly what the claim took
    with django_capture_on_commit_callbacks(execute=False):
        do_instance_action(alice, instance, "delete")
        steps.run_to_end(instance, "delete")
    assert _memory_used(host) == RESERVED


def test_ramfilter_sees_the_overhead_of_the_instances_already_placed(demo_cloud, ivy):
    do_set_architecture_model(ivy, demo_cloud, model_instance_overhead=True)
    demo_cloud.refresh_from_db()
    kvm1 = next(h for h in host_states(demo_cloud) if h.name == "compute-kvm1")
    assert kvm1.resources.memory_mb_used == RESERVED + SMALL + QEMU_VMM
    assert kvm1.resources.usable_ram_mb == 32768 * 1.5 - (RESERVED + SMALL + QEMU_VMM)


def test_a_host_can_pass_ramfilter_and_fail_the_claim_on_the_overhead():
    """RamFilter compares the flavor's RAM; the claim asks for flavor + overhead (Nova's Claim)."""
    host = HostResources(
        vcpus=4, memory_mb=4096, local_gb=100, cpu_allocation_ratio=16.0, ram_allocation_ratio=1.0,
        disk_allocation_ratio=1.0, memory_mb_used=RESERVED + 1024, instance_overhead_mb=QEMU_VMM,
    )  # fmt: skip
    flavor = FlavorSize(vcpus=1, memory_mb=2560, root_gb=1)
    assert host.usable_ram_mb >= flavor.memory_mb  # what RamFilter checks
    [short] = claim_shortfalls(host, flavor, "classic")
    assert (short.resource, short.requested) == ("memory_mb", 2560 + QEMU_VMM)
    assert claim_shortfalls(replace(host, instance_overhead_mb=0), flavor, "classic") == []


def test_the_placement_era_counts_no_overhead_and_switching_recounts(demo_cloud, ivy):
    do_set_architecture_model(ivy, demo_cloud, model_instance_overhead=True)
    config = replace(scheduler_config(demo_cloud), era="placement")
    do_update_scheduler(ivy, Cloud.objects.get(pk=demo_cloud.pk), config, {})
    assert _memory_used("compute-kvm1") == RESERVED + SMALL
    assert Host.objects.get(name="compute-kvm1").instance_overhead_mb == 0
    assert audit() == []


def test_only_the_instructor_changes_it_and_bad_start_times_are_named(demo_cloud, alice, ivy):
    with pytest.raises(ActionError, match="Only the cloud's instructors"):
        do_set_architecture_model(alice, demo_cloud, model_instance_overhead=True)
    with pytest.raises(ActionError, match="container has a published start time"):
        do_set_architecture_model(ivy, demo_cloud, illustrative_start_seconds={"container": 3})
    with pytest.raises(ActionError, match="must be more than 0"):
        do_set_architecture_model(
            ivy, demo_cloud, model_instance_overhead=True, illustrative_start_seconds={"type2": -1}
        )
    demo_cloud.refresh_from_db()
    assert demo_cloud.model_instance_overhead is False  # nothing half-written
    do_set_architecture_model(ivy, demo_cloud, illustrative_start_seconds={"type2": 120})
    demo_cloud.refresh_from_db()
    assert demo_cloud.illustrative_start_seconds == {"type2": 120.0}
