"""The placement step: the FilterScheduler on the live hosts, claims under a row lock, fixed IPs."""

from cloudlab.compute.models import Host, Instance
from cloudlab.engine.lifecycle import TaskState, VmState
from cloudlab.engine.resources import usage_of
from tests import steps


def _usage_matches_instances(host):
    flavors = [i.flavor.size for i in Instance.objects.filter(host=host).exclude(vm_state=VmState.DELETED)]
    usage = usage_of(flavors, host.reserved_host_memory_mb, host.reserved_host_disk_mb, host.reserved_host_cpus)
    return (host.vcpus_used, host.memory_mb_used, host.local_gb_used) == (
        usage.vcpus_used,
        usage.memory_mb_used,
        usage.local_gb_used,
    )


def test_the_host_with_most_free_ram_is_chosen_and_claimed(alice, launch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        [instance] = launch(alice)
        steps.schedule(instance)
        steps.run_next_step(instance)  # the compute service takes it: networking, its address
    instance.refresh_from_db()
    assert instance.host.name == "compute-kvm1"  # the most free RAM, vCPUs and disk: the weighers spread
    assert (instance.vm_state, instance.task_state) == (VmState.BUILDING, TaskState.NETWORKING)
    assert instance.fixed_ip == "10.0.0.3"  # .2 belongs to the demo's course-web
    host = Host.objects.get(pk=instance.host.pk)
    assert host.memory_mb_used == 512 + 2048 + 512  # reserved + course-web (m1.small) + m1.tiny
    assert _usage_matches_instances(host)


def test_disabled_and_down_hosts_are_never_chosen(alice, launch, django_capture_on_commit_callbacks):
    Host.objects.exclude(name="compute-vbox").update(enabled=False)
    Host.objects.filter(name="compute-kvm2").update(enabled=True, up=False)
    with django_capture_on_commit_callbacks(execute=False):
        [instance] = launch(alice)
        steps.schedule(instance)
    instance.refresh_from_db()
    assert instance.host.name == "compute-vbox"


def test_no_fit_is_novas_no_valid_host(alice, launch, django_capture_on_commit_callbacks):
    Host.objects.update(enabled=False)
    with django_capture_on_commit_callbacks(execute=False):
        [instance] = launch(alice)
        steps.schedule(instance)
    instance.refresh_from_db()
    assert (instance.vm_state, instance.task_state, instance.host) == (VmState.ERROR, None, None)
    assert instance.fault["code"] == 500
    assert instance.fault["message"] == "No valid host was found. There are not enough hosts available."
    action = instance.actions.get()
    assert action.message == "Error"
    assert action.events.get(event="schedule_instances").result == "Error"


def test_claims_never_pass_the_limit(alice, launch, django_capture_on_commit_callbacks):
    """m1.xlarge (16 GB) claims until no host's RAM limit (total × 1.5) is left for another."""
    from cloudlab.identity.models import Quota

    Quota.objects.filter(project__name="alice").update(instances=-1, cores=-1, ram=-1)
    with django_capture_on_commit_callbacks(execute=False):
        instances = launch(alice, flavor="m1.xlarge", count=10)
        for instance in instances:
            steps.schedule(instance)
    for host in Host.objects.all():
        resources = host.resources()
        assert resources.memory_mb_used <= resources.memory_mb_limit
        assert resources.vcpus_used <= resources.vcpus_limit
        assert _usage_matches_instances(host)
    errors = Instance.objects.filter(vm_state=VmState.ERROR).count()
    placed = Instance.objects.filter(name__startswith="test-", host__isnull=False).count()
    assert placed + errors == 10 and errors > 0


def test_a_duplicate_delivery_changes_nothing(alice, launch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        [instance] = launch(alice)
        steps.schedule(instance)
        before = Host.objects.get(name="compute-kvm1").memory_mb_used
        steps.schedule(instance)
    assert Host.objects.get(name="compute-kvm1").memory_mb_used == before
