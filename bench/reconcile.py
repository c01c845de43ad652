"""Engine time per reconcile step while a Deployment of 1,000 replicas rolls out on 100 nodes.

A Deployment ``web`` (1,000 replicas, maxSurge/maxUnavailable 25 %) is brought up, then its
image changes and the rollout runs to the end. Each tick: the pods created the tick before become
Running and Ready (bound round robin to the 100 nodes; scheduling has its own benchmark), the
ReplicaSets' status is recomputed, then the deployment controller, every ReplicaSet controller
and the endpoints controller of a Service selecting the pods each take one reconcile step, and
the actions are applied. Prints the ticks the rollout took and the engine milliseconds per
reconcile step (median and max) for each controller. Nothing is asserted.

    .venv/bin/python bench/reconcile.py [--replicas 1000] [--nodes 100]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cloudlab.engine.kubernetes.controllers import deployment as dep
from cloudlab.engine.kubernetes.controllers import endpoints, replicaset
from cloudlab.engine.kubernetes.objects import (
    Container,
    ContainerPort,
    ContainerState,
    ContainerStatus,
    Deployment,
    Endpoints,
    ObjectMeta,
    Pod,
    PodCondition,
    PodSpec,
    PodTemplate,
    ReplicaSet,
    Service,
    ServicePort,
)
from cloudlab.engine.kubernetes.selectors import LabelSelector


def template(image: str) -> PodTemplate:
    return PodTemplate({"app": "web"}, PodSpec([Container("web", image, {"cpu": "100m"}, ports=[ContainerPort(80)])]))


class World:
    def __init__(self, replicas: int, nodes: int) -> None:
        self.d = Deployment(
            ObjectMeta("web", uid="uid-web"), replicas, LabelSelector({"app": "web"}), template("nginx:1.27")
        )
        self.svc = Service(ObjectMeta("web"), [ServicePort(80)], {"app": "web"}, cluster_ip="10.96.0.50")
        self.ep: Endpoints | None = None
        self.rss: list[ReplicaSet] = []
        self.pods: dict[str, Pod] = {}
        self.nodes = [f"node-{i:03d}" for i in range(nodes)]
        self.counter = itertools.count()
        self.now = 0.0
        self.times: dict[str, list[float]] = {"deployment": [], "replicaset": [], "endpoints": []}
        self.max_pods = self.min_ready = 0

    def suffix(self) -> str:
        return f"{next(self.counter):05d}"

    def tick(self) -> int:
        self.now += 1
        for i, p in enumerate(p for p in self.pods.values() if not p.is_ready()):
            p.spec.node_name = self.nodes[i % len(self.nodes)]
            p.status.phase = "Running"
            n = next(self.counter)
            p.status.pod_ip = f"10.244.{n // 250 % 250}.{n % 250 + 1}"
            p.status.container_statuses = [ContainerStatus("web", ContainerState("running"), ready=True, started=True)]
            p.status.conditions = [PodCondition("Ready", "True", last_transition_time=self.now)]
        pods = list(self.pods.values())
        self._status(pods)
        t0 = time.perf_counter()
        res = dep.reconcile_deployment(self.d, self.rss, pods, self.now)
        self.times["deployment"].append(time.perf_counter() - t0)
        for a in res.actions:
            if a.kind == "ReplicaSet" and a.verb in ("create", "scale", "update"):
                self.rss = [r for r in self.rss if r.metadata.name != a.obj.metadata.name] + [a.obj]
            elif a.kind == "ReplicaSet" and a.verb == "delete":
                self.rss = [r for r in self.rss if r.metadata.name != a.name]
        self.d.status = res.status
        count = len(res.actions)
        for rs in self.rss:
            pods = list(self.pods.values())
            t0 = time.perf_counter()
            rr = replicaset.reconcile_replicas(rs, pods, self.now, self.suffix, related=pods)
            self.times["replicaset"].append(time.perf_counter() - t0)
            for a in rr.actions:
                if a.verb == "create":
                    self.pods[a.name] = a.obj
                elif a.verb == "delete":
                    self.pods.pop(a.name, None)
            count += len(rr.actions)
        pods = list(self.pods.values())
        t0 = time.perf_counter()
        acts = endpoints.reconcile_endpoints(self.svc, pods, self.ep)
        self.times["endpoints"].append(time.perf_counter() - t0)
        if acts:
            self.ep = acts[0].obj
        self.max_pods = max(self.max_pods, len(self.pods))
        self.min_ready = (
            min(self.min_ready, sum(1 for p in self.pods.values() if p.is_ready())) if self.d.status.replicas else 0
        )
        return count + len(acts)

    def _status(self, pods: list[Pod]) -> None:
        by_owner: dict[str, list[Pod]] = {}
        for p in pods:
            ref = p.metadata.controller_ref()
            if ref:
                by_owner.setdefault(ref.uid, []).append(p)
        for rs in self.rss:
            rs.status = replicaset.calculate_status(rs, by_owner.get(rs.metadata.uid, []), self.now)

    def settle(self, limit: int = 500) -> int:
        for tick in range(1, limit):
            if self.tick() == 0 and all(p.is_ready() for p in self.pods.values()):
                return tick
        return limit


def report(name: str, values: list[float]) -> None:
    ms = [v * 1000 for v in values]
    print(f"  {name:<11} {len(ms):>5} steps   median {statistics.median(ms):8.2f} ms   max {max(ms):8.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replicas", type=int, default=1000)
    parser.add_argument("--nodes", type=int, default=100)
    args = parser.parse_args()
    w = World(args.replicas, args.nodes)
    ticks = w.settle()
    print(f"bring-up of {args.replicas} replicas on {args.nodes} nodes: {ticks} ticks")
    for name, values in w.times.items():
        report(name, values)
    for values in w.times.values():
        values.clear()
    w.d.template = template("nginx:1.28")
    w.d.metadata.generation += 1
    w.max_pods, w.min_ready = 0, args.replicas
    ticks = w.settle()
    line, _ = dep.rollout_status(w.d)
    bounds = f"at most {w.max_pods} pods, at least {w.min_ready} ready"
    print(f"rolling update nginx:1.27 → nginx:1.28: {ticks} ticks; {bounds}")
    print(f"  kubectl rollout status: {line}")
    for name, values in w.times.items():
        report(name, values)


if __name__ == "__main__":
    main()
