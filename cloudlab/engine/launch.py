"""What the compute API checks before it creates or resizes instances: flavor against image,
quotas, and a resize's flavor change.

Pure rules from nova/compute/api.py (``_validate_flavor_image_nostatus``, ``resize``,
``_check_quota_for_upsize``), nova/quota.py (nova-semantics.md section f) and the drivers'
``migrate_disk_and_power_off``. The Launch and Resize dialogs grey out flavors with these same
problems and the actions refuse with them, so a dialog can never disagree with its writer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from .i18n import N_, Translate, identity, render
from .lifecycle import LIBVIRT_HYPERVISOR_TYPES
from .resources import FlavorSize

MAX_NAME_LENGTH = 255  # Nova's display_name column


#: Nova's HTTP status for a refusal the API answers (webob's HTTPForbidden for an OverQuota,
#: HTTPBadRequest for the flavor and disk checks: nova/api/openstack/compute/servers.py).
_API_STATUS = {"TooManyInstances": 403}


@dataclass(frozen=True)
class Problem:
    """One reason a request cannot go ahead: an English template and its numbers.

    ``where`` says who refuses: ``"api"``, nova-api, which answers the request with it
    (``status``); ``"compute"``, nova-compute, after nova-api accepted the request (202): the
    action then fails on the host and the instance keeps ``fault``.
    """

    code: str
    template: str
    numbers: dict[str, Any] = field(default_factory=dict)
    where: Literal["api", "compute"] = "api"
    #: A compute-side problem's fault, as nova-compute records it on the instance (Nova's words).
    fault: str = ""

    def render(self, translate: Translate = identity) -> str:
        return render(self.template, self.numbers, translate)

    @property
    def status(self) -> int:
        """The HTTP status nova-api answers this refusal with."""
        return _API_STATUS.get(self.code, 400)


@dataclass(frozen=True)
class ImageRequirements:
    name: str
    min_ram: int  # MB
    min_disk: int  # GB
    size_mb: int


def flavor_image_problems(flavor_name: str, flavor: FlavorSize, image: ImageRequirements) -> list[Problem]:
    """Why ``flavor`` cannot boot ``image`` (Nova's FlavorMemoryTooSmall and disk checks).

    A flavor with ``root_gb`` 0 sizes its disk to the image, so Nova skips both disk checks.
    """
    problems: list[Problem] = []
    if image.min_ram and flavor.memory_mb < image.min_ram:
        problems.append(
            Problem(
                "FlavorMemoryTooSmall",
                N_(
                    "Flavor's memory is too small for requested image: {flavor} has {flavor_ram} MB, "
                    "{image} needs at least {min_ram} MB (min_ram)."
                ),
                {"flavor": flavor_name, "flavor_ram": flavor.memory_mb, "image": image.name, "min_ram": image.min_ram},
            )
        )
    if flavor.root_gb > 0:
        if image.min_disk and flavor.root_gb < image.min_disk:
            problems.append(
                Problem(
                    "FlavorDiskSmallerThanMinDisk",
                    N_(
                        "Flavor's disk is smaller than the minimum size specified in image metadata: "
                        "{flavor} has {flavor_disk} GB, {image} needs at least {min_disk} GB (min_disk)."
                    ),
                    {
                        "flavor": flavor_name,
                        "flavor_disk": flavor.root_gb,
                        "image": image.name,
                        "min_disk": image.min_disk,
                    },
                )
            )
        if image.size_mb > flavor.root_gb * 1024:
            problems.append(
                Problem(
                    "FlavorDiskSmallerThanImage",
                    N_(
                        "Flavor's disk is too small for requested image: {flavor} has {flavor_disk} GB, "
                        "{image} is {image_gb} GB."
                    ),
                    {
                        "flavor": flavor_name,
                        "flavor_disk": flavor.root_gb,
                        "image": image.name,
                        "image_gb": math.ceil(image.size_mb / 1024 * 10) / 10,
                    },
                )
            )
    return problems


@dataclass(frozen=True)
class QuotaSet:
    """Limits or usage of the three compute quotas (−1 as a limit means unlimited)."""

    instances: int
    cores: int
    ram: int


def quota_problems(limits: QuotaSet, usage: QuotaSet, flavor: FlavorSize, count: int) -> list[Problem]:
    """Resources a boot of ``count`` × ``flavor`` would take past the project's quota.

    Over means ``limit ≥ 0 and usage + delta > limit``; the text is Nova's TooManyInstances.
    """
    deltas = {"instances": count, "cores": count * flavor.vcpus, "ram": count * flavor.memory_mb}
    problems: list[Problem] = []
    for resource, delta in deltas.items():
        limit = getattr(limits, resource)
        used = getattr(usage, resource)
        if limit >= 0 and used + delta > limit:
            problems.append(
                Problem(
                    "TooManyInstances",
                    N_(
                        "Quota exceeded for {resource}: Requested {requested}, but already used "
                        "{used} of {allowed} {resource}"
                    ),
                    {"resource": resource, "requested": delta, "used": used, "allowed": limit},
                )
            )
    return problems


@dataclass(frozen=True)
class FlavorRef:
    """A flavor as a resize names it: Nova's ``flavorid``, its name and its size."""

    id: str
    name: str
    size: FlavorSize


#: The fault nova-compute records when the libvirt driver refuses to shrink a disk
#: (nova/virt/libvirt/driver.py migrate_disk_and_power_off: ResizeError in InstanceFaultRollback).
LIBVIRT_RESIZE_DOWN = N_("Resize error: Unable to resize disk down.")
#: The same refusal in the VMware driver (nova/virt/vmwareapi/vmops.py).
VMWARE_RESIZE_DOWN = N_("Resize error: Unable to shrink disk.")
VMWARE_HYPERVISOR_TYPE = "VMware vCenter Server"


def resize_problems(
    current: FlavorRef,
    new: FlavorRef,
    image: ImageRequirements,
    limits: QuotaSet,
    usage: QuotaSet,
    hypervisor_type: str | None,
) -> list[Problem]:
    """Why resizing an instance of ``current`` (booted from ``image``, on a host of
    ``hypervisor_type``) to ``new`` cannot work, in the order Nova finds out.

    nova-api (``API.resize``) refuses, and the first refusal is its answer:

    1. a flavor whose root disk is 0 when the current one's is not: CannotResizeDisk (CloudLab's
       instances boot from images; Nova lets a volume-backed one do it);
    2. the current flavor: CannotResizeToSameFlavor;
    3. the upward delta of cores and RAM over the project's quota (``upsize_quota_delta``: a
       smaller flavor frees nothing at this point, and the instance count does not change): one
       TooManyInstances naming every resource over, as ``get_over_quota_detail`` joins them;
    4. the image's ``min_ram``/``min_disk`` and size against the new flavor
       (``_validate_flavor_image_nostatus``, as for a boot).

    nova-compute is only asked once nova-api accepted: the source host's driver then refuses a
    disk that would shrink (``migrate_disk_and_power_off``, before it powers the guest off), and
    the instance goes back to its vm_state with the fault. libvirt refuses a smaller root or
    ephemeral disk, VMware a smaller root disk. Every in-tree driver that resizes refuses to
    shrink a root disk, so a hypervisor type Nova has no driver for (CloudLab's VirtualBox and
    docker hosts) gets libvirt's rule.
    """
    problems: list[Problem] = []
    if new.size.root_gb == 0 and current.size.root_gb != 0:
        problems.append(
            Problem(
                "CannotResizeDisk",
                N_("Server disk was unable to be resized because: Resize to zero disk flavor is not allowed."),
            )
        )
    if new.id == current.id:
        problems.append(Problem("CannotResizeToSameFlavor", N_("When resizing, instances must change flavor!")))
        return problems
    problems += _upsize_quota_problems(limits, usage, current.size, new.size)
    problems += flavor_image_problems(new.name, new.size, image)
    if not problems:
        problems += _shrink_problems(current, new, hypervisor_type)
    return problems


def _upsize_quota_problems(limits: QuotaSet, usage: QuotaSet, current: FlavorSize, new: FlavorSize) -> list[Problem]:
    deltas = {"cores": new.vcpus - current.vcpus, "ram": new.memory_mb - current.memory_mb}
    overs = [
        resource
        for resource, delta in deltas.items()
        if delta > 0 and 0 <= getattr(limits, resource) < getattr(usage, resource) + delta
    ]
    if not overs:
        return []
    return [
        Problem(
            "TooManyInstances",
            N_("Quota exceeded for {resource}: Requested {requested}, but already used {used} of {allowed} {resource}"),
            {
                "resource": ", ".join(overs),
                "requested": ", ".join(str(deltas[r]) for r in overs),
                "used": ", ".join(str(getattr(usage, r)) for r in overs),
                "allowed": ", ".join(str(getattr(limits, r)) for r in overs),
            },
        )
    ]


def _shrink_problems(current: FlavorRef, new: FlavorRef, hypervisor_type: str | None) -> list[Problem]:
    root = (current.size.root_gb, new.size.root_gb)
    ephemeral = (current.size.ephemeral_gb, new.size.ephemeral_gb)
    numbers: dict[str, Any] = {"current": current.name, "new": new.name}
    if hypervisor_type == VMWARE_HYPERVISOR_TYPE:
        if root[1] >= root[0]:
            return []
        template = N_(
            "Resize error: Unable to shrink disk. (nova-api accepts the resize; then the host's VMware driver "
            "refuses to shrink {current}'s {current_gb} GB root disk to {new}'s {new_gb} GB, and the instance "
            "stays as it was.)"
        )
        numbers.update(current_gb=root[0], new_gb=root[1])
        return [Problem("ResizeError", template, numbers, where="compute", fault=VMWARE_RESIZE_DOWN)]
    if root[1] < root[0]:
        template = N_(
            "Resize error: Unable to resize disk down. (nova-api accepts the resize; then the host's {driver} "
            "driver refuses to shrink {current}'s {current_gb} GB root disk to {new}'s {new_gb} GB, and the "
            "instance stays as it was.)"
        )
        numbers.update(current_gb=root[0], new_gb=root[1])
    elif ephemeral[1] < ephemeral[0]:
        template = N_(
            "Resize error: Unable to resize disk down. (nova-api accepts the resize; then the host's {driver} "
            "driver refuses to shrink {current}'s {current_gb} GB ephemeral disk to {new}'s {new_gb} GB, and "
            "the instance stays as it was.)"
        )
        numbers.update(current_gb=ephemeral[0], new_gb=ephemeral[1])
    else:
        return []
    libvirt = not hypervisor_type or hypervisor_type in LIBVIRT_HYPERVISOR_TYPES
    numbers["driver"] = "libvirt" if libvirt else hypervisor_type
    return [Problem("ResizeError", template, numbers, where="compute", fault=LIBVIRT_RESIZE_DOWN)]


def instance_names(name: str, count: int) -> list[str]:
    """Nova's multi-create display names: ``name`` alone, or ``name-1`` … ``name-N``
    (``multi_instance_display_name_template`` = ``%(name)s-%(count)d``)."""
    if count == 1:
        return [name]
    return [f"{name}-{i}" for i in range(1, count + 1)]
