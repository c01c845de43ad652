"""The step model of Learn → Hosted vs Bare-Metal (cloudlab/architectures/stacks_model.py): every
step is on a layer its stack has, the hosted path has the host-OS hops and the world switch that
the bare-metal path lacks, and each comparison point shows something that exists."""

import dataclasses

import pytest

from cloudlab.architectures import stacks_model as model
from cloudlab.architectures.stacks_model import BARE_METAL, HOSTED, OPERATIONS, STACKS
from cloudlab.engine import architectures as cited

OPERATION_IDS = list(OPERATIONS)


def test_the_tables_are_consistent():
    assert model.problems() == []


@pytest.mark.parametrize("operation_id", OPERATION_IDS)
def test_every_step_names_a_layer_of_its_stack(operation_id):
    operation = OPERATIONS[operation_id]
    assert set(operation.paths) == {HOSTED, BARE_METAL}
    for stack_id, path in operation.paths.items():
        layers = STACKS[stack_id].layer_ids
        assert [step.layer for step in path if step.layer not in layers] == []
        assert path[-1].layer == "hardware"


def test_only_the_hosted_stack_has_a_host_operating_system():
    assert "host_os" in STACKS[HOSTED].layer_ids
    assert "host_os" not in STACKS[BARE_METAL].layer_ids
    assert [layer.id for layer in STACKS[HOSTED].layers] == ["apps", "guest_os", "hypervisor", "host_os", "hardware"]


@pytest.mark.parametrize("operation_id", OPERATION_IDS)
def test_the_hosted_path_adds_the_host_os_hops_and_a_world_switch(operation_id):
    operation = OPERATIONS[operation_id]
    hosted, bare = operation.paths[HOSTED], operation.paths[BARE_METAL]
    host_os_hops = [step for step in hosted if step.layer == "host_os"]
    switches = [step for step in hosted if step.world_switch]
    assert host_os_hops, "the hosted path never reaches the host OS"
    assert len(switches) == 1
    assert not any(step.world_switch or step.layer == "host_os" for step in bare)
    assert model.added_layers(operation) == ("host_os",)
    assert model.hop_count(operation, HOSTED) == len(hosted) - 1
    assert model.hop_count(operation, HOSTED) > model.hop_count(operation, BARE_METAL)
    assert [hosted[i] for i in model.added_steps(operation)] == [
        step for step in hosted if step.layer == "host_os" or step.world_switch
    ]


@pytest.mark.parametrize("operation_id", OPERATION_IDS)
def test_both_paths_trap_to_the_hypervisor_before_the_hardware(operation_id):
    for path in OPERATIONS[operation_id].paths.values():
        layers = [step.layer for step in path]
        assert "hypervisor" in layers
        assert layers.index("hypervisor") < layers.index("hardware")
        assert layers.index("guest_os") < layers.index("hypervisor")


def test_io_goes_through_the_backend_on_bare_metal_and_the_host_os_when_hosted():
    for operation_id in ("disk_write", "network_packet"):
        operation = OPERATIONS[operation_id]
        assert model.layers_visited(operation, BARE_METAL) == (
            "apps",
            "guest_os",
            "hypervisor",
            "io_backend",
            "hardware",
        )
        assert model.layers_visited(operation, HOSTED) == ("apps", "guest_os", "hypervisor", "host_os", "hardware")
    halt = OPERATIONS["privileged_instruction"]
    assert model.layers_visited(halt, BARE_METAL) == ("guest_os", "hypervisor", "hardware")


def test_each_point_shows_what_it_claims():
    points = {point.id: point for point in model.COMPARISON}
    assert list(points) == ["efficiency", "security", "ease_of_use", "features", "use"]
    assert points["efficiency"].show.operation == "disk_write" and points["efficiency"].show.added
    features = points["features"].show
    assert OPERATIONS[features.operation].paths[HOSTED][features.step].layer == "host_os"
    assert "host_os" in points["security"].show.layers[HOSTED]
    assert {point.favours for point in points.values()} == {HOSTED, BARE_METAL}


def test_every_figure_comes_from_the_cited_model_with_a_source_and_a_status():
    refs = model.figure_refs()
    assert {(ref.kind, ref.metric) for ref in refs} == {
        ("type2", "app_web"),
        ("type1", "app_web"),
        ("type1", "disk_random_iops"),
        ("type1", "neighbour_interference"),
    }
    for ref in refs:
        figure = cited.figure(ref.kind, ref.metric)
        assert figure.has_data and figure.citations
        assert figure.status in cited.STATUSES
    # Barham et al.'s SPEC WEB99: Xen at least 0.99 of native, VMware Workstation 3.2 under a third.
    xen, workstation = cited.figure("type1", "app_web"), cited.figure("type2", "app_web")
    assert (xen.qualifier, xen.value, workstation.qualifier, workstation.value) == ("≥", 0.99, "<", 0.33)
    assert "binary translation" in workstation.note


def test_problems_names_a_figure_the_cited_model_has_no_data_for(monkeypatch):
    points = list(model.COMPARISON)
    no_data = model.FigureRef("type2", "disk_random_iops", "x")  # the reference has none for Type II
    points[0] = dataclasses.replace(points[0], figures={HOSTED: (no_data,)})
    monkeypatch.setattr(model, "COMPARISON", tuple(points))
    assert model.problems() == ["figure type2/disk_random_iops: the cited model has no data"]


def test_problems_names_a_step_on_a_layer_its_stack_lacks(monkeypatch):
    disk = OPERATIONS["disk_write"]
    broken_path = (*disk.paths[BARE_METAL][:2], model.Step("host_os", "x", "y"), *disk.paths[BARE_METAL][2:])
    broken = dataclasses.replace(disk, paths={**disk.paths, BARE_METAL: broken_path})
    monkeypatch.setitem(OPERATIONS, "disk_write", broken)
    assert model.problems() == ["disk_write/bare-metal step 2: no layer 'host_os' in the stack"]


def test_problems_names_a_point_that_shows_a_step_past_the_path(monkeypatch):
    points = list(model.COMPARISON)
    points[3] = dataclasses.replace(points[3], show=dataclasses.replace(points[3].show, step=9))
    monkeypatch.setattr(model, "COMPARISON", tuple(points))
    assert model.problems() == ["features: step 9 is not a step of 'disk_write'"]
