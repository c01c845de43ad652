"""The architecture classes: one list for the scheduler, the pacing model and the database."""

from __future__ import annotations

import pytest

from cloudlab.engine.architectures import ARCHITECTURE_CODES, ARCHITECTURES, default_architecture, kind_of


def test_the_classes_are_bare_metal_hosted_container_and_microvm() -> None:
    assert ARCHITECTURE_CODES == ("bare-metal", "hosted", "container", "microvm")
    assert [a.member for a in ARCHITECTURES] == ["BARE_METAL", "HOSTED", "CONTAINER", "MICROVM"]


@pytest.mark.parametrize(
    ("hypervisor_type", "expected"),
    [
        ("QEMU", "bare-metal"),
        ("KVM", "bare-metal"),
        ("Ironic", "bare-metal"),
        ("VirtualBox", "hosted"),
        ("LXC", "container"),
        ("docker", "container"),
        ("firecracker", "microvm"),
    ],
)
def test_a_hypervisor_type_implies_its_class(hypervisor_type: str, expected: str) -> None:
    assert default_architecture(hypervisor_type) == expected


def test_each_class_runs_one_kind_of_instance() -> None:
    assert {code: kind_of(code) for code in ARCHITECTURE_CODES} == {
        "bare-metal": "type1",
        "hosted": "type2",
        "container": "container",
        "microvm": "microvm",
    }


def test_an_unknown_class_is_named_with_the_choices() -> None:
    with pytest.raises(ValueError, match=r"unknown architecture class 'vmware'.*bare-metal, hosted"):
        kind_of("vmware")


def test_no_hypervisor_type_belongs_to_two_classes() -> None:
    seen = [t for a in ARCHITECTURES for t in a.hypervisor_types]
    assert len(seen) == len(set(seen))
