"""Flavors and images (Nova's flavors, Glance's images), and ``Refs``, which finds them by name or id."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..checks import Checker, did_you_mean, get, join, show
from ..model import Flavor, Image
from .slugs import derived_uuid

FLAVOR_KEYS = ("id", "name", "vcpus", "memory_mb", "root_gb", "ephemeral_gb", "swap", "extra_specs")
IMAGE_KEYS = ("id", "name", "disk_format", "size_mb", "min_ram", "min_disk", "properties")
DISK_FORMATS = ("ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop")


def parse_flavor(c: Checker, path: str, data: Any) -> Flavor | None:
    m = c.mapping(path, data, FLAVOR_KEYS)
    if m is None:
        return None
    before = len(c.problems)
    fid = get(m, "id", None)
    if isinstance(fid, int) and not isinstance(fid, bool):
        fid = str(fid)
    name = c.string(join(path, "name"), get(m, "name", None))
    if fid is None:
        fid = name
    fid = c.string(join(path, "id"), fid)
    vcpus = c.integer(join(path, "vcpus"), get(m, "vcpus", None), 1)
    ram = c.integer(join(path, "memory_mb"), get(m, "memory_mb", None), 1)
    root = c.integer(join(path, "root_gb"), get(m, "root_gb", 0), 0)
    eph = c.integer(join(path, "ephemeral_gb"), get(m, "ephemeral_gb", 0), 0)
    swap = c.integer(join(path, "swap"), get(m, "swap", 0), 0)
    specs = c.str_map(join(path, "extra_specs"), get(m, "extra_specs", {}))
    if (
        len(c.problems) > before
        or fid is None
        or name is None
        or vcpus is None
        or ram is None
        or root is None
        or eph is None
        or swap is None
        or specs is None
    ):
        return None
    return Flavor(fid, name, vcpus, ram, root, eph, swap, specs)


def parse_image(c: Checker, path: str, data: Any) -> Image | None:
    m = c.mapping(path, data, IMAGE_KEYS)
    if m is None:
        return None
    before = len(c.problems)
    name = c.string(join(path, "name"), get(m, "name", None))
    iid = get(m, "id", None)
    image_id = c.uuid(join(path, "id"), iid) if iid is not None else derived_uuid("image", name)
    fmt = c.choice(join(path, "disk_format"), get(m, "disk_format", "qcow2"), DISK_FORMATS)
    size = c.integer(join(path, "size_mb"), get(m, "size_mb", 0), 0)
    min_ram = c.integer(join(path, "min_ram"), get(m, "min_ram", 0), 0)
    min_disk = c.integer(join(path, "min_disk"), get(m, "min_disk", 0), 0)
    props = c.str_map(join(path, "properties"), get(m, "properties", {}))
    if (
        len(c.problems) > before
        or name is None
        or image_id is None
        or fmt is None
        or size is None
        or min_ram is None
        or min_disk is None
        or props is None
    ):
        return None
    return Image(image_id, name, fmt, size, min_ram, min_disk, props)


class Refs:
    """Finds flavors and images by id or name."""

    def __init__(self, flavors: Sequence[Flavor], images: Sequence[Image]) -> None:
        self.flavors = flavors
        self.images = images

    def flavor(self, c: Checker, path: str, ref: Any) -> Flavor | None:
        if isinstance(ref, Mapping):
            return parse_flavor(c, path, ref)
        if isinstance(ref, int) and not isinstance(ref, bool):
            ref = str(ref)
        if not isinstance(ref, str):
            c.add(path, f"must name a flavor (name or id) or be an inline flavor, not {show(ref)}")
            return None
        for f in self.flavors:
            if ref in (f.name, f.id):
                return f
        c.add(path, f"unknown flavor {ref!r}" + did_you_mean(ref, [f.name for f in self.flavors]))
        return None

    def image(self, c: Checker, path: str, ref: Any) -> Image | None:
        if not isinstance(ref, str):
            c.add(path, f"must name an image (name or id), not {show(ref)}")
            return None
        for i in self.images:
            if ref in (i.name, i.id):
                return i
        c.add(path, f"unknown image {ref!r}" + did_you_mean(ref, [i.name for i in self.images]))
        return None
