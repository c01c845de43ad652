"""What a check reads: plain snapshots of a sandbox cloud and its history (no Django here).

``snapshot.sandbox_snapshot`` builds a ``Snapshot`` from the database; tests build them by hand.
Field names are Nova's (``openstack server show``, ``openstack hypervisor show``,
``openstack server event list``), so a check reads like the CLI a student would type.

* ``instances``: the cloud's instances that are not deleted (Nova's list hides deleted rows; their
  history stays in ``actions``), each with its API ``status`` derived from vm_state/task_state.
* ``hosts``: every compute host with its totals, usage (reserved included, as compute_nodes
  rows) and limits (``total × allocation ratio``), and the percentages derived from them.
* ``actions``: the action log of every instance of the cloud, oldest first, one entry per user
  request (``create`` is a launch), each with the scheduler's decision folded in (the host it
  selected, NoValidHost) and its result.
* ``answers``: the student's answers to the assignment's questions, by task id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: An action's outcome as checks name it: finished without error, failed, still running.
SUCCESS = "success"
ERROR = "error"
IN_PROGRESS = "in_progress"
RESULTS = (SUCCESS, ERROR, IN_PROGRESS)

#: The faults a failed action may carry (Nova's exception names, as ``server show`` ``fault``).
FAULTS = ("NoValidHost", "MaxRetriesExceeded")

#: Nova's power_state names (nova/compute/power_state.py STATE_MAP), by their integer.
POWER_STATE_NAMES: Mapping[int, str] = {
    0: "NOSTATE",
    1: "RUNNING",
    3: "PAUSED",
    4: "SHUTDOWN",
    6: "CRASHED",
    7: "SUSPENDED",
}


@dataclass(frozen=True)
class InstanceFacts:
    name: str
    uuid: str
    status: str  # the API status: ACTIVE, SHUTOFF, ERROR, BUILD …
    vm_state: str
    task_state: str | None
    power_state: str  # RUNNING, SHUTDOWN … (POWER_STATE_NAMES)
    flavor: str  # flavor name
    image: str  # image name
    host: str | None
    availability_zone: str = ""
    project: str = ""
    locked: bool = False

    def value(self, name: str) -> Any:
        return getattr(self, name)


def percent(part: float, whole: float) -> float:
    return 0.0 if whole <= 0 else 100.0 * part / whole


@dataclass(frozen=True)
class HostFacts:
    name: str
    vcpus: int
    memory_mb: int
    local_gb: int
    vcpus_used: int
    memory_mb_used: int
    local_gb_used: int
    cpu_allocation_ratio: float
    ram_allocation_ratio: float
    disk_allocation_ratio: float
    enabled: bool = True
    up: bool = True
    availability_zone: str = "nova"
    aggregates: tuple[str, ...] = ()
    num_instances: int = 0

    # -- derived, as Nova's HostState and the classic filters compute them ------------------------
    @property
    def memory_mb_limit(self) -> float:
        return self.memory_mb * self.ram_allocation_ratio

    @property
    def vcpus_limit(self) -> float:
        return self.vcpus * self.cpu_allocation_ratio

    @property
    def local_gb_limit(self) -> float:
        return self.local_gb * self.disk_allocation_ratio

    @property
    def free_ram_mb(self) -> int:
        return self.memory_mb - self.memory_mb_used

    @property
    def usable_ram_mb(self) -> float:
        return self.memory_mb_limit - self.memory_mb_used

    @property
    def ram_used_percent(self) -> float:
        return percent(self.memory_mb_used, self.memory_mb)

    @property
    def ram_used_percent_of_limit(self) -> float:
        return percent(self.memory_mb_used, self.memory_mb_limit)

    @property
    def vcpus_used_percent_of_limit(self) -> float:
        return percent(self.vcpus_used, self.vcpus_limit)

    @property
    def disk_used_percent_of_limit(self) -> float:
        return percent(self.local_gb_used, self.local_gb_limit)

    def value(self, name: str) -> Any:
        return getattr(self, name)


@dataclass(frozen=True)
class ActionFacts:
    """One request in the action log (``openstack server event list``), oldest first."""

    action: str  # Nova's action name: create, stop, start, delete, resize, migrate …
    instance: str  # the instance's name
    instance_uuid: str
    result: str  # SUCCESS, ERROR or IN_PROGRESS
    flavor: str = ""  # the instance's flavor for the request (the new one for a resize)
    image: str = ""
    host: str | None = None  # the host the scheduler selected for it (None: not scheduled)
    fault: str | None = None  # NoValidHost, MaxRetriesExceeded, or None
    message: str = ""
    start_time: str = ""  # ISO 8601

    def value(self, name: str) -> Any:
        return getattr(self, name)


@dataclass(frozen=True)
class Snapshot:
    instances: tuple[InstanceFacts, ...] = ()
    hosts: tuple[HostFacts, ...] = ()
    actions: tuple[ActionFacts, ...] = ()
    answers: Mapping[str, Any] = field(default_factory=dict)
    project: str = ""

    def instance(self, name: str) -> InstanceFacts | None:
        return next((i for i in self.instances if i.name == name), None)

    def host(self, name: str) -> HostFacts | None:
        return next((h for h in self.hosts if h.name == name), None)


#: The fields a check may name, per subject, and the type of their values.
INSTANCE_FIELDS: Mapping[str, str] = {
    "name": "text",
    "status": "status",
    "vm_state": "vm_state",
    "task_state": "task_state",
    "power_state": "power_state",
    "flavor": "flavor",
    "image": "image",
    "host": "host",
    "availability_zone": "text",
    "project": "text",
    "locked": "bool",
}
HOST_FIELDS: Mapping[str, str] = {
    "name": "host",
    "enabled": "bool",
    "up": "bool",
    "availability_zone": "text",
    "aggregates": "aggregate",  # a host's aggregate list: equality means "is a member of"
    "num_instances": "number",
    "vcpus": "number",
    "memory_mb": "number",
    "local_gb": "number",
    "vcpus_used": "number",
    "memory_mb_used": "number",
    "local_gb_used": "number",
    "memory_mb_limit": "number",
    "vcpus_limit": "number",
    "local_gb_limit": "number",
    "free_ram_mb": "number",
    "usable_ram_mb": "number",
    "ram_used_percent": "number",
    "ram_used_percent_of_limit": "number",
    "vcpus_used_percent_of_limit": "number",
    "disk_used_percent_of_limit": "number",
    "cpu_allocation_ratio": "number",
    "ram_allocation_ratio": "number",
    "disk_allocation_ratio": "number",
}
ACTION_FIELDS: Mapping[str, str] = {
    "instance": "instance",
    "flavor": "flavor",
    "image": "image",
    "host": "host",
    "result": "result",
    "fault": "fault",
}
