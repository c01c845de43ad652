"""The ResourceTracker's arithmetic and the power-state sync's rules, case by case from Nova's own
unit tests (nova/tests/unit/compute/test_resource_tracker.py: the compute node fixture of 4 vCPUs,
512 MB and 6 GB; test_compute_mgr.py: test_sync_instance_power_state_*), and the periodic tasks'
messages (cloudlab/engine/flow/tracker.py)."""

from dataclasses import replace

import pytest

from cloudlab.engine import resource_tracker as rt
from cloudlab.engine.flow import tracker
from cloudlab.engine.lifecycle import PowerState as P
from cloudlab.engine.resources import FlavorSize

#: test_resource_tracker's _VIRT_DRIVER_AVAIL_RESOURCES: 4 vCPUs, 512 MB, 6 GB.
TOTALS = {"memory_mb": 512, "local_gb": 6, "vcpus": 4}
#: Its first instance fixture: 1 vCPU, 128 MB, a 1 GB root disk.
SMALL = FlavorSize(vcpus=1, memory_mb=128, root_gb=1)


def test_no_instances_leaves_only_the_reservations():
    # test_no_instances_no_migrations: 512 MB and 1 GB reserved on a 512 MB, 6 GB node.
    node = rt.rebuild(**TOTALS, instances=[], reserved_host_memory_mb=512, reserved_host_disk_mb=1024)
    assert node.columns() == {
        "memory_mb_used": 512, "local_gb_used": 1, "vcpus_used": 0,
        "free_ram_mb": 0, "free_disk_gb": 5, "running_vms": 0,
    }  # fmt: skip


def test_some_instances_no_migrations_counts_each_instance():
    # test_some_instances_no_migrations with reserved_host_disk_mb=0, reserved_host_memory_mb=0.
    node = rt.rebuild(**TOTALS, instances=[SMALL], reserved_host_memory_mb=0)
    assert (node.memory_mb_used, node.free_ram_mb, node.local_gb_used, node.free_disk_gb) == (128, 384, 1, 5)
    assert (node.vcpus_used, node.running_vms) == (1, 1)


def test_migrations_in_progress_count_but_are_not_running_vms():
    node = rt.rebuild(**TOTALS, instances=[SMALL], migrations=[SMALL], reserved_host_memory_mb=0)
    assert (node.memory_mb_used, node.vcpus_used, node.running_vms) == (256, 2, 1)


def test_a_claim_adds_the_flavor_and_its_abort_takes_it_back():
    empty = rt.rebuild(**TOTALS, instances=[])
    flavor = FlavorSize(vcpus=2, memory_mb=256, root_gb=1, ephemeral_gb=1, swap=512)
    claimed = rt.claim(empty, flavor)
    assert rt.changes(empty, claimed) == [
        rt.Change("memory_mb_used", 512, 768), rt.Change("local_gb_used", 0, 3), rt.Change("vcpus_used", 0, 2),
        rt.Change("free_ram_mb", 0, -256), rt.Change("free_disk_gb", 6, 3), rt.Change("running_vms", 0, 1),
    ]  # fmt: skip  (swap 512 MB counts as 1 GB: root + ephemeral + ceil(swap / 1024))
    assert rt.abort(claimed, flavor) == empty


def test_a_classic_claim_holds_the_drivers_overhead():
    empty = rt.rebuild(**TOTALS, instances=[], overhead_mb=131)
    claimed = rt.claim(empty, SMALL, overhead_mb=131)
    assert claimed.memory_mb_used == 512 + 128 + 131
    assert rt.rebuild(**TOTALS, instances=[SMALL], overhead_mb=131) == claimed


def test_the_write_shows_every_column_before_and_after_or_only_the_changed_ones():
    empty = rt.rebuild(**TOTALS, instances=[])
    claimed = rt.claim(empty, SMALL)
    assert rt.describe(empty, claimed).startswith("memory_mb_used 512 → 640, local_gb_used 0 → 1, vcpus_used 0 → 1")
    assert rt.describe(empty, claimed, every=False).endswith("running_vms 0 → 1")
    assert rt.changes(claimed, claimed) == []


# -- _sync_instance_power_state (test_compute_mgr.py) ----------------------------------------------


@pytest.mark.parametrize("driver", [P.SHUTDOWN, P.CRASHED, P.SUSPENDED])
def test_sync_instance_power_state_to_stop(driver):
    decision = rt.sync_instance_power_state("active", None, P.RUNNING, driver)
    assert (decision.action, decision.write_power_state) == ("stop", driver)


@pytest.mark.parametrize("driver", [P.SHUTDOWN, P.CRASHED])
def test_a_paused_instance_whose_guest_is_off_is_force_stopped(driver):
    assert rt.sync_instance_power_state("paused", None, P.PAUSED, driver).action == "force_stop"


def test_a_stopped_instance_whose_guest_runs_is_force_stopped():
    decision = rt.sync_instance_power_state("stopped", None, P.SHUTDOWN, P.RUNNING)
    assert (decision.rule.key, decision.action) == ("stopped_running", "force_stop")


def test_sync_instance_power_state_to_terminate():
    decision = rt.sync_instance_power_state("active", None, P.RUNNING, P.SHUTDOWN, shutdown_terminate=True)
    assert decision.action == "delete"


@pytest.mark.parametrize(("vm_state", "driver"), [
    ("active", P.PAUSED), ("active", P.NOSTATE),
    ("soft-delete", P.NOSTATE), ("soft-delete", P.SHUTDOWN), ("deleted", P.NOSTATE), ("deleted", P.SHUTDOWN),
])  # fmt: skip
def test_sync_instance_power_state_to_no_stop(vm_state, driver):
    assert rt.sync_instance_power_state(vm_state, None, P.RUNNING, driver).action is None


def test_a_pending_task_skips_the_instance_without_reading_the_driver():
    # test_query_driver_power_state_and_sync_pending_task: task_state powering-off, get_info not called.
    decision = rt.sync_instance_power_state("active", "powering-off", P.RUNNING, P.SHUTDOWN)
    assert (decision.rule.key, decision.write_power_state, decision.action) == ("skip_task", None, None)


def test_a_match_writes_nothing_and_an_ignored_vm_state_only_records_the_power_state():
    assert rt.sync_instance_power_state("active", None, P.RUNNING, P.RUNNING).write_power_state is None
    building = rt.sync_instance_power_state("building", None, P.NOSTATE, P.RUNNING)
    assert (building.rule.key, building.write_power_state, building.action) == ("ignored_vm_state", P.RUNNING, None)


def test_every_rule_is_in_the_table_the_page_shows():
    assert {rule.key for rule in rt.SYNC_RULES} == set(rt.RULES)
    assert rt.counts_disagree(2, 1) and not rt.counts_disagree(2, 2)


def test_periodic_intervals_scale_with_the_pace_and_never_vanish():
    assert rt.scaled_seconds(rt.UPDATE_RESOURCES_INTERVAL, 1.0) == 30
    assert rt.scaled_seconds(rt.SYNC_POWER_STATE_INTERVAL, 0.5) == 150
    assert rt.scaled_seconds(rt.LIFECYCLE_EVENT_DELAY, 0.0) == 1.0


# -- the messages --------------------------------------------------------------------------------


def _wire(messages):
    return [(m.src, m.dst, m.kind, m.name, m.status) for m in messages]


@pytest.mark.parametrize("era", ["classic", "placement"])
def test_a_periodic_update_that_changes_nothing_writes_nothing(era):
    node = rt.rebuild(**TOTALS, instances=[SMALL])
    messages = tracker.update_available_resource(era, node, node)
    assert messages[0].name == "get_available_resource"
    assert messages[-1].status == "skipped" and messages[-1].name == "object_action"
    assert not [m for m in messages if m.kind == "db_write"]
    assert (("nova-compute", "placement-api") in {(m.src, m.dst) for m in messages}) == (era == "placement")
    assert [m.seq for m in messages] == list(range(1, len(messages) + 1))


def test_a_periodic_update_that_finds_a_discrepancy_writes_only_what_changed():
    wrong = rt.claim(rt.rebuild(**TOTALS, instances=[SMALL]), SMALL)  # a claim nobody holds
    right = rt.rebuild(**TOTALS, instances=[SMALL])
    right = replace(right, running_vms=wrong.running_vms)
    [write] = [m for m in tracker.update_available_resource("classic", wrong, right) if m.kind == "db_write"]
    assert (write.dst, write.name) == ("database", "compute_nodes")
    assert write.detail == (
        "memory_mb_used 768 → 640, local_gb_used 2 → 1, vcpus_used 2 → 1, free_ram_mb -256 → -128, free_disk_gb 4 → 5"
    )


def test_the_sync_stops_an_instance_whose_guest_powered_off_with_no_user():
    decision = rt.sync_instance_power_state("active", None, P.RUNNING, P.SHUTDOWN)
    check = tracker.SyncCheck("web", "active", None, P.RUNNING, P.SHUTDOWN, decision)
    messages = tracker.lifecycle_event("placement", check)
    assert _wire(messages)[:2] == [
        ("hypervisor", "nova-compute", "driver", "EVENT_LIFECYCLE_STOPPED", "ok"),
        ("nova-compute", "nova-compute", "local", "handle_lifecycle_event", "ok"),
    ]
    assert ("nova-conductor", "database", "db_write", "instance_actions", "ok") in _wire(messages)
    [action] = [m for m in messages if m.name == "instance_actions"]
    assert "user_id=NULL, project_id=NULL" in action.detail
    assert messages[-1].name == "stop_instance" and messages[-1].task_state == "powering-off"


def test_counts_that_disagree_sync_nothing():
    messages = tracker.sync_power_states("classic", 2, 1, [])
    assert messages[-1].status == "skipped" and "found 2 instances in the database and 1" in messages[-1].detail
