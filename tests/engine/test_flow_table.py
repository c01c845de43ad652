"""The flow engine against the reference (../shared/reference/nova-flow.md §2, §5) and against
the lifecycle plans: for every operation and era the messages between services are the
reference's, in its order; every worker step of every plan has its place in the flow, and the
flow has no step the plans do not take."""

import pytest

from cloudlab.engine import flow, lifecycle

# The reference's rows, copied as "<era> <caller> > <callee> <transport> <name>": era P (placement,
# today's Nova), C (classic, Juno–Newton as §5 models it) or * (both). Only the messages that
# cross a process boundary or reach the driver; the conductor's DB-proxy calls (object_action)
# and the database writes are checked separately below.
SHORT = {
    "API": "nova-api", "COND": "nova-conductor", "SCHED": "nova-scheduler", "PLACE": "placement-api",
    "KS": "keystone", "GL": "glance-api", "NEU": "neutron-server", "CMP": "nova-compute", "LV": "hypervisor",
    "NET": "nova-network", "AGENT": "network-agent", "client": "client",
}  # fmt: skip

_ACTION = ["* client > API http POST /v2.1/servers/{id}/action", "* API > KS http GET /v3/auth/tokens"]  # §1.4


def _simple(rpc, driver, network=False):
    neutron = ["P CMP > NEU http GET /v2.0/ports?device_id=<uuid>"] if network else []
    return [*_ACTION, f"* API > CMP rpc_cast {rpc}", *neutron, f"* CMP > LV driver {driver}"]


_SELECT = [  # the conductor asks for a destination (§2.5 R5, §2.6 L4, §2.7 E3, §2.8 U3)
    "* COND > SCHED rpc_call select_destinations",
    "P SCHED > PLACE http GET /allocation_candidates",
    "P SCHED > PLACE http PUT /allocations/{instance_uuid}",
]
_RESIZE = [  # §2.5 R1–R16
    *_ACTION,
    "* API > COND rpc_cast migrate_server",
    "P COND > PLACE http POST /allocations",
    *_SELECT,
    "* COND > CMP rpc_cast prep_resize",
    "* CMP > CMP rpc_cast resize_instance",
    "* CMP > LV driver migrate_disk_and_power_off",
    "P CMP > NEU http migrate_instance_start",
    "* CMP > CMP rpc_cast finish_resize",
    "P CMP > NEU http PUT /v2.0/ports/{port_id}",
    "* CMP > LV driver finish_migration",
    "P CMP > SCHED rpc_fanout update_instance_info",
]
_REBUILD_TAIL = [  # §2.9 B5, §2.7 E5
    "* CMP > LV driver destroy",
    "* CMP > GL http GET /v2/images/{image_id}/file",
    "* CMP > LV driver spawn",
]
REFERENCE = {
    "create": [
        "* client > API http POST /v2.1/servers",  # 2.1#1
        "* API > KS http GET /v3/auth/tokens",  # 2
        "* API > GL http GET /v2/images/{image_id}",  # 3
        "P API > NEU http GET /v2.0/networks",  # 5
        "P API > COND rpc_cast schedule_and_build_instances",  # 8
        "C API > COND rpc_cast build_instances",  # §5 Juno–Newton
        "* COND > SCHED rpc_call select_destinations",  # 10
        "P SCHED > PLACE http GET /allocation_candidates",  # 11
        "P SCHED > PLACE http PUT /allocations/{instance_uuid}",  # 13
        "* COND > CMP rpc_cast build_and_run_instance",  # 18
        "P CMP > PLACE http GET /allocations/{instance_uuid}",  # 20
        "P CMP > NEU http POST /v2.0/ports",  # 24
        "P CMP > NEU http PUT /v2.0/ports/{port_id}",  # 25
        "P CMP > NEU http GET /v2.0/ports, /v2.0/subnets",  # 25
        "C CMP > NET rpc_call allocate_for_instance",  # §5: nova-network, a call
        "* CMP > GL http GET /v2/images/{image_id}/file",  # 29
        "* CMP > LV driver spawn",  # 31
        "P AGENT > NEU rpc_call update_device_list",  # 32
        "P NEU > API http POST /v2.1/os-server-external-events",  # 32
        "P API > CMP rpc_cast external_instance_event",  # 32
        "P CMP > LV driver virDomainResume",  # 33
        "* CMP > LV driver get_info",  # 33
        "P CMP > SCHED rpc_fanout update_instance_info",  # 35
    ],
    "stop": _simple("stop_instance", "power_off"),  # §2.2 S1–S4
    "start": _simple("start_instance", "power_on", network=True),  # T1–T5
    "reboot_soft": _simple("reboot_instance", "reboot", network=True),  # §2.3
    "reboot_hard": _simple("reboot_instance", "reboot", network=True),
    "pause": _simple("pause_instance", "pause"),  # §2.4
    "unpause": _simple("unpause_instance", "unpause"),
    "suspend": _simple("suspend_instance", "suspend"),
    "resume": _simple("resume_instance", "resume", network=True),
    "rescue": [*_ACTION, "* API > CMP rpc_cast rescue_instance", "P CMP > NEU http GET /v2.0/ports?device_id=<uuid>",
               "* CMP > GL http GET /v2/images/{image_id}/file", "* CMP > LV driver rescue"],  # §2.10
    "unrescue": _simple("unrescue_instance", "unrescue"),
    "shelve": [  # §2.8 H1–H5 (shelved_offload_time 0: offloaded at once)
        *_ACTION,
        "* API > GL http POST /v2/images",
        "* API > CMP rpc_cast shelve_instance",
        "* CMP > LV driver power_off",
        "* CMP > LV driver snapshot",
        "* CMP > GL http PUT /v2/images/{image_id}/file",
        "P CMP > NEU http PUT /v2.0/ports/{port_id}",
        "* CMP > LV driver destroy",
        "P CMP > PLACE http DELETE /allocations/{instance_uuid}",
        "P CMP > SCHED rpc_fanout delete_instance_info",
    ],
    "shelve_offload": [
        *_ACTION,
        "* API > CMP rpc_cast shelve_offload_instance",
        "* CMP > LV driver power_off",
        "P CMP > NEU http PUT /v2.0/ports/{port_id}",
        "* CMP > LV driver destroy",
        "P CMP > PLACE http DELETE /allocations/{instance_uuid}",
        "P CMP > SCHED rpc_fanout delete_instance_info",
    ],
    "unshelve": [  # of an offloaded instance: U1, U3, U4
        *_ACTION,
        "* API > COND rpc_cast unshelve_instance",
        "* COND > GL http GET /v2/images/{shelved_image_id}",
        *_SELECT,
        "* COND > CMP rpc_cast unshelve_instance",
        "P CMP > NEU http PUT /v2.0/ports/{port_id}",
        "* CMP > GL http GET /v2/images/{shelved_image_id}/file",
        "* CMP > LV driver spawn",
        "* CMP > GL http DELETE /v2/images/{shelved_image_id}",
    ],
    "resize": _RESIZE,
    "migrate": _RESIZE,
    "confirm_resize": [*_ACTION, "* API > CMP rpc_cast confirm_resize", "* CMP > LV driver confirm_migration",
                       "P CMP > PLACE http DELETE /allocations/{migration_uuid}"],  # C1–C3
    "revert_resize": [  # V1–V5
        *_ACTION,
        "* API > CMP rpc_cast revert_resize",
        "* CMP > LV driver destroy",
        "* CMP > CMP rpc_cast finish_revert_resize",
        "P CMP > PLACE http POST /allocations",
        "P CMP > NEU http PUT /v2.0/ports/{port_id}",
        "* CMP > LV driver finish_revert_migration",
    ],
    "live_migrate": [  # §2.6 L1–L12
        *_ACTION,
        "* API > COND rpc_cast live_migrate_instance",
        "P COND > PLACE http POST /allocations",
        *_SELECT,
        "* COND > CMP rpc_call check_can_live_migrate_destination",
        "* CMP > CMP rpc_call check_can_live_migrate_source",
        "P COND > NEU http POST /v2.0/ports/{port_id}/bindings",
        "* COND > CMP rpc_cast live_migration",
        "* CMP > CMP rpc_call pre_live_migration",
        "* CMP > LV driver live_migration",
        "P CMP > NEU http PUT /v2.0/ports/{port_id}/bindings/{host}/activate",
        "* CMP > CMP rpc_call post_live_migration_at_destination",
        "P CMP > PLACE http DELETE /allocations/{migration_uuid}",
        "P CMP > SCHED rpc_fanout update_instance_info",
    ],
    "rebuild": [  # §2.9 B1–B6 (same image: no scheduler call)
        *_ACTION,
        "* API > GL http GET /v2/images/{image_id}",
        "* API > COND rpc_cast rebuild_instance",
        "* COND > CMP rpc_cast rebuild_instance",
        "P CMP > NEU http GET /v2.0/ports?device_id=<uuid>",
        *_REBUILD_TAIL,
    ],
    "evacuate": [  # §2.7 E1–E6
        *_ACTION,
        "* API > COND rpc_cast rebuild_instance",
        *_SELECT,
        "* COND > CMP rpc_cast rebuild_instance",
        "P CMP > NEU http PUT /v2.0/ports/{port_id}",
        *_REBUILD_TAIL,
    ],
    "create_snapshot": [  # §2.11 P1–P4
        *_ACTION,
        "* API > GL http POST /v2/images",
        "* API > CMP rpc_cast snapshot_instance",
        "* CMP > LV driver snapshot",
        "* CMP > GL http PUT /v2/images/{image_id}/file",
    ],
    "lock": _ACTION,
    "unlock": _ACTION,
    "delete": [  # §2.12 D2–D6
        "* client > API http DELETE /v2.1/servers/{id}",
        "* API > KS http GET /v3/auth/tokens",
        "* API > CMP rpc_cast terminate_instance",
        "* CMP > LV driver destroy",
        "P CMP > NEU http DELETE /v2.0/ports/{port_id}",
        "C CMP > NET rpc_call deallocate_for_instance",
        "P CMP > PLACE http DELETE /allocations/{instance_uuid}",
        "P CMP > SCHED rpc_fanout delete_instance_info",
    ],
}
WIRE_KINDS = {"http", "rpc_cast", "rpc_call", "rpc_fanout", "driver"}


def _expected(lines, era):
    tag = "P" if era == "placement" else "C"
    rows = []
    for line in lines:
        which, src, _, dst, kind, name = line.split(" ", 5)
        if which in ("*", tag):
            rows.append((SHORT[src], SHORT[dst], kind, name))
    return rows


def _wire(f):
    return [(m.src, m.dst, m.kind, m.name) for m in f.messages if m.kind in WIRE_KINDS and m.name != "object_action"]


def test_there_is_a_reference_table_for_every_operation():
    assert set(REFERENCE) == set(flow.OPERATIONS)


@pytest.mark.parametrize("era", flow.ERAS)
@pytest.mark.parametrize("operation", flow.OPERATIONS)
def test_the_flow_is_the_references(operation, era):
    assert _wire(flow.flow(operation, era)) == _expected(REFERENCE[operation], era)


@pytest.mark.parametrize("era", flow.ERAS)
def test_a_boot_writes_the_references_tables_in_order(era):
    writes = [(m.src, m.name) for m in flow.flow(lifecycle.BUILD, era).messages if m.kind == "db_write"]
    api = [name for src, name in writes if src == "nova-api"]
    if era == "placement":  # 2.1#7 in nova_api, then the conductor creates the cell's row (15, 17)
        assert api == ["request_specs, build_requests, instance_mappings"]
        conductor = [name for src, name in writes if src == "nova-conductor"][:2]
        assert conductor == ["instances, instance_extra, instance_system_metadata",
                             "instance_actions, block_device_mapping, instance_mappings, build_requests"]
    else:  # §5: quota reservations and the instance row in the single nova DB, by nova-api
        assert api == ["quota_usages, reservations", "instances, instance_actions"]
    compute = [m for m in flow.flow(lifecycle.BUILD, era).messages if m.name == "object_action"]
    # each of the compute node's saves goes through the conductor (§1.1), with the task_states of 19–34
    assert [m.task_state for m in compute if "task_state=" in m.detail] == [
        None, "networking", "block_device_mapping", "spawning", None,
    ]  # fmt: skip


def test_every_message_names_known_services_and_kinds():
    for operation in flow.OPERATIONS:
        for era in flow.ERAS:
            for m in flow.flow(operation, era).messages:
                assert m.src in flow.SERVICES and m.dst in flow.SERVICES, (operation, m)
                assert m.kind in flow.KINDS, (operation, m)
                assert era in flow.SERVICES[m.src].eras and era in flow.SERVICES[m.dst].eras, (operation, era, m)
                assert m.to_json()["name"] == m.name


# -- the plans and the flow cannot disagree -----------------------------------------------------

STARTS = {
    "start": ("stopped", 4), "stop": ("active", 1), "reboot_soft": ("active", 1), "reboot_hard": ("active", 1),
    "pause": ("active", 1), "unpause": ("paused", 3), "suspend": ("active", 1), "resume": ("suspended", 4),
    "shelve": ("active", 1), "shelve_offload": ("shelved", 4), "unshelve": ("shelved_offloaded", 4),
    "resize": ("active", 1), "migrate": ("stopped", 4), "confirm_resize": ("resized", 1),
    "revert_resize": ("resized", 1), "live_migrate": ("active", 1), "rebuild": ("active", 1),
    "rescue": ("active", 1), "unrescue": ("rescued", 1), "create_snapshot": ("active", 1), "lock": ("active", 1),
    "unlock": ("active", 1), "delete": ("active", 1), "evacuate": ("active", 1), "create": ("building", 0),
}  # fmt: skip
BRANCHES = [
    ("unshelve", "shelved", 4, {}, True, True),
    ("shelve", "active", 1, {"shelved_offload_time": -1}, True, True),
    ("rebuild", "stopped", 4, {}, True, True),
    ("evacuate", "stopped", 4, {}, True, True),
    ("revert_resize", "resized", 4, {}, True, True),
    ("delete", "active", 1, {}, False, True),
    ("delete", "error", 0, {}, True, False),
    ("suspend", "active", 1, {"hypervisor_type": "VMware vCenter Server"}, True, True),
    ("reboot_hard", "rescued", 1, {}, True, True),
]
CASES = [(op, vm, power, {}, True, True) for op, (vm, power) in STARTS.items()] + BRANCHES


@pytest.mark.parametrize("era", flow.ERAS)
@pytest.mark.parametrize(("operation", "vm_state", "power", "params", "has_host", "host_up"), CASES)
def test_each_worker_step_of_every_plan_has_its_place_in_the_flow(
    operation, vm_state, power, params, has_host, host_up, era
):
    plan = lifecycle.plan(operation, vm_state=vm_state, power_state=power, params=params, has_host=has_host,
                          host_up=host_up)  # fmt: skip
    variant = flow.variant_of(operation, vm_state=vm_state, power_state=power, params=params, has_host=has_host,
                              host_up=host_up)  # fmt: skip
    f = flow.flow(operation, era, variant=variant)
    keys = flow.step_keys(plan)
    steps_in_flow = list(dict.fromkeys(m.step for m in f.messages if m.step != "api"))
    assert steps_in_flow == keys  # each step has messages, in the plan's order, and no other step
    for key, step in zip(keys, plan.steps, strict=True):
        if step.event:  # the phase's action-log event is the flow's step name
            assert key == step.event
        last = [m for m in f.messages if m.step == key][-1]
        assert last.task_state in (step.task_state, step.expect_task_state), (key, last)
    if plan.api_step is not None:
        assert any(m.kind == "db_write" and m.src == "nova-api" for m in f.for_step("api"))


def test_every_plan_event_of_every_action_is_a_flow_step():
    for operation in flow.OPERATIONS:
        vm_state, power = STARTS[operation]
        events = {s.event for s in lifecycle.plan(operation, vm_state=vm_state, power_state=power).steps if s.event}
        steps = {m.step for era in flow.ERAS for m in flow.flow(operation, era).messages}
        assert events <= steps, operation


# -- outcomes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("era", flow.ERAS)
def test_no_valid_host_fails_the_schedulers_step_and_builds_nothing(era):
    f = flow.flow(lifecycle.BUILD, era, outcome="no_valid_host")
    assert f.failed is not None and (f.failed.src, f.failed.name) == ("nova-scheduler", "NoValidHost")
    assert f.failed.step == "schedule_instances" and f.failed.note
    assert {m.step for m in f.messages} == {"api", "schedule_instances"}
    assert not any(m.dst == "nova-compute" for m in f.messages)
    after = f.messages[f.messages.index(f.failed) + 1 :]
    assert after and all(m.kind == "db_write" and m.task_state is None for m in after)
    if era == "placement":
        assert "cell0" in after[0].detail  # _bury_in_cell0


@pytest.mark.parametrize("era", flow.ERAS)
def test_a_reschedule_shows_both_attempts(era):
    f = flow.flow(lifecycle.BUILD, era, outcome="reschedule")
    casts = [m for m in f.messages if m.name == "build_and_run_instance"]
    assert [m.attempt for m in casts] == [1, 2]
    assert (f.failed.name, f.failed.attempt) == ("instance_claim", 1)
    selects = [m for m in f.messages if m.name == "select_destinations" and m.kind == "rpc_call"]
    if era == "classic":  # the scheduler again, RetryFilter dropping the host tried (§5)
        assert [m.attempt for m in selects] == [1, 2]
    else:  # the conductor claims the next alternate; the scheduler is not called again (§2.1)
        assert [m.attempt for m in selects] == [1]
        retry = [m.name for m in f.messages if m.attempt == 2][:2]
        assert retry == ["populate_retry", "PUT /allocations/{instance_uuid}"]
    assert {m.step for m in f.messages if m.attempt == 2} >= {"schedule_instances", "compute_spawn#1"}


@pytest.mark.parametrize("operation", ["stop", "reboot_hard", "resize", "delete", "create"])
def test_a_409_is_only_the_refused_http_exchange(operation):
    f = flow.flow(operation, "placement", outcome="api_refused_409")
    assert [m.kind for m in f.messages][-1] == "reply" and f.messages[-1].name == "409 Conflict"
    assert f.failed is f.messages[-1]
    assert all(m.kind in ("http", "db_read", "reply") for m in f.messages)
    assert not any(m.kind == "db_write" or m.kind.startswith("rpc") for m in f.messages)


def test_a_host_down_holds_the_cast_and_a_delete_goes_local():
    f = flow.flow("stop", "placement", outcome="host_down")
    assert (f.messages[-1].name, f.messages[-1].status) == ("stop_instance", "failed")
    local = flow.flow("delete", "placement", outcome="host_down")
    assert local.variant == "local" and not any(m.dst == "nova-compute" for m in local.messages)


def test_n_instances_are_one_cast_one_scheduler_call_and_n_builds():
    f = flow.flow(lifecycle.BUILD, "placement", count=3)
    names = [m.name for m in f.messages]
    assert names.count("schedule_and_build_instances") == 1 and names.count("select_destinations") == 2  # + reply
    builds = [m for m in f.messages if m.name == "build_and_run_instance"]
    assert [m.instance for m in builds] == [1, 2, 3]
    assert [m.instance for m in f.messages if m.name == "PUT /allocations/{instance_uuid}"] == [1, 2, 3]
    assert [m.seq for m in f.messages] == list(range(1, len(f.messages) + 1))


def test_bad_requests_are_named():
    with pytest.raises(ValueError, match="unknown operation 'fly'"):
        flow.flow("fly", "classic")
    with pytest.raises(ValueError, match="unknown era 'bronze'"):
        flow.flow("stop", "bronze")
    with pytest.raises(ValueError, match="does not ask the scheduler"):
        flow.flow("stop", "classic", outcome="no_valid_host")
    with pytest.raises(ValueError, match="count 2"):
        flow.flow("stop", "classic", count=2)
    with pytest.raises(ValueError, match="unknown variant"):
        flow.flow("stop", "classic", variant="local")
