"""The teaching bridge Nova ↔ Kubernetes (kubernetes-semantics.md §8) and nodes made from instances.

``BRIDGE`` is §8's table as data (each row: the Nova side, the Kubernetes side, what differs);
``FILTER_PAIRS`` and ``SCORE_PAIRS`` pair Nova's filters and weighers with the plugins that play
their part, so a bridge view can put the two traces side by side. ``node_from_flavor`` turns an
ACTIVE instance's flavor into a Node's capacity and allocatable (issue 17 item 2):
allocatable = capacity − kube-reserved − system-reserved − the hard eviction threshold
(§1.7: memory.available 100Mi by default; the kubelet reserves nothing else unless told, and its
default ``nodefs.available`` threshold is 10 % of the disk [K]), pods 110 (``maxPods``).
The kubelet reports memory and storage in Ki, as here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..i18n import N_
from .objects import Container, Node, NodeCondition, ObjectMeta, Pod, PodSpec, Taint

CONTROL_PLANE_COMPONENTS = ("kube-apiserver", "etcd", "kube-scheduler", "kube-controller-manager")
NODE_COMPONENTS = ("kubelet", "kube-proxy", "containerd")
CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"
EVICTION_HARD_MEMORY_MI = 100
EVICTION_HARD_NODEFS_PERCENT = 10
MAX_PODS = 110


@dataclass(frozen=True)
class Reserved:
    """kube-reserved + system-reserved (none by default) plus the hard eviction thresholds."""

    cpu_milli: int = 0
    memory_mi: int = 0
    ephemeral_gi: int = 0
    eviction_memory_mi: int = EVICTION_HARD_MEMORY_MI
    eviction_nodefs_percent: int = EVICTION_HARD_NODEFS_PERCENT


def capacity_from_flavor(
    flavor: Mapping[str, Any], reserved: Reserved = Reserved()
) -> tuple[dict[str, str], dict[str, str]]:
    """(capacity, allocatable) of a node running on a VM of ``flavor`` (vcpus, memory_mb, root_gb …)."""
    vcpus = int(flavor.get("vcpus", 1))
    mem_ki = int(flavor.get("memory_mb", 0)) * 1024
    disk_ki = (int(flavor.get("root_gb", 0)) + int(flavor.get("ephemeral_gb", 0))) * 1024 * 1024
    capacity = {"cpu": str(vcpus), "memory": f"{mem_ki}Ki", "ephemeral-storage": f"{disk_ki}Ki", "pods": str(MAX_PODS)}
    cpu = vcpus * 1000 - reserved.cpu_milli
    mem = mem_ki - (reserved.memory_mi + reserved.eviction_memory_mi) * 1024
    disk_bytes = disk_ki * 1024 - reserved.ephemeral_gi * 2**30
    disk_bytes -= disk_ki * 1024 * reserved.eviction_nodefs_percent // 100
    allocatable = {
        "cpu": f"{max(cpu, 0)}m" if cpu % 1000 else str(max(cpu, 0) // 1000),
        "memory": f"{max(mem, 0)}Ki",
        "ephemeral-storage": str(max(disk_bytes, 0)),
        "pods": str(MAX_PODS),
    }
    return capacity, allocatable


def node_from_instance(
    name: str,
    flavor: Mapping[str, Any],
    zone: str = "nova",
    control_plane: bool = False,
    internal_ip: str = "",
    now: float = 0.0,
    reserved: Reserved = Reserved(),
) -> Node:
    """A Ready Node for an ACTIVE instance; the control plane is labelled and tainted as kubeadm does."""
    capacity, allocatable = capacity_from_flavor(flavor, reserved)
    labels = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "topology.kubernetes.io/zone": zone,
        "node.kubernetes.io/instance-type": str(flavor.get("name", "")),
    }
    taints = []
    if control_plane:
        labels[CONTROL_PLANE_LABEL] = ""
        taints.append(Taint(CONTROL_PLANE_LABEL, "", "NoSchedule"))
    conditions = [
        NodeCondition(
            "MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available", now, now
        ),
        NodeCondition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure", now, now),
        NodeCondition(
            "PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available", now, now
        ),
        NodeCondition("Ready", "True", "KubeletReady", "kubelet is posting ready status", now, now),
    ]
    addresses = {"Hostname": name}
    if internal_ip:
        addresses["InternalIP"] = internal_ip
    meta = ObjectMeta(name, namespace="", labels=labels, creation_timestamp=now)
    return Node(meta, capacity, allocatable, taints, conditions=conditions, addresses=addresses)


def pod_from_flavor(name: str, flavor: Mapping[str, Any], image: str = "nginx:1.27") -> Pod:
    """The same workload as a pod: the flavor's vCPUs and RAM as one container's requests."""
    requests = {"cpu": str(int(flavor.get("vcpus", 1))), "memory": f"{int(flavor.get('memory_mb', 0))}Mi"}
    return Pod(ObjectMeta(name, labels={"app": name}), PodSpec([Container("app", image, requests=requests)]))


#: §8, row by row: (Nova, Kubernetes, the difference students should notice).
BRIDGE: list[dict[str, str]] = [
    {
        "nova": N_("FilterScheduler filters (RamFilter, CoreFilter, ComputeFilter, AvailabilityZoneFilter, …)"),
        "kubernetes": N_("Filter plugins (NodeResourcesFit, NodeUnschedulable, NodeAffinity, TaintToleration, …)"),
        "difference": N_(
            "no overcommit ratios: requests ≤ allocatable, exactly; the per-node reasons are counted into one message"
        ),
    },
    {
        "nova": N_("filters run in order and the host list shrinks"),
        "kubernetes": N_(
            "filters run per node, stopping once enough feasible nodes are found (adaptive percentage from 100 nodes)"
        ),
        "difference": N_("Kubernetes may not look at every node of a big cluster"),
    },
    {
        "nova": N_("weighers × multipliers, each normalised to [0, 1] as floats"),
        "kubernetes": N_("score plugins × weights (3/2/2/2/1/1/1), each normalised to integers 0–100"),
        "difference": N_("integer truncation makes ties frequent"),
    },
    {
        "nova": N_("host_subset_size (default 1: the best host)"),
        "kubernetes": N_("a random choice among the nodes with exactly the top score"),
        "difference": N_("Kubernetes randomises only exact ties"),
    },
    {
        "nova": N_("flavor (vcpus, ram, disk)"),
        "kubernetes": N_("container resources.requests / limits, summed per pod"),
        "difference": N_(
            "no request: scheduled anywhere (scoring assumes 100m / 200Mi); "
            "limits are enforced by cgroups, not the scheduler"
        ),
    },
    {
        "nova": N_("host aggregates, availability zones, their metadata"),
        "kubernetes": N_("node labels (topology.kubernetes.io/zone, custom), nodeSelector, node affinity, taints"),
        "difference": N_("taints repel by default; tolerations opt in"),
    },
    {
        "nova": N_("server group affinity / anti-affinity, soft-(anti-)affinity weigher"),
        "kubernetes": N_("pod affinity / anti-affinity (required or preferred, with a topologyKey), PodTopologySpread"),
        "difference": N_("terms match labels within a topology domain, not group membership"),
    },
    {
        "nova": N_("NoValidHost: the instance goes to ERROR"),
        "kubernetes": N_("FailedScheduling: 0/3 nodes are available: …"),
        "difference": N_("the pod stays Pending and is retried whenever the cluster changes"),
    },
    {
        "nova": N_("RetryFilter and alternates after a failed build"),
        "kubernetes": N_("no retry of a bound pod elsewhere; its controller replaces a failed pod"),
        "difference": "",
    },
    {
        "nova": N_("vm_state and task_state"),
        "kubernetes": N_("pod phase and container states"),
        "difference": N_("kubectl's STATUS column is derived, not stored"),
    },
    {
        "nova": N_("an instance is one VM; nova-compute on the host"),
        "kubernetes": N_(
            "a pod is co-scheduled containers sharing network and IPC namespaces; the kubelet on the node"
        ),
        "difference": "",
    },
    {
        "nova": N_("disabling a compute service (os-services)"),
        "kubernetes": N_("kubectl cordon (spec.unschedulable)"),
        "difference": "",
    },
    {
        "nova": N_("evacuate after a host failure (by hand)"),
        "kubernetes": N_("automatic: taint unreachable, evict after 300 s, the controller recreates the pods"),
        "difference": "",
    },
    {
        "nova": N_("Nova database rows, Placement allocations"),
        "kubernetes": N_("etcd keys /registry/… and the scheduler cache (assumed pods)"),
        "difference": "",
    },
]

#: Nova filter → the filter plugin(s) doing its job (None: no counterpart).
FILTER_PAIRS: dict[str, list[str]] = {
    "ComputeFilter": ["NodeUnschedulable"],
    "RamFilter": ["NodeResourcesFit"],
    "CoreFilter": ["NodeResourcesFit"],
    "DiskFilter": ["NodeResourcesFit"],
    "NUMATopologyFilter": [],
    "AvailabilityZoneFilter": ["NodeAffinity"],
    "AggregateInstanceExtraSpecsFilter": ["NodeAffinity"],
    "ComputeCapabilitiesFilter": ["NodeAffinity"],
    "ImagePropertiesFilter": ["NodeAffinity"],
    "AggregateMultiTenancyIsolation": ["TaintToleration"],
    "ServerGroupAntiAffinityFilter": ["InterPodAffinity", "PodTopologySpread"],
    "ServerGroupAffinityFilter": ["InterPodAffinity"],
    "SameHostFilter": ["InterPodAffinity"],
    "DifferentHostFilter": ["InterPodAffinity"],
    "RetryFilter": [],
    "PciPassthroughFilter": ["NodeResourcesFit"],
    "AllHostsFilter": [],
    "AggregateRamFilter": ["NodeResourcesFit"],
    "AggregateCoreFilter": ["NodeResourcesFit"],
    "AggregateDiskFilter": ["NodeResourcesFit"],
    "IsolatedHostsFilter": ["TaintToleration", "NodeAffinity"],
    "SimpleCIDRAffinityFilter": [],
    "NumInstancesFilter": ["NodeResourcesFit"],
    "AggregateNumInstancesFilter": ["NodeResourcesFit"],
    "IoOpsFilter": [],
    "AggregateIoOpsFilter": [],
    "AggregateTypeAffinityFilter": ["NodeAffinity"],
    "AggregateImagePropertiesIsolation": ["NodeAffinity"],
}

#: Nova weigher → the score plugin(s) playing its part.
SCORE_PAIRS: dict[str, list[str]] = {
    "RAMWeigher": ["NodeResourcesFit"],
    "CPUWeigher": ["NodeResourcesFit"],
    "DiskWeigher": ["NodeResourcesFit"],
    "IoOpsWeigher": [],
    "NumInstancesWeigher": ["PodTopologySpread"],
    "ServerGroupSoftAffinityWeigher": ["InterPodAffinity"],
    "ServerGroupSoftAntiAffinityWeigher": ["InterPodAffinity", "PodTopologySpread"],
    "BuildFailureWeigher": [],
    "CrossCellWeigher": [],
    "MetricsWeigher": [],
    "PCIWeigher": [],
    "HypervisorVersionWeigher": ["NodeAffinity"],
    "ImagePropertiesWeigher": ["ImageLocality"],
}


def aggregate_to_node_terms(
    metadata: Mapping[str, str], isolated_tenant: str | None = None
) -> tuple[dict[str, str], list[Taint]]:
    """A host aggregate's metadata as node labels; tenant isolation as a NoSchedule taint."""
    labels = {}
    for k, v in metadata.items():
        if k == "availability_zone":
            labels["topology.kubernetes.io/zone"] = v
        else:
            labels[f"aggregate.cloudlab.example/{k}"] = v
    taints = [Taint("tenant", isolated_tenant, "NoSchedule")] if isolated_tenant else []
    return labels, taints
