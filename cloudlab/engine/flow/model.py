"""The pieces of a flow: the services of the deployment and the messages between them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloudlab.engine.i18n import N_

ERAS = ("classic", "placement")

#: What a message is: an HTTP request (REST), an RPC cast (no reply), an RPC call (the caller
#: blocks) and its reply, a fanout cast (to every scheduler), a database write or read, a call
#: into the virt driver (libvirt), or work a service does in its own process.
KINDS = ("http", "rpc_cast", "rpc_call", "rpc_fanout", "reply", "db_write", "db_read", "driver", "local")

STATUSES = ("ok", "failed", "skipped")

#: What can go otherwise than planned: no host passes the filters; the claim on the chosen
#: host fails and Nova tries again elsewhere (``reschedule``, classic era: through the compute
#: host and RetryFilter); Placement refuses the scheduler's claim because another request took
#: the room first and the scheduler claims on its next host (``claim_race``, placement era); the
#: attempts run out (``max_retries``: MaxRetriesExceeded, not NoValidHost); the instance's compute
#: host is down when the request reaches it; nova-api refuses the request (the instance's state
#: does not allow it).
OUTCOMES = ("no_valid_host", "reschedule", "claim_race", "max_retries", "host_down", "api_refused_409")


@dataclass(frozen=True)
class Service:
    key: str
    label: str  # N_(): translate when shown
    node: str  # "controller" or "compute"
    eras: tuple[str, ...] = ERAS
    listens: str = ""  # the port or the RPC topic

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "node": self.node, "eras": list(self.eras),
                "listens": self.listens}  # fmt: skip


_SERVICES = (
    Service("client", N_("client (Horizon, the openstack CLI)"), "external"),
    Service("keystone", N_("Keystone (identity)"), "controller", listens="HTTP :5000"),
    Service("glance-api", N_("Glance (images)"), "controller", listens="HTTP :9292"),
    Service("nova-api", N_("nova-api"), "controller", listens="HTTP :8774"),
    Service("rabbitmq", N_("message queue (RabbitMQ)"), "controller", listens=":5672, exchange nova"),
    Service("nova-conductor", N_("nova-conductor"), "controller", listens="RPC topic conductor"),
    Service("nova-scheduler", N_("nova-scheduler"), "controller", listens="RPC topic scheduler"),
    Service("placement-api", N_("Placement"), "controller", ("placement",), "HTTP :8778"),
    Service("database", N_("database (MariaDB)"), "controller", listens=":3306"),
    Service("neutron-server", N_("Neutron (networking)"), "controller", ("placement",), "HTTP :9696"),
    Service("nova-compute", N_("nova-compute"), "compute", listens="RPC topic compute.<host>"),
    Service("nova-network", N_("nova-network"), "compute", ("classic",), "RPC topic network.<host>"),
    Service("network-agent", N_("network agent (Open vSwitch)"), "compute", ("placement",), "Neutron RPC"),
    Service("hypervisor", N_("hypervisor (libvirt + KVM/QEMU)"), "compute", listens="qemu:///system"),
)

#: The deployment's services, by key: the seed's two-node layout (a controller, and each compute
#: host running nova-compute, its network agent and its hypervisor).
SERVICES: dict[str, Service] = {s.key: s for s in _SERVICES}


@dataclass(frozen=True)
class Message:
    seq: int
    src: str
    dst: str
    kind: str
    name: str
    detail: str = ""
    task_state: str | None = None
    step: str = "api"
    ref: str = ""
    era: str | None = None
    instance: int = 0
    status: str = "ok"
    note: str = ""
    attempt: int = 1

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "src": self.src,
            "dst": self.dst,
            "kind": self.kind,
            "name": self.name,
            "detail": self.detail,
            "task_state": self.task_state,
            "step": self.step,
            "ref": self.ref,
            "era": self.era,
            "instance": self.instance,
            "status": self.status,
            "note": self.note,
            "attempt": self.attempt,
        }


@dataclass(frozen=True)
class Flow:
    operation: str
    era: str
    count: int
    outcome: str | None
    variant: str | None
    messages: tuple[Message, ...]

    def for_step(self, step: str, instance: int | None = None) -> list[Message]:
        """The messages of one step; ``instance``: only the request's rows and that instance's."""
        return [m for m in self.messages if m.step == step and (instance is None or m.instance in (0, instance))]

    @property
    def failed(self) -> Message | None:
        return next((m for m in self.messages if m.status == "failed"), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "era": self.era,
            "count": self.count,
            "outcome": self.outcome,
            "variant": self.variant,
            "messages": [m.to_json() for m in self.messages],
        }
