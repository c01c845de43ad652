"""Clusters for the page tests, made without a worker: instances run to ACTIVE in the test's own
thread (tests/steps.py), and the cluster's reconcile rounds run inline with the clock moved on
(``advance``), so a page test sees pods scheduled and Running in milliseconds."""

from __future__ import annotations

from typing import Any

from cloudlab.compute.models import Instance
from cloudlab.kube import clusters, loop
from cloudlab.kube.models import Cluster
from tests.steps import run_to_end


def running_instances(launch: Any, user: Any, count: int = 3, flavor: str = "m1.small", name: str = "k8s") -> list[Any]:
    instances = launch(user, name=name, count=count, flavor=flavor)
    for instance in instances:
        run_to_end(instance)
    fresh = sorted(Instance.objects.filter(pk__in=[i.pk for i in instances]), key=lambda i: i.name)
    assert all(i.vm_state == "active" for i in fresh), [i.vm_state for i in fresh]
    return fresh


def make_cluster(user: Any, project: Any, instances: list[Any], name: str = "lab") -> Cluster:
    cp, *workers = instances
    return clusters.create_cluster(
        user, project, name=name, control_plane=str(cp.uuid), workers=[str(w.uuid) for w in workers]
    )


def advance(cluster: Cluster, rounds: int = 12, seconds: float = 5.0) -> Cluster:
    """Run ``rounds`` reconcile rounds, the cluster's clock ``seconds`` later before each."""
    for _ in range(rounds):
        Cluster.objects.filter(pk=cluster.pk).update(epoch=Cluster.objects.get(pk=cluster.pk).epoch - seconds)
        loop.run_round(cluster.pk)
    return Cluster.objects.get(pk=cluster.pk)


def deployment(
    replicas: int = 3,
    cpu: str = "100m",
    memory: str = "64Mi",
    *,
    name: str = "web",
    image: str = "nginx:1.27",
    strategy: str = "",
) -> str:
    """A Deployment manifest whose pods (label app=<name>) request ``cpu`` and ``memory``;
    ``strategy`` is the YAML of spec.strategy, if any ("{rollingUpdate: {maxSurge: 1}}")."""
    strategy_line = f"\n  strategy: {strategy}" if strategy else ""
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: {replicas}{strategy_line}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
      - name: {name}
        image: {image}
        resources:
          requests: {{cpu: {cpu}, memory: {memory}}}
"""
