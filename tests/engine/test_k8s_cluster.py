"""The cluster loop end to end (pure): controllers, scheduler and kubelets converge."""

from __future__ import annotations

import random

from cloudlab.engine.kubernetes import cluster, manifest
from cloudlab.engine.kubernetes.bridge import node_from_instance
from cloudlab.engine.kubernetes.podlifecycle import print_pod

FLAVOR = {"name": "m1.small", "vcpus": 1, "memory_mb": 2048, "root_gb": 20}


def make(n: int = 3, pace: float = 1.0) -> cluster.ClusterState:
    nodes = [node_from_instance(f"node-{i}", FLAVOR, internal_ip=f"10.0.0.{10 + i}") for i in range(1, n + 1)]
    for i, node in enumerate(nodes, 1):
        node.pod_cidr = f"10.244.{i}.0/24"
    return cluster.new_cluster(nodes, now=0.0, pace=pace)


def deployment(replicas: int, cpu: str = "250m") -> object:
    return manifest.decode(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "containers": [{"name": "web", "image": "nginx:1.27", "resources": {"requests": {"cpu": cpu}}}]
                    },
                },
            },
        }
    )


def run(
    state: cluster.ClusterState, rng: random.Random, until: float = 120.0, rounds: int = 400
) -> list[cluster.StepResult]:
    results = []
    for _ in range(rounds):
        result = cluster.reconcile(state, rng)
        results.append(result)
        if result.wake_at is None or result.wake_at > until:
            break
        state.now = max(result.wake_at, state.now)
    return results


def statuses(state: cluster.ClusterState) -> list[str]:
    return sorted(print_pod(p, state.now)["STATUS"] for p in state.pods.values())


def test_a_deployment_of_three_converges_to_three_running_pods() -> None:
    state, rng = make(), random.Random(1)
    cluster.create(state, "deployments", deployment(3), rng)
    run(state, rng)
    assert statuses(state) == ["Running"] * 3
    assert all(p.is_ready() for p in state.pods.values())
    d = state.deployments[("default", "web")]
    assert d.status.ready_replicas == 3
    # converged: another round writes nothing
    assert cluster.reconcile(state, rng).changes == []


def test_a_deleted_pod_is_replaced() -> None:
    state, rng = make(), random.Random(2)
    cluster.create(state, "deployments", deployment(3), rng)
    run(state, rng)
    victim = sorted(state.pods)[0]
    cluster.delete(state, "pods", *victim)
    run(state, rng, until=state.now + 120)
    assert victim not in state.pods
    assert statuses(state) == ["Running"] * 3


def test_scaling_past_capacity_leaves_one_pending_with_the_schedulers_reason() -> None:
    state, rng = make(), random.Random(3)
    # the control plane is not among these nodes; each node has 1 CPU: two 500m pods fit per node
    cluster.create(state, "deployments", deployment(3, cpu="500m"), rng)
    run(state, rng)
    cluster.scale(state, "deployments", "default", "web", 7)
    run(state, rng, until=state.now + 120)
    assert statuses(state).count("Pending") == 1
    pending = next(p for p in state.pods.values() if not p.spec.node_name)
    assert pending.condition("PodScheduled").message == (
        "0/3 nodes are available: 3 Insufficient cpu. "
        "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
    )
    assert any(e.reason == "FailedScheduling" for e in state.events)


def test_a_stopped_vm_makes_the_node_unreachable_and_its_pods_move() -> None:
    state, rng = make(), random.Random(4)
    cluster.create(state, "deployments", deployment(3), rng)
    run(state, rng)
    on_one = [k for k, p in state.pods.items() if p.spec.node_name == "node-1"]
    assert on_one
    cluster.set_node_ready(state, "node-1", False, "its VM is stopped")
    run(state, rng, until=state.now + 200)
    node = state.nodes["node-1"]
    assert node.condition("Ready").status == "Unknown"
    assert any(t.key == "node.kubernetes.io/unreachable" and t.effect == "NoExecute" for t in node.taints)
    live = [p for p in state.pods.values() if p.metadata.deletion_timestamp is None]
    assert len(live) == 3 and all(p.spec.node_name != "node-1" for p in live)
    assert all(print_pod(p, state.now)["STATUS"] == "Running" for p in live)


def test_the_scheduler_never_binds_to_a_tainted_control_plane() -> None:
    nodes = [node_from_instance("cp", FLAVOR, control_plane=True), node_from_instance("w1", FLAVOR)]
    nodes[1].pod_cidr = "10.244.1.0/24"
    state, rng = cluster.new_cluster(nodes, 0.0, 1.0), random.Random(5)
    cluster.create(state, "deployments", deployment(2), rng)
    run(state, rng)
    assert {p.spec.node_name for p in state.pods.values()} == {"w1"}


def test_resource_versions_grow_and_a_stale_update_is_a_conflict() -> None:
    import copy

    import pytest

    from cloudlab.engine.kubernetes.etcd import ApiError

    state, rng = make(), random.Random(6)
    change = cluster.create(state, "deployments", deployment(1), rng)
    stale = copy.deepcopy(change.obj)
    cluster.scale(state, "deployments", "default", "web", 2)
    with pytest.raises(ApiError) as err:
        cluster.update(state, "deployments", stale)
    assert err.value.code == 409
    with pytest.raises(ApiError) as err:
        cluster.create(state, "deployments", deployment(1), rng)
    assert err.value.reason == "AlreadyExists"


def test_a_rolling_update_keeps_replicas_minus_max_unavailable_ready_at_every_round() -> None:
    import copy

    state, rng = make(), random.Random(7)
    cluster.create(state, "deployments", deployment(4), rng)
    run(state, rng)
    d = copy.deepcopy(state.deployments[("default", "web")])
    d.template.spec.containers[0].image = "nginx:1.28"
    d.metadata.resource_version = 0
    cluster.update(state, "deployments", d)
    # 25 % of 4: maxUnavailable rounds down to 1, maxSurge up to 1
    lowest, highest = 4, 0
    for _ in range(400):
        result = cluster.reconcile(state, rng)
        live = [p for p in state.pods.values() if p.metadata.deletion_timestamp is None]
        lowest = min(lowest, sum(p.is_ready() for p in state.pods.values()))
        highest = max(highest, len(live))
        if result.wake_at is None:
            break
        state.now = result.wake_at
    assert lowest >= 3
    assert highest <= 5
    images = {p.spec.containers[0].image for p in state.pods.values()}
    assert images == {"nginx:1.28"} and statuses(state) == ["Running"] * 4
    assert state.deployments[("default", "web")].status.updated_replicas == 4


def test_deleting_a_deployment_removes_its_replica_sets_and_pods() -> None:
    state, rng = make(), random.Random(8)
    cluster.create(state, "deployments", deployment(2), rng)
    run(state, rng)
    cluster.delete(state, "deployments", "default", "web")
    run(state, rng, until=state.now + 120)
    assert not state.replica_sets and not state.pods


def test_deleting_a_deployment_also_removes_its_pending_pods() -> None:
    # a pod no kubelet runs is removed at once (the garbage collector deletes it through the
    # apiserver, which skips the grace period when the pod is bound to no node)
    state, rng = make(), random.Random(8)
    cluster.create(state, "deployments", deployment(7, cpu="500m"), rng)
    run(state, rng, until=state.now + 120)
    assert statuses(state).count("Pending") == 1
    cluster.delete(state, "deployments", "default", "web")
    run(state, rng, until=state.now + 120)
    assert not state.replica_sets and not state.pods
