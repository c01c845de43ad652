"""Builders for the Kubernetes engine tests: nodes and pods in a line each (no tests here)."""

from __future__ import annotations

from cloudlab.engine.kubernetes.objects import (
    Container,
    ContainerImage,
    Node,
    ObjectMeta,
    Pod,
    PodSpec,
    Taint,
    Toleration,
)


def node(
    name: str,
    cpu: str = "4",
    memory: str = "8Gi",
    pods: int = 110,
    labels: dict[str, str] | None = None,
    taints: list[Taint] | None = None,
    images: list[ContainerImage] | None = None,
    unschedulable: bool = False,
) -> Node:
    meta = ObjectMeta(name, namespace="", uid=f"uid-{name}", labels={"kubernetes.io/hostname": name, **(labels or {})})
    alloc = {"cpu": cpu, "memory": memory, "pods": str(pods)}
    return Node(
        meta,
        capacity=dict(alloc),
        allocatable=alloc,
        taints=taints or [],
        images=images or [],
        unschedulable=unschedulable,
    )


def pod(
    name: str,
    cpu: str | None = None,
    memory: str | None = None,
    node_name: str = "",
    labels: dict[str, str] | None = None,
    priority: int = 0,
    tolerations: list[Toleration] | None = None,
    image: str = "nginx:1.27",
    **spec: object,
) -> Pod:
    requests = {}
    if cpu is not None:
        requests["cpu"] = cpu
    if memory is not None:
        requests["memory"] = memory
    containers = [Container("app", image=image, requests=requests)]
    ps = PodSpec(containers, node_name=node_name, priority=priority, tolerations=tolerations or [], **spec)  # type: ignore[arg-type]
    return Pod(ObjectMeta(name, uid=f"uid-{name}", labels=labels or {}), ps)
