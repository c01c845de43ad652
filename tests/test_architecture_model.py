"""The cited architecture model: its figures are the reference's parameter table, its start times
order the kinds at any pace, its overhead and density follow the §7 formula.

``EXPECTED`` is architecture-model.md §7 (the reference lives outside the repository), copied by
hand: kind, metric → (value, low, high, status, sources). ``None`` is the table's "—" (no data).
A drift of the model from the table fails here.
"""

from __future__ import annotations

import math

import pytest

from cloudlab.engine import architectures as arch
from cloudlab.engine.lifecycle import BUILD, plan
from cloudlab.engine.lifecycle.plans import GUEST_BOOT_PHASES, boots_guest
from cloudlab.engine.pacing import MODEL_SECONDS_PER_STEP, boot_seconds, phase_seconds

C, M, T1, T2 = "container", "microvm", "type1", "type2"
_ = None

# fmt: off
EXPECTED: dict[tuple[str, str], tuple[float | None, float | None, float | None, str, set[str]]] = {
    # start / boot time, default and range (Khan 2026 568 ms, Quark 607 ms; FC spec; Mao & Humphrey)
    (C, "start_s"): (0.6, 0.57, 1.16, "P", {"khan2026", "quark"}),
    (M, "start_s"): (0.125, 0.125, 0.146, "P", {"firecracker-spec", "agache2020"}),
    (T1, "start_s"): (_, _, _, "U", {"hao2021"}),            # "— local"
    (T2, "start_s"): (_, _, _, "U", {"hao2021"}),
    (T1, "cloud_launch_s"): (96.9, 44.2, 96.9, "P", {"mao2012"}),  # "96.9 cloud launch (alt. 44.2)"
    (M, "sandboxed_start_s"): (1.75, _, _, "V", {"quark"}),  # Kata
    # memory overhead per instance
    (C, "memory_overhead_mb"): (0, _, _, "V", {"quark"}),
    (M, "memory_overhead_mb"): (5, 3, 5, "P", {"firecracker-spec", "agache2020", "quark"}),
    (T1, "memory_overhead_mb"): (131, _, _, "S", {"agache2020"}),
    (T2, "memory_overhead_mb"): (_, _, _, "U", {"agache2020"}),
    (M, "creation_rate"): (150, _, _, "S", {"agache2020"}),
    # CPU, memory
    (C, "cpu"): (1.00, _, _, "R", {"felter2014"}),
    (M, "cpu"): (_, _, _, "U", {"firecracker-spec"}),
    (T1, "cpu"): (0.977, _, _, "R", {"felter2014"}),
    (T2, "cpu"): (_, _, _, "U", {"barham2003"}),
    (C, "memory_bandwidth"): (1.00, _, _, "R", {"felter2014"}),
    (T1, "memory_bandwidth"): (0.987, _, _, "R", {"felter2014"}),
    (C, "gups"): (0.98, _, _, "R", {"felter2014"}),
    (T1, "gups"): (0.99, 0.86, _, "R", {"felter2014"}),
    # network
    (C, "network_bulk"): (1.00, 0.998, _, "R", {"felter2014"}),
    (M, "network_bulk"): (15, _, _, "S", {"agache2020", "firecracker-spec"}),
    (T1, "network_bulk"): (0.99, _, _, "R", {"felter2014"}),
    (C, "network_rtt"): (1.03, _, 1.29, "R", {"felter2014", "morabito2015"}),
    (M, "network_rtt"): (0.06, _, _, "P", {"firecracker-spec"}),
    (T1, "network_rtt"): (1.81, 1.78, _, "R", {"felter2014"}),
    # disk
    (C, "disk_sequential"): (1.00, _, _, "R", {"felter2014"}),
    (M, "disk_sequential"): (1, _, _, "P", {"firecracker-spec"}),
    (T1, "disk_sequential"): (0.99, _, _, "R", {"felter2014"}),
    (C, "disk_random_iops"): (1.00, _, _, "R", {"felter2014"}),
    (M, "disk_random_iops"): (0.04, _, _, "S", {"agache2020"}),
    (T1, "disk_random_iops"): (0.53, 0.49, _, "R", {"felter2014"}),
    # applications
    (C, "app_redis"): (1.03, 0.74, _, "R", {"felter2014"}),
    (T1, "app_redis"): (0.87, _, _, "R", {"felter2014"}),
    (T1, "app_web"): (0.99, _, _, "P", {"barham2003"}),
    (T2, "app_web"): (0.33, _, _, "P", {"barham2003"}),       # "< 0.33"
    # qualitative rows: no value, a finding with its status
    (C, "neighbour_interference"): (_, _, _, "P", {"sharma2016"}),
    (M, "neighbour_interference"): (_, _, _, "S", {"agache2020"}),
    (T1, "neighbour_interference"): (_, -4, -2, "P", {"barham2003"}),
    (T2, "neighbour_interference"): (_, _, _, "P", {"barham2003"}),
    (C, "kernel_shared"): (_, _, _, "P", {"namespaces7"}),
    (M, "kernel_shared"): (_, _, _, "S", {"agache2020"}),
    (T1, "kernel_shared"): (_, _, _, "P", {"barham2003"}),
    (T2, "kernel_shared"): (_, _, _, "P", {"barham2003"}),
}
# fmt: on

#: Qualifiers the table prints in front of a value (≈, ≤, <, ≥).
QUALIFIERS = {
    (C, "memory_overhead_mb"): "≈",
    (M, "memory_overhead_mb"): "≤",
    (T1, "memory_overhead_mb"): "≈",
    (T2, "app_web"): "<",
    (T1, "app_web"): "≥",
    (M, "start_s"): "≤",
}


def test_the_kinds_and_metrics_are_the_tables_columns_and_rows() -> None:
    assert arch.KINDS == (C, M, T1, T2)
    assert {m for _, m in EXPECTED} <= set(arch.METRICS)


@pytest.mark.parametrize(("kind", "metric"), sorted(EXPECTED))
def test_each_figure_is_the_references_with_its_status_and_sources(kind: str, metric: str) -> None:
    value, low, high, status, sources = EXPECTED[kind, metric]
    f = arch.figure(kind, metric)
    assert (f.value, f.low, f.high) == (value, low, high)
    assert f.status == status
    assert set(f.sources) == sources


def test_every_cell_not_in_the_table_is_no_data() -> None:
    for kind in arch.KINDS:
        for metric in arch.METRICS:
            f = arch.figure(kind, metric)
            if (kind, metric) not in EXPECTED:
                assert f.value is None and not f.text, (kind, metric)
                assert f.status == "U", (kind, metric)
            assert f.status in arch.STATUSES


def test_a_figure_with_data_names_a_source_with_a_link_and_a_qualitative_one_says_its_finding() -> None:
    for kind in arch.KINDS:
        for metric, m in arch.METRICS.items():
            f = arch.figure(kind, metric)
            if f.has_data:
                assert f.sources, (kind, metric)
                assert all(s.link.startswith("https://") for s in f.citations)
            if m.type == "qualitative":
                assert f.value is None and f.text and f.status != "U", (kind, metric)


def test_the_tables_qualifiers_are_kept() -> None:
    for (kind, metric), qualifier in QUALIFIERS.items():
        assert arch.figure(kind, metric).qualifier == qualifier


def test_a_figure_without_a_value_must_say_no_data() -> None:
    with pytest.raises(ValueError, match="must be status U"):
        arch.Figure(None, "s", "P", ("mao2012",))
    with pytest.raises(ValueError, match="unknown source keys"):
        arch.Figure(1.0, "s", "P", ("nobody2099",))


def test_unknown_kinds_and_metrics_are_named_with_the_choices() -> None:
    with pytest.raises(ValueError, match="unknown kind 'vm'; expected one of container, microvm, type1, type2"):
        arch.profile("vm")
    with pytest.raises(ValueError, match="unknown metric 'boot'"):
        arch.figure("type1", "boot")


# -- start times ----------------------------------------------------------------------------------


def test_type1_paces_with_the_cloud_launch_figure_labelled_as_one() -> None:
    t = arch.start_time("type1")
    assert (t.seconds, t.basis) == (96.9, "cloud-launch")
    assert t.figure is arch.figure("type1", "cloud_launch_s")
    assert "not a local boot" in t.label


def test_type2_paces_with_an_illustrative_value_never_a_measurement() -> None:
    t = arch.start_time("type2")
    assert t.basis == "illustrative"
    assert t.seconds == arch.ILLUSTRATIVE_TYPE2_START_S == 260.7
    assert t.figure.value is None and t.figure.status == "U"
    assert "not a measurement" in t.label


def test_measured_kinds_use_their_default() -> None:
    assert arch.start_seconds("container") == 0.6
    assert arch.start_seconds("microvm") == 0.125
    assert arch.start_time("container").basis == "measured"


def test_an_instructor_may_set_a_no_data_kinds_start_time_only() -> None:
    t = arch.start_time("type2", {"type2": 120})
    assert (t.seconds, t.basis) == (120.0, "instructor")
    assert "set by the instructor" in t.label
    assert arch.start_seconds("type1", {"type2": 120}) == 96.9
    with pytest.raises(ValueError, match="container has a published start time"):
        arch.start_seconds("type2", {"container": 5})
    with pytest.raises(ValueError, match="must be more than 0"):
        arch.start_seconds("type2", {"type2": 0})
    with pytest.raises(ValueError, match="must be a number of seconds, not 'slow'"):
        arch.start_seconds("type2", {"type2": "slow"})  # type: ignore[dict-item]
    assert arch.check_illustrative({"type2": math.inf}) != []
    assert arch.check_illustrative({"type3": 1}) == [
        "unknown kind 'type3'; expected one of container, microvm, type1, type2"
    ]


BOOT_PLANS = [
    (BUILD, "building", 0),
    ("reboot_hard", "active", 1),
    ("reboot_soft", "active", 1),
    ("start", "stopped", 4),
    ("rebuild", "active", 1),
    ("unshelve", "shelved_offloaded", 4),
    ("unshelve", "shelved", 4),
    ("rescue", "active", 1),
    ("unrescue", "rescued", 1),
]


@pytest.mark.parametrize(("action", "vm_state", "power"), BOOT_PLANS)
def test_every_action_that_boots_a_guest_has_one_boot_phase(action: str, vm_state: str, power: int) -> None:
    steps = plan(action, vm_state=vm_state, power_state=power).steps
    assert sum(boots_guest(s) for s in steps) == 1


def test_no_boot_phase_in_actions_that_do_not_boot() -> None:
    for action, vm_state, power in [("stop", "active", 1), ("pause", "active", 1), ("delete", "active", 1)]:
        assert not any(boots_guest(s) for s in plan(action, vm_state=vm_state, power_state=power).steps)
    assert len(GUEST_BOOT_PHASES) == 9


def _plan_seconds(action: str, vm_state: str, power: int, pace: float, architecture: str) -> float:
    p = plan(action, vm_state=vm_state, power_state=power)
    return sum(phase_seconds(s, pace, architecture, image_size_mb=21) for s in p.steps)


@pytest.mark.parametrize("pace", [0.01, 0.2, 1.0, 2.5, 40.0])
@pytest.mark.parametrize(("action", "vm_state", "power"), BOOT_PLANS)
def test_containers_start_faster_than_type1_and_type1_faster_than_type2_at_any_pace(
    pace: float, action: str, vm_state: str, power: int
) -> None:
    times = {a: _plan_seconds(action, vm_state, power, pace, a) for a in arch.ARCHITECTURE_CODES}
    assert times["microvm"] < times["container"] < times["bare-metal"] < times["hosted"]
    assert boot_seconds(pace, "container") < boot_seconds(pace, "bare-metal") < boot_seconds(pace, "hosted")


def test_a_boot_lasts_the_kinds_start_time_compressed_by_the_pace() -> None:
    spawn = next(s for s in plan(BUILD, vm_state="building", power_state=0).steps if boots_guest(s))
    assert phase_seconds(spawn, 1.0, "bare-metal") == pytest.approx(96.9 / MODEL_SECONDS_PER_STEP)
    assert phase_seconds(spawn, 2.0, "container") == pytest.approx(2 * 0.6 / MODEL_SECONDS_PER_STEP)
    assert phase_seconds(spawn, 1.0, "container") < 1.0  # well under a second on screen, too
    assert phase_seconds(spawn, 1.0, "hosted", illustrative={"type2": 64}) == pytest.approx(2.0)
    # the image copy from Glance still comes on top: one pace unit per GB
    assert phase_seconds(spawn, 1.0, "container", image_size_mb=2048) == pytest.approx(2 + 0.6 / 32)


def test_pace_zero_is_instant_and_a_build_at_pace_one_stays_short() -> None:
    for a in arch.ARCHITECTURE_CODES:
        assert _plan_seconds(BUILD, "building", 0, 0.0, a) == 0.0
        assert _plan_seconds(BUILD, "building", 0, 1.0, a) < 12.0


def test_other_phases_keep_their_weight_on_every_kind() -> None:
    stop = plan("stop", vm_state="active", power_state=1).steps[0]
    assert {phase_seconds(stop, 2.0, a) for a in arch.ARCHITECTURE_CODES} == {2.0 * stop.weight}


# -- overhead and density -----------------------------------------------------------------------


def test_the_memory_overhead_is_the_kinds_figure_and_type2_borrows_the_qemu_vmms() -> None:
    assert [arch.memory_overhead_mb(k, 512) for k in arch.KINDS] == [0, 5, 131, 131]
    assert arch.memory_overhead("type2").stand_in == ("type1", "memory_overhead_mb")
    assert arch.memory_overhead("type1").stand_in is None
    with pytest.raises(ValueError, match="guest RAM must be a whole number of MB"):
        arch.memory_overhead_mb("type1", -1)


def test_density_is_host_ram_over_app_ram_plus_overhead() -> None:
    assert arch.density("type1", 16384, 512) == 16384 // (512 + 131) == 25
    assert arch.density("container", 16384, 512) == 32
    # the Firecracker paper's anchor: ≈8000 × 128 MB functions on a 1 TB host
    assert 7800 <= arch.density("microvm", 1024 * 1024, 128) <= 8200
    with pytest.raises(ValueError, match="an instance on container must need some memory"):
        arch.density("container", 1024, 0)
    with pytest.raises(ValueError, match="host RAM must be a whole number of MB"):
        arch.density("type1", 1.5, 128)  # type: ignore[arg-type]


def test_every_host_class_maps_to_a_kind() -> None:
    assert [arch.kind_of(a.code) for a in arch.ARCHITECTURES] == ["type1", "type2", "container", "microvm"]
    assert arch.default_architecture("firecracker") == "microvm"
