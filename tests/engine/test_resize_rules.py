"""A resize's flavor change under Nova's rules (cloudlab/engine/launch.py resize_problems).

nova-api's refusals from nova/tests/unit/compute/test_api.py (test_resize_same_flavor_fails,
test_resize_to_zero_disk_flavor_fails, test_resize_quota_check,
test_resize_instance_quota_exceeds_with_multiple_resources, test_resize_vol_backed_smaller_min_ram);
the driver's from nova/tests/unit/virt/libvirt/test_driver.py
(test_migrate_disk_and_power_off_resize_error*) and the VMware driver's migrate_disk_and_power_off.
"""

from __future__ import annotations

import pytest

from cloudlab.engine.launch import (
    LIBVIRT_RESIZE_DOWN,
    VMWARE_RESIZE_DOWN,
    FlavorRef,
    ImageRequirements,
    QuotaSet,
    resize_problems,
)
from cloudlab.engine.resources import FlavorSize

NO_MINIMUM = ImageRequirements("cirros", min_ram=0, min_disk=0, size_mb=21)
UNLIMITED = QuotaSet(instances=-1, cores=-1, ram=-1)
NOTHING_USED = QuotaSet(instances=1, cores=1, ram=512)


def flavor(flavorid: str, vcpus: int = 1, ram: int = 512, root: int = 1, ephemeral: int = 0) -> FlavorRef:
    return FlavorRef(flavorid, f"f{flavorid}", FlavorSize(vcpus, ram, root, ephemeral))


def problems(
    current: FlavorRef,
    new: FlavorRef,
    *,
    image: ImageRequirements = NO_MINIMUM,
    limits: QuotaSet = UNLIMITED,
    usage: QuotaSet = NOTHING_USED,
    hypervisor_type: str | None = "QEMU",
) -> list[tuple[str, str, str]]:
    return [(p.code, p.where, p.render()) for p in resize_problems(current, new, image, limits, usage, hypervisor_type)]


def test_the_current_flavor_is_refused_by_nova_api() -> None:
    """test_resize_same_flavor_fails: CannotResizeToSameFlavor, a 400."""
    current = flavor("1")
    [problem] = resize_problems(current, current, NO_MINIMUM, UNLIMITED, NOTHING_USED, "QEMU")
    assert (problem.code, problem.where, problem.status) == ("CannotResizeToSameFlavor", "api", 400)
    assert problem.render() == "When resizing, instances must change flavor!"


def test_a_zero_disk_flavor_is_refused_first_when_the_current_one_has_a_disk() -> None:
    """test_resize_to_zero_disk_flavor_fails: CannotResizeDisk is nova-api's answer, before the
    quota is counted (the dialog lists the quota too), and nova-compute is never asked."""
    over = QuotaSet(instances=10, cores=1, ram=512)
    found = problems(flavor("1", root=1), flavor("42", vcpus=4, ram=64, root=0), limits=over)
    assert found[0] == (
        "CannotResizeDisk",
        "api",
        "Server disk was unable to be resized because: Resize to zero disk flavor is not allowed.",
    )
    assert [(code, where) for code, where, _text in found[1:]] == [("TooManyInstances", "api")]


def test_a_zero_disk_flavor_is_fine_from_a_zero_disk_flavor() -> None:
    assert problems(flavor("42", root=0), flavor("84", ram=128, root=0)) == []


def test_the_upsize_delta_of_ram_over_the_quota_is_refused_with_a_403() -> None:
    """test_resize_quota_check: quota ram 2048, 1024 used; 512 MB → 2048 MB asks for 1536 more."""
    [problem] = resize_problems(
        flavor("1", ram=512, root=10),
        flavor("2", ram=2048, root=10),
        NO_MINIMUM,
        QuotaSet(instances=10, cores=1, ram=2048),
        QuotaSet(instances=1, cores=1, ram=1024),
        "QEMU",
    )
    assert (problem.code, problem.where, problem.status) == ("TooManyInstances", "api", 403)
    assert problem.render() == "Quota exceeded for ram: Requested 1536, but already used 1024 of 2048 ram"


def test_every_resource_over_is_named_in_one_refusal() -> None:
    """test_resize_instance_quota_exceeds_with_multiple_resources: overs 'cores, ram',
    req '2, 1024', used '1, 512', allowed '1, 512'."""
    assert problems(
        flavor("1", vcpus=1, ram=512),
        flavor("333", vcpus=3, ram=1536),
        limits=QuotaSet(instances=10, cores=1, ram=512),
        usage=QuotaSet(instances=1, cores=1, ram=512),
    ) == [
        (
            "TooManyInstances",
            "api",
            "Quota exceeded for cores, ram: Requested 2, 1024, but already used 1, 512 of 1, 512 cores, ram",
        )
    ]


def test_a_smaller_flavor_is_never_refused_for_quota() -> None:
    """upsize_quota_delta is empty for a downsize: even a project already over its quota may shrink."""
    over = QuotaSet(instances=1, cores=1, ram=512)
    used = QuotaSet(instances=3, cores=8, ram=8192)
    assert (
        problems(
            flavor("3", vcpus=2, ram=4096, root=40), flavor("4", vcpus=1, ram=1024, root=40), limits=over, usage=used
        )
        == []
    )


def test_an_unlimited_quota_never_refuses() -> None:
    assert problems(flavor("1"), flavor("5", vcpus=8, ram=16384), usage=QuotaSet(100, 1000, 10**6)) == []


def test_the_image_min_ram_is_checked_against_the_new_flavor() -> None:
    """test_resize_vol_backed_smaller_min_ram (and _validate_flavor_image_nostatus for an
    image-backed server): 512 MB → 64 MB under an image that needs 512 MB."""
    image = ImageRequirements("ubuntu", min_ram=512, min_disk=0, size_mb=0)
    [(code, where, text)] = problems(flavor("1", ram=512, root=1), flavor("200", ram=64, root=1), image=image)
    assert (code, where) == ("FlavorMemoryTooSmall", "api")
    assert text.startswith("Flavor's memory is too small for requested image")


def test_the_image_min_disk_is_checked_against_the_new_flavor() -> None:
    image = ImageRequirements("ubuntu", min_ram=0, min_disk=3, size_mb=660)
    [(code, where, text)] = problems(flavor("2", root=20), flavor("1", root=1), image=image)
    assert (code, where) == ("FlavorDiskSmallerThanMinDisk", "api")
    assert "f1 has 1 GB, ubuntu needs at least 3 GB (min_disk)" in text


def test_libvirt_refuses_a_smaller_root_disk_only_after_nova_api_accepted() -> None:
    """test_migrate_disk_and_power_off_resize_error_rbd: root 10 → 5 GB, ephemeral kept: the
    driver raises ResizeError in InstanceFaultRollback; nova-api had answered 202."""
    [problem] = resize_problems(
        flavor("1", root=10, ephemeral=20),
        flavor("2", root=5, ephemeral=20),
        NO_MINIMUM,
        UNLIMITED,
        NOTHING_USED,
        "KVM",
    )
    assert (problem.code, problem.where, problem.fault) == ("ResizeError", "compute", LIBVIRT_RESIZE_DOWN)
    assert problem.fault == "Resize error: Unable to resize disk down."
    assert "libvirt driver refuses to shrink f1's 10 GB root disk to f2's 5 GB" in problem.render()


def test_libvirt_refuses_a_smaller_ephemeral_disk() -> None:
    """test_migrate_disk_and_power_off_resize_error_default_ephemeral: ephemeral 20 → 0 GB."""
    [(code, where, text)] = problems(flavor("1", root=10, ephemeral=20), flavor("2", root=10, ephemeral=0))
    assert (code, where) == ("ResizeError", "compute")
    assert "20 GB ephemeral disk to f2's 0 GB" in text


def test_a_bigger_or_equal_disk_passes_the_driver() -> None:
    assert problems(flavor("1", root=10, ephemeral=20), flavor("2", ram=1024, root=10, ephemeral=20)) == []
    assert problems(flavor("1", root=10), flavor("2", root=20)) == []


def test_vmware_refuses_a_smaller_root_disk_in_its_own_words_and_ignores_ephemeral() -> None:
    [problem] = resize_problems(
        flavor("1", root=20), flavor("2", root=10), NO_MINIMUM, UNLIMITED, NOTHING_USED, "VMware vCenter Server"
    )
    assert (problem.where, problem.fault) == ("compute", VMWARE_RESIZE_DOWN)
    assert problem.render().startswith("Resize error: Unable to shrink disk.")
    assert (
        problems(flavor("1", root=20, ephemeral=5), flavor("2", root=20), hypervisor_type="VMware vCenter Server") == []
    )


@pytest.mark.parametrize(
    ("hypervisor_type", "driver"),
    [("QEMU", "libvirt"), ("LXC", "libvirt"), ("VirtualBox", "VirtualBox"), (None, "libvirt")],
)
def test_a_host_without_a_nova_driver_of_its_own_refuses_as_libvirt_does(
    hypervisor_type: str | None, driver: str
) -> None:
    [problem] = resize_problems(
        flavor("2", root=20), flavor("1", root=1), NO_MINIMUM, UNLIMITED, NOTHING_USED, hypervisor_type
    )
    assert problem.fault == LIBVIRT_RESIZE_DOWN
    assert f"the host's {driver} driver refuses" in problem.render()


def test_nova_compute_is_not_consulted_when_nova_api_refuses() -> None:
    """An over-quota shrink of the disk is refused by nova-api alone: the request never reaches
    the host, so no driver refusal is listed."""
    found = problems(
        flavor("1", vcpus=1, root=20),
        flavor("2", vcpus=4, root=1),
        limits=QuotaSet(instances=10, cores=2, ram=-1),
        usage=QuotaSet(instances=1, cores=1, ram=512),
    )
    assert [(code, where) for code, where, _text in found] == [("TooManyInstances", "api")]


def test_the_refusals_come_in_novas_order() -> None:
    """Quota (``_check_quota_for_upsize``) before the image (``_validate_flavor_image_nostatus``)."""
    image = ImageRequirements("big", min_ram=4096, min_disk=0, size_mb=0)
    found = problems(
        flavor("1", vcpus=1, ram=512),
        flavor("2", vcpus=2, ram=1024),
        image=image,
        limits=QuotaSet(instances=10, cores=1, ram=-1),
        usage=QuotaSet(instances=1, cores=1, ram=512),
    )
    assert [code for code, _where, _text in found] == ["TooManyInstances", "FlavorMemoryTooSmall"]
