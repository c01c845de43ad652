"""The extra-spec operators (nova/scheduler/filters/extra_specs_ops.py)."""

from __future__ import annotations

import pytest

from cloudlab.engine.scheduler.extra_specs import match


@pytest.mark.parametrize(
    ("value", "requirement", "expected"),
    [
        ("4", "= 4", True),  # `=` means at least, not equality
        ("8", "= 4", True),
        ("2", "= 4", False),
        ("4", "== 4", True),
        ("8", "== 4", False),
        ("4.0", "== 4", True),
        ("8", "!= 4", True),
        ("4", ">= 4", True),
        ("3", ">= 4", False),
        ("4", "<= 4", True),
        ("5", "<= 4", False),
        ("abc", "s== abc", True),
        ("abd", "s!= abc", True),
        ("abc", "s< abd", True),
        ("abd", "s<= abc", False),
        ("b", "s> a", True),
        ("a", "s>= b", False),
        ("avx2 sse4", "<in> avx2", True),
        ("sse4", "<in> avx2", False),
        ("avx2 sse4 aes", "<all-in> aes avx2", True),
        ("avx2 sse4", "<all-in> aes avx2", False),
        ("kvm", "<or> qemu <or> kvm", True),
        ("xen", "<or> qemu <or> kvm", False),
        ("true", "true", True),  # no operator: exact string comparison
        ("True", "true", False),
        ("4", "4.0", False),
        ("fast", "= 4", False),  # a numeric operator on a word does not match
        (None, "= 4", False),
    ],
)
def test_extra_spec_operators(value: str | None, requirement: str, expected: bool) -> None:
    assert match(value, requirement) is expected
