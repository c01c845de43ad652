"""The classic aggregate filters: per-aggregate ratios and maxima, flavor, image and tenant isolation.

Each case is one of Nova's own unit tests, with the aggregate values Nova's tests mock set as real
aggregate metadata: nova/tests/unit/scheduler/filters/test_{ram,core,disk}_filters.py (read at
21.0.0, before their removal in Victoria), test_num_instances_filters.py, test_io_ops_filters.py,
test_type_filters.py, test_aggregate_image_properties_isolation_filters.py,
test_aggregate_multitenancy_isolation_filters.py and test_utils.py.
"""

from __future__ import annotations

from string import Formatter
from typing import Any

import pytest
from sched_helpers import aggregate, config, ctx, host, request

from cloudlab.engine.i18n import render
from cloudlab.engine.resources import Era
from cloudlab.engine.scheduler import (
    CLASSIC_ONLY_FILTERS,
    FILTERS,
    Flavor,
    HostState,
    Image,
    Moment,
    ScenarioError,
    compare,
    parse_scenario,
    parse_scheduler_config,
    rerun,
    run_scenario,
    what_if,
)
from cloudlab.engine.scheduler.filters import _AGGREGATE_RATIO_SENTENCES
from cloudlab.engine.scheduler.model import aggregate_number


def run(name: str, h: HostState, c: Any = None):  # type: ignore[no-untyped-def]
    return FILTERS[name]().host_passes(h, c or ctx())


def _in(*values: str, key: str) -> tuple[Any, ...]:
    """One aggregate per value of ``key`` (Nova's aggregate_values_from_key returns their set)."""
    return tuple(aggregate(f"agg{i}", **{key: v}) for i, v in enumerate(values))


def _flavor(**size: int) -> Flavor:
    values = {"vcpus": 1, "memory_mb": 512, "root_gb": 0, **size}
    return Flavor("f", "f", **values)  # type: ignore[arg-type]


# -- validate_num_values / aggregate_values_from_key ------------------------------------------------


def test_the_smallest_aggregate_value_counts_once_cast() -> None:
    # test_utils.py test_validate_num_values: '10' and '9' → 9 (numbers, not strings, compared).
    h = host(aggregates=_in("10", "9", key="max_io_ops_per_host"))
    assert aggregate_number(h, "max_io_ops_per_host", 8, int).value == 9
    assert aggregate_number(host(), "max_io_ops_per_host", 8, int) == (8, 8, (), False)


def test_one_value_that_does_not_cast_means_the_default() -> None:
    h = host(aggregates=_in("2", "XXX", key="max_io_ops_per_host"))
    number = aggregate_number(h, "max_io_ops_per_host", 8, int)
    assert (number.value, number.from_aggregates, number.listed) == (8, False, "[2, XXX]")
    assert aggregate_number(host(aggregates=_in("2.5", key="k")), "k", 8, int).value == 8  # int('2.5') fails


# -- AggregateRamFilter / AggregateCoreFilter / AggregateDiskFilter (classic) ------------------------


def _ram_host(free: int, *values: str) -> HostState:
    # total_usable_ram_mb 1024, ram_allocation_ratio 1.0, nothing reserved.
    return host(
        memory_mb=1024,
        memory_mb_used=1024 - free,
        reserved_host_memory_mb=0,
        ram_allocation_ratio=1.0,
        aggregates=_in(*values, key="ram_allocation_ratio"),
    )


def test_aggregate_ram_filter_value_error_uses_the_hosts_ratio() -> None:
    v = run("AggregateRamFilter", _ram_host(1024, "XXX"), ctx(request(_flavor(memory_mb=1024))))
    assert v.passed
    assert v.limits == {"memory_mb": 1024 * 1.0}


def test_aggregate_ram_filter_default_value_and_the_aggregates_ratio() -> None:
    c = ctx(request(_flavor(memory_mb=1024)))
    assert not run("AggregateRamFilter", _ram_host(1023), c).passed  # no aggregate: the host's 1.0
    v = run("AggregateRamFilter", _ram_host(1023, "2.0"), c)
    assert v.passed
    assert v.limits == {"memory_mb": 1024 * 2.0}
    assert render(v.message, v.numbers) == (
        "usable RAM = 1024 × 2 − 1 = 2047 MB ≥ 1024 MB requested (ram_allocation_ratio: the smallest of the "
        "aggregates' [2.0], or the host's 1 if there is none or one is not a number)"
    )


def test_aggregate_ram_filter_conflicting_values_take_the_smallest() -> None:
    v = run("AggregateRamFilter", _ram_host(1023, "1.5", "2.0"), ctx(request(_flavor(memory_mb=1024))))
    assert v.passed
    assert v.limits == {"memory_mb": 1024 * 1.5}
    assert v.numbers["aggregate_values"] == "[1.5, 2.0]"


def _core_host(used: int, ratio: float, *values: str) -> HostState:
    return host(
        vcpus=4, vcpus_used=used, cpu_allocation_ratio=ratio, aggregates=_in(*values, key="cpu_allocation_ratio")
    )


def test_aggregate_core_filter_cases() -> None:
    c = ctx(request(_flavor(vcpus=1)))
    # value error: 4 × 2 − 7 = 1 ≥ 1 with the host's ratio
    v = run("AggregateCoreFilter", _core_host(7, 2, "XXX"), c)
    assert v.passed and v.limits == {"vcpu": 4 * 2}
    # default value: 4 × 2 − 8 = 0 < 1; the aggregates' 3 gives 12 − 8 = 4
    assert not run("AggregateCoreFilter", _core_host(8, 2), c).passed
    v = run("AggregateCoreFilter", _core_host(8, 2, "3"), c)
    assert v.passed and v.limits == {"vcpu": 4 * 3}
    # conflicting values: the smallest, 2: 4 × 2 − 8 = 0 < 1
    v = run("AggregateCoreFilter", _core_host(8, 1, "2", "3"), c)
    assert not v.passed
    assert v.numbers["vcpus_limit"] == 4 * 2
    assert render(v.message, v.numbers).startswith("free vCPUs = 4 × 2 − 8 = 0 < 1 requested (cpu_allocation_ratio:")


def _disk_host(*values: str) -> HostState:
    # free_disk_mb 3 × 1024, total_usable_disk_gb 4, disk_allocation_ratio 1.0
    return host(
        local_gb=4, local_gb_used=1, disk_allocation_ratio=1.0, aggregates=_in(*values, key="disk_allocation_ratio")
    )


def test_aggregate_disk_filter_cases() -> None:
    fits = ctx(request(_flavor(root_gb=1, ephemeral_gb=1, swap=1024)))  # 3072 MB
    assert run("AggregateDiskFilter", _disk_host("XXX"), fits).passed
    larger = ctx(request(_flavor(root_gb=2, ephemeral_gb=1, swap=1024)))  # 4096 MB > 3072 usable
    assert not run("AggregateDiskFilter", _disk_host(), larger).passed
    v = run("AggregateDiskFilter", _disk_host("2"), larger)  # 4096 × 2 − 1024 = 7168
    assert v.passed and v.numbers["usable_disk_mb"] == 7168


def test_a_host_the_aggregates_ratio_over_commits_says_so_with_the_ratios_source() -> None:
    h = host(
        memory_mb=8192,
        memory_mb_used=10240,
        ram_allocation_ratio=1.5,
        aggregates=_in("1.0", key="ram_allocation_ratio"),
    )
    assert run("RamFilter", h, ctx(request("m1.tiny"))).passed  # 12288 − 10240 with the host's 1.5
    v = run("AggregateRamFilter", h, ctx(request("m1.tiny")))
    assert not v.passed
    assert "below zero" in v.message and "the smallest of the aggregates' {aggregate_values}" in v.message


def test_a_sentence_that_does_not_depend_on_the_ratio_is_the_base_filters() -> None:
    v = run("AggregateRamFilter", _ram_host(1024, "2.0"), ctx(request(_flavor(memory_mb=2048))))
    assert not v.passed
    assert render(v.message, v.numbers) == (
        "2048 MB requested > 1024 MB of physical RAM (an instance cannot overcommit against itself)"
    )


def test_the_aggregate_capacity_filters_are_classic_only_as_nova_removed_them_in_victoria() -> None:
    assert {"AggregateRamFilter", "AggregateCoreFilter", "AggregateDiskFilter"} <= CLASSIC_ONLY_FILTERS
    with pytest.raises(ScenarioError) as caught:
        parse_scheduler_config({"era": "placement", "enabled_filters": ["AggregateRamFilter"]})
    assert caught.value.problems[0].startswith("scheduler.enabled_filters[0]: AggregateRamFilter was removed")


# -- AggregateNumInstancesFilter / AggregateIoOpsFilter (both eras) ---------------------------------


@pytest.mark.parametrize("era", ["classic", "placement"])
def test_aggregate_num_instances_filter(era: Era) -> None:
    cfg = config(era, max_instances_per_host=4)
    busy = host(num_instances=5)
    assert not run("AggregateNumInstancesFilter", busy, ctx(cfg=cfg)).passed  # no aggregate: 5 ≥ 4
    v = run(
        "AggregateNumInstancesFilter",
        host(num_instances=5, aggregates=_in("6", key="max_instances_per_host")),
        ctx(cfg=cfg),
    )
    assert v.passed
    assert render(v.message, v.numbers) == (
        "5 instances < max_instances_per_host 6 (the smallest of the aggregates' [6], or nova.conf's 4 if there is "
        "none or one is not an integer)"
    )
    bad = host(aggregates=_in("XXX", key="max_instances_per_host"))
    assert run("AggregateNumInstancesFilter", bad, ctx(cfg=config(era, max_instances_per_host=6))).passed


@pytest.mark.parametrize("era", ["classic", "placement"])
def test_aggregate_io_ops_filter(era: Era) -> None:
    cfg = config(era, max_io_ops_per_host=7)
    assert not run("AggregateIoOpsFilter", host(num_io_ops=7), ctx(cfg=cfg)).passed
    assert run(
        "AggregateIoOpsFilter", host(num_io_ops=7, aggregates=_in("8", key="max_io_ops_per_host")), ctx(cfg=cfg)
    ).passed
    v = run(
        "AggregateIoOpsFilter",
        host(num_io_ops=7, aggregates=_in("XXX", key="max_io_ops_per_host")),
        ctx(cfg=config(era, max_io_ops_per_host=8)),
    )
    assert v.passed and v.numbers["max_io_ops_per_host"] == 8


# -- AggregateTypeAffinityFilter ---------------------------------------------------------------------


def _typed(*values: str) -> HostState:
    return host(aggregates=_in(*values, key="instance_type"))


def _flavor_named(name: str) -> Any:
    return ctx(request(Flavor(name, name, 1, 512, 1)))


def test_aggregate_type_affinity_without_metadata_takes_every_flavor() -> None:
    v = run("AggregateTypeAffinityFilter", host(), _flavor_named("fake1"))
    assert v.passed and v.message == "no aggregate of this host sets instance_type"


@pytest.mark.parametrize(
    ("values", "allowed"),
    [
        (("fake1",), {"fake1"}),  # single instance type, legacy syntax
        (("fake1", "fake2"), {"fake1", "fake2"}),  # one per aggregate
        (("fake1,fake2",), {"fake1", "fake2"}),  # a comma list
        (("fake1 , fake2",), {"fake1", "fake2"}),  # stripped
    ],
)
def test_aggregate_type_affinity_takes_only_the_listed_flavors(values: tuple[str, ...], allowed: set[str]) -> None:
    for name in ("fake1", "fake2", "fake3"):
        assert run("AggregateTypeAffinityFilter", _typed(*values), _flavor_named(name)).passed is (name in allowed)
    v = run("AggregateTypeAffinityFilter", _typed(*values), _flavor_named("fake3"))
    assert render(v.message, v.numbers) == (
        f"flavor fake3 is not listed in the aggregates' instance_type [{', '.join(sorted(allowed))}]"
    )


# -- AggregateImagePropertiesIsolation ---------------------------------------------------------------


def _iso(metadata: dict[str, str], cfg: Any = None, **props: str) -> Any:
    h = host(aggregates=(aggregate("a", **metadata),))
    return run("AggregateImagePropertiesIsolation", h, ctx(request(image=Image("i", "i", properties=props)), cfg))


@pytest.mark.parametrize(
    ("metadata", "props", "passes"),
    [
        ({"hw_vm_mode": "hvm"}, {"hw_vm_mode": "hvm"}, True),  # passes
        ({"hw_vm_mode": "hvm,xen"}, {"hw_vm_mode": "hvm"}, True),  # passes_comma
        ({"os_distro": "windows,linux"}, {"os_distro": "windows,"}, False),  # props_bad_comma
        ({"hw_vm_mode": "hvm", "hw_cpu_cores": "2"}, {"hw_vm_mode": "hvm", "hw_cpu_cores": "2"}, True),
        ({"hw_vm_mode": "hvm"}, {}, True),  # props_with_meta_passes: the image sets nothing
        ({}, {"hw_vm_mode": "hvm"}, True),  # props_imgprops_passes: no metadata
        ({"hw_vm_mode": "hvm"}, {"hw_vm_mode": "xen"}, False),  # not_match_fails
        ({"hw_vm_mode": "hvm", "hw_cpu_cores": "1"}, {"hw_vm_mode": "hvm", "hw_cpu_cores": "2"}, False),
        ({"os": "linux"}, {"os_type": "linux"}, True),  # with_custom_meta: a key the image does not set
        ({"os_type": "linux"}, {"os_type": "linux"}, True),
        ({"os_type": "windows"}, {"os_type": "linux"}, False),
    ],
)
def test_aggregate_image_properties_isolation(metadata: dict[str, str], props: dict[str, str], passes: bool) -> None:
    assert _iso(metadata, **props).passed is passes


def test_aggregate_image_properties_isolation_namespace_ignores_other_keys() -> None:
    cfg = config(
        aggregate_image_properties_isolation_namespace="hw", aggregate_image_properties_isolation_separator="_"
    )
    assert _iso({"hw_vm_mode": "hvm", "img_owner_id": "foo"}, cfg, hw_vm_mode="hvm", img_owner_id="wrong").passed
    assert not _iso({"hw_vm_mode": "hvm", "img_owner_id": "foo"}, None, hw_vm_mode="hvm", img_owner_id="wrong").passed
    # the default separator is '.': hw.vm_mode would be read, hw_vm_mode is not
    dotted = config(aggregate_image_properties_isolation_namespace="hw")
    assert _iso({"hw_vm_mode": "xen"}, dotted, hw_vm_mode="hvm").passed


def test_aggregate_image_properties_isolation_sentences() -> None:
    v = _iso({"os_type": "windows"}, os_type="linux")
    assert render(v.message, v.numbers) == "image property os_type = linux, the host's aggregates allow [windows]"
    v = _iso({"os_type": "linux", "hw_vm_mode": "hvm"}, os_type="linux", hw_vm_mode="hvm")
    assert render(v.message, v.numbers) == "the 2 image properties the host's aggregates name all match"
    assert _iso({"ssd": "true"}).message == "the image sets none of the properties the host's aggregates name"


# -- AggregateMultiTenancyIsolation ------------------------------------------------------------------


def _tenancy(metadata: dict[str, str], project: str, era: Era = "classic") -> Any:
    h = host(aggregates=(aggregate("a", **metadata),))
    return run("AggregateMultiTenancyIsolation", h, ctx(request(project=project), config(era)))


@pytest.mark.parametrize("era", ["classic", "placement"])
@pytest.mark.parametrize(
    ("value", "project", "passes"),
    [
        ("my_tenantid", "my_tenantid", True),  # with_meta_passes
        ("my_tenantid,mytenantid2", "my_tenantid", True),  # with_meta_passes_comma
        ("other_tenantid", "my_tenantid", False),  # fails
        ("other_tenantid,other_tenantid2", "my_tenantid", False),  # fails_comma
    ],
)
def test_aggregate_multi_tenancy_isolation(era: Era, value: str, project: str, passes: bool) -> None:
    assert _tenancy({"filter_tenant_id": value}, project, era).passed is passes


def test_a_host_in_no_restricting_aggregate_takes_every_project() -> None:
    v = _tenancy({"ssd": "true"}, "my_tenantid")
    assert v.passed and v.message == "no aggregate of this host restricts projects (filter_tenant_id)"


def test_prefixed_tenant_keys_count_in_the_placement_era_only() -> None:
    # test_aggregate_multi_tenancy_isolation_with_prefix: Nova 2024.2 (30) reads filter_tenant_id_*.
    metadata = {
        "filter_tenant_id": "my_tenantid",
        "filter_tenant_id_gr1": "my_tenantid1,my_tenantid2",
        "filter_tenant_id_gr2": "my_tenantid5,my_tenantid4",
    }
    assert _tenancy(metadata, "my_tenantid", "placement").passed
    assert _tenancy(metadata, "my_tenantid2", "placement").passed
    assert not _tenancy(metadata, "my_tenantid6", "placement").passed
    assert not _tenancy(metadata, "my_tenantid2", "classic").passed  # Newton read filter_tenant_id alone
    v = _tenancy(metadata, "my_tenantid6", "placement")
    assert render(v.message, v.numbers) == (
        "project my_tenantid6 is not among the aggregates' filter_tenant_id "
        "[my_tenantid, my_tenantid1, my_tenantid2, my_tenantid4, my_tenantid5]"
    )


# -- the registry, the eras, a scenario --------------------------------------------------------------

NEW = (
    "AggregateRamFilter",
    "AggregateCoreFilter",
    "AggregateDiskFilter",
    "AggregateNumInstancesFilter",
    "AggregateIoOpsFilter",
    "AggregateTypeAffinityFilter",
    "AggregateImagePropertiesIsolation",
    "AggregateMultiTenancyIsolation",
)


@pytest.mark.parametrize("name", NEW)
def test_each_aggregate_filter_is_in_the_registry_in_the_eras_nova_has_it(name: str) -> None:
    removed_in_victoria = name in ("AggregateRamFilter", "AggregateCoreFilter", "AggregateDiskFilter")
    assert FILTERS[name].eras == ({"classic"} if removed_in_victoria else {"classic", "placement"})


def test_a_scenario_accepts_the_aggregate_keys_and_runs_the_filters() -> None:
    scenario = parse_scenario(
        {
            "scheduler": {
                "enabled_filters": [
                    "AggregateRamFilter",
                    "AggregateTypeAffinityFilter",
                    "AggregateMultiTenancyIsolation",
                ],
                "weight_classes": [],
            },
            "aggregates": [
                {"name": "tight", "metadata": {"ram_allocation_ratio": 1.0, "max_io_ops_per_host": 4}},
                {"name": "small-only", "metadata": {"instance_type": "m1.tiny, m1.small"}},
                {"name": "private", "metadata": {"filter_tenant_id": "blue"}},
            ],
            "hosts": [
                {"name": "c1", "vcpus": 4, "memory_mb": 2048, "local_gb": 40, "aggregates": ["tight"]},
                {"name": "c2", "vcpus": 4, "memory_mb": 8192, "local_gb": 40, "aggregates": ["small-only"]},
                {"name": "c3", "vcpus": 4, "memory_mb": 8192, "local_gb": 40, "aggregates": ["private"]},
                {"name": "c4", "vcpus": 4, "memory_mb": 8192, "local_gb": 40},
            ],
            "requests": [{"flavor": "m1.medium"}],
        }
    )
    (trace,) = run_scenario(scenario)
    ram, typed, tenancy = trace["instances"][0]["filters"]
    assert [h for h, v in ram["verdicts"].items() if not v["passed"]] == ["c1"]  # 2048 × 1.0 − 512 < 4096
    assert [h for h, v in typed["verdicts"].items() if not v["passed"]] == ["c2"]
    assert [h for h, v in tenancy["verdicts"].items() if not v["passed"]] == ["c3"]  # project demo
    assert trace["selected_hosts"] == ["c4"]


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("ram_allocation_ratio", "lots", "must be a positive number (AggregateRamFilter reads it), not 'lots'"),
        ("disk_allocation_ratio", 0, "must be a positive number (AggregateDiskFilter reads it), not '0'"),
        (
            "max_instances_per_host",
            2.5,
            "must be a non-negative integer (AggregateNumInstancesFilter reads it), not '2.5'",
        ),
        ("max_io_ops_per_host", -1, "must be a non-negative integer (AggregateIoOpsFilter reads it), not '-1'"),
        ("instance_type", " , ", "must list at least one name, comma-separated (AggregateTypeAffinityFilter reads it)"),
        (
            "filter_tenant_id_2",
            "",
            "must list at least one name, comma-separated (AggregateMultiTenancyIsolation reads it)",
        ),
        ("ram_weight_multiplier", "big", "must be a number (RAMWeigher reads it), not 'big'"),
        ("soft_affinity_weight_multiplier", -1, "must be ≥ 0 (ServerGroupSoftAffinityWeigher reads it)"),
    ],
)
def test_a_bad_aggregate_value_is_reported_by_its_path(key: str, value: Any, problem: str) -> None:
    data = {
        "aggregates": [{"name": "a", "metadata": {key: value}}],
        "hosts": [{"name": "c1", "vcpus": 4, "memory_mb": 8192, "local_gb": 40, "aggregates": ["a"]}],
    }
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    assert caught.value.problems == [f"aggregates[0].metadata.{key}: {problem}"]


def test_the_image_isolation_options_are_nova_conf_options() -> None:
    cfg = parse_scheduler_config(
        {"aggregate_image_properties_isolation_namespace": "os", "aggregate_image_properties_isolation_separator": "_"}
    )
    assert (cfg.aggregate_image_properties_isolation_namespace, cfg.aggregate_image_properties_isolation_separator) == (
        "os",
        "_",
    )
    defaults = parse_scheduler_config({})
    assert (
        defaults.aggregate_image_properties_isolation_namespace,
        defaults.aggregate_image_properties_isolation_separator,
    ) == (
        None,
        ".",
    )


def test_a_what_if_can_switch_an_aggregate_filter_on() -> None:
    hosts = (host("c1", aggregates=_in("1.0", key="ram_allocation_ratio"), memory_mb=2048), host("c2"))
    before = Moment(hosts, request("m1.small"), config(enabled_filters=["RamFilter"]))
    after = what_if(before, {"kind": "filter", "name": "AggregateRamFilter", "enabled": True, "position": 0})
    assert after.config.enabled_filters == ("AggregateRamFilter", "RamFilter")
    rows = {row["host"]: row for row in compare(rerun(before), rerun(after))["hosts"]}
    # RamFilter: 2048 × 1.5 − 512 = 2560 ≥ 2048; AggregateRamFilter: 2048 × 1.0 − 512 = 1536 < 2048.
    assert (rows["c1"]["before"]["outcome"], rows["c1"]["after"]["filter"]) == ("passed", "AggregateRamFilter")
    with pytest.raises(ValueError, match="AggregateRamFilter does not exist in the placement era"):
        what_if(
            Moment(hosts, request(), config("placement")),
            {"kind": "filter", "name": "AggregateRamFilter", "enabled": True},
        )


def test_every_aggregate_ratio_sentence_keeps_its_base_sentences_placeholders() -> None:
    for base, sourced in _AGGREGATE_RATIO_SENTENCES.items():
        fields = {f for _, f, _, _ in Formatter().parse(sourced) if f}
        base_fields = {f for _, f, _, _ in Formatter().parse(base) if f}
        assert fields == base_fields | {"aggregate_values", "host_ratio"}, sourced


# nova/objects/image_meta.py: the filter reads ImageMetaProps, not Glance's dict of properties.


def test_aggregate_image_properties_isolation_skips_properties_image_meta_props_lacks() -> None:
    # test_aggregate_image_properties_iso_props_with_custom_meta, with the image setting the key:
    # ImageMetaProps.from_dict drops it, props.get answers None, the host passes.
    v = _iso({"ssd_class": "fast"}, ssd_class="slow")
    assert v.passed
    assert render(v.message, v.numbers) == (
        "ssd_class: Nova's ImageMetaProps has no such image property, so the aggregates' value is not compared"
    )
    # a known property beside it is still compared
    assert not _iso({"ssd_class": "fast", "os_type": "windows"}, ssd_class="slow", os_type="linux").passed


def test_aggregate_image_properties_isolation_reads_legacy_names_and_field_types() -> None:
    # _legacy_property_map: architecture → hw_architecture (the aggregate key is the current name).
    assert not _iso({"hw_architecture": "aarch64"}, architecture="x86_64").passed
    assert _iso({"hw_architecture": "x86_64"}, architecture="x86_64").passed
    # FlexibleBooleanField: 'yes' is True, and str(True) is what the options must list.
    assert not _iso({"hw_qemu_guest_agent": "yes"}, hw_qemu_guest_agent="yes").passed
    assert _iso({"hw_qemu_guest_agent": "True"}, hw_qemu_guest_agent="yes").passed
    # IntegerField: '02' is 2.
    assert _iso({"hw_cpu_cores": "2"}, hw_cpu_cores="02").passed
