"""What the compute API checks before it creates instances: flavor against image, and quotas.

Pure rules from nova/compute/api.py (``_validate_flavor_image_nostatus``) and nova/quota.py
(nova-semantics.md section f). The Launch dialog greys out flavors with these same problems and
the launch action refuses with them, so the two can never disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .i18n import N_, Translate, identity, render
from .resources import FlavorSize

MAX_NAME_LENGTH = 255  # Nova's display_name column


@dataclass(frozen=True)
class Problem:
    """One reason a request cannot go ahead: an English template and its numbers."""

    code: str
    template: str
    numbers: dict[str, Any] = field(default_factory=dict)

    def render(self, translate: Translate = identity) -> str:
        return render(self.template, self.numbers, translate)


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


def instance_names(name: str, count: int) -> list[str]:
    """Nova's multi-create display names: ``name`` alone, or ``name-1`` … ``name-N``
    (``multi_instance_display_name_template`` = ``%(name)s-%(count)d``)."""
    if count == 1:
        return [name]
    return [f"{name}-{i}" for i in range(1, count + 1)]
