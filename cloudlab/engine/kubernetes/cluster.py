"""A whole cluster and its reconcile loop: the apiserver's writes and one round of every controller.

``ClusterState`` holds every object of one cluster (what etcd holds, §6) plus what is not in the
API: whether the VM under each node runs (``node_health``) and the kubelet's memory
(``runtime``). ``reconcile`` runs one round in kube-controller-manager's and the kubelet's order:
node heartbeats and the node lifecycle controller (Unknown after the grace period, the
unreachable / not-ready NoExecute taints, eviction once the pods' tolerations run out), the
garbage collector (dependents whose owners are gone), the Deployment controller, the
ReplicaSet and ReplicationController controllers, the scheduler for every unbound pod (oldest
first), the kubelet for every bound pod, the endpoints controller, and the workloads' status.
Every write takes the next revision (etcd's one counter, the objects' resourceVersion) and is
returned as a ``Change``, so a caller persists exactly what changed.

The apiserver side (``create``, ``update``, ``delete``, ``scale``) checks what the apiserver
checks (the namespace exists, AlreadyExists, a stale resourceVersion is a Conflict, NotFound) and
raises ``etcd.ApiError`` before changing anything.

Kubernetes' durations are scaled as the kubelet scales them (``kubelet.scale(pace)``): the node
monitor grace period (50 s) and the default 300 s toleration of ``node.kubernetes.io/unreachable``
pass ten times faster at pace 1, while the messages keep Kubernetes' own numbers.
"""

from __future__ import annotations

import copy
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from .controllers import deployment as deployment_controller
from .controllers import endpoints as endpoints_controller
from .controllers import gc, nodelifecycle
from .controllers import replicaset as replicaset_controller
from .controllers.actions import Action
from .etcd import CLUSTER_SCOPED, ApiError, already_exists, conflict, not_found
from .kubelet import ContainerRuntime, sync_pod
from .kubelet import scale as time_scale
from .objects import (
    INITIAL_NAMESPACES,
    ContainerImage,
    Deployment,
    Endpoints,
    Event,
    Namespace,
    Node,
    NodeCondition,
    ObjectMeta,
    OwnerReference,
    Pod,
    PodCondition,
    ReplicaSet,
    ReplicationController,
    Service,
    ServicePort,
    object_ref,
)
from .scheduler import Decision, Scheduler
from .services import ClusterIPAllocator, NodePortAllocator

#: resource → (ClusterState attribute, kind); nodes and namespaces are keyed by name alone.
RESOURCES: dict[str, tuple[str, str]] = {
    "namespaces": ("namespaces", "Namespace"),
    "nodes": ("nodes", "Node"),
    "pods": ("pods", "Pod"),
    "replicationcontrollers": ("replication_controllers", "ReplicationController"),
    "replicasets": ("replica_sets", "ReplicaSet"),
    "deployments": ("deployments", "Deployment"),
    "services": ("services", "Service"),
    "endpoints": ("endpoints", "Endpoints"),
}
KIND_RESOURCE = {kind: resource for resource, (_, kind) in RESOURCES.items()}
API_VERSION = {"ReplicaSet": "apps/v1", "Deployment": "apps/v1"}
READY_MESSAGE = "kubelet is posting ready status"


@dataclass
class NodeVM:
    """What the kubelet of a node can do: its VM runs, or why not."""

    vm_running: bool = True
    reason: str = ""
    last_heartbeat: float = 0.0


@dataclass
class Change:
    verb: str  # create, update, delete
    resource: str
    namespace: str
    name: str
    obj: Any


@dataclass
class ClusterState:
    now: float
    pace: float
    namespaces: dict[str, Namespace] = field(default_factory=dict)
    nodes: dict[str, Node] = field(default_factory=dict)
    pods: dict[tuple[str, str], Pod] = field(default_factory=dict)
    replication_controllers: dict[tuple[str, str], ReplicationController] = field(default_factory=dict)
    replica_sets: dict[tuple[str, str], ReplicaSet] = field(default_factory=dict)
    deployments: dict[tuple[str, str], Deployment] = field(default_factory=dict)
    services: dict[tuple[str, str], Service] = field(default_factory=dict)
    endpoints: dict[tuple[str, str], Endpoints] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    node_health: dict[str, NodeVM] = field(default_factory=dict)
    revision: int = 0
    #: The kubelet's memory per pod uid (pulls in progress, back-offs); not in the API.
    runtime: dict[str, dict[str, ContainerRuntime]] = field(default_factory=dict)

    def table(self, resource: str) -> dict[Any, Any]:
        return getattr(self, RESOURCES[resource][0])  # type: ignore[no-any-return]


@dataclass
class StepResult:
    changes: list[Change] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    decisions: list[tuple[str, Decision]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    wake_at: float | None = None


def key_of(resource: str, namespace: str, name: str) -> Any:
    """The key of ``resource``'s table: the name for cluster-scoped resources, else (namespace, name)."""
    return name if resource in CLUSTER_SCOPED else (namespace, name)


def namespace_of(resource: str, obj: Any) -> str:
    return "" if resource in CLUSTER_SCOPED else obj.metadata.namespace


class _Writer:
    """Every write of one call: the next revision, the table, the Change."""

    def __init__(self, state: ClusterState, out: StepResult) -> None:
        self.state, self.out = state, out

    def put(self, resource: str, obj: Any, verb: str = "update") -> None:
        state = self.state
        state.revision += 1
        obj.metadata.resource_version = state.revision
        ns = namespace_of(resource, obj)
        state.table(resource)[key_of(resource, ns, obj.metadata.name)] = obj
        self.out.changes.append(Change(verb, resource, ns, obj.metadata.name, obj))

    def remove(self, resource: str, obj: Any) -> None:
        state = self.state
        ns = namespace_of(resource, obj)
        if state.table(resource).pop(key_of(resource, ns, obj.metadata.name), None) is None:
            return
        state.revision += 1
        if resource == "pods":
            state.runtime.pop(obj.metadata.uid, None)
        self.out.changes.append(Change("delete", resource, ns, obj.metadata.name, obj))

    def event(self, involved: Any, kind: str, type_: str, reason: str, message: str, source: str) -> None:
        """A Kubernetes Event, counted up when the same one repeats (the event recorder's dedup)."""
        state = self.state
        ref = object_ref(kind, involved.metadata, API_VERSION.get(kind, "v1"))
        for ev in state.events:
            same = (ev.involved_object.uid, ev.reason, ev.message, ev.type) == (ref.uid, reason, message, type_)
            if same and ev.involved_object.name == ref.name:
                ev.count += 1
                ev.last_timestamp = state.now
                self.out.events.append(ev)
                return
        name = f"{involved.metadata.name}.{state.revision + 1:016x}"
        ev = Event(
            ObjectMeta(name, namespace=involved.metadata.namespace or "default", uid=str(uuid.uuid4())),
            ref,
            reason,
            message,
            type_,
            1,
            state.now,
            state.now,
            source,
        )
        state.events.append(ev)
        self.out.events.append(ev)


def new_cluster(nodes: list[Node], now: float, pace: float) -> ClusterState:
    """A cluster as kubeadm leaves it: the four namespaces, its nodes, the ``kubernetes`` Service."""
    state = ClusterState(now=now, pace=pace)
    out = StepResult()
    w = _Writer(state, out)
    for name in INITIAL_NAMESPACES:
        w.put("namespaces", Namespace(ObjectMeta(name, namespace="", uid=str(uuid.uuid4()), creation_timestamp=now)))
    for node in nodes:
        node.metadata.uid = node.metadata.uid or str(uuid.uuid4())
        w.put("nodes", node)
        state.node_health[node.metadata.name] = NodeVM(True, "", now)
    svc = Service(
        ObjectMeta(
            "kubernetes",
            labels={"component": "apiserver", "provider": "kubernetes"},
            uid=str(uuid.uuid4()),
            creation_timestamp=now,
        ),
        [ServicePort(443, 6443, name="https")],
        selector=None,
        cluster_ip="10.96.0.1",
    )
    w.put("services", svc)
    return state


# -- the apiserver's writes ----------------------------------------------------------------------


def _allocators(state: ClusterState) -> tuple[ClusterIPAllocator, NodePortAllocator]:
    ips = ClusterIPAllocator(
        allocated={s.cluster_ip for s in state.services.values() if s.cluster_ip not in ("", "None")}
    )
    ports = NodePortAllocator(allocated={p.node_port for s in state.services.values() for p in s.ports if p.node_port})
    return ips, ports


def create(state: ClusterState, resource: str, obj: Any, rng: random.Random) -> Change:
    """Create ``obj`` as the apiserver does, or raise ``ApiError`` having changed nothing."""
    meta = obj.metadata
    if resource not in CLUSTER_SCOPED:
        if meta.namespace not in state.namespaces:
            raise not_found("namespaces", meta.namespace)
    else:
        meta.namespace = ""
    if not meta.name and meta.generate_name:
        meta.name = replicaset_controller.generate_name(meta.generate_name, replicaset_controller.random_suffix(rng)())
    if key_of(resource, meta.namespace, meta.name) in state.table(resource):
        raise already_exists(resource, meta.name)
    if resource == "services":
        ips, ports = _allocators(state)
        try:
            if obj.cluster_ip != "None" and obj.type != "ExternalName":
                obj.cluster_ip = ips.allocate(obj.cluster_ip or None)
            if obj.type in ("NodePort", "LoadBalancer"):
                for p in obj.ports:
                    p.node_port = ports.allocate(p.node_port)
        except ValueError as err:
            raise ApiError(422, "Invalid", f'Service "{meta.name}" is invalid: {err}') from err
    meta.uid = str(uuid.uuid4())
    meta.creation_timestamp = state.now
    meta.generation = 1
    meta.deletion_timestamp = None
    out = StepResult()
    _Writer(state, out).put(resource, obj, "create")
    return out.changes[0]


def _get(state: ClusterState, resource: str, namespace: str, name: str) -> Any:
    obj = state.table(resource).get(key_of(resource, namespace, name))
    if obj is None:
        raise not_found(resource, name)
    return obj


def update(state: ClusterState, resource: str, obj: Any) -> Change:
    """Replace an object; a resourceVersion other than the stored one is a Conflict."""
    current = _get(state, resource, namespace_of(resource, obj), obj.metadata.name)
    if obj.metadata.resource_version and obj.metadata.resource_version != current.metadata.resource_version:
        raise conflict(resource, obj.metadata.name)
    obj.metadata.uid = current.metadata.uid
    obj.metadata.creation_timestamp = current.metadata.creation_timestamp
    obj.metadata.generation = current.metadata.generation
    if _spec(obj) != _spec(current):
        obj.metadata.generation += 1
    out = StepResult()
    _Writer(state, out).put(resource, obj)
    return out.changes[0]


def _spec(obj: Any) -> Any:
    """What counts as the spec (a generation bump): everything but metadata and status."""
    fields = {k: v for k, v in vars(obj).items() if k not in ("metadata", "status")}
    return fields


def scale(state: ClusterState, resource: str, namespace: str, name: str, replicas: int) -> Change:
    if replicas < 0:
        raise ApiError(422, "Invalid", f"spec.replicas: Invalid value: {replicas}: must be greater than or equal to 0")
    obj = copy.deepcopy(_get(state, resource, namespace, name))
    obj.replicas = replicas
    obj.metadata.resource_version = 0
    return update(state, resource, obj)


def delete(
    state: ClusterState, resource: str, namespace: str, name: str, propagation: str | None = None
) -> list[Change]:
    """Delete as the apiserver and the garbage collector do: a pod gets its deletion timestamp and
    the kubelet finishes it; a workload goes now and its dependents per ``propagation``."""
    obj = _get(state, resource, namespace, name)
    out = StepResult()
    w = _Writer(state, out)
    if resource == "pods":
        if obj.metadata.deletion_timestamp is None:
            obj = copy.deepcopy(obj)
            obj.metadata.deletion_timestamp = state.now
            obj.metadata.deletion_grace_period_seconds = obj.spec.termination_grace_period_seconds
            if not obj.spec.node_name:
                w.remove("pods", obj)
            else:
                w.put("pods", obj)
        return out.changes
    kind = RESOURCES[resource][1]
    policy = gc.default_propagation(kind, API_VERSION.get(kind, "v1"), propagation)
    for action in gc.delete_owner(gc.Item(kind, obj.metadata), _gc_items(state), policy):
        out.actions.append(action)
        if action.obj.metadata.uid == obj.metadata.uid:
            continue  # the owner itself: removed below
        dep_resource = KIND_RESOURCE[action.kind]
        dep_meta = action.obj.metadata
        dep = state.table(dep_resource).get(key_of(dep_resource, dep_meta.namespace, dep_meta.name))
        if dep is None:
            continue
        if action.verb == "release":  # Orphan: the dependent loses its owner reference and stays
            dep = copy.deepcopy(dep)
            dep.metadata.owner_references = [r for r in dep.metadata.owner_references if r.uid != obj.metadata.uid]
            w.put(dep_resource, dep)
        elif policy == "Foreground":  # the dependents go first (their own dependents with them)
            out.changes.extend(delete(state, dep_resource, dep.metadata.namespace, dep.metadata.name, "Foreground"))
        # Background: the garbage collector's next round deletes the dependents whose owner is gone
    w.remove(resource, obj)
    return out.changes


def _gc_items(state: ClusterState) -> list[gc.Item]:
    items: list[gc.Item] = []
    for resource in ("pods", "replicasets", "replicationcontrollers", "deployments"):
        kind = RESOURCES[resource][1]
        items.extend(gc.Item(kind, o.metadata) for o in state.table(resource).values())
    return items


def _apply_gc(state: ClusterState, w: _Writer, action: Action) -> None:
    """The garbage collector deletes a dependent whose owners are all gone (a pod gracefully)."""
    resource = KIND_RESOURCE.get(action.kind)
    if resource is None or action.verb != "delete":
        return
    meta: ObjectMeta = action.obj.metadata
    target = state.table(resource).get(key_of(resource, meta.namespace, meta.name))
    if target is None:
        return
    if resource != "pods":
        w.out.changes.extend(delete(state, resource, meta.namespace, meta.name, "Background"))
    elif target.metadata.deletion_timestamp is None:
        # as the apiserver deletes a pod: gracefully when a kubelet runs it, at once when none does
        w.out.changes.extend(delete(state, "pods", meta.namespace, meta.name))


def set_node_ready(state: ClusterState, node_name: str, vm_running: bool, reason: str = "") -> None:
    """The VM under ``node_name`` runs or stops; the next round's node lifecycle follows."""
    health = state.node_health.setdefault(node_name, NodeVM(vm_running, reason, state.now))
    if vm_running and not health.vm_running:
        health.last_heartbeat = state.now
    health.vm_running, health.reason = vm_running, reason


# -- one round -----------------------------------------------------------------------------------


def _nodes_round(state: ClusterState, w: _Writer, wake: list[float]) -> None:
    s = time_scale(state.pace)
    grace = nodelifecycle.NODE_MONITOR_GRACE_PERIOD
    pods = list(state.pods.values())
    for name, node in list(state.nodes.items()):
        health = state.node_health.setdefault(name, NodeVM(True, "", state.now))
        if health.vm_running:
            health.last_heartbeat = state.now
            ready = node.condition("Ready")
            if ready is None or ready.status != "True":
                node = copy.deepcopy(node)
                node.conditions = [c for c in node.conditions if c.type != "Ready"] + [
                    NodeCondition(
                        "Ready", "True", "KubeletReady", "kubelet is posting ready status", state.now, state.now
                    )
                ]
                w.put("nodes", node)
                w.event(node, "Node", "Normal", "NodeReady", f"Node {name} status is now: NodeReady", "kubelet")
        # the controller sees Kubernetes' seconds: the silence scaled back up
        silent = (state.now - health.last_heartbeat) / s if s > 0 else (0.0 if health.vm_running else grace + 1.0)
        view = nodelifecycle.NodeHealth(node, state.now - silent)
        if not health.vm_running and silent <= grace:
            wake.append(health.last_heartbeat + (grace + 0.001) * s)
        node_changed = False
        node = copy.deepcopy(node)
        for action in nodelifecycle.reconcile_node(view, pods, state.now, grace):
            w.out.actions.append(action)
            if action.kind == "Node":
                node_changed = True
                if action.verb == "set-condition":
                    node.conditions = action.obj
                elif action.verb == "taint":
                    action.obj.time_added = state.now
                    node.taints.append(action.obj)
                elif action.verb == "untaint":
                    node.taints = [t for t in node.taints if t.key != action.obj.key or t.effect != action.obj.effect]
            elif action.verb == "set-condition":
                pod = state.pods.get((_pod_ns(pods, action.name), action.name))
                if pod is not None:
                    pod = copy.deepcopy(pod)
                    pod.status.conditions = [c for c in pod.status.conditions if c.type != "Ready"] + [action.obj]
                    w.put("pods", pod)
            if action.event is not None:
                w.event(node, "Node", action.event.type, action.event.reason, action.event.message, "node-controller")
        if node_changed:
            w.put("nodes", node)
        _evict(state, w, node, wake)


def _pod_ns(pods: list[Pod], name: str) -> str:
    return next((p.metadata.namespace for p in pods if p.metadata.name == name), "default")


def _evict(state: ClusterState, w: _Writer, node: Node, wake: list[float]) -> None:
    """Taint-based eviction with the tolerations' seconds scaled (the messages keep the real ones)."""
    s = time_scale(state.pace)
    hard = [t for t in node.taints if t.effect == "NoExecute"]
    if not hard:
        return
    for pod in list(state.pods.values()):
        if pod.spec.node_name != node.metadata.name or pod.metadata.deletion_timestamp is not None:
            continue
        at = nodelifecycle.eviction_time(pod, hard)
        if at is None:
            continue
        added = min(t.time_added or 0.0 for t in hard)
        due = added + (at - added) * s
        if state.now < due:
            wake.append(due)
            continue
        # ask the controller at its own (unscaled) time so its numbers are Kubernetes' seconds
        for action in nodelifecycle.evictions(node, [pod], at):
            w.out.actions.append(action)
            if action.event is not None:
                w.event(
                    pod,
                    "Pod",
                    action.event.type,
                    action.event.reason,
                    action.event.message,
                    "taint-eviction-controller",
                )
            doomed = copy.deepcopy(pod)
            doomed.metadata.deletion_timestamp = state.now
            w.put("pods", doomed)


def _gc_round(state: ClusterState, w: _Writer) -> None:
    for action in gc.collect_garbage(_gc_items(state)):
        w.out.actions.append(action)
        _apply_gc(state, w, action)


def _apply_rs_actions(
    state: ClusterState, w: _Writer, owner: Any, kind: str, result: replicaset_controller.ReconcileResult
) -> None:
    for action in result.actions:
        w.out.actions.append(action)
        if action.verb == "create":
            pod: Pod = action.obj
            pod.metadata.uid = str(uuid.uuid4())
            w.put("pods", pod, "create")
        elif action.verb == "delete":
            target = state.pods.get((action.obj.metadata.namespace, action.obj.metadata.name))
            if target is not None and target.metadata.deletion_timestamp is None:
                target = copy.deepcopy(target)
                target.metadata.deletion_timestamp = state.now
                target.metadata.deletion_grace_period_seconds = target.spec.termination_grace_period_seconds
                w.put("pods", target)
        elif action.verb in ("adopt", "release"):
            key = (owner.metadata.namespace, action.name)
            target = state.pods.get(key)
            if target is None:
                continue
            target = copy.deepcopy(target)
            if action.verb == "adopt":
                target.metadata.owner_references.append(
                    OwnerReference(owner.api_version, kind, owner.metadata.name, owner.metadata.uid, True, True)
                )
            else:
                target.metadata.owner_references = [
                    r for r in target.metadata.owner_references if r.uid != owner.metadata.uid
                ]
            w.put("pods", target)
        if action.event is not None:
            w.event(owner, kind, action.event.type, action.event.reason, action.event.message, _source(kind))
    status = result.status
    status.observed_generation = owner.metadata.generation
    if status != owner.status:
        updated = copy.deepcopy(owner)
        updated.status = status
        w.put(KIND_RESOURCE[kind], updated)


def _source(kind: str) -> str:
    return {"ReplicaSet": "replicaset-controller", "ReplicationController": "replication-controller"}.get(
        kind, "deployment-controller"
    )


def _controllers_round(state: ClusterState, w: _Writer, rng: random.Random) -> None:
    suffix = replicaset_controller.random_suffix(rng)
    for d in list(state.deployments.values()):
        if d.metadata.deletion_timestamp is not None:
            continue
        rss = [rs for rs in state.replica_sets.values() if rs.metadata.namespace == d.metadata.namespace]
        pods = [p for p in state.pods.values() if p.metadata.namespace == d.metadata.namespace]
        result = deployment_controller.reconcile_deployment(d, rss, pods, state.now)
        for action in result.actions:
            w.out.actions.append(action)
            if action.verb == "create":
                action.obj.metadata.uid = str(uuid.uuid4())
                w.put("replicasets", action.obj, "create")
            elif action.verb in ("scale", "update"):
                rs = action.obj
                rs.metadata.generation += 1 if action.verb == "scale" else 0
                w.put("replicasets", rs)
            elif action.verb == "delete":
                for change in delete(state, "replicasets", action.obj.metadata.namespace, action.obj.metadata.name):
                    w.out.changes.append(change)
            if action.event is not None:
                w.event(
                    d, "Deployment", action.event.type, action.event.reason, action.event.message, _source("Deployment")
                )
        status = result.status
        status.observed_generation = d.metadata.generation
        # The controller copies the new ReplicaSet's revision onto the Deployment
        # (SetDeploymentRevision): kubectl rollout history/undo read it there.
        revision = str(deployment_controller.revision_of(result.new_rs)) if result.new_rs is not None else None
        stale_revision = revision is not None and d.metadata.annotations.get(deployment_controller.REVISION) != revision
        if status != d.status or stale_revision:
            updated = copy.deepcopy(state.deployments[(d.metadata.namespace, d.metadata.name)])
            updated.status = status
            if revision is not None:
                updated.metadata.annotations[deployment_controller.REVISION] = revision
            w.put("deployments", updated)
    for resource, kind in (("replicasets", "ReplicaSet"), ("replicationcontrollers", "ReplicationController")):
        for owner in list(state.table(resource).values()):
            pods = [p for p in state.pods.values() if p.metadata.namespace == owner.metadata.namespace]
            synced = replicaset_controller.reconcile_replicas(owner, pods, state.now, suffix=suffix)
            _apply_rs_actions(state, w, owner, kind, synced)


def _schedule_round(state: ClusterState, w: _Writer, rng: random.Random) -> None:
    pending = sorted(
        (p for p in state.pods.values() if not p.spec.node_name and p.metadata.deletion_timestamp is None),
        key=lambda p: (-p.spec.priority, p.metadata.creation_timestamp, p.metadata.name),
    )
    scheduler = Scheduler(rng=rng)
    for pod in pending:
        bound = [p for p in state.pods.values() if p.spec.node_name and not p.is_terminal()]
        decision = scheduler.schedule(pod, list(state.nodes.values()), bound)
        tried = pod.condition("PodScheduled")
        if decision.node is None and tried is not None and tried.message == decision.message:
            continue  # nothing changed since the last attempt: the pod waits in the unschedulable queue
        w.out.decisions.append((f"{pod.metadata.namespace}/{pod.metadata.name}", decision))
        pod = copy.deepcopy(pod)
        pod.status.conditions = [c for c in pod.status.conditions if c.type != "PodScheduled"]
        if decision.node is not None:
            pod.spec.node_name = decision.node
            pod.status.conditions.append(PodCondition("PodScheduled", "True", last_transition_time=state.now))
        else:
            pod.status.conditions.append(
                PodCondition("PodScheduled", "False", "Unschedulable", decision.message, state.now)
            )
        w.put("pods", pod)
        w.event(pod, "Pod", decision.event_type, decision.event_reason, decision.message, "default-scheduler")


def _kubelet_round(state: ClusterState, w: _Writer, wake: list[float]) -> None:
    for pod in list(state.pods.values()):
        node = state.nodes.get(pod.spec.node_name) if pod.spec.node_name else None
        if node is None:
            continue
        used = {
            p.status.pod_ip
            for p in state.pods.values()
            if p.spec.node_name == node.metadata.name and p.status.pod_ip and p is not pod
        }
        runtime = state.runtime.setdefault(pod.metadata.uid, {})
        result = sync_pod(copy.deepcopy(pod), node, state.now, state.pace, runtime, used)
        if result.pod is None:
            w.remove("pods", pod)
        elif result.pod != pod:
            w.put("pods", result.pod)
        for ev in result.events:
            w.event(result.pod or pod, "Pod", ev.type, ev.reason, ev.message, ev.source)
        if result.wake_at is not None:
            wake.append(result.wake_at)
        if result.pulled_images:
            have = {n for img in node.images for n in img.names}
            new = [i for i in result.pulled_images if i not in have]
            if new:
                node = copy.deepcopy(node)
                node.images.extend(ContainerImage([i], 50_000_000) for i in new)
                w.put("nodes", node)


def _endpoints_round(state: ClusterState, w: _Writer) -> None:
    for svc in list(state.services.values()):
        key = (svc.metadata.namespace, svc.metadata.name)
        pods = [p for p in state.pods.values() if p.metadata.namespace == svc.metadata.namespace]
        for action in endpoints_controller.reconcile_endpoints(svc, pods, state.endpoints.get(key)):
            w.out.actions.append(action)
            ep: Endpoints = action.obj
            current = state.endpoints.get(key)
            if current is not None:
                ep.metadata.uid = current.metadata.uid
                ep.metadata.creation_timestamp = current.metadata.creation_timestamp
            else:
                ep.metadata.uid = str(uuid.uuid4())
                ep.metadata.creation_timestamp = state.now
            w.put("endpoints", ep, action.verb)
    for key, ep in list(state.endpoints.items()):
        if key not in state.services:
            w.remove("endpoints", ep)


def reconcile(state: ClusterState, rng: random.Random) -> StepResult:
    """One round of every controller, the scheduler and the kubelets at ``state.now``."""
    out = StepResult()
    w = _Writer(state, out)
    wake: list[float] = []
    _nodes_round(state, w, wake)
    _gc_round(state, w)
    _controllers_round(state, w, rng)
    _schedule_round(state, w, rng)
    _kubelet_round(state, w, wake)
    _endpoints_round(state, w)
    if out.changes:
        wake.append(state.now + max(state.pace, 0.0) * 0.25)
    future = [t for t in wake if t > state.now - 1e-9]
    out.wake_at = min(future) if future else None
    return out


__all__ = [
    "Change",
    "ClusterState",
    "NodeVM",
    "StepResult",
    "create",
    "delete",
    "new_cluster",
    "reconcile",
    "scale",
    "set_node_ready",
    "update",
]
