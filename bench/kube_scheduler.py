"""How long one kube-scheduler decision takes (default profile v1.32, full trace) as the cluster grows.

Schedules one pod (500m CPU, 512Mi, labelled ``app=web`` and selected by a Service, so the
system-default PodTopologySpread constraints score too) over 10, 100, 1,000 and 5,000 nodes
in three zones, each node already running a few pods, some nodes tainted or cordoned. Prints
the median milliseconds per decision, the nodes examined (numFeasibleNodesToFind), the time
per examined node and the size of the JSON trace. Nothing is asserted.

    .venv/bin/python bench/kube_scheduler.py [--repeat 5] [--sizes 10,100,1000,5000]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cloudlab.engine.kubernetes.nodeinfo import snapshot
from cloudlab.engine.kubernetes.objects import Container, Node, ObjectMeta, Pod, PodSpec, Taint
from cloudlab.engine.kubernetes.scheduler import Scheduler
from cloudlab.engine.kubernetes.selectors import from_set


def make_cluster(count: int, rng: random.Random) -> tuple[list[Node], list[Pod]]:
    nodes, pods = [], []
    for i in range(count):
        name = f"node-{i:05d}"
        labels = {"kubernetes.io/hostname": name, "topology.kubernetes.io/zone": f"zone-{i % 3}"}
        alloc = {"cpu": str(rng.choice([2, 4, 8])), "memory": f"{rng.choice([4, 8, 16])}Gi", "pods": "110"}
        taints = [Taint("dedicated", "gpu", "NoSchedule")] if rng.random() < 0.05 else []
        if rng.random() < 0.05:
            taints.append(Taint("spot", "", "PreferNoSchedule"))
        nodes.append(
            Node(
                ObjectMeta(name, namespace="", labels=labels),
                dict(alloc),
                alloc,
                taints,
                unschedulable=rng.random() < 0.02,
            )
        )
        for j in range(rng.randrange(0, 6)):
            req = {"cpu": f"{rng.choice([100, 250, 500])}m", "memory": f"{rng.choice([128, 256, 512])}Mi"}
            app = rng.choice(["web", "db", "cache"])
            pods.append(
                Pod(
                    ObjectMeta(f"{app}-{i}-{j}", labels={"app": app}),
                    PodSpec([Container("c", requests=req)], node_name=name),
                )
            )
    return nodes, pods


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", default="10,100,1000,5000")
    args = parser.parse_args()
    rng = random.Random(17)
    incoming = Pod(
        ObjectMeta("web-new", labels={"app": "web"}),
        PodSpec([Container("c", requests={"cpu": "500m", "memory": "512Mi"})]),
    )
    print(f"{'nodes':>6} {'examined':>8} {'ms/decision':>12} {'µs/examined node':>17} {'trace KiB':>10}  chosen")
    for size in (int(s) for s in args.sizes.split(",")):
        nodes, pods = make_cluster(size, rng)
        infos = snapshot(nodes, pods)
        times, trace_bytes, examined, chosen = [], 0, 0, ""
        for _ in range(args.repeat):
            sched = Scheduler(rng=random.Random(1))
            t0 = time.perf_counter()
            d = sched.schedule(incoming, infos, spread_selector=from_set({"app": "web"}))
            times.append(time.perf_counter() - t0)
            trace_bytes = len(json.dumps(d.trace))
            examined = d.trace["sampling"]["processed"]
            chosen = d.node or d.message[:60]
        ms = statistics.median(times) * 1000
        per_node = ms * 1000 / max(examined, 1)
        print(f"{size:>6} {examined:>8} {ms:>12.2f} {per_node:>17.1f} {trace_bytes / 1024:>10.1f}  {chosen}")


if __name__ == "__main__":
    main()
