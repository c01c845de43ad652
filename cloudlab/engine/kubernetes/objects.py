"""The Kubernetes objects the simulated cluster holds, as plain dataclasses (core/v1, apps/v1).

Field names follow the API in snake_case (``spec.nodeName`` → ``node_name``); only the fields the
engine reads or a page shows are here (kubernetes-semantics.md §5). Times are seconds on the
cloud's clock (floats), quantities stay the strings the manifest gave (``"500m"``, ``"128Mi"``)
and are read through ``quantity``. Nothing here does I/O; the controllers and the scheduler take
these objects and return new facts, never write them anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .quantity import resource_amount
from .selectors import LabelSelector

# -- metadata -----------------------------------------------------------------------------------


@dataclass
class OwnerReference:
    api_version: str
    kind: str
    name: str
    uid: str
    controller: bool = True
    block_owner_deletion: bool = True


@dataclass
class ObjectMeta:
    name: str
    namespace: str = "default"
    uid: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    owner_references: list[OwnerReference] = field(default_factory=list)
    finalizers: list[str] = field(default_factory=list)
    generate_name: str = ""
    creation_timestamp: float = 0.0
    deletion_timestamp: float | None = None
    deletion_grace_period_seconds: int | None = None
    resource_version: int = 0
    generation: int = 1

    def controller_ref(self) -> OwnerReference | None:
        """The owner reference with ``controller: true`` (``metav1.GetControllerOf``)."""
        return next((r for r in self.owner_references if r.controller), None)


@dataclass
class ObjectReference:
    kind: str
    name: str
    namespace: str = ""
    uid: str = ""
    api_version: str = "v1"
    field_path: str = ""


# -- namespaces and nodes -----------------------------------------------------------------------


@dataclass
class Namespace:
    metadata: ObjectMeta
    phase: str = "Active"  # or "Terminating"
    finalizers: list[str] = field(default_factory=lambda: ["kubernetes"])


INITIAL_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


@dataclass
class Taint:
    key: str
    value: str = ""
    effect: str = "NoSchedule"  # NoSchedule, PreferNoSchedule, NoExecute
    time_added: float | None = None


@dataclass
class Toleration:
    key: str = ""
    operator: str = "Equal"  # Equal or Exists
    value: str = ""
    effect: str = ""  # empty = every effect
    toleration_seconds: int | None = None

    def tolerates(self, taint: Taint) -> bool:
        """``Toleration.ToleratesTaint`` (core/v1 toleration.go)."""
        if self.effect and self.effect != taint.effect:
            return False
        if self.key and self.key != taint.key:
            return False
        if self.operator == "Exists":
            return True
        if self.operator in ("", "Equal"):
            return self.value == taint.value
        return False


def tolerates(tolerations: list[Toleration], taint: Taint) -> bool:
    return any(t.tolerates(taint) for t in tolerations)


@dataclass
class NodeCondition:
    type: str  # Ready, MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable
    status: str  # True, False, Unknown
    reason: str = ""
    message: str = ""
    last_heartbeat_time: float = 0.0
    last_transition_time: float = 0.0


@dataclass
class ContainerImage:
    names: list[str]
    size_bytes: int


@dataclass
class Node:
    metadata: ObjectMeta
    capacity: dict[str, str] = field(default_factory=dict)
    allocatable: dict[str, str] = field(default_factory=dict)
    taints: list[Taint] = field(default_factory=list)
    unschedulable: bool = False
    conditions: list[NodeCondition] = field(default_factory=list)
    images: list[ContainerImage] = field(default_factory=list)
    addresses: dict[str, str] = field(default_factory=dict)  # InternalIP, ExternalIP, Hostname
    pod_cidr: str = ""
    kubelet_version: str = "v1.32.5"

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def labels(self) -> dict[str, str]:
        return self.metadata.labels

    def condition(self, type_: str) -> NodeCondition | None:
        return next((c for c in self.conditions if c.type == type_), None)

    def allocatable_amounts(self) -> dict[str, int]:
        """Allocatable as integers: cpu in millicores, memory and storage in bytes, pods."""
        return {k: resource_amount(k, v) for k, v in self.allocatable.items()}


# -- pods ---------------------------------------------------------------------------------------


@dataclass
class ContainerPort:
    container_port: int
    name: str = ""
    protocol: str = "TCP"
    host_port: int = 0
    host_ip: str = ""


@dataclass
class EnvVar:
    """One ``env`` entry with a literal value (``valueFrom`` is not modelled)."""

    name: str
    value: str = ""


@dataclass
class Container:
    name: str
    image: str = "nginx:1.27"
    requests: dict[str, str] = field(default_factory=dict)
    limits: dict[str, str] = field(default_factory=dict)
    ports: list[ContainerPort] = field(default_factory=list)
    command: list[str] = field(default_factory=list)
    #: Only for init containers: ``Always`` makes it a sidecar (restartable init container).
    restart_policy: str = ""
    args: list[str] = field(default_factory=list)
    env: list[EnvVar] = field(default_factory=list)
    #: ``Always``, ``IfNotPresent`` or ``Never``; "" until the API defaults it (manifest.decode).
    image_pull_policy: str = ""

    def effective_requests(self) -> dict[str, str]:
        """The API defaults a missing request to the limit when a limit is set (§1.7)."""
        out = dict(self.limits)
        out.update(self.requests)
        return out


@dataclass
class NodeSelectorRequirement:
    key: str
    operator: str  # In, NotIn, Exists, DoesNotExist, Gt, Lt
    values: list[str] = field(default_factory=list)


@dataclass
class NodeSelectorTerm:
    match_expressions: list[NodeSelectorRequirement] = field(default_factory=list)
    match_fields: list[NodeSelectorRequirement] = field(default_factory=list)


@dataclass
class PreferredSchedulingTerm:
    weight: int
    preference: NodeSelectorTerm


@dataclass
class NodeAffinity:
    #: requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms (ORed); None = none.
    required: list[NodeSelectorTerm] | None = None
    preferred: list[PreferredSchedulingTerm] = field(default_factory=list)


@dataclass
class PodAffinityTerm:
    label_selector: LabelSelector | None
    topology_key: str
    namespaces: list[str] = field(default_factory=list)


@dataclass
class WeightedPodAffinityTerm:
    weight: int
    term: PodAffinityTerm


@dataclass
class PodAffinity:
    required: list[PodAffinityTerm] = field(default_factory=list)
    preferred: list[WeightedPodAffinityTerm] = field(default_factory=list)


@dataclass
class Affinity:
    node_affinity: NodeAffinity | None = None
    pod_affinity: PodAffinity | None = None
    pod_anti_affinity: PodAffinity | None = None


@dataclass
class TopologySpreadConstraint:
    max_skew: int
    topology_key: str
    when_unsatisfiable: str = "DoNotSchedule"  # or ScheduleAnyway
    label_selector: LabelSelector | None = None


@dataclass
class PodSpec:
    containers: list[Container]
    init_containers: list[Container] = field(default_factory=list)
    restart_policy: str = "Always"  # Always, OnFailure, Never
    node_selector: dict[str, str] = field(default_factory=dict)
    affinity: Affinity | None = None
    tolerations: list[Toleration] = field(default_factory=list)
    node_name: str = ""
    scheduler_name: str = "default-scheduler"
    priority: int = 0
    overhead: dict[str, str] = field(default_factory=dict)
    topology_spread_constraints: list[TopologySpreadConstraint] = field(default_factory=list)
    termination_grace_period_seconds: int = 30
    readiness_gates: list[str] = field(default_factory=list)


@dataclass
class ContainerState:
    """Exactly one of waiting / running / terminated is set (``kind``)."""

    kind: str  # waiting, running, terminated
    reason: str = ""
    message: str = ""
    exit_code: int = 0
    signal: int = 0
    started_at: float | None = None
    finished_at: float | None = None


@dataclass
class ContainerStatus:
    name: str
    state: ContainerState | None = None
    last_state: ContainerState | None = None
    ready: bool = False
    started: bool = False
    restart_count: int = 0
    image: str = ""


@dataclass
class PodCondition:
    type: str  # PodScheduled, PodReadyToStartContainers, Initialized, ContainersReady, Ready
    status: str
    reason: str = ""
    message: str = ""
    last_transition_time: float = 0.0


@dataclass
class PodStatus:
    phase: str = "Pending"
    conditions: list[PodCondition] = field(default_factory=list)
    container_statuses: list[ContainerStatus] = field(default_factory=list)
    init_container_statuses: list[ContainerStatus] = field(default_factory=list)
    reason: str = ""
    message: str = ""
    pod_ip: str = ""
    host_ip: str = ""
    nominated_node_name: str = ""
    start_time: float | None = None
    qos_class: str = ""


@dataclass
class Pod:
    metadata: ObjectMeta
    spec: PodSpec
    status: PodStatus = field(default_factory=PodStatus)

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def namespace(self) -> str:
        return self.metadata.namespace

    @property
    def labels(self) -> dict[str, str]:
        return self.metadata.labels

    def condition(self, type_: str) -> PodCondition | None:
        return next((c for c in self.status.conditions if c.type == type_), None)

    def is_ready(self) -> bool:
        c = self.condition("Ready")
        return c is not None and c.status == "True"

    def is_terminal(self) -> bool:
        return self.status.phase in ("Succeeded", "Failed")


@dataclass
class PodTemplate:
    labels: dict[str, str]
    spec: PodSpec
    annotations: dict[str, str] = field(default_factory=dict)


# -- workloads ----------------------------------------------------------------------------------


@dataclass
class ReplicaStatus:
    replicas: int = 0
    fully_labeled_replicas: int = 0
    ready_replicas: int = 0
    available_replicas: int = 0
    observed_generation: int = 0


@dataclass
class ReplicationController:
    metadata: ObjectMeta
    replicas: int
    selector: dict[str, str]
    template: PodTemplate
    min_ready_seconds: int = 0
    status: ReplicaStatus = field(default_factory=ReplicaStatus)

    kind = "ReplicationController"
    api_version = "v1"


@dataclass
class ReplicaSet:
    metadata: ObjectMeta
    replicas: int
    selector: LabelSelector
    template: PodTemplate
    min_ready_seconds: int = 0
    status: ReplicaStatus = field(default_factory=ReplicaStatus)

    kind = "ReplicaSet"
    api_version = "apps/v1"


@dataclass
class DeploymentStrategy:
    type: str = "RollingUpdate"  # or Recreate
    max_surge: int | str = "25%"
    max_unavailable: int | str = "25%"


@dataclass
class DeploymentCondition:
    type: str  # Available, Progressing
    status: str
    reason: str = ""
    message: str = ""
    last_update_time: float = 0.0


@dataclass
class DeploymentStatus:
    replicas: int = 0
    updated_replicas: int = 0
    ready_replicas: int = 0
    available_replicas: int = 0
    unavailable_replicas: int = 0
    observed_generation: int = 0
    conditions: list[DeploymentCondition] = field(default_factory=list)
    collision_count: int = 0


@dataclass
class Deployment:
    metadata: ObjectMeta
    replicas: int
    selector: LabelSelector
    template: PodTemplate
    strategy: DeploymentStrategy = field(default_factory=DeploymentStrategy)
    revision_history_limit: int = 10
    progress_deadline_seconds: int = 600
    min_ready_seconds: int = 0
    paused: bool = False
    status: DeploymentStatus = field(default_factory=DeploymentStatus)

    kind = "Deployment"
    api_version = "apps/v1"


# -- services -----------------------------------------------------------------------------------


@dataclass
class ServicePort:
    port: int
    target_port: int | str = 0  # 0 = same as port
    protocol: str = "TCP"
    name: str = ""
    node_port: int = 0


@dataclass
class Service:
    metadata: ObjectMeta
    ports: list[ServicePort]
    selector: dict[str, str] | None = None  # None: no selector, manual Endpoints
    type: str = "ClusterIP"  # ClusterIP, NodePort, LoadBalancer, ExternalName
    cluster_ip: str = ""  # "None" = headless
    session_affinity: str = "None"  # or ClientIP
    session_affinity_timeout: int = 10800
    publish_not_ready_addresses: bool = False
    external_name: str = ""


@dataclass
class EndpointAddress:
    ip: str
    node_name: str = ""
    target_ref: ObjectReference | None = None


@dataclass
class EndpointPort:
    port: int
    name: str = ""
    protocol: str = "TCP"


@dataclass
class EndpointSubset:
    addresses: list[EndpointAddress] = field(default_factory=list)
    not_ready_addresses: list[EndpointAddress] = field(default_factory=list)
    ports: list[EndpointPort] = field(default_factory=list)


@dataclass
class Endpoints:
    metadata: ObjectMeta
    subsets: list[EndpointSubset] = field(default_factory=list)


@dataclass
class Event:
    metadata: ObjectMeta
    involved_object: ObjectReference
    reason: str
    message: str
    type: str = "Normal"  # or Warning
    count: int = 1
    first_timestamp: float = 0.0
    last_timestamp: float = 0.0
    source: str = ""  # reporting component: default-scheduler, kubelet, replicaset-controller …


def object_ref(kind: str, meta: ObjectMeta, api_version: str = "v1") -> ObjectReference:
    return ObjectReference(kind, meta.name, meta.namespace, meta.uid, api_version)
