"""Whether the VM under a node runs: what the node's kubelet can do (issue 17 item 2).

A kubelet posts its node's status only while its VM runs. A VM that is stopped, paused, suspended,
shelved, in error or deleted, or whose compute host failed, leaves the node silent: the node
lifecycle controller then marks it ``Unknown`` after the grace period, taints it unreachable and
evicts its pods after their toleration (the engine's ``cluster.set_node_ready``).
"""

from __future__ import annotations

from cloudlab.compute.models import Instance
from cloudlab.engine.i18n import N_
from cloudlab.engine.lifecycle.states import PowerState, VmState

#: Why a node's VM does not run, by vm_state: the sentence a page shows (translated there).
WHY = {
    VmState.STOPPED: N_("its VM is stopped"),
    VmState.PAUSED: N_("its VM is paused"),
    VmState.SUSPENDED: N_("its VM is suspended"),
    VmState.SHELVED: N_("its VM is shelved"),
    VmState.SHELVED_OFFLOADED: N_("its VM is shelved"),
    VmState.ERROR: N_("its VM is in error"),
    VmState.DELETED: N_("its VM was deleted"),
    VmState.SOFT_DELETED: N_("its VM was deleted"),
    VmState.RESCUED: N_("its VM is in rescue mode"),
}
HOST_DOWN = N_("its VM's compute host is down")
GONE = N_("its VM was deleted")


def vm_runs(instance: Instance | None) -> tuple[bool, str]:
    """(the VM runs, why not): ``instance`` with its host loaded."""
    if instance is None or instance.deleted_at is not None:
        return False, GONE
    if instance.host is not None and not instance.host.up:
        return False, HOST_DOWN
    state = instance.vm_state
    if state in (VmState.ACTIVE, VmState.RESIZED) and instance.power_state == PowerState.RUNNING:
        return True, ""
    return False, WHY.get(state, N_("its VM is not running"))
