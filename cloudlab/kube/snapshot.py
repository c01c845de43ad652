"""What a cluster's pages show, in one JSON snapshot: every object printed with kubectl's columns,
the members and their components' health, the etcd keys. The pages render it and refetch it when
a ``kube.changed`` event of the cluster arrives (or on a gap), so what they show is always one
consistent revision of the cluster.
"""

from __future__ import annotations

import json
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cloudlab.compute.models import Instance
from cloudlab.engine.kubernetes import cluster as engine
from cloudlab.engine.kubernetes.bridge import CONTROL_PLANE_COMPONENTS, NODE_COMPONENTS
from cloudlab.engine.kubernetes.controllers.deployment import REVISION, owned_replica_sets, revision_of, rollout_status
from cloudlab.engine.kubernetes.nodeinfo import snapshot as scheduler_cache
from cloudlab.engine.kubernetes.objects import Pod
from cloudlab.engine.kubernetes.podlifecycle import print_endpoints, print_node, print_pod, print_service
from cloudlab.engine.kubernetes.printers import (
    print_deployment,
    print_event,
    print_namespace,
    print_replicas,
    status_kind,
)
from cloudlab.engine.kubernetes.quantity import format_amount
from cloudlab.live.events import current_seqs, project_stream

from . import store
from .health import vm_runs
from .models import Cluster, ClusterMember, KubeObject

#: Events listed at most (newest first), as ``kubectl get events`` would list the last hour's.
MAX_EVENTS = 200

#: What each component does, in one sentence (the slides' master/node picture).
COMPONENT_ROLES = {
    "kube-apiserver": gettext_lazy(
        "the only door to the cluster's state: every read and write, from kubectl and from every other component"
    ),
    "etcd": gettext_lazy("the key-value store the apiserver keeps every object in"),
    "kube-scheduler": gettext_lazy("picks a node for every pod that has none (filter, then score)"),
    "kube-controller-manager": gettext_lazy(
        "runs the controllers: replication, Deployment, endpoints, node lifecycle, garbage collector"
    ),
    "kubelet": gettext_lazy("starts the pods bound to its node and reports their status and the node's"),
    "kube-proxy": gettext_lazy("writes the iptables rules that send a Service's traffic to its endpoints"),
    "containerd": gettext_lazy("the container runtime: pulls images and runs the containers"),
}


def _url(name: str, *args: Any) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # a page not routed (yet): the cell shows no link
        return None


def _owner(obj: Any) -> dict[str, str] | None:
    ref = obj.metadata.controller_ref()
    return {"kind": ref.kind, "name": ref.name} if ref else None


def _labels(obj: Any) -> dict[str, str]:
    return dict(sorted(obj.metadata.labels.items()))


def _members(cluster: Cluster, state: engine.ClusterState) -> list[dict[str, Any]]:
    members = list(cluster.members.all())
    instances = {
        i.pk: i
        for i in Instance.objects.filter(pk__in=[m.instance_id for m in members if m.instance_id]).select_related(
            "host", "flavor"
        )
    }
    rows = []
    for member in members:
        instance = instances.get(member.instance_id) if member.instance_id else None
        runs, why = vm_runs(instance)
        node = state.nodes.get(member.node_name)
        printed = print_node(node, state.now) if node else {"STATUS": "Unknown"}
        ready = printed["STATUS"].split(",")[0] == "Ready"
        control = member.role == ClusterMember.Role.CONTROL_PLANE
        names = CONTROL_PLANE_COMPONENTS + NODE_COMPONENTS if control else NODE_COMPONENTS
        why_text = _(why) if why else ""
        components = [
            {
                "name": name,
                "role": str(COMPONENT_ROLES[name]),
                # Static pods and services of the VM: they run while the VM runs.
                "healthy": runs,
                "why": why_text,
            }
            for name in names
        ]
        rows.append(
            {
                "node": member.node_name,
                "role": member.role,
                "role_label": str(member.get_role_display()),
                "control_plane": control,
                "ready": ready,
                "status": printed["STATUS"],
                "vm_runs": runs,
                "why": why_text,
                "instance": {
                    "name": instance.name,
                    "url": reverse("dashboard:instance", args=[instance.uuid]),
                    "status": instance.vm_state,
                    "host": instance.host.name if instance.host else "",
                    "flavor": instance.flavor.name,
                }
                if instance
                else None,
                "components": components,
            }
        )
    return rows


def _node_rows(state: engine.ClusterState, pods: list[Pod]) -> list[dict[str, Any]]:
    rows = []
    # The scheduler's own cache: each node with its bound, not terminated pods and their requests.
    infos = sorted(scheduler_cache(list(state.nodes.values()), pods), key=lambda i: i.name)
    for info in infos:
        node, here = info.node, info.pods
        resources = []
        for name in ("cpu", "memory", "pods"):
            used = len(here) if name == "pods" else info.requested.get(name, 0)
            total = info.allowed_pods() if name == "pods" else info.allocatable.get(name, 0)
            resources.append(
                {
                    "name": name,
                    "requested": format_amount(name, used),
                    "allocatable": format_amount(name, total),
                    "capacity": node.capacity.get(name, ""),
                    "percent": round(100 * used / total) if total else 0,
                }
            )
        ready = node.condition("Ready")
        rows.append(
            {
                "columns": print_node(node, state.now),
                "labels": _labels(node),
                "taints": [f"{t.key}{'=' + t.value if t.value else ''}:{t.effect}" for t in node.taints],
                "unschedulable": node.unschedulable,
                "ready_reason": ready.reason if ready else "",
                "ready_message": ready.message if ready else "",
                "resources": resources,
                "pods": [p.metadata.name for p in here],
                "pod_cidr": node.pod_cidr,
            }
        )
    return rows


def _pod_rows(cluster: Cluster, state: engine.ClusterState, pods: list[Pod]) -> list[dict[str, Any]]:
    rows = []
    for pod in sorted(pods, key=lambda p: (p.metadata.namespace, p.metadata.name)):
        meta = pod.metadata
        scheduled = pod.condition("PodScheduled")
        rows.append(
            {
                "namespace": meta.namespace,
                "columns": (printed := print_pod(pod, state.now)),
                "status_kind": status_kind(printed["STATUS"]),
                "labels": _labels(pod),
                "owner": _owner(pod),
                "phase": pod.status.phase,
                "unschedulable": bool(scheduled and scheduled.status == "False"),
                "scheduling_message": scheduled.message if scheduled and scheduled.status == "False" else "",
                "terminating": meta.deletion_timestamp is not None,
                "decision_url": _url("kube:pod-decision-latest", cluster.pk, meta.namespace, meta.name),
            }
        )
    return rows


def _workload_rows(objs: Any, printer: Any, now: float, **extra: Any) -> list[dict[str, Any]]:
    return [
        {
            "namespace": obj.metadata.namespace,
            "columns": printer(obj, now),
            "labels": _labels(obj),
            "owner": _owner(obj),
            "replicas": obj.replicas,
            **{k: v(obj) for k, v in extra.items()},
        }
        for obj in sorted(objs, key=lambda o: (o.metadata.namespace, o.metadata.name))
    ]


def _history(d: Any, state: engine.ClusterState) -> list[dict[str, Any]]:
    """``kubectl rollout history``: each revision the Deployment's ReplicaSets hold, newest first."""
    rows = []
    for rs in owned_replica_sets(d, list(state.replica_sets.values())):
        rows.append(
            {
                "revision": revision_of(rs),
                "replica_set": rs.metadata.name,
                "replicas": rs.replicas,
                "images": ",".join(c.image for c in rs.template.spec.containers),
            }
        )
    return sorted(rows, key=lambda r: -r["revision"])


def _etcd_rows(cluster: Cluster) -> list[dict[str, Any]]:
    rows = []
    for row in KubeObject.objects.filter(cluster=cluster).order_by("resource", "namespace", "name"):
        rows.append(
            {
                "key": row.key,
                "resource": row.resource,
                "namespace": row.namespace,
                "name": row.name,
                "resourceVersion": row.resource_version,
                "bytes": len(json.dumps(row.body, separators=(",", ":"))),
            }
        )
    return rows


def snapshot(cluster: Cluster) -> dict[str, Any]:
    """Everything the cluster's pages show at the cluster's current revision."""
    state = store.load(cluster)
    now = state.now
    pods = list(state.pods.values())
    services = []
    for svc in sorted(state.services.values(), key=lambda s: (s.metadata.namespace, s.metadata.name)):
        ep = state.endpoints.get((svc.metadata.namespace, svc.metadata.name))
        services.append(
            {
                "namespace": svc.metadata.namespace,
                "columns": print_service(svc, now),
                "endpoints": print_endpoints(ep, now)["ENDPOINTS"] if ep else "<none>",
                "labels": _labels(svc),
                "url": _url("kube:service", cluster.pk, svc.metadata.namespace, svc.metadata.name),
            }
        )
    events = sorted(state.events, key=lambda e: (e.last_timestamp, e.metadata.resource_version), reverse=True)
    stream = project_stream(cluster.project_id)
    return {
        "cluster": {
            "id": cluster.pk,
            "name": cluster.name,
            "project": cluster.project.name,
            "revision": cluster.revision,
            "created_at": cluster.created_at.isoformat(),
        },
        "members": _members(cluster, state),
        "namespaces": [
            {"columns": print_namespace(ns, now), "labels": _labels(ns)}
            for ns in sorted(state.namespaces.values(), key=lambda n: n.metadata.name)
        ],
        "nodes": _node_rows(state, pods),
        "pods": _pod_rows(cluster, state, pods),
        "deployments": _workload_rows(
            state.deployments.values(),
            print_deployment,
            now,
            strategy=lambda d: {
                "type": d.strategy.type,
                "max_surge": str(d.strategy.max_surge),
                "max_unavailable": str(d.strategy.max_unavailable),
            },
            rollout=lambda d: dict(zip(("message", "done"), rollout_status(d), strict=True)),
            # the controller copies its newest ReplicaSet's revision onto the Deployment
            revision=lambda d: d.metadata.annotations.get(REVISION, ""),
            containers=lambda d: [{"name": c.name, "image": c.image} for c in d.template.spec.containers],
            history=lambda d: _history(d, state),
        ),
        "replicasets": _workload_rows(state.replica_sets.values(), print_replicas, now),
        "replicationcontrollers": _workload_rows(state.replication_controllers.values(), print_replicas, now),
        "services": services,
        "events": [{"namespace": e.metadata.namespace, "columns": print_event(e, now)} for e in events[:MAX_EVENTS]],
        "etcd": _etcd_rows(cluster),
        "streams": current_seqs([stream]),
    }
