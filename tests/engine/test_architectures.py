"""The architecture classes: one list for the scheduler, the pacing model and the database."""

from __future__ import annotations

import pytest

from cloudlab.engine.architectures import ARCHITECTURE_CODES, ARCHITECTURES, default_architecture
from cloudlab.engine.pacing import ARCHITECTURE_PACE


def test_the_classes_are_bare_metal_hosted_and_container() -> None:
    assert ARCHITECTURE_CODES == ("bare-metal", "hosted", "container")
    assert [a.member for a in ARCHITECTURES] == ["BARE_METAL", "HOSTED", "CONTAINER"]


@pytest.mark.parametrize(
    ("hypervisor_type", "expected"),
    [
        ("QEMU", "bare-metal"),
        ("KVM", "bare-metal"),
        ("Ironic", "bare-metal"),
        ("VirtualBox", "hosted"),
        ("LXC", "container"),
        ("docker", "container"),
    ],
)
def test_a_hypervisor_type_implies_its_class(hypervisor_type: str, expected: str) -> None:
    assert default_architecture(hypervisor_type) == expected


def test_the_pace_factor_of_each_class_is_read_from_the_list() -> None:
    assert ARCHITECTURE_PACE == {"bare-metal": 1.0, "hosted": 1.6, "container": 0.25}


def test_no_hypervisor_type_belongs_to_two_classes() -> None:
    seen = [t for a in ARCHITECTURES for t in a.hypervisor_types]
    assert len(seen) == len(set(seen))
