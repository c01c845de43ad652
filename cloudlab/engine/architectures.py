"""The architecture classes of a compute host: bare-metal (Type I), hosted (Type II), container.

The one list every layer reads: the scheduler's host model and scenario files (the codes and the
class a hypervisor type implies), the pacing model (how much longer a lifecycle phase takes),
and the ``Host.Architecture`` choices of the database (the codes and their labels).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from .i18n import N_


@dataclass(frozen=True)
class ArchitectureClass:
    """One class of host, as the course teaches them."""

    #: What scenarios, traces and the database store.
    code: str
    #: The English label (translated where it is shown).
    label: str
    #: How much longer a lifecycle phase takes than on bare metal (pacing.phase_seconds).
    pace: float
    #: The hypervisor types whose hosts are of this class unless a host says otherwise.
    hypervisor_types: frozenset[str] = frozenset()

    @property
    def member(self) -> str:
        """The enum member name (``BARE_METAL`` for ``bare-metal``)."""
        return self.code.upper().replace("-", "_")


#: A hosted (Type II) hypervisor goes through the host OS; a container host starts a process
#: instead of booting a guest kernel.
ARCHITECTURES: Final[tuple[ArchitectureClass, ...]] = (
    ArchitectureClass("bare-metal", N_("bare-metal (Type I)"), 1.0),
    ArchitectureClass("hosted", N_("hosted (Type II)"), 1.6, frozenset({"VirtualBox"})),
    ArchitectureClass("container", N_("container host"), 0.25, frozenset({"LXC", "docker"})),
)

ARCHITECTURE_CODES: Final[tuple[str, ...]] = tuple(a.code for a in ARCHITECTURES)

#: The class of a host whose hypervisor type implies no other (KVM, QEMU, Xen, Ironic …).
DEFAULT_ARCHITECTURE: Final = "bare-metal"


def default_architecture(hypervisor_type: str) -> str:
    """The architecture class a host of ``hypervisor_type`` has unless it says otherwise."""
    for architecture in ARCHITECTURES:
        if hypervisor_type in architecture.hypervisor_types:
            return architecture.code
    return DEFAULT_ARCHITECTURE
