"""The scheduler's view of a node: allocatable, what its pods request, the host ports in use.

Read: ``pkg/scheduler/framework/types.go`` (``NodeInfo``, ``Resource.Add``: CPU in millicores,
memory in bytes, integer sums; ``NonZeroRequested``), ``k8s.io/component-helpers/resource``
``PodRequests`` (the effective request with init and sidecar containers, §1.7) and
``pkg/scheduler/util/pod_resources.go`` (the non-zero defaults 100m / 200 MiB for scoring).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .objects import Container, Node, Pod
from .quantity import resource_amount

DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024
#: kubelet ``maxPods`` when a node declares no ``pods`` allocatable.
DEFAULT_MAX_PODS = 110


def _container_amounts(c: Container, non_zero: bool) -> dict[str, int]:
    out = {k: resource_amount(k, v) for k, v in c.effective_requests().items()}
    if non_zero:
        out.setdefault("cpu", DEFAULT_MILLI_CPU_REQUEST)
        out.setdefault("memory", DEFAULT_MEMORY_REQUEST)
    return out


def _add(total: dict[str, int], more: dict[str, int]) -> None:
    for k, v in more.items():
        total[k] = total.get(k, 0) + v


def pod_requests(pod: Pod, non_zero: bool = False) -> dict[str, int]:
    """``PodRequests``: max(Σ containers + Σ sidecars, the init containers' peak) + overhead.

    ``non_zero`` fills a missing cpu / memory request of each container with 100m / 200 MiB,
    as the scoring plugins do (the filter uses the real requests).
    """
    regular: dict[str, int] = {}
    for c in pod.spec.containers:
        _add(regular, _container_amounts(c, non_zero))
    sidecars: dict[str, int] = {}
    init_peak: dict[str, int] = {}
    for ic in pod.spec.init_containers:
        amounts = _container_amounts(ic, non_zero)
        if ic.restart_policy == "Always":
            _add(sidecars, amounts)
            peak = dict(sidecars)
        else:
            peak = dict(sidecars)
            _add(peak, amounts)
        for k, v in peak.items():
            init_peak[k] = max(init_peak.get(k, 0), v)
    total = dict(regular)
    _add(total, sidecars)
    for k, v in init_peak.items():
        total[k] = max(total.get(k, 0), v)
    _add(total, {k: resource_amount(k, v) for k, v in pod.spec.overhead.items()})
    return total


def host_ports(pod: Pod) -> list[tuple[str, str, int]]:
    """The (ip, protocol, port) triples a pod asks for (``hostIP`` empty = 0.0.0.0)."""
    out = []
    for c in pod.spec.containers + pod.spec.init_containers:
        for p in c.ports:
            if p.host_port > 0:
                out.append((p.host_ip or "0.0.0.0", p.protocol or "TCP", p.host_port))  # noqa: S104
    return out


@dataclass
class NodeInfo:
    """One node and the pods bound (or assumed) to it."""

    node: Node
    pods: list[Pod] = field(default_factory=list)
    allocatable: dict[str, int] = field(default_factory=dict)
    requested: dict[str, int] = field(default_factory=dict)
    non_zero_requested: dict[str, int] = field(default_factory=dict)
    used_ports: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.node.metadata.name

    def add_pod(self, pod: Pod) -> None:
        self.pods.append(pod)
        _add(self.requested, pod_requests(pod))
        nz = pod_requests(pod, non_zero=True)
        _add(self.non_zero_requested, {"cpu": nz.get("cpu", 0), "memory": nz.get("memory", 0)})
        self.used_ports.extend(host_ports(pod))

    def allowed_pods(self) -> int:
        return self.allocatable.get("pods", DEFAULT_MAX_PODS)


def node_info(node: Node, pods: tuple[Pod, ...] | list[Pod] = ()) -> NodeInfo:
    info = NodeInfo(node, allocatable=node.allocatable_amounts())
    for p in pods:
        info.add_pod(p)
    return info


def snapshot(nodes: list[Node], pods: list[Pod]) -> list[NodeInfo]:
    """The scheduler cache: every node with its bound, not terminated pods (in node order)."""
    infos = {n.metadata.name: node_info(n) for n in nodes}
    for p in pods:
        if p.spec.node_name in infos and not p.is_terminal():
            infos[p.spec.node_name].add_pod(p)
    return list(infos.values())
