"""A host that comes back writes its instances' power state under each instance's row lock, as
every other writer of an instance does: a step holding the lock is waited for, and what it wrote
is kept. (The row lock decides on PostgreSQL, where CI runs this; SQLite serialises whole write
transactions, so there it passes either way.)"""

import threading
import time

import pytest
from django.db import connection, transaction

from cloudlab.compute.actions.host import do_host_action
from cloudlab.compute.claims import release
from cloudlab.compute.models import Host, Instance
from tests import steps

pytestmark = pytest.mark.django_db(transaction=True)


def test_bring_up_waits_for_a_step_that_holds_the_instance(alice, ivy, launch):
    [instance] = launch(alice, name="vm")
    steps.schedule(instance)
    steps.run_to_end(instance)
    instance.refresh_from_db()
    host = Host.objects.get(pk=instance.host_id)
    do_host_action(ivy, host, "mark_down")
    locked = threading.Event()
    go_on = threading.Event()

    def a_step_in_progress():
        try:
            with transaction.atomic():
                Instance.objects.locked().get(pk=instance.pk)
                locked.set()
                go_on.wait(10)
                # the step writes while it holds the row: the instance is deleted meanwhile
                release(host.pk, instance.flavor)
                Instance.objects.filter(pk=instance.pk).update(
                    vm_state="deleted", power_state=0, task_state=None, host=None, node="", fixed_ip=None
                )
        finally:
            connection.close()

    worker = threading.Thread(target=a_step_in_progress)
    worker.start()
    assert locked.wait(10)
    done = threading.Event()

    failures = []

    def bring_up():
        try:
            do_host_action(ivy, Host.objects.get(pk=host.pk), "bring_up")
        except Exception as error:  # a deadlock, say: the test must see it
            failures.append(error)
        finally:
            done.set()
            connection.close()

    recovering = threading.Thread(target=bring_up)
    recovering.start()
    time.sleep(0.5)
    assert not done.is_set(), "bring_up wrote the instance while a step held its row"
    if connection.vendor == "postgresql":  # (SQLite serialises whole write transactions)
        assert Host.objects.get(pk=host.pk).up is True  # the host came back without waiting for it
    go_on.set()
    worker.join(10)
    recovering.join(20)
    assert not failures, failures
    assert Host.objects.get(pk=host.pk).up is True
    fresh = Instance.objects.get(pk=instance.pk)
    # The sync read the instance after the step: deleted, nothing to report. A sync that read it
    # before would now write "shut down" over the deleted instance's power state.
    assert (fresh.vm_state, fresh.power_state) == ("deleted", 0)
    assert not fresh.actions.filter(action="stop").exists()
