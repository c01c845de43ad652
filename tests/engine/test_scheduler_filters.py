"""Each filter against the rules and worked examples of nova-semantics.md section b."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sched_helpers import CIRROS, UBUNTU, aggregate, config, ctx, flavor, host, request, uuid

from cloudlab.engine.i18n import render
from cloudlab.engine.scheduler import CLASSIC_ONLY_FILTERS, FILTER_NAMES, FILTERS, Image, SchedulerHints, ServerGroup


def run(name: str, h, c=None):  # type: ignore[no-untyped-def]
    return FILTERS[name]().host_passes(h, c or ctx())


def test_the_registry_has_the_twenty_six_filters_the_course_models() -> None:
    assert len(FILTER_NAMES) == 26
    assert {"RamFilter", "ComputeFilter", "AggregateInstanceExtraSpecsFilter"} <= set(FILTER_NAMES)
    assert all(FILTERS[name].name == name for name in FILTER_NAMES)


def test_only_the_filters_removed_from_nova_are_classic_only() -> None:
    # RamFilter/CoreFilter/DiskFilter: removed in Train (20); RetryFilter and the three
    # per-aggregate capacity filters: removed in Victoria (22); AvailabilityZoneFilter in 2023.2 (28).
    assert CLASSIC_ONLY_FILTERS == {
        "AvailabilityZoneFilter",
        "RamFilter",
        "CoreFilter",
        "DiskFilter",
        "RetryFilter",
        "AggregateRamFilter",
        "AggregateCoreFilter",
        "AggregateDiskFilter",
    }


@pytest.mark.parametrize(
    ("name", "once"),
    [
        ("AllHostsFilter", True),
        ("AvailabilityZoneFilter", True),
        ("ComputeFilter", True),
        ("ComputeCapabilitiesFilter", True),
        ("ImagePropertiesFilter", True),
        ("IsolatedHostsFilter", True),
        ("SimpleCIDRAffinityFilter", True),
        ("DifferentHostFilter", True),
        ("SameHostFilter", True),
        ("AggregateInstanceExtraSpecsFilter", True),
        ("RamFilter", False),
        ("CoreFilter", False),
        ("DiskFilter", False),
        ("RetryFilter", False),
        ("NumInstancesFilter", False),
        ("IoOpsFilter", False),
        ("ServerGroupAffinityFilter", False),
        ("ServerGroupAntiAffinityFilter", False),
        ("AggregateRamFilter", False),
        ("AggregateCoreFilter", False),
        ("AggregateDiskFilter", False),
        ("AggregateNumInstancesFilter", False),
        ("AggregateIoOpsFilter", False),
        ("AggregateTypeAffinityFilter", True),
        ("AggregateImagePropertiesIsolation", True),
        ("AggregateMultiTenancyIsolation", True),
    ],
)
def test_run_filter_once_per_request_flags_are_novas(name: str, once: bool) -> None:
    assert FILTERS[name].run_filter_once_per_request is once


# -- RamFilter ----------------------------------------------------------------------------------


def test_ram_filter_worked_example_fails_with_the_arithmetic_in_the_sentence() -> None:
    h = host(memory_mb=4096, memory_mb_used=4608, ram_allocation_ratio=1.5)
    v = run("RamFilter", h, ctx(request("m1.small")))
    assert not v.passed
    assert render(v.message, v.numbers) == "usable RAM = 4096 × 1.5 − 4608 = 1536 MB < 2048 MB requested"
    assert v.numbers["usable_ram_mb"] == 1536
    assert v.numbers["used_ram_mb"] == 4608


def test_ram_filter_counts_reserved_memory_after_the_ratio() -> None:
    # 8192 MB, 512 reserved, ratio 1.5: 8192 × 1.5 − 512 = 11776 MB for instances.
    # Instances already hold 9728 MB, so exactly 2048 MB are left for an m1.small.
    h = host(memory_mb=8192, reserved_host_memory_mb=512, memory_mb_used=512 + 9728, ram_allocation_ratio=1.5)
    assert run("RamFilter", h, ctx(request("m1.small"))).passed
    assert not run("RamFilter", h, ctx(request(replace(flavor("m1.small"), memory_mb=2049)))).passed


def test_ram_filter_passes_an_overcommitted_host_while_the_limit_allows() -> None:
    h = host(memory_mb=4096, memory_mb_used=5120, ram_allocation_ratio=1.5)  # free_ram_mb = −1024
    assert h.free_ram_mb < 0
    v = run("RamFilter", h, ctx(request("m1.tiny")))
    assert v.passed
    assert v.limits == {"memory_mb": 6144}


def test_ram_filter_refuses_an_instance_larger_than_the_physical_ram() -> None:
    h = host(memory_mb=4096, ram_allocation_ratio=16.0)
    v = run("RamFilter", h, ctx(request("m1.large")))
    assert not v.passed
    assert "cannot overcommit against itself" in v.message


# -- CoreFilter / DiskFilter --------------------------------------------------------------------


def test_core_filter_uses_the_cpu_allocation_ratio() -> None:
    h = host(vcpus=2, vcpus_used=31)  # classic ratio 16: 32 − 31 = 1 free
    assert run("CoreFilter", h, ctx(request("m1.small"))).passed
    v = run("CoreFilter", h, ctx(request("m1.medium")))
    assert not v.passed
    assert render(v.message, v.numbers) == "free vCPUs = 2 × 16 − 31 = 1 < 2 requested"


def test_core_filter_refuses_more_vcpus_than_the_host_has() -> None:
    v = run("CoreFilter", host(vcpus=4), ctx(request("m1.xlarge")))
    assert not v.passed
    assert v.numbers["requested_vcpus"] == 8


def test_core_filter_passes_a_host_that_reports_no_vcpus() -> None:
    assert run("CoreFilter", host(vcpus=0), ctx(request("m1.xlarge"))).passed


def test_disk_filter_counts_root_ephemeral_and_swap_in_mb() -> None:
    f = replace(flavor("m1.small"), root_gb=10, ephemeral_gb=5, swap=512)
    h = host(local_gb=20, local_gb_used=4)  # 20480 − 4096 = 16384 usable; request 15872
    v = run("DiskFilter", h, ctx(request(f)))
    assert v.passed
    assert v.numbers["requested_disk_mb"] == 1024 * 15 + 512
    assert v.limits == {"disk_gb": 20}
    h_full = host(local_gb=20, local_gb_used=5)
    assert not run("DiskFilter", h_full, ctx(request(f))).passed


# -- ComputeFilter, AvailabilityZoneFilter, RetryFilter -----------------------------------------


def test_compute_filter_fails_disabled_and_down_hosts() -> None:
    assert run("ComputeFilter", host()).passed
    assert not run("ComputeFilter", host(enabled=False)).passed
    v = run("ComputeFilter", host(up=False))
    assert not v.passed
    assert "down" in v.message


def test_availability_zone_filter_without_a_requested_zone_passes_every_host() -> None:
    assert run("AvailabilityZoneFilter", host(aggregates=(aggregate("a", "az1"),))).passed


def test_availability_zone_filter_matches_the_hosts_aggregate_zones() -> None:
    c = ctx(request(availability_zone="az1"))
    assert run("AvailabilityZoneFilter", host(aggregates=(aggregate("a", "az1"),)), c).passed
    assert not run("AvailabilityZoneFilter", host(aggregates=(aggregate("b", "az2"),)), c).passed


def test_availability_zone_filter_puts_a_host_without_zone_in_the_default_zone() -> None:
    assert run("AvailabilityZoneFilter", host(), ctx(request(availability_zone="nova"))).passed
    assert not run("AvailabilityZoneFilter", host(), ctx(request(availability_zone="az1"))).passed
    c = ctx(request(availability_zone="az1"), config(default_availability_zone="az1"))
    assert run("AvailabilityZoneFilter", host(), c).passed


def test_retry_filter_removes_hosts_already_tried() -> None:
    c = ctx(retry_hosts=("h1",))
    assert not run("RetryFilter", host("h1"), c).passed
    assert run("RetryFilter", host("h2"), c).passed
    assert run("RetryFilter", host("h1")).passed


# -- ImagePropertiesFilter ----------------------------------------------------------------------


def test_image_properties_filter_passes_an_image_without_properties() -> None:
    bare = Image("x", "bare")
    assert run("ImagePropertiesFilter", host(hypervisor_type="docker"), ctx(request(image=bare))).passed


def test_image_properties_filter_needs_a_triple_with_every_value() -> None:
    c = ctx(request(image=CIRROS))  # x86_64 / qemu
    assert run("ImagePropertiesFilter", host(hypervisor_type="QEMU"), c).passed
    assert run("ImagePropertiesFilter", host(hypervisor_type="KVM"), c).passed  # KVM also offers qemu
    v = run("ImagePropertiesFilter", host(hypervisor_type="VirtualBox"), c)
    assert not v.passed
    assert render(v.message, v.numbers) == "the image needs x86_64/qemu/*, the host supports only x86_64/vbox/hvm"
    assert not run("ImagePropertiesFilter", host(cpu_arch="aarch64"), c).passed


def test_image_properties_filter_canonicalises_the_image_values() -> None:
    img = Image("x", "x", properties={"hw_architecture": "AMD64", "hw_vm_mode": "hv"})
    assert run("ImagePropertiesFilter", host(), ctx(request(image=img))).passed


def _image(**properties: str) -> Image:
    return Image("x", "x", properties=properties)


@pytest.mark.parametrize(
    ("props", "triple"),
    [
        # nova/tests/unit/scheduler/filters/test_image_props_filters.py, the *_compat tests:
        ({"hw_vm_mode": "pv"}, ("x86_64", "xen", "xen")),
        ({"hw_vm_mode": "hv"}, ("x86_64", "kvm", "hvm")),
        ({"hw_architecture": "x86_32"}, ("i686", "kvm", "hvm")),
        ({"img_hv_type": "xapi"}, ("x86_64", "xen", "hvm")),
        ({"hw_vm_mode": "baremetal"}, ("x86_64", "baremetal", "hvm")),
        # nova/tests/unit/objects/test_fields.py: case and the i386 family
        ({"hw_architecture": "I386"}, ("i686", "qemu", "hvm")),
        ({"img_hv_type": "QeMu"}, ("x86_64", "qemu", "hvm")),
    ],
)
def test_image_properties_filter_canonicalises_the_image_side_as_nova(
    props: dict[str, str], triple: tuple[str, str, str]
) -> None:
    assert run("ImagePropertiesFilter", host(supported_instances=(triple,)), ctx(request(image=_image(**props)))).passed


@pytest.mark.parametrize(
    ("advertised", "props"),
    [
        # The compute node's supported_instances are HVSpec objects: the same canonicalize applies.
        (("amd64", "docker", "exe"), {"hw_architecture": "x86_64"}),
        (("i486", "kvm", "hvm"), {"hw_architecture": "i686"}),
        (("x86_32p", "kvm", "hvm"), {"hw_architecture": "i686"}),
        (("AARCH64", "QEMU", "HVM"), {"hw_architecture": "aarch64", "img_hv_type": "qemu", "hw_vm_mode": "hvm"}),
        (("x86_64", "xapi", "pv"), {"img_hv_type": "xen", "hw_vm_mode": "xen"}),
        (("x86_64", "kvm", "hv"), {"hw_vm_mode": "hvm"}),
    ],
)
def test_image_properties_filter_canonicalises_the_host_side_too(
    advertised: tuple[str, str, str], props: dict[str, str]
) -> None:
    h = host(supported_instances=(advertised,))
    assert run("ImagePropertiesFilter", h, ctx(request(image=_image(**props)))).passed


def test_the_reason_names_both_sides_canonically_and_keeps_what_the_host_stated() -> None:
    h = host(supported_instances=(("amd64", "docker", "exe"),))
    v = run("ImagePropertiesFilter", h, ctx(request(image=_image(hw_architecture="AMD64"))))
    assert render(v.message, v.numbers) == "the image needs x86_64/*/*, the host supports x86_64/docker/exe"
    assert v.numbers["advertised"] == "amd64/docker/exe"
    v = run("ImagePropertiesFilter", h, ctx(request(image=_image(hw_architecture="i386"))))
    assert render(v.message, v.numbers) == "the image needs i686/*/*, the host supports only x86_64/docker/exe"


def test_only_novas_aliases_are_canonical_names() -> None:
    # Architecture.canonicalize knows amd64 and the i386 family, nothing else: arm64 is not aarch64.
    h = host(supported_instances=(("aarch64", "qemu", "hvm"),))
    assert not run("ImagePropertiesFilter", h, ctx(request(image=_image(hw_architecture="arm64")))).passed
    assert not run("ImagePropertiesFilter", host(), ctx(request(image=_image(hw_architecture="x64")))).passed


def test_image_properties_filter_fails_a_host_with_no_supported_instances() -> None:
    h = host(supported_instances=())
    assert run("ImagePropertiesFilter", h, ctx(request(image=Image("x", "bare")))).passed
    assert not run("ImagePropertiesFilter", h, ctx(request(image=CIRROS))).passed


def test_image_properties_filter_checks_the_requested_hypervisor_version() -> None:
    img = Image("x", "x", properties={"img_hv_type": "qemu", "img_hv_requested_version": ">=6.0,<6.2"})
    assert run("ImagePropertiesFilter", host(hypervisor_version=6001000), ctx(request(image=img))).passed
    v = run("ImagePropertiesFilter", host(hypervisor_version=6002000), ctx(request(image=img)))
    assert not v.passed
    assert v.numbers["host_version"] == "6.2.0"


def test_image_properties_default_architecture_applies_to_images_without_one() -> None:
    bare = Image("x", "bare")
    c = ctx(request(image=bare), config(image_properties_default_architecture="aarch64"))
    assert not run("ImagePropertiesFilter", host(cpu_arch="x86_64"), c).passed
    assert run("ImagePropertiesFilter", host(cpu_arch="aarch64"), c).passed


# -- IsolatedHostsFilter ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("restrict", "image_isolated", "host_isolated", "passes"),
    [
        (True, True, True, True),
        (True, True, False, False),
        (True, False, True, False),
        (True, False, False, True),
        (False, True, True, True),
        (False, True, False, False),
        (False, False, True, True),
        (False, False, False, True),
    ],
)
def test_isolated_hosts_filter_truth_table(
    restrict: bool, image_isolated: bool, host_isolated: bool, passes: bool
) -> None:
    cfg = config(
        isolated_hosts=["iso"],
        isolated_images=[UBUNTU.id],
        restrict_isolated_hosts_to_isolated_images=restrict,
    )
    image = UBUNTU if image_isolated else CIRROS
    h = host("iso" if host_isolated else "plain")
    assert run("IsolatedHostsFilter", h, ctx(request("m1.small", image), cfg)).passed is passes


def test_isolated_hosts_filter_without_isolated_images() -> None:
    restrictive = config(isolated_hosts=["iso"])
    assert not run("IsolatedHostsFilter", host("iso"), ctx(cfg=restrictive)).passed
    assert run("IsolatedHostsFilter", host("plain"), ctx(cfg=restrictive)).passed
    lax = config(isolated_hosts=["iso"], restrict_isolated_hosts_to_isolated_images=False)
    assert run("IsolatedHostsFilter", host("iso"), ctx(cfg=lax)).passed


def test_isolated_hosts_filter_counts_a_volume_boot_as_not_isolated() -> None:
    cfg = config(isolated_hosts=["iso"], isolated_images=[UBUNTU.id])
    assert run("IsolatedHostsFilter", host("plain"), ctx(request(image=None), cfg)).passed
    assert not run("IsolatedHostsFilter", host("iso"), ctx(request(image=None), cfg)).passed


# -- affinity hints -----------------------------------------------------------------------------


def test_simple_cidr_affinity_defaults_to_a_slash_24() -> None:
    c = ctx(request(hints=SchedulerHints(build_near_host_ip="10.0.0.5")))
    v = run("SimpleCIDRAffinityFilter", host(host_ip="10.0.0.200"), c)
    assert v.passed
    assert v.numbers["network"] == "10.0.0.0/24"
    assert not run("SimpleCIDRAffinityFilter", host(host_ip="10.0.1.2"), c).passed


def test_simple_cidr_affinity_with_a_wider_cidr_and_without_hint() -> None:
    c = ctx(request(hints=SchedulerHints(build_near_host_ip="10.0.0.5", cidr="/16")))
    assert run("SimpleCIDRAffinityFilter", host(host_ip="10.0.9.9"), c).passed
    assert run("SimpleCIDRAffinityFilter", host(host_ip="192.168.1.1")).passed


def test_different_host_filter() -> None:
    on_host = host(instance_uuids=frozenset({uuid(1)}))
    empty = host("h2")
    c = ctx(request(hints=SchedulerHints(different_host=(uuid(1),))))
    assert not run("DifferentHostFilter", on_host, c).passed
    assert run("DifferentHostFilter", empty, c).passed


def test_same_host_filter_fails_an_empty_host() -> None:
    on_host = host(instance_uuids=frozenset({uuid(1)}))
    c = ctx(request(hints=SchedulerHints(same_host=(uuid(1), uuid(2)))))
    assert run("SameHostFilter", on_host, c).passed
    assert not run("SameHostFilter", host("empty"), c).passed


def test_empty_same_and_different_host_hints_pass_every_host() -> None:
    c = ctx(request(hints=SchedulerHints(same_host=(), different_host=())))
    assert run("SameHostFilter", host("empty"), c).passed
    assert run("DifferentHostFilter", host(instance_uuids=frozenset({uuid(1)})), c).passed


# -- counters -----------------------------------------------------------------------------------


def test_num_instances_filter() -> None:
    cfg = config(max_instances_per_host=2)
    assert run("NumInstancesFilter", host(num_instances=1), ctx(cfg=cfg)).passed
    v = run("NumInstancesFilter", host(num_instances=2), ctx(cfg=cfg))
    assert not v.passed
    assert render(v.message, v.numbers) == "2 instances ≥ max_instances_per_host 2"


def test_io_ops_filter() -> None:
    assert run("IoOpsFilter", host(num_io_ops=7)).passed
    assert not run("IoOpsFilter", host(num_io_ops=8)).passed


# -- server groups ------------------------------------------------------------------------------


def test_anti_affinity_counts_members_on_the_host() -> None:
    group = ServerGroup("web", "anti-affinity", (uuid(1),))
    c = ctx(request(group=group))
    assert not run("ServerGroupAntiAffinityFilter", host(instance_uuids=frozenset({uuid(1)})), c).passed
    assert run("ServerGroupAntiAffinityFilter", host("h2", instance_uuids=frozenset({uuid(9)})), c).passed


def test_anti_affinity_max_server_per_host_rule() -> None:
    group = ServerGroup("web", "anti-affinity", (uuid(1), uuid(2)), {"max_server_per_host": 2})
    c = ctx(request(group=group))
    assert run("ServerGroupAntiAffinityFilter", host(instance_uuids=frozenset({uuid(1)})), c).passed
    assert not run("ServerGroupAntiAffinityFilter", host(instance_uuids=frozenset({uuid(1), uuid(2)})), c).passed


def test_anti_affinity_passes_the_host_the_instance_is_already_on() -> None:
    group = ServerGroup("web", "anti-affinity", (uuid(1),))
    req = request(group=group)
    h = host(instance_uuids=frozenset({uuid(1), req.uuid_of(0)}))
    assert run("ServerGroupAntiAffinityFilter", h, ctx(req)).passed


def test_affinity_filter_follows_the_group_hosts() -> None:
    group = ServerGroup("db", "affinity", (uuid(1),))
    assert run("ServerGroupAffinityFilter", host("h9"), ctx(request(group=group))).passed  # no host yet
    c = ctx(request(group=group), group_hosts=["h1"])
    assert run("ServerGroupAffinityFilter", host("h1"), c).passed
    assert not run("ServerGroupAffinityFilter", host("h2"), c).passed


def test_group_filters_ignore_other_policies() -> None:
    soft = ServerGroup("s", "soft-anti-affinity", (uuid(1),))
    h = host(instance_uuids=frozenset({uuid(1)}))
    assert run("ServerGroupAntiAffinityFilter", h, ctx(request(group=soft))).passed
    assert run("ServerGroupAffinityFilter", host("h2"), ctx(request(group=soft), group_hosts=["h1"])).passed


# -- extra specs --------------------------------------------------------------------------------


def test_aggregate_instance_extra_specs_filter() -> None:
    ssd_host = host(aggregates=(aggregate("fast", ssd="true"),))
    plain = host("h2")
    c = ctx(request(flavor("m1.small", ssd="true")))
    assert run("AggregateInstanceExtraSpecsFilter", ssd_host, c).passed
    v = run("AggregateInstanceExtraSpecsFilter", plain, c)
    assert not v.passed
    assert "no aggregate" in v.message


def test_aggregate_extra_specs_ignore_other_scopes_and_read_their_own() -> None:
    plain = host()
    assert run(
        "AggregateInstanceExtraSpecsFilter", plain, ctx(request(flavor("m1.small", **{"hw:cpu_policy": "dedicated"})))
    ).passed
    scoped = flavor("m1.small", **{"aggregate_instance_extra_specs:ssd": "true"})
    assert not run("AggregateInstanceExtraSpecsFilter", plain, ctx(request(scoped))).passed


def test_aggregate_extra_specs_any_value_across_aggregates_may_match() -> None:
    h = host(aggregates=(aggregate("a", gen="2"), aggregate("b", gen="4")))
    assert run("AggregateInstanceExtraSpecsFilter", h, ctx(request(flavor("m1.small", gen="= 3")))).passed
    assert not run("AggregateInstanceExtraSpecsFilter", h, ctx(request(flavor("m1.small", gen="= 5")))).passed


def test_compute_capabilities_filter_reads_host_state_attributes() -> None:
    h = host(hypervisor_type="KVM")
    assert run(
        "ComputeCapabilitiesFilter", h, ctx(request(flavor("m1.small", **{"capabilities:hypervisor_type": "KVM"})))
    ).passed
    assert not run(
        "ComputeCapabilitiesFilter", h, ctx(request(flavor("m1.small", **{"capabilities:hypervisor_type": "QEMU"})))
    ).passed
    # `=` means at least: 7680 MB free ≥ 4096.
    assert run(
        "ComputeCapabilitiesFilter", h, ctx(request(flavor("m1.small", **{"capabilities:free_ram_mb": "= 4096"})))
    ).passed
    assert not run("ComputeCapabilitiesFilter", h, ctx(request(flavor("m1.small", free_ram_mb="= 9000")))).passed


def test_compute_capabilities_nested_cpu_info_and_stats() -> None:
    h = host(cpu_info={"vendor": "Intel", "features": ["vmx"]}, stats={"rack": "r1"})
    vendor = flavor("m1.small", **{"capabilities:cpu_info:vendor": "Intel"})
    assert run("ComputeCapabilitiesFilter", h, ctx(request(vendor))).passed
    assert run("ComputeCapabilitiesFilter", h, ctx(request(flavor("m1.small", rack="r1")))).passed
    missing = flavor("m1.small", **{"capabilities:cpu_info:model": "Haswell"})
    v = run("ComputeCapabilitiesFilter", h, ctx(request(missing)))
    assert not v.passed
    assert "unknown" in v.message


def test_compute_capabilities_ignores_unscoped_keys_that_are_no_host_attribute() -> None:
    assert run("ComputeCapabilitiesFilter", host(), ctx(request(flavor("m1.small", ssd="true")))).passed


def test_every_verdict_renders_its_template_with_its_numbers() -> None:
    h = host(memory_mb=4096, memory_mb_used=4608)
    for name, cls in FILTERS.items():
        v = cls().host_passes(h, ctx(request(flavor("m1.small"), hints=SchedulerHints(build_near_host_ip="10.0.0.1"))))
        text = render(v.message, v.numbers)
        assert "{" not in text, name
