"""manage.py audit: host usage equals what the instances and moves on it hold."""

import pytest
from django.core.management import CommandError, call_command

from cloudlab.compute.models import Host, Migration
from tests import steps


def test_a_built_cloud_balances(alice, launch, django_capture_on_commit_callbacks, capsys):
    with django_capture_on_commit_callbacks(execute=False):
        for instance in launch(alice, count=3):
            steps.schedule(instance)
    call_command("audit")
    assert "all 4 hosts balance" in capsys.readouterr().out


@pytest.mark.books_unbalanced
def test_a_host_that_does_not_balance_is_named_with_the_numbers(demo_cloud, capsys):
    Host.objects.filter(name="compute-kvm2").update(memory_mb_used=4096)
    with pytest.raises(CommandError, match="1 of 4 hosts do not balance"):
        call_command("audit")
    assert "demo/compute-kvm2: memory_mb_used recorded 4096 expected 512" in capsys.readouterr().err


def test_a_resize_in_progress_holds_both_flavors(alice, launch, django_capture_on_commit_callbacks):
    """Nova's resource tracker: the destination holds the new flavor, the source keeps the old."""
    from cloudlab.compute.audit import expected_usage
    from cloudlab.compute.models import Flavor

    with django_capture_on_commit_callbacks(execute=False):
        [instance] = launch(alice)
        steps.schedule(instance)
    instance.refresh_from_db()
    source = instance.host
    dest = Host.objects.get(name="compute-kvm2")
    new = Flavor.objects.get(name="m1.small")
    Migration.objects.create(
        instance=instance,
        kind="resize",
        source_host=source,
        dest_host=dest,
        old_flavor=instance.flavor,
        new_flavor=new,
        old_vm_state="active",
    )
    assert expected_usage(dest).memory_mb_used == 512 + 2048
    assert expected_usage(source).memory_mb_used == 512 + 2048 + 512  # course-web + the instance (old flavor)
    Migration.objects.update(status="confirmed")
    assert expected_usage(dest).memory_mb_used == 512


def test_an_unknown_cloud_is_an_error(db):
    with pytest.raises(CommandError, match="no such cloud: nowhere"):
        call_command("audit", cloud=["nowhere"])
