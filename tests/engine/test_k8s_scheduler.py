"""The kube-scheduler's default profile on kubernetes-semantics.md §1's worked examples.

Upstream tests these mirror: ``TestNumFeasibleNodesToFind`` and ``TestSelectHost``
(pkg/scheduler/schedule_one_test.go), ``TestFitError`` (framework/types_test.go),
``TestTaintTolerationScore`` / ``TestTaintTolerationFilter``, ``TestNodeAffinityPriority``,
``TestLeastAllocatedScoringStrategy``, ``TestNodeResourcesBalancedAllocation``,
``TestImageLocalityPriority``, ``TestPodTopologySpreadScore`` and ``TestEnoughRequests``
(plugins/*_test.go).
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_k8s_helpers import node, pod

from cloudlab.engine.kubernetes import plugins
from cloudlab.engine.kubernetes.objects import (
    Affinity,
    ContainerImage,
    NodeAffinity,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    PodAffinity,
    PodAffinityTerm,
    PreferredSchedulingTerm,
    Taint,
    Toleration,
    TopologySpreadConstraint,
)
from cloudlab.engine.kubernetes.scheduler import Scheduler, fit_error_message, num_feasible_nodes_to_find
from cloudlab.engine.kubernetes.selectors import LabelSelector


@pytest.mark.parametrize(
    ("n", "expected"), [(3, 3), (50, 50), (99, 99), (100, 100), (500, 230), (1000, 420), (5000, 500), (6000, 300)]
)
def test_num_feasible_nodes_to_find(n: int, expected: int) -> None:
    assert num_feasible_nodes_to_find(n) == expected


def test_num_feasible_with_a_configured_percentage() -> None:
    assert num_feasible_nodes_to_find(1000, 40) == 400
    assert num_feasible_nodes_to_find(1000, 1) == 100


def common_example():
    nodes = [node("n1", "4000m", "8192Mi"), node("n2", "4000m", "8192Mi"), node("n3", "2000m", "4096Mi")]
    existing = [pod("e1", "1000m", "2048Mi", node_name="n1"), pod("e2", "3000m", "6144Mi", node_name="n2")]
    return nodes, existing


def weigher(trace: dict, name: str) -> dict:
    return next(w for w in trace["instances"][0]["weighers"] if w["name"] == name)


def test_common_example_totals_and_choice() -> None:
    nodes, existing = common_example()
    d = Scheduler().schedule(pod("web", "500m", "512Mi"), nodes, existing)
    trace = d.trace
    fit = weigher(trace, "NodeResourcesFit")["values"]
    assert [fit[n]["raw"] for n in ("n1", "n2", "n3")] == [65, 15, 81]
    bal = weigher(trace, "NodeResourcesBalancedAllocation")["values"]
    assert [bal[n]["raw"] for n in ("n1", "n2", "n3")] == [96, 96, 93]
    taint = weigher(trace, "TaintToleration")["values"]
    assert [taint[n]["weighted"] for n in ("n1", "n2", "n3")] == [300, 300, 300]
    assert [weigher(trace, "ImageLocality")["values"][n]["weighted"] for n in ("n1", "n2", "n3")] == [0, 0, 0]
    skipped = {p["name"] for p in trace["instances"][0]["plugins_skipped"]}
    assert skipped == {"NodeAffinity", "PodTopologySpread", "InterPodAffinity"}
    assert trace["instances"][0]["ranking"] == [
        {"host": "n3", "weight": 474},
        {"host": "n1", "weight": 461},
        {"host": "n2", "weight": 411},
    ]
    assert d.node == "n3" and d.event_reason == "Scheduled"
    assert d.message == "Successfully assigned default/web to n3"


def test_trace_has_the_nova_instance_shape() -> None:
    nodes, existing = common_example()
    trace = Scheduler().schedule(pod("web", "500m", "512Mi"), nodes, existing).trace
    inst = trace["instances"][0]
    assert {"index", "filters", "selected", "weighers", "ranking", "subset"} <= set(inst)
    names = [s["name"] for s in inst["filters"]]
    assert names[:6] == [
        "NodeUnschedulable",
        "NodeName",
        "TaintToleration",
        "NodeAffinity",
        "NodePorts",
        "NodeResourcesFit",
    ]
    for stage in inst["filters"]:
        assert set(stage) == {"name", "ran", "hosts_in", "hosts_out", "verdicts"}
        for v in stage["verdicts"].values():
            assert set(v) == {"passed", "reason", "message", "numbers"}
    for w in inst["weighers"]:
        assert set(w) == {"name", "multiplier", "minval", "values"}
        for v in w["values"].values():
            assert set(v) == {"raw", "normalized", "multiplier", "weighted"}
    assert inst["subset"] == {"host_subset_size": 1, "candidates": ["n3"], "chosen": "n3"}
    assert trace["selected_hosts"] == ["n3"] and trace["error"] is None


def test_fit_error_message_of_the_reference() -> None:
    cp = node("cp", "2", "4Gi", taints=[Taint("node-role.kubernetes.io/control-plane", "", "NoSchedule")])
    full = [node("w1", "1", "4Gi"), node("w2", "1", "4Gi")]
    busy = [pod("b1", "900m", node_name="w1"), pod("b2", "900m", node_name="w2")]
    d = Scheduler().schedule(pod("web", "500m"), [cp, *full], busy)
    assert d.node is None and d.event_reason == "FailedScheduling" and d.event_type == "Warning"
    assert d.message == (
        "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
        "2 No preemption victims found for incoming pod."
    )
    err = d.trace["error"]
    assert err["type"] == "FitError"
    assert err["removed_by"] == [
        {"filter": "TaintToleration", "hosts": ["cp"]},
        {"filter": "NodeResourcesFit", "hosts": ["w1", "w2"]},
    ]
    assert err["node_reasons"]["w1"] == ["Insufficient cpu"]


def test_every_failing_resource_is_listed_once_per_node() -> None:
    nodes = [node("a", "1", "1Gi"), node("b", "1", "1Gi")]
    d = Scheduler().schedule(pod("big", "2", "2Gi"), nodes, [])
    assert d.message.startswith("0/2 nodes are available: 2 Insufficient cpu, 2 Insufficient memory. preemption:")


def test_histogram_sorts_as_plain_strings() -> None:
    reasons = {f"n{i}": ["x"] for i in range(10)} | {"m1": ["y"], "m2": ["y"]}
    assert fit_error_message(12, reasons) == "0/12 nodes are available: 10 x, 2 y."
    assert (
        fit_error_message(3, {}, "pod affinity terms conflict")
        == "0/3 nodes are available: pod affinity terms conflict."
    )


def test_no_nodes() -> None:
    d = Scheduler().schedule(pod("p"), [], [])
    assert d.message == "no nodes available to schedule pods" and d.trace["error"]["type"] == "NoNodesAvailable"


def test_too_many_pods_and_no_requests() -> None:
    n = node("tiny", pods=1)
    d = Scheduler().schedule(pod("p2"), [n], [pod("p1", node_name="tiny")])
    assert "1 Too many pods" in d.message
    # a pod asking nothing passes NodeResourcesFit however full the node is
    d2 = Scheduler().schedule(pod("p3"), [node("full", "1")], [pod("hog", "1", node_name="full")])
    assert d2.node == "full"


def test_filter_reasons() -> None:
    sel = pod("s", node_selector={"disk": "ssd"})
    assert (
        Scheduler()
        .schedule(sel, [node("a")], [])
        .message.startswith("0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.")
    )
    cordoned = Scheduler().schedule(pod("c"), [node("a", unschedulable=True)], [])
    assert cordoned.message.startswith("0/1 nodes are available: 1 node(s) were unschedulable.")
    tol = Toleration(key="node.kubernetes.io/unschedulable", operator="Exists", effect="NoSchedule")
    assert Scheduler().schedule(pod("c", tolerations=[tol]), [node("a", unschedulable=True)], []).node == "a"
    tainted = node("t", taints=[Taint("dedicated", "gpu", "NoExecute")])
    assert "1 node(s) had untolerated taint {dedicated: gpu}" in Scheduler().schedule(pod("x"), [tainted], []).message
    assert (
        Scheduler().schedule(pod("x", tolerations=[Toleration("dedicated", "Equal", "gpu")]), [tainted], []).node == "t"
    )


def test_host_ports_conflict() -> None:
    from cloudlab.engine.kubernetes.objects import ContainerPort

    a = pod("a", node_name="n")
    a.spec.containers[0].ports = [ContainerPort(80, host_port=8080)]
    b = pod("b")
    b.spec.containers[0].ports = [ContainerPort(80, host_port=8080, host_ip="10.0.0.1")]
    d = Scheduler().schedule(b, [node("n")], [a])
    assert d.message.startswith(
        "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports."
    )


def test_taint_toleration_score_example() -> None:
    soft = [Taint(f"k{i}", "", "PreferNoSchedule") for i in range(2)]
    nodes = [node("n1"), node("n2", taints=soft[:1]), node("n3", taints=soft)]
    trace = Scheduler().schedule(pod("p", "100m"), nodes, []).trace
    values = weigher(trace, "TaintToleration")["values"]
    assert [values[n]["raw"] for n in ("n1", "n2", "n3")] == [0, 1, 2]
    assert [values[n]["weighted"] for n in ("n1", "n2", "n3")] == [300, 150, 0]


def test_node_affinity_score_example() -> None:
    prefs = [
        PreferredSchedulingTerm(80, NodeSelectorTerm([NodeSelectorRequirement("zone", "In", ["a"])])),
        PreferredSchedulingTerm(20, NodeSelectorTerm([NodeSelectorRequirement("disk", "In", ["ssd"])])),
    ]
    p = pod("p", "100m", affinity=Affinity(node_affinity=NodeAffinity(preferred=prefs)))
    nodes = [node("n1", labels={"zone": "a", "disk": "ssd"}), node("n2", labels={"zone": "a"}), node("n3")]
    values = weigher(Scheduler().schedule(p, nodes, []).trace, "NodeAffinity")["values"]
    assert [values[n]["raw"] for n in ("n1", "n2", "n3")] == [100, 80, 0]
    assert [values[n]["weighted"] for n in ("n1", "n2", "n3")] == [200, 160, 0]


def test_required_node_affinity_terms_are_ored() -> None:
    terms = [
        NodeSelectorTerm([NodeSelectorRequirement("zone", "In", ["a"])]),
        NodeSelectorTerm([NodeSelectorRequirement("gpu", "Exists")]),
    ]
    p = pod("p", affinity=Affinity(node_affinity=NodeAffinity(required=terms)))
    nodes = [node("a", labels={"zone": "a"}), node("g", labels={"gpu": "1"}), node("x", labels={"zone": "b"})]
    verdicts = Scheduler().schedule(p, nodes, []).trace["instances"][0]["filters"][3]["verdicts"]
    assert {n: v["passed"] for n, v in verdicts.items()} == {"a": True, "g": True, "x": False}


def test_pod_topology_spread_score_example() -> None:
    sel = LabelSelector({"app": "web"})
    con = TopologySpreadConstraint(1, "zone", "ScheduleAnyway", sel)
    nodes = [node("n1", labels={"zone": "a"}), node("n2", labels={"zone": "a"}), node("n3", labels={"zone": "b"})]
    existing = [
        pod("w1", "100m", node_name="n1", labels={"app": "web"}),
        pod("w2", "100m", node_name="n2", labels={"app": "web"}),
    ]
    p = pod("web", "100m", labels={"app": "web"}, topology_spread_constraints=[con])
    values = weigher(Scheduler().schedule(p, nodes, existing).trace, "PodTopologySpread")["values"]
    assert [values[n]["raw"] for n in ("n1", "n2", "n3")] == [3, 3, 0]
    assert [values[n]["weighted"] for n in ("n1", "n2", "n3")] == [0, 0, 200]


def test_pod_topology_spread_filter() -> None:
    sel = LabelSelector({"app": "web"})
    con = TopologySpreadConstraint(1, "zone", "DoNotSchedule", sel)
    nodes = [node("n1", labels={"zone": "a"}), node("n3", labels={"zone": "b"}), node("bare")]
    existing = [pod("w1", node_name="n1", labels={"app": "web"})]
    d = Scheduler().schedule(pod("web", labels={"app": "web"}, topology_spread_constraints=[con]), nodes, existing)
    assert d.node == "n3"
    verdicts = next(s for s in d.trace["instances"][0]["filters"] if s["name"] == "PodTopologySpread")["verdicts"]
    assert verdicts["n1"]["reason"] == "node(s) didn't match pod topology spread constraints"
    assert verdicts["bare"]["reason"] == "node(s) didn't match pod topology spread constraints (missing required label)"


def test_image_locality_example() -> None:
    img = [ContainerImage(["registry/app:1"], 187 * 1024 * 1024)]
    nodes = [node("n1", images=img), node("n2", images=img), node("n3")]
    values = weigher(Scheduler().schedule(pod("p", "100m", image="registry/app:1"), nodes, []).trace, "ImageLocality")[
        "values"
    ]
    assert [values[n]["raw"] for n in ("n1", "n2", "n3")] == [10, 10, 0]
    assert plugins.normalized_image_name("nginx") == "nginx:latest"
    assert plugins.normalized_image_name("host:5000/nginx") == "host:5000/nginx:latest"


def test_most_allocated_and_balanced_formula_pieces() -> None:
    assert plugins.default_normalize({"a": 0, "b": 0}, reverse=True) == {"a": 100, "b": 100}
    assert plugins.default_normalize({"a": 1, "b": 3}) == {"a": 33, "b": 100}


def test_pod_anti_affinity_required() -> None:
    term = PodAffinityTerm(LabelSelector({"app": "db"}), "kubernetes.io/hostname")
    existing = [pod("db-0", node_name="n1", labels={"app": "db"})]
    p = pod("db-1", labels={"app": "db"}, affinity=Affinity(pod_anti_affinity=PodAffinity(required=[term])))
    d = Scheduler().schedule(p, [node("n1"), node("n2")], existing)
    assert d.node == "n2"
    only_one = Scheduler().schedule(p, [node("n1")], existing)
    assert only_one.message.startswith("0/1 nodes are available: 1 node(s) didn't match pod anti-affinity rules.")
    # the existing pod's own anti-affinity also keeps newcomers away
    guard = pod(
        "guard",
        node_name="n1",
        labels={"app": "x"},
        affinity=Affinity(
            pod_anti_affinity=PodAffinity(
                required=[PodAffinityTerm(LabelSelector({"app": "web"}), "kubernetes.io/hostname")]
            )
        ),
    )
    d2 = Scheduler().schedule(pod("web", labels={"app": "web"}), [node("n1")], [guard])
    assert d2.message.startswith("0/1 nodes are available: 1 node(s) didn't satisfy existing pods anti-affinity rules.")
    # both at once: the incoming pod's own anti-affinity is checked first (filtering.go Filter)
    shy = pod(
        "web",
        labels={"app": "web"},
        affinity=Affinity(
            pod_anti_affinity=PodAffinity(
                required=[PodAffinityTerm(LabelSelector({"app": "x"}), "kubernetes.io/hostname")]
            )
        ),
    )
    d3 = Scheduler().schedule(shy, [node("n1")], [guard])
    assert d3.message.startswith("0/1 nodes are available: 1 node(s) didn't match pod anti-affinity rules.")


def test_pod_affinity_first_pod_of_a_group_may_land() -> None:
    term = PodAffinityTerm(LabelSelector({"app": "cache"}), "kubernetes.io/hostname")
    p = pod("c0", labels={"app": "cache"}, affinity=Affinity(pod_affinity=PodAffinity(required=[term])))
    assert Scheduler().schedule(p, [node("n1")], []).node == "n1"
    stranger = pod("w", labels={"app": "web"}, affinity=Affinity(pod_affinity=PodAffinity(required=[term])))
    assert "didn't match pod affinity rules" in Scheduler().schedule(stranger, [node("n1")], []).message


def test_ties_are_broken_by_the_injected_dice() -> None:
    nodes = [node(f"n{i}") for i in range(4)]
    chosen = {Scheduler(rng=random.Random(seed)).schedule(pod("p", "100m"), nodes, []).node for seed in range(60)}
    assert chosen == {"n0", "n1", "n2", "n3"}
    a = Scheduler(rng=random.Random(7)).schedule(pod("p", "100m"), nodes, [])
    b = Scheduler(rng=random.Random(7)).schedule(pod("p", "100m"), nodes, [])
    assert a.node == b.node and a.trace == b.trace
    assert a.trace["instances"][0]["subset"]["host_subset_size"] == 4


def test_one_feasible_node_skips_scoring() -> None:
    d = Scheduler().schedule(pod("p", "100m"), [node("a"), node("b", unschedulable=True)], [])
    inst = d.trace["instances"][0]
    assert d.node == "a" and "weighers" not in inst and inst["weighers_skipped"]


def test_big_cluster_examines_only_enough_nodes_round_robin() -> None:
    nodes = [node(f"n{i:03d}") for i in range(200)]
    s = Scheduler()
    d = s.schedule(pod("p", "100m"), nodes, [])
    sampling = d.trace["sampling"]
    assert sampling["num_nodes_to_find"] == 100 and sampling["processed"] == 100
    assert len(sampling["not_examined"]) == 100 and sampling["next_start_index"] == 100
    assert len(d.trace["instances"][0]["ranking"]) == 100
    d2 = s.schedule(pod("q", "100m"), nodes, [])
    assert d2.trace["sampling"]["start_index"] == 100 and d2.node is not None and d2.node >= "n100"


def test_preemption_nominates_a_node_and_names_victims() -> None:
    nodes = [node("a", "1"), node("b", "1")]
    low = [pod("low-a", "800m", node_name="a", priority=0), pod("low-b", "900m", node_name="b", priority=5)]
    d = Scheduler().schedule(pod("vip", "500m", priority=100), nodes, low)
    assert d.node is None and d.nominated_node == "a" and d.victims == ["low-a"]
    assert d.message == "0/2 nodes are available: 2 Insufficient cpu."


# -- properties ----------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    specs=st.lists(
        st.tuples(
            st.integers(100, 8000), st.integers(128, 16384), st.integers(0, 2), st.booleans(), st.sampled_from("abc")
        ),
        min_size=1,
        max_size=8,
    ),
    used=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 3000), st.integers(0, 4096)), max_size=10),
    want=st.tuples(st.integers(0, 4000), st.integers(0, 8192)),
    seed=st.integers(0, 1000),
)
def test_scores_in_range_and_never_a_rejected_node(specs, used, want, seed) -> None:
    nodes = [
        node(
            f"n{i}",
            f"{c}m",
            f"{m}Mi",
            labels={"zone": z},
            taints=[Taint("t", "", "PreferNoSchedule" if t == 1 else "NoSchedule")] if t else [],
            unschedulable=u,
        )
        for i, (c, m, t, u, z) in enumerate(specs)
    ]
    existing = [
        pod(f"e{k}", f"{c}m", f"{m}Mi", node_name=f"n{i % len(nodes)}", labels={"app": "web"})
        for k, (i, c, m) in enumerate(used)
    ]
    d = Scheduler(rng=random.Random(seed)).schedule(
        pod("p", f"{want[0]}m", f"{want[1]}Mi", labels={"app": "web"}), nodes, existing, spread_selector=None
    )
    inst = d.trace["instances"][0]
    rejected = {n for s in inst["filters"] for n, v in s["verdicts"].items() if not v["passed"]}
    if d.node is not None:
        assert d.node not in rejected
    else:
        assert rejected == {n.name for n in nodes}
    for w in inst.get("weighers", []):
        for v in w["values"].values():
            assert 0 <= v["normalized"] <= 100
            assert v["weighted"] == v["normalized"] * w["multiplier"]


def test_the_nova_replay_and_why_not_read_a_pod_decision() -> None:
    from cloudlab.engine.scheduler.replay import replay_stages, why_not
    from cloudlab.engine.scheduler.schema import validate_replay_stages

    cp = node("cp", taints=[Taint("node-role.kubernetes.io/control-plane", "", "NoSchedule")])
    nodes, existing = common_example()
    trace = Scheduler().schedule(pod("web", "500m", "512Mi"), [cp, *nodes], existing).trace
    stages = replay_stages(trace)  # type: ignore[arg-type]
    assert validate_replay_stages(stages) == []
    assert [s["kind"] for s in stages][-2:] == ["weighing", "selected"]
    taint_stage = next(s for s in stages if s.get("name") == "TaintToleration")
    assert taint_stage["removed"] == ["cp"] and taint_stage["hosts_out"] == 3
    assert stages[-1]["host"] == "n3" and stages[-1]["weight"] == 474
    filtered = why_not(trace, "cp")  # type: ignore[arg-type]
    assert filtered["outcome"] == "filtered" and filtered["filter"] == "TaintToleration"
    assert filtered["reason"] == "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"
    lost = why_not(trace, "n1")  # type: ignore[arg-type]
    assert lost["outcome"] == "lost"
    assert why_not(trace, "n3")["outcome"] == "chosen"  # type: ignore[arg-type]
    failed = Scheduler().schedule(pod("big", "64"), nodes, existing).trace
    last = replay_stages(failed)[-1]  # type: ignore[arg-type]
    assert last["kind"] == "no_valid_host" and last["message"].startswith(
        "0/3 nodes are available: 3 Insufficient cpu."
    )


def test_failed_scheduling_note_is_cut_at_1024_characters() -> None:
    from cloudlab.engine.kubernetes.scheduler import truncate_note

    assert truncate_note("x" * 1024) == "x" * 1024
    cut = truncate_note("y" * 2000)
    assert len(cut) == 1024 and cut.endswith("y ...")
    nodes = [node(f"n{i}", taints=[Taint(f"key-{i:03d}-" + "k" * 40, "v", "NoSchedule")]) for i in range(40)]
    d = Scheduler().schedule(pod("p"), nodes, [])
    assert len(d.message) == 1024 and d.message.endswith(" ...")
    assert len(d.trace["error"]["message"]) > 1024  # the trace keeps the whole text
