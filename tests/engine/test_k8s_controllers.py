"""Controllers as pure reconcile steps (kubernetes-semantics.md §3).

Mirrors upstream ``TestSyncReplicaSetCreateFailures`` / ``TestSlowStartBatch`` /
``TestSortingActivePodsWithRanks`` / ``TestGetPodsToDelete`` (replicaset and controller_utils
tests), ``TestResolveFenceposts`` / ``TestNewRSNewReplicas`` / ``TestReconcileOldReplicaSets``
(deployment util and rolling tests), ``TestSyncEndpointsItems*`` (endpoints controller),
``TestGarbageCollectorOrphanDependents``-style cases and ``TestMonitorNodeHealth*`` /
``TestGetMinTolerationTime`` (node lifecycle and taint eviction).
"""

from __future__ import annotations

import copy
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_k8s_helpers import node, pod

from cloudlab.engine.kubernetes.controllers import deployment as dep
from cloudlab.engine.kubernetes.controllers import endpoints, gc, nodelifecycle, replicaset
from cloudlab.engine.kubernetes.objects import (
    Container,
    ContainerPort,
    Deployment,
    DeploymentStrategy,
    NodeCondition,
    ObjectMeta,
    OwnerReference,
    Pod,
    PodCondition,
    PodSpec,
    PodTemplate,
    ReplicaSet,
    ReplicationController,
    Service,
    ServicePort,
    Taint,
    Toleration,
)
from cloudlab.engine.kubernetes.selectors import LabelSelector


def counter_suffix():
    n = itertools.count()
    return lambda: f"{next(n):05d}"


def rc(replicas: int, name: str = "web") -> ReplicationController:
    tmpl = PodTemplate({"app": name}, PodSpec([Container("nginx", "nginx:1.27")]))
    return ReplicationController(ObjectMeta(name, uid=f"uid-{name}"), replicas, {"app": name}, tmpl)


def running(p: Pod, node_name: str, now: float = 0.0, ready_at: float = 0.0) -> Pod:
    p.spec.node_name = node_name
    p.status.phase = "Running"
    p.status.conditions = [PodCondition("Ready", "True", last_transition_time=ready_at)]
    return p


def apply(pods: list[Pod], actions) -> list[Pod]:
    out = list(pods)
    for a in actions:
        if a.kind != "Pod":
            continue
        if a.verb == "create":
            out.append(a.obj)
        elif a.verb in ("delete", "evict"):
            out = [p for p in out if p.metadata.name != a.name]
    return out


def test_rc_creates_in_slow_start_batches_with_generated_names() -> None:
    res = replicaset.reconcile_replicas(rc(10), [], now=0.0, suffix=counter_suffix())
    creates = [a for a in res.actions if a.verb == "create"]
    assert [a.name for a in creates][:2] == ["web-00000", "web-00001"]
    assert [a.batch for a in creates] == [1, 2, 2, 3, 3, 3, 3, 4, 4, 4]
    first = creates[0]
    assert first.sentence() == "desired 10, actual 0: create web-00000"
    assert first.event.reason == "SuccessfulCreate" and first.event.message == "Created pod: web-00000"
    ref = first.obj.metadata.owner_references[0]
    assert (ref.kind, ref.name, ref.controller, ref.block_owner_deletion, ref.api_version) == (
        "ReplicationController",
        "web",
        True,
        True,
        "v1",
    )
    assert first.obj.metadata.generate_name == "web-" and first.obj.metadata.labels == {"app": "web"}


def test_burst_limit_and_default_random_suffix() -> None:
    res = replicaset.reconcile_replicas(rc(600), [], now=0.0)
    creates = [a for a in res.actions if a.verb == "create"]
    assert len(creates) == 500
    assert all(len(a.name) == 9 and set(a.name[4:]) <= set(replicaset.NAME_ALPHABET) for a in creates)
    assert replicaset.generate_name("x" * 70 + "-", "abcde") == "x" * 58 + "abcde"


def test_delete_a_pod_and_a_replacement_is_created() -> None:
    c = rc(3)
    pods = apply([], replicaset.reconcile_replicas(c, [], 0.0, counter_suffix()).actions)
    pods = pods[1:]
    res = replicaset.reconcile_replicas(c, pods, 1.0, counter_suffix())
    assert [a.sentence() for a in res.actions] == ["desired 3, actual 2: create web-00000"]
    assert res.status.replicas == 2


def test_adopt_orphans_and_release_mismatches() -> None:
    c = rc(2)
    orphan = pod("stray", labels={"app": "web"})
    owned_other = pod("moved", labels={"app": "db"})
    owned_other.metadata.owner_references = [OwnerReference("v1", "ReplicationController", "web", "uid-web")]
    res = replicaset.reconcile_replicas(c, [orphan, owned_other], 0.0, counter_suffix())
    verbs = [(a.verb, a.name) for a in res.actions]
    assert ("adopt", "stray") in verbs and ("release", "moved") in verbs
    assert sum(1 for v, _ in verbs if v == "create") == 1


def test_scale_down_ranking() -> None:
    now = 10_000.0
    pending = pod("a-pending", labels={"app": "web"})
    unready = running(pod("b-unready", labels={"app": "web"}), "n1")
    unready.status.conditions = [PodCondition("Ready", "False")]
    crowded1 = running(pod("c-crowded1", labels={"app": "web"}), "n2", ready_at=100)
    crowded2 = running(pod("d-crowded2", labels={"app": "web"}), "n2", ready_at=100)
    alone = running(pod("e-alone", labels={"app": "web"}), "n3", ready_at=100)
    young = running(pod("f-young", labels={"app": "web"}), "n4", ready_at=now - 10)
    cheap = running(pod("g-cheap", labels={"app": "web"}), "n5", ready_at=100)
    cheap.metadata.annotations[replicaset.DELETION_COST] = "-5"
    pods = [alone, young, crowded2, cheap, unready, crowded1, pending]
    order = [p.metadata.name for p, _ in replicaset.deletion_order(pods, pods, now)]
    assert order[:4] == ["a-pending", "b-unready", "g-cheap", order[3]]
    assert set(order[3:5]) == {"c-crowded1", "d-crowded2"}  # rank 2 on n2 before the lone pods
    assert order[5:] == ["f-young", "e-alone"]  # ready for less time (log scale) first
    c = rc(6)
    for p in pods:
        p.metadata.owner_references = [OwnerReference("v1", "ReplicationController", "web", "uid-web")]
    res = replicaset.reconcile_replicas(c, pods, now, counter_suffix())
    (delete,) = res.actions
    assert delete.sentence() == "desired 6, actual 7: delete a-pending (not yet scheduled)"
    assert delete.event.message == "Deleted pod: a-pending"


def test_restarts_and_creation_break_later_ties() -> None:
    now = 10_000.0
    a = running(pod("a", labels={"app": "web"}), "n1", ready_at=100)
    b = running(pod("b", labels={"app": "web"}), "n2", ready_at=100)
    from cloudlab.engine.kubernetes.objects import ContainerStatus

    b.status.container_statuses = [ContainerStatus("nginx", restart_count=4)]
    assert replicaset.deletion_order([a, b], [a, b], now)[0][0] is b


@settings(max_examples=40, deadline=None)
@given(desired=st.integers(0, 40), start=st.integers(0, 40), kill=st.lists(st.integers(0, 60), max_size=5))
def test_reconcile_converges_to_the_desired_count(desired: int, start: int, kill: list[int]) -> None:
    c = rc(start)
    pods = apply([], replicaset.reconcile_replicas(c, [], 0.0, counter_suffix()).actions)
    c.replicas = desired
    suffix = counter_suffix()
    for step in range(6):
        for k in kill:
            if step == 1 and pods:
                pods.pop(k % len(pods))
        pods = apply(pods, replicaset.reconcile_replicas(c, pods, float(step), suffix).actions)
    assert len(pods) == desired
    assert replicaset.reconcile_replicas(c, pods, 9.0, suffix).actions == []


# -- Deployment ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("surge", "unavailable", "replicas", "expected"),
    [
        ("25%", "25%", 4, (1, 1)),
        ("25%", "25%", 10, (3, 2)),
        (0, 0, 3, (0, 1)),
        ("0%", "0%", 3, (0, 1)),
        (2, "50%", 5, (2, 2)),
        ("1%", "1%", 10, (1, 0)),
    ],
)
def test_resolve_fenceposts(surge, unavailable, replicas, expected) -> None:
    d = deployment(replicas, surge, unavailable)
    assert dep.resolve_fenceposts(d) == expected


def deployment(
    replicas: int, surge: int | str = "25%", unavailable: int | str = "25%", image: str = "nginx:1.27"
) -> Deployment:
    tmpl = PodTemplate({"app": "web"}, PodSpec([Container("nginx", image)]))
    return Deployment(
        ObjectMeta("web", uid="uid-deploy"),
        replicas,
        LabelSelector({"app": "web"}),
        tmpl,
        DeploymentStrategy("RollingUpdate", surge, unavailable),
    )


class Cluster:
    """A tiny world: the deployment, its ReplicaSets and pods, pods ready one tick after creation."""

    def __init__(self, d: Deployment) -> None:
        self.d = d
        self.rss: list[ReplicaSet] = []
        self.pods: list[Pod] = []
        self.suffix = counter_suffix()
        self.now = 0.0
        self.history: list[tuple[int, int]] = []

    def tick(self, ready_fraction: float = 1.0) -> list:
        self.now += 1
        # pods created before this tick become Running and Ready (some of them)
        fresh = [p for p in self.pods if not p.is_ready()]
        for p in fresh[: max(1, int(len(fresh) * ready_fraction)) if fresh else 0]:
            running(p, "n1", ready_at=self.now)
        self._status()
        self._check()
        res = dep.reconcile_deployment(self.d, self.rss, self.pods, self.now)
        for a in res.actions:
            if a.kind == "ReplicaSet" and a.verb in ("create", "scale", "update"):
                self.rss = [r for r in self.rss if r.metadata.name != a.obj.metadata.name] + [a.obj]
            elif a.kind == "ReplicaSet" and a.verb == "delete":
                self.rss = [r for r in self.rss if r.metadata.name != a.name]
        for rs in sorted(self.rss, key=lambda r: r.metadata.creation_timestamp):
            self.pods = apply(
                self.pods,
                replicaset.reconcile_replicas(rs, self.pods, self.now, self.suffix, related=self.pods).actions,
            )
        self._status()
        self._check()
        self.d.status = res.status
        return res.actions

    def _status(self) -> None:
        for rs in self.rss:
            owned = [
                p
                for p in self.pods
                if p.metadata.controller_ref() and p.metadata.controller_ref().uid == rs.metadata.uid
            ]
            rs.status = replicaset.calculate_status(rs, owned, self.now)

    def _check(self) -> None:
        available = sum(1 for p in self.pods if p.is_ready())
        self.history.append((len(self.pods), available))

    def done(self) -> bool:
        new = [rs for rs in self.rss if dep.template_hash(rs.template) == dep.template_hash(self.d.template)]
        return (
            bool(new)
            and new[0].replicas == self.d.replicas
            and len(self.pods) == self.d.replicas
            and all(p.is_ready() for p in self.pods)
        )

    def run(self, limit: int = 200, ready_fraction: float = 1.0) -> None:
        for _ in range(limit):
            self.tick(ready_fraction)
            if self.done():
                self.tick(ready_fraction)
                return
        raise AssertionError("did not converge")


def test_rolling_update_of_the_reference_example() -> None:
    c = Cluster(deployment(4))
    c.run()
    assert len(c.rss) == 1 and c.rss[0].metadata.annotations[dep.REVISION] == "1"
    c.d.template = PodTemplate({"app": "web"}, PodSpec([Container("nginx", "nginx:1.28")]))
    c.d.metadata.generation += 1
    c.history.clear()
    c.run()
    assert max(total for total, _ in c.history) <= 5
    assert min(avail for _, avail in c.history) >= 3
    new = max(c.rss, key=lambda r: dep.revision_of(r))
    assert new.replicas == 4 and new.metadata.annotations[dep.REVISION] == "2"
    assert new.template.labels[dep.HASH_LABEL] == new.metadata.name.split("-", 1)[1]
    assert all(p.spec.containers[0].image == "nginx:1.28" for p in c.pods)
    line, done = dep.rollout_status(c.d)
    assert (line, done) == ('deployment "web" successfully rolled out', True)


def test_first_steps_and_sentences() -> None:
    c = Cluster(deployment(4))
    c.run()
    c.d.template = PodTemplate({"app": "web"}, PodSpec([Container("nginx", "nginx:1.28")]))
    acts = c.tick()
    (create,) = acts
    assert create.verb == "create" and create.obj.replicas == 1
    assert create.event.message == f"Scaled up replica set {create.name} from 0 to 1"
    acts = c.tick()
    assert next(a.sentence() for a in acts).startswith("old ReplicaSet web-")
    assert "keep at least 3 available: replicas 4 − maxUnavailable 1" in acts[0].sentence()


def test_rollback_reuses_the_old_replica_set() -> None:
    c = Cluster(deployment(3))
    c.run()
    first = c.rss[0].metadata.name
    c.d.template = PodTemplate({"app": "web"}, PodSpec([Container("nginx", "nginx:1.28")]))
    c.run()
    c.d.template = dep.rollback_template(c.d, c.rss)  # undo: back to revision 1
    c.run()
    active = [rs for rs in c.rss if rs.replicas]
    assert [rs.metadata.name for rs in active] == [first]
    assert active[0].metadata.annotations[dep.REVISION] == "3"
    with pytest.raises(dep.RollbackError, match="unable to find specified revision 9 in history"):
        dep.rollback_template(c.d, c.rss, 9)


def test_recreate_scales_old_to_zero_first() -> None:
    d = deployment(3)
    d.strategy = DeploymentStrategy("Recreate")
    c = Cluster(d)
    c.run()
    c.d.template = PodTemplate({"app": "web"}, PodSpec([Container("nginx", "nginx:1.28")]))
    c.history.clear()
    c.run()
    assert min(avail for _, avail in c.history) == 0  # Recreate has downtime
    assert max(total for total, _ in c.history) <= 3


def test_revision_history_limit() -> None:
    d = deployment(1)
    d.revision_history_limit = 1
    c = Cluster(d)
    c.run()
    for image in ("a:1", "a:2", "a:3"):
        c.d.template = PodTemplate({"app": "web"}, PodSpec([Container("nginx", image)]))
        c.run()
    c.tick()
    assert len(c.rss) == 2


@settings(max_examples=25, deadline=None)
@given(
    replicas=st.integers(1, 12),
    surge=st.integers(0, 4),
    unavailable=st.integers(0, 4),
    frac=st.sampled_from([0.3, 0.5, 1.0]),
)
def test_rolling_update_bounds(replicas: int, surge: int, unavailable: int, frac: float) -> None:
    d = deployment(replicas, surge, unavailable)
    s, u = dep.resolve_fenceposts(d)
    c = Cluster(d)
    c.run(ready_fraction=1.0)
    c.d.template = PodTemplate({"app": "web"}, PodSpec([Container("nginx", "nginx:2")]))
    c.history.clear()
    c.run(limit=400, ready_fraction=frac)
    for total, available in c.history:
        assert total <= replicas + s
        assert available >= replicas - u


# -- endpoints ----------------------------------------------------------------------------------


def test_endpoints_ready_and_not_ready() -> None:
    svc = Service(ObjectMeta("web"), [ServicePort(80, "http")], {"app": "web"})
    pods = []
    for i, ready in enumerate([True, True, False]):
        p = running(pod(f"web-{i}", labels={"app": "web"}), f"n{i}")
        p.spec.containers[0].ports = [ContainerPort(8080, name="http")]
        p.status.pod_ip = f"10.244.{i}.5"
        if not ready:
            p.status.conditions = [PodCondition("Ready", "False")]
        pods.append(p)
    pods.append(pod("other", labels={"app": "db"}))
    (action,) = endpoints.reconcile_endpoints(svc, pods, None)
    ep = action.obj
    assert [a.ip for a in ep.subsets[0].addresses] == ["10.244.0.5", "10.244.1.5"]
    assert [a.ip for a in ep.subsets[0].not_ready_addresses] == ["10.244.2.5"]
    assert ep.subsets[0].ports[0].port == 8080 and ep.subsets[0].addresses[0].target_ref.name == "web-0"
    assert action.sentence() == "Endpoints web: 2 ready, 1 not ready address(es)"
    assert endpoints.reconcile_endpoints(svc, pods, ep) == []  # unchanged: nothing to write
    assert endpoints.reconcile_endpoints(Service(ObjectMeta("manual"), [ServicePort(80)], None), pods, None) == []
    from cloudlab.engine.kubernetes.podlifecycle import print_endpoints

    assert print_endpoints(ep, 0)["ENDPOINTS"] == "10.244.0.5:8080,10.244.1.5:8080"


def test_endpoints_object_exists_with_no_pods_and_caps_at_1000() -> None:
    svc = Service(ObjectMeta("web"), [ServicePort(80)], {"app": "web"})
    (a,) = endpoints.reconcile_endpoints(svc, [], None)
    assert a.obj.subsets == []
    many = []
    for i in range(1005):
        p = running(pod(f"p{i}", labels={"app": "web"}), "n1")
        p.status.pod_ip = f"10.1.{i // 250}.{i % 250}"
        many.append(p)
    ep = endpoints.desired_endpoints(svc, many)
    assert sum(len(s.addresses) for s in ep.subsets) == 1000
    assert ep.metadata.annotations[endpoints.OVER_CAPACITY] == "truncated"


# -- garbage collection ---------------------------------------------------------------------------


def items_for_rs():
    owner = gc.Item("ReplicaSet", ObjectMeta("web-abc", uid="rs-1"))
    deps = []
    for i in range(2):
        m = ObjectMeta(
            f"web-abc-{i}", uid=f"p{i}", owner_references=[OwnerReference("apps/v1", "ReplicaSet", "web-abc", "rs-1")]
        )
        deps.append(gc.Item("Pod", m))
    return owner, deps


def test_gc_policies() -> None:
    owner, deps = items_for_rs()
    assert gc.default_propagation("ReplicationController", "v1", None) == "Orphan"
    assert gc.default_propagation("ReplicaSet", "apps/v1", None) == "Background"
    bg = gc.delete_owner(owner, deps, "Background")
    assert [(a.verb, a.name) for a in bg] == [("delete", "web-abc"), ("delete", "web-abc-0"), ("delete", "web-abc-1")]
    assert bg[1].sentence() == "delete Pod web-abc-0: its owner ReplicaSet web-abc is being deleted (Background)"
    fg = gc.delete_owner(owner, deps, "Foreground")
    assert [(a.verb, a.kind) for a in fg][-1] == ("update", "ReplicaSet")
    assert gc.delete_owner(owner, [], "Foreground")[-1].verb == "delete"
    orphan = gc.delete_owner(owner, deps, "Orphan")
    assert [a.verb for a in orphan] == ["release", "release", "delete"]
    assert [a.name for a in gc.collect_garbage(deps)] == ["web-abc-0", "web-abc-1"]
    assert gc.collect_garbage([owner, *deps]) == []


# -- node lifecycle ------------------------------------------------------------------------------


def test_node_goes_unreachable_taints_and_evicts_after_300s() -> None:
    n = node("n1")
    n.conditions = [NodeCondition("Ready", "True")]
    p = running(pod("web-1"), "n1")
    acts = nodelifecycle.reconcile_node(nodelifecycle.NodeHealth(n, last_heartbeat=0.0), [p], now=40.0)
    assert acts == []  # within the 50 s grace period
    acts = nodelifecycle.reconcile_node(nodelifecycle.NodeHealth(n, last_heartbeat=0.0), [p], now=51.0)
    kinds = [(a.verb, a.kind) for a in acts]
    assert kinds == [("set-condition", "Node"), ("taint", "Node"), ("set-condition", "Pod")]
    assert (
        acts[0].obj[0].reason == "NodeStatusUnknown"
        and acts[0].obj[0].message == "Kubelet stopped posting node status."
    )
    taint = acts[1].obj
    assert (taint.key, taint.effect) == ("node.kubernetes.io/unreachable", "NoExecute")
    n.taints.append(taint)
    assert nodelifecycle.evictions(n, [p], now=51.0 + 299) == []
    (ev,) = nodelifecycle.evictions(n, [p], now=51.0 + 300)
    assert ev.sentence() == "evict web-1: taint node.kubernetes.io/unreachable:NoExecute for 300 s, tolerated for 300 s"
    assert ev.event.reason == "TaintManagerEviction" and ev.event.message == "Marking for deletion Pod default/web-1"
    # a pod that tolerates forever stays; one with its own 10 s toleration goes sooner
    forever = running(pod("dns", tolerations=[Toleration(operator="Exists")]), "n1")
    quick = running(
        pod("quick", tolerations=[Toleration("node.kubernetes.io/unreachable", "Exists", "", "NoExecute", 10)]), "n1"
    )
    assert nodelifecycle.eviction_time(forever, n.taints) is None
    assert nodelifecycle.eviction_time(quick, n.taints) == 61.0


def test_not_ready_taint_and_recovery() -> None:
    n = node("n1")
    n.conditions = [NodeCondition("Ready", "False")]
    (t,) = [a for a in nodelifecycle.reconcile_node(nodelifecycle.NodeHealth(n, 10.0), [], 12.0) if a.verb == "taint"]
    assert t.obj.key == "node.kubernetes.io/not-ready"
    n.taints.append(t.obj)
    n.conditions = [NodeCondition("Ready", "True")]
    (u,) = nodelifecycle.reconcile_node(nodelifecycle.NodeHealth(n, 12.0), [], 13.0)
    assert (
        u.verb == "untaint"
        and u.sentence() == "node n1 is Ready again: remove taint node.kubernetes.io/not-ready:NoExecute"
    )
    untolerating = running(pod("x", tolerations=[Toleration("other", "Exists")]), "n1")
    n2 = node("n2", taints=[Taint("custom", "", "NoExecute", 5.0)])
    untolerating.spec.node_name = "n2"
    (e,) = nodelifecycle.evictions(n2, [untolerating], 5.0)
    assert e.sentence() == "evict x: taint custom:NoExecute is not tolerated"


def test_default_tolerations() -> None:
    tols = nodelifecycle.default_tolerations(pod("p"))
    assert [(t.key, t.operator, t.effect, t.toleration_seconds) for t in tols] == [
        ("node.kubernetes.io/not-ready", "Exists", "NoExecute", 300),
        ("node.kubernetes.io/unreachable", "Exists", "NoExecute", 300),
    ]
    assert copy.deepcopy(tols) == tols


def test_same_log_bucket_ready_times_fall_to_uid_before_restarts() -> None:
    # upstream TestSortingActivePodsWithRanks: ready 1000 s and 1010 s ago share a log2 bucket (ns),
    # so the UID decides at once, before restart counts are looked at
    from cloudlab.engine.kubernetes.objects import ContainerStatus

    now = 100_000.0
    a = running(pod("a", labels={"app": "web"}), "n1", ready_at=now - 1000)
    b = running(pod("b", labels={"app": "web"}), "n2", ready_at=now - 1010)
    a.metadata.uid, b.metadata.uid = "uid-2", "uid-1"
    a.status.container_statuses = [ContainerStatus("nginx", restart_count=9)]
    order = replicaset.deletion_order([a, b], [a, b], now)
    assert [p.metadata.name for p, _ in order] == ["b", "a"]
    assert order[0][1] == "UID order"
