"""Node lifecycle and NoExecute eviction (§3.6).

Read: ``pkg/controller/nodelifecycle/node_lifecycle_controller.go`` (``monitorNodeHealth``:
after ``nodeMonitorGracePeriod`` without a heartbeat every condition becomes Unknown with reason
``NodeStatusUnknown``, "Kubelet stopped posting node status."; ``doNoExecuteTaintingPass``: Ready
False → ``node.kubernetes.io/not-ready``, Unknown → ``node.kubernetes.io/unreachable``, both
NoExecute; ``MarkPodsNotReady``), ``pkg/controller/tainteviction/taint_eviction.go``
(``getMinTolerationTime``: not tolerated → now; tolerated without seconds → never) and
``plugin/pkg/admission/defaulttolerationseconds`` (300 s for both taints). The grace period is
50 s from v1.32 (PR #126287).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...i18n import N_
from ..objects import Node, NodeCondition, Pod, PodCondition, Taint, Toleration
from .actions import Action, EventRecord

NOT_READY = "node.kubernetes.io/not-ready"
UNREACHABLE = "node.kubernetes.io/unreachable"
NODE_MONITOR_GRACE_PERIOD = 50
DEFAULT_TOLERATION_SECONDS = 300

SET_UNKNOWN = N_("node {node}: no heartbeat for {silent} s (> {grace} s): every condition becomes Unknown")
ADD_TAINT = N_("node {node} is {state}: add taint {taint}")
REMOVE_TAINT = N_("node {node} is Ready again: remove taint {taint}")
POD_NOT_READY = N_("pod {pod} on {node}: Ready=False (its node is not ready)")
EVICT = N_("evict {pod}: taint {taint} for {elapsed} s, tolerated for {seconds} s")
EVICT_NOW = N_("evict {pod}: taint {taint} is not tolerated")


def default_tolerations(pod: Pod) -> list[Toleration]:
    """DefaultTolerationSeconds: not-ready and unreachable, Exists, NoExecute, 300 s, unless set."""
    out = list(pod.spec.tolerations)
    for key in (NOT_READY, UNREACHABLE):
        if not any(t.key == key and t.effect in ("NoExecute", "") for t in out) and not any(
            t.key == "" and t.operator == "Exists" for t in out
        ):
            out.append(Toleration(key, "Exists", "", "NoExecute", DEFAULT_TOLERATION_SECONDS))
    return out


@dataclass
class NodeHealth:
    node: Node
    last_heartbeat: float


def _taint(node: Node, key: str) -> Taint | None:
    return next((t for t in node.taints if t.key == key and t.effect == "NoExecute"), None)


def reconcile_node(h: NodeHealth, pods: list[Pod], now: float, grace: int = NODE_MONITOR_GRACE_PERIOD) -> list[Action]:
    """One ``monitorNodeHealth`` + tainting pass for one node."""
    node, actions = h.node, []
    name = node.metadata.name
    ready = node.condition("Ready")
    silent = now - h.last_heartbeat
    if silent > grace and (ready is None or ready.status != "Unknown"):
        conds = [
            NodeCondition(
                c.type,
                "Unknown",
                "NodeStatusUnknown",
                "Kubelet stopped posting node status.",
                c.last_heartbeat_time,
                now,
            )
            for c in node.conditions
        ] or [NodeCondition("Ready", "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.", 0.0, now)]
        actions.append(
            Action(
                "set-condition",
                "Node",
                name,
                SET_UNKNOWN,
                {"node": name, "silent": int(silent), "grace": grace},
                obj=conds,
                event=EventRecord("Normal", "NodeNotReady", f"Node {name} status is now: NodeNotReady"),
            )
        )
        ready_status = "Unknown"
    else:
        ready_status = ready.status if ready else "Unknown"
    want = {"False": NOT_READY, "Unknown": UNREACHABLE}.get(ready_status)
    for key in (NOT_READY, UNREACHABLE):
        have = _taint(node, key)
        if key == want and have is None:
            taint = Taint(key, "", "NoExecute", now)
            actions.append(
                Action(
                    "taint",
                    "Node",
                    name,
                    ADD_TAINT,
                    {
                        "node": name,
                        "state": "NotReady" if key == NOT_READY else "unreachable",
                        "taint": f"{key}:NoExecute",
                    },
                    obj=taint,
                )
            )
        elif key != want and have is not None:
            actions.append(
                Action("untaint", "Node", name, REMOVE_TAINT, {"node": name, "taint": f"{key}:NoExecute"}, obj=have)
            )
    if ready_status != "True":
        for p in pods:
            if p.spec.node_name == name and p.is_ready():
                cond = PodCondition("Ready", "False", last_transition_time=now)
                actions.append(
                    Action(
                        "set-condition",
                        "Pod",
                        p.metadata.name,
                        POD_NOT_READY,
                        {"pod": p.metadata.name, "node": name},
                        obj=cond,
                        event=EventRecord("Warning", "NodeNotReady", "Node is not ready"),
                    )
                )
    return actions


def eviction_time(pod: Pod, taints: list[Taint]) -> float | None:
    """When the taint-eviction controller deletes ``pod`` (None: never)."""
    tols = default_tolerations(pod)
    deadline: float | None = None
    for taint in taints:
        if taint.effect != "NoExecute":
            continue
        matching = [t for t in tols if t.tolerates(taint)]
        added = taint.time_added or 0.0
        if not matching:
            return added
        seconds = [t.toleration_seconds for t in matching]
        if any(s is None for s in seconds):
            continue
        limit = added + max(0, min(s for s in seconds if s is not None))
        deadline = limit if deadline is None else min(deadline, limit)
    return deadline


def evictions(node: Node, pods: list[Pod], now: float) -> list[Action]:
    """The pods on ``node`` whose toleration of its NoExecute taints has run out at ``now``."""
    name = node.metadata.name
    out: list[Action] = []
    hard = [t for t in node.taints if t.effect == "NoExecute"]
    if not hard:
        return out
    for p in pods:
        if p.spec.node_name != name or p.metadata.deletion_timestamp is not None:
            continue
        at = eviction_time(p, hard)
        if at is None or now < at:
            continue
        taint = hard[0]
        key = f"{taint.key}:NoExecute"
        numbers = {
            "pod": p.metadata.name,
            "taint": key,
            "elapsed": int(now - (taint.time_added or 0.0)),
            "seconds": int(at - (taint.time_added or 0.0)),
        }
        event = EventRecord(
            "Normal", "TaintManagerEviction", f"Marking for deletion Pod {p.metadata.namespace}/{p.metadata.name}"
        )
        template = EVICT if any(t.tolerates(taint) for t in default_tolerations(p)) else EVICT_NOW
        out.append(Action("evict", "Pod", p.metadata.name, template, numbers, obj=p, event=event))
    return out
