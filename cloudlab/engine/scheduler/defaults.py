"""What a scenario gets when it leaves flavors and images out: Nova's and Glance's usual seed."""

from __future__ import annotations

import uuid as uuidlib

from .model import Flavor, Image

#: Namespace for the uuids CloudLab derives when a scenario leaves them out (stable across runs).
CLOUDLAB_NAMESPACE = uuidlib.UUID("6c0ad1ab-5c4e-4d0e-9f1a-c10d1ab00000")

#: Nova's default flavors (seeded by Nova up to Mitaka; ids 42 and 84 from devstack's tempest
#: setup, 451 m1.heat from Heat's functional tests).
DEFAULT_FLAVORS: tuple[Flavor, ...] = (
    Flavor("1", "m1.tiny", 1, 512, 1),
    Flavor("2", "m1.small", 1, 2048, 20),
    Flavor("3", "m1.medium", 2, 4096, 40),
    Flavor("4", "m1.large", 4, 8192, 80),
    Flavor("5", "m1.xlarge", 8, 16384, 160),
    Flavor("42", "m1.nano", 1, 64, 0),
    Flavor("84", "m1.micro", 1, 128, 0),
    Flavor("451", "m1.heat", 1, 512, 0),
)

#: Default images. cirros 0.6.2 x86_64 is a 21 MB qcow2 whose virtual disk is 112 MB, so it
#: needs no minimum (devstack uploads it with min_ram/min_disk 0). The Ubuntu 22.04 (jammy)
#: cloud image is a ~660 MB qcow2 with a 2.2 GB virtual disk: min_disk 3 GB is the smallest
#: root disk that holds it, min_ram 512 MB what cloud-init and the kernel need to boot.
DEFAULT_IMAGES: tuple[Image, ...] = (
    Image(
        id="0b7f5c3e-8d6a-4c1f-9e2b-3a4d5e6f7a01",
        name="cirros",
        disk_format="qcow2",
        size_mb=21,
        min_ram=0,
        min_disk=0,
        properties={"hw_architecture": "x86_64", "img_hv_type": "qemu"},
    ),
    Image(
        id="7c1e2d3f-4a5b-4c6d-8e7f-9a0b1c2d3e02",
        name="ubuntu",
        disk_format="qcow2",
        size_mb=660,
        min_ram=512,
        min_disk=3,
        properties={"hw_architecture": "x86_64", "os_distro": "ubuntu", "os_version": "22.04"},
    ),
)
