"""The Nova ↔ Kubernetes bridge (kubernetes-semantics.md §8) and nodes built from flavors."""

from __future__ import annotations

from cloudlab.engine.kubernetes import bridge
from cloudlab.engine.kubernetes.plugins import FILTERS, SCORES
from cloudlab.engine.kubernetes.podlifecycle import print_node
from cloudlab.engine.kubernetes.quantity import resource_amount
from cloudlab.engine.kubernetes.scheduler import Scheduler
from cloudlab.engine.scheduler.filters import FILTER_NAMES
from cloudlab.engine.scheduler.weighers import WEIGHER_NAMES

M1_MEDIUM = {"name": "m1.medium", "vcpus": 2, "memory_mb": 4096, "root_gb": 40, "ephemeral_gb": 0}


def test_capacity_and_allocatable_from_a_flavor() -> None:
    cap, alloc = bridge.capacity_from_flavor(M1_MEDIUM)
    assert cap == {"cpu": "2", "memory": "4194304Ki", "ephemeral-storage": "41943040Ki", "pods": "110"}
    assert alloc["cpu"] == "2" and alloc["pods"] == "110"
    assert resource_amount("memory", alloc["memory"]) == (4096 - 100) * 2**20  # minus memory.available 100Mi
    assert resource_amount("ephemeral-storage", alloc["ephemeral-storage"]) == 40 * 2**30 * 9 // 10
    _, reserved = bridge.capacity_from_flavor(M1_MEDIUM, bridge.Reserved(cpu_milli=100, memory_mi=256))
    assert reserved["cpu"] == "1900m" and resource_amount("memory", reserved["memory"]) == (4096 - 356) * 2**20


def test_nodes_from_instances_schedule_pods() -> None:
    cp = bridge.node_from_instance("vm-cp", M1_MEDIUM, control_plane=True, internal_ip="192.168.0.10")
    workers = [bridge.node_from_instance(f"vm-{i}", M1_MEDIUM) for i in range(2)]
    assert print_node(cp, 0)["ROLES"] == "control-plane" and print_node(cp, 0)["STATUS"] == "Ready"
    assert cp.labels["node.kubernetes.io/instance-type"] == "m1.medium"
    d = Scheduler().schedule(bridge.pod_from_flavor("web", {"vcpus": 1, "memory_mb": 1024}), [cp, *workers], [])
    assert d.node in ("vm-0", "vm-1")
    big = Scheduler().schedule(bridge.pod_from_flavor("big", {"vcpus": 4, "memory_mb": 1024}), [cp, *workers], [])
    assert big.message.startswith(
        "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu."  # noqa: E501
    )


def test_every_nova_filter_and_weigher_is_paired() -> None:
    plugins = {name for name, _ in FILTERS}
    scores = {p.name for p in SCORES}
    assert set(FILTER_NAMES) <= set(bridge.FILTER_PAIRS)
    assert set(WEIGHER_NAMES) <= set(bridge.SCORE_PAIRS)
    assert all(set(v) <= plugins for v in bridge.FILTER_PAIRS.values())
    assert all(set(v) <= scores for v in bridge.SCORE_PAIRS.values())
    assert len(bridge.BRIDGE) == 14 and all({"nova", "kubernetes", "difference"} == set(r) for r in bridge.BRIDGE)


def test_aggregates_become_labels_and_taints() -> None:
    labels, taints = bridge.aggregate_to_node_terms({"availability_zone": "az1", "ssd": "true"}, isolated_tenant="acme")
    assert labels == {"topology.kubernetes.io/zone": "az1", "aggregate.cloudlab.example/ssd": "true"}
    assert [(t.key, t.value, t.effect) for t in taints] == [("tenant", "acme", "NoSchedule")]
