"""The default profile's Filter and Score plugins (kube-scheduler v1.32, kubernetes-semantics.md §1.4, §1.8).

Read (kubernetes/kubernetes ``pkg/scheduler/framework/plugins/``): ``nodeunschedulable``,
``nodename``, ``tainttoleration`` (Filter: the first untolerated NoSchedule/NoExecute taint; Score:
untolerated PreferNoSchedule taints, reversed ``DefaultNormalizeScore``), ``nodeaffinity``
(``nodeSelector`` AND required terms; preferred weights), ``nodeports``, ``noderesources/fit.go``
(``fitsRequest``: "Too many pods", "Insufficient <r>") and ``least_allocated.go``,
``balanced_allocation.go`` (std of the requested fractions), ``imagelocality`` (spread-scaled
image sizes clamped to [23 MiB, 1000 MiB × containers]), ``podtopologyspread`` (filtering.go
skew; scoring.go ``cnt × ln(domains + 2) + maxSkew − 1``, normalised ``100·(max+min−s)/max``),
``interpodaffinity`` (required terms and the existing pods' anti-affinity; preferred terms,
min-max normalised) and ``helper/normalize_score.go``. The volume plugins are kept for their
names and reasons: the simulated pods carry no volumes, so they pass every node.

A plugin's verdict is a ``Status``: its code, Kubernetes' reason strings (English, as the
scheduler prints them) and the numbers a page shows. The passing sentences are CloudLab's
(``N_``, translated by the page).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..i18n import N_
from .nodeinfo import NodeInfo, host_ports, pod_requests
from .objects import (
    Node,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    Pod,
    PodAffinityTerm,
    Taint,
    TopologySpreadConstraint,
    tolerates,
)
from .selectors import Requirement, Selector, label_selector_as_selector

SUCCESS = "Success"
UNSCHEDULABLE = "Unschedulable"
UNRESOLVABLE = "UnschedulableAndUnresolvable"
MAX_NODE_SCORE = 100
HOSTNAME = "kubernetes.io/hostname"
ZONE = "topology.kubernetes.io/zone"

# -- reasons, verbatim ----------------------------------------------------------------------------
ERR_UNSCHEDULABLE = "node(s) were unschedulable"
ERR_NODE_NAME = "node(s) didn't match the requested node name"
ERR_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector"
ERR_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports"
ERR_TOO_MANY_PODS = "Too many pods"
ERR_SPREAD = "node(s) didn't match pod topology spread constraints"
ERR_SPREAD_LABEL = "node(s) didn't match pod topology spread constraints (missing required label)"
ERR_AFFINITY = "node(s) didn't match pod affinity rules"
ERR_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules"
ERR_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules"
ERR_VOLUME_RESTRICTIONS = "node(s) had no available disk"
ERR_VOLUME_LIMITS = "node(s) exceed max volume count"
ERR_VOLUME_BINDING = "node(s) didn't find available persistent volumes to bind"
ERR_VOLUME_ZONE = "node(s) had no available volume zone"
UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable"

NO_VOLUMES = N_("the pod uses no volumes")


def untolerated_taint_reason(taint: Taint) -> str:
    return f"node(s) had untolerated taint {{{taint.key}: {taint.value}}}"


@dataclass
class Status:
    code: str = SUCCESS
    reasons: list[str] = field(default_factory=list)
    #: The sentence template for a passing node (``N_``); a failure's sentence is its reasons.
    message: str = ""
    numbers: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.code == SUCCESS

    def text(self) -> str:
        return ", ".join(self.reasons) if self.reasons else self.message


def fail(code: str, *reasons: str, **numbers: Any) -> Status:
    return Status(code, list(reasons), numbers=dict(numbers))


def passed(message: str, **numbers: Any) -> Status:
    return Status(SUCCESS, [], message, dict(numbers))


@dataclass
class CycleState:
    """What PreFilter / PreScore computed once per pod, read by the per-node calls."""

    pod: Pod
    request: dict[str, int]
    non_zero_request: dict[str, int]
    all_nodes: list[NodeInfo]
    spread_selector: Selector | None = None
    data: dict[Any, Any] = field(default_factory=dict)


# -- node selector terms (component-helpers/scheduling/corev1/nodeaffinity) -----------------------


def _requirement_matches(req: NodeSelectorRequirement, labels: Mapping[str, str]) -> bool:
    op, key = req.operator, req.key
    if op == "In":
        return key in labels and labels[key] in req.values
    if op == "NotIn":
        return key not in labels or labels[key] not in req.values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    if op in ("Gt", "Lt") and key in labels and len(req.values) == 1:
        try:
            have, want = int(labels[key]), int(req.values[0])
        except ValueError:
            return False
        return have > want if op == "Gt" else have < want
    return False


def term_matches(term: NodeSelectorTerm, node: Node) -> bool:
    """A term matches when all its expressions and fields match; an empty term matches nothing."""
    if not term.match_expressions and not term.match_fields:
        return False
    fields = {"metadata.name": node.metadata.name}
    return all(_requirement_matches(r, node.metadata.labels) for r in term.match_expressions) and all(
        _requirement_matches(r, fields) for r in term.match_fields
    )


def required_node_affinity_matches(pod: Pod, node: Node) -> bool:
    labels = node.metadata.labels
    if any(labels.get(k) != v for k, v in pod.spec.node_selector.items()):
        return False
    na = pod.spec.affinity.node_affinity if pod.spec.affinity else None
    if na is None or na.required is None:
        return True
    return any(term_matches(t, node) for t in na.required)


# -- Filter plugins -------------------------------------------------------------------------------


def node_unschedulable(state: CycleState, ni: NodeInfo) -> Status:
    if not ni.node.unschedulable:
        return passed(N_("the node is schedulable"))
    if tolerates(state.pod.spec.tolerations, Taint(UNSCHEDULABLE_TAINT, "", "NoSchedule")):
        return passed(N_("cordoned, but the pod tolerates {taint}"), taint=UNSCHEDULABLE_TAINT + ":NoSchedule")
    return fail(UNRESOLVABLE, ERR_UNSCHEDULABLE)


def node_name(state: CycleState, ni: NodeInfo) -> Status:
    wanted = state.pod.spec.node_name
    if not wanted:
        return passed(N_("the pod names no node"))
    if wanted == ni.name:
        return passed(N_("the pod names this node"))
    return fail(UNRESOLVABLE, ERR_NODE_NAME, wanted=wanted)


def taint_toleration_filter(state: CycleState, ni: NodeInfo) -> Status:
    hard = [t for t in ni.node.taints if t.effect in ("NoSchedule", "NoExecute")]
    for taint in hard:
        if not tolerates(state.pod.spec.tolerations, taint):
            return fail(
                UNRESOLVABLE, untolerated_taint_reason(taint), taint=f"{taint.key}={taint.value}:{taint.effect}"
            )
    return passed(N_("every NoSchedule and NoExecute taint is tolerated ({count})"), count=len(hard))


def node_affinity_filter(state: CycleState, ni: NodeInfo) -> Status:
    if required_node_affinity_matches(state.pod, ni.node):
        return passed(N_("nodeSelector and required node affinity match"))
    return fail(UNRESOLVABLE, ERR_NODE_AFFINITY)


def _ports_conflict(a: tuple[str, str, int], b: tuple[str, str, int]) -> bool:
    return a[1] == b[1] and a[2] == b[2] and (a[0] == b[0] or "0.0.0.0" in (a[0], b[0]))  # noqa: S104 (a host port on every address)


def node_ports(state: CycleState, ni: NodeInfo) -> Status:
    wanted = state.data.get("host_ports")
    if wanted is None:
        wanted = state.data["host_ports"] = host_ports(state.pod)
    for w in wanted:
        if any(_ports_conflict(w, used) for used in ni.used_ports):
            return fail(UNSCHEDULABLE, ERR_NODE_PORTS, port=w[2], protocol=w[1])
    return passed(N_("no requested host port is in use ({count} asked)"), count=len(wanted))


def node_resources_fit(state: CycleState, ni: NodeInfo) -> Status:
    """``fitsRequest``: every failing resource is one reason; a pod asking nothing only counts."""
    req, alloc, used = state.request, ni.allocatable, ni.requested
    reasons = []
    pods, allowed = len(ni.pods) + 1, ni.allowed_pods()
    if pods > allowed:
        reasons.append(ERR_TOO_MANY_PODS)
    for name in sorted(
        req,
        key=lambda r: (
            ("cpu", "memory", "ephemeral-storage").index(r) if r in ("cpu", "memory", "ephemeral-storage") else 3
        ),
    ):
        amount = req[name]
        if amount > 0 and amount > alloc.get(name, 0) - used.get(name, 0):
            reasons.append(f"Insufficient {name}")
    numbers = {
        "cpu_req": req.get("cpu", 0),
        "cpu_used": used.get("cpu", 0),
        "cpu_alloc": alloc.get("cpu", 0),
        "mem_req_mi": req.get("memory", 0) // 2**20,
        "mem_used_mi": used.get("memory", 0) // 2**20,
        "mem_alloc_mi": alloc.get("memory", 0) // 2**20,
        "pods": pods,
        "pods_alloc": allowed,
    }
    if reasons:
        return Status(UNSCHEDULABLE, reasons, numbers=numbers)
    return passed(
        N_(
            "fits: cpu {cpu_used}m + {cpu_req}m of {cpu_alloc}m, memory {mem_used_mi}Mi + {mem_req_mi}Mi of "
            "{mem_alloc_mi}Mi, pod {pods} of {pods_alloc}"
        ),
        **numbers,
    )


def no_volumes(state: CycleState, ni: NodeInfo) -> Status:
    return passed(NO_VOLUMES)


# -- PodTopologySpread ----------------------------------------------------------------------------


def _count_matching(pods: list[Pod], selector: Selector, namespace: str) -> int:
    return sum(
        1
        for p in pods
        if p.metadata.namespace == namespace
        and p.metadata.deletion_timestamp is None
        and selector.matches(p.metadata.labels)
    )


def system_default_constraints(state: CycleState) -> list[tuple[TopologySpreadConstraint, Selector]]:
    sel = state.spread_selector
    if sel is None or sel.empty():
        return []
    return [
        (TopologySpreadConstraint(3, HOSTNAME, "ScheduleAnyway"), sel),
        (TopologySpreadConstraint(5, ZONE, "ScheduleAnyway"), sel),
    ]


def _constraints(state: CycleState, action: str) -> tuple[list[tuple[TopologySpreadConstraint, Selector]], bool]:
    """The pod's constraints for ``action`` (DoNotSchedule / ScheduleAnyway), or the defaults."""
    own = state.pod.spec.topology_spread_constraints
    if own:
        return [(c, label_selector_as_selector(c.label_selector)) for c in own if c.when_unsatisfiable == action], False
    if action == "ScheduleAnyway":
        return system_default_constraints(state), True
    return [], False


def pod_topology_spread_filter(state: CycleState, ni: NodeInfo) -> Status:
    cons = state.data.get("spread_filter")
    if cons is None:
        cons = state.data["spread_filter"] = _constraints(state, "DoNotSchedule")[0]
    if not cons:
        return passed(N_("no DoNotSchedule spread constraint"))
    pod = state.pod
    labels = ni.node.metadata.labels
    for c, sel in cons:
        if c.topology_key not in labels:
            return fail(UNRESOLVABLE, ERR_SPREAD_LABEL, key=c.topology_key)
        counts = state.data.setdefault(("spread_counts", c.topology_key, str(sel)), _domain_counts(state, c, sel))
        value = labels[c.topology_key]
        match = counts.get(value, 0)
        self_match = 1 if sel.matches(pod.metadata.labels) else 0
        minimum = min(counts.values()) if counts else 0
        skew = match + self_match - minimum
        if skew > c.max_skew:
            return fail(UNSCHEDULABLE, ERR_SPREAD, key=c.topology_key, skew=skew, max_skew=c.max_skew)
    return passed(N_("spread constraints satisfied"))


def _domain_counts(state: CycleState, c: TopologySpreadConstraint, sel: Selector) -> dict[str, int]:
    """Matching pods per domain over the nodes the pod's node affinity allows (the eligible ones)."""
    counts: dict[str, int] = {}
    for other in state.all_nodes:
        value = other.node.metadata.labels.get(c.topology_key)
        if value is None or not required_node_affinity_matches(state.pod, other.node):
            continue
        counts[value] = counts.get(value, 0) + _count_matching(other.pods, sel, state.pod.metadata.namespace)
    return counts


# -- InterPodAffinity -----------------------------------------------------------------------------


def _term_namespaces(term: PodAffinityTerm, owner: Pod) -> list[str]:
    return term.namespaces or [owner.metadata.namespace]


def _term_matches_pod(term: PodAffinityTerm, owner: Pod, candidate: Pod) -> bool:
    if candidate.metadata.namespace not in _term_namespaces(term, owner):
        return False
    return label_selector_as_selector(term.label_selector).matches(candidate.metadata.labels)


def _same_domain(a: Node, b: Node, key: str) -> bool:
    return key in a.metadata.labels and a.metadata.labels.get(key) == b.metadata.labels.get(key)


def _pods_by_node(state: CycleState) -> list[tuple[Node, Pod]]:
    out = state.data.get("placed")
    if out is None:
        out = state.data["placed"] = [(ni.node, p) for ni in state.all_nodes for p in ni.pods]
    return out


def inter_pod_affinity_filter(state: CycleState, ni: NodeInfo) -> Status:
    """``interpodaffinity/filtering.go Filter``, in its order: the pod's required affinity
    (UnschedulableAndUnresolvable), its required anti-affinity, then the existing pods'
    anti-affinity towards it (both Unschedulable)."""
    pod = state.pod
    placed = _pods_by_node(state)
    aff = pod.spec.affinity
    if aff and aff.pod_affinity:
        for term in aff.pod_affinity.required:
            matching = state.data.get(("affinity_matching", id(term)))
            if matching is None:
                matching = [(n, p) for n, p in placed if _term_matches_pod(term, pod, p)]
                state.data[("affinity_matching", id(term))] = matching
            if any(_same_domain(n, ni.node, term.topology_key) for n, _ in matching):
                continue
            # the first pod of a group: allowed when nothing matches anywhere and it matches itself
            if not matching and _term_matches_pod(term, pod, pod) and term.topology_key in ni.node.metadata.labels:
                continue
            return fail(UNRESOLVABLE, ERR_AFFINITY, key=term.topology_key)
    if aff and aff.pod_anti_affinity:
        for term in aff.pod_anti_affinity.required:
            matching = state.data.get(("anti_matching", id(term)))
            if matching is None:
                matching = [(n, p) for n, p in placed if _term_matches_pod(term, pod, p)]
                state.data[("anti_matching", id(term))] = matching
            if any(_same_domain(n, ni.node, term.topology_key) for n, _ in matching):
                return fail(UNSCHEDULABLE, ERR_ANTI_AFFINITY, key=term.topology_key)
    # last, as filtering.go Filter checks: the existing pods' required anti-affinity terms
    # that match the incoming pod (found once per cycle)
    guards = state.data.get("anti_guards")
    if guards is None:
        guards = state.data["anti_guards"] = [
            (node, other, term)
            for node, other in placed
            if other.spec.affinity and other.spec.affinity.pod_anti_affinity
            for term in other.spec.affinity.pod_anti_affinity.required
            if _term_matches_pod(term, other, pod)
        ]
    for node, other, term in guards:
        if _same_domain(node, ni.node, term.topology_key):
            return fail(UNSCHEDULABLE, ERR_EXISTING_ANTI_AFFINITY, pod=other.metadata.name)
    return passed(N_("no pod affinity or anti-affinity rule is violated"))


FilterFn = Callable[[CycleState, NodeInfo], Status]

#: The default profile's Filter plugins, in profile order (default_plugins.go, v1.32).
FILTERS: list[tuple[str, FilterFn]] = [
    ("NodeUnschedulable", node_unschedulable),
    ("NodeName", node_name),
    ("TaintToleration", taint_toleration_filter),
    ("NodeAffinity", node_affinity_filter),
    ("NodePorts", node_ports),
    ("NodeResourcesFit", node_resources_fit),
    ("VolumeRestrictions", no_volumes),
    ("NodeVolumeLimits", no_volumes),
    ("VolumeBinding", no_volumes),
    ("VolumeZone", no_volumes),
    ("PodTopologySpread", pod_topology_spread_filter),
    ("InterPodAffinity", inter_pod_affinity_filter),
]

#: The reasons each filter can give (for the pages' legends and the bridge).
FILTER_REASONS: dict[str, list[str]] = {
    "NodeUnschedulable": [ERR_UNSCHEDULABLE],
    "NodeName": [ERR_NODE_NAME],
    "TaintToleration": ["node(s) had untolerated taint {<key>: <value>}"],
    "NodeAffinity": [ERR_NODE_AFFINITY],
    "NodePorts": [ERR_NODE_PORTS],
    "NodeResourcesFit": [
        ERR_TOO_MANY_PODS,
        "Insufficient cpu",
        "Insufficient memory",
        "Insufficient ephemeral-storage",
    ],
    "VolumeRestrictions": [ERR_VOLUME_RESTRICTIONS],
    "NodeVolumeLimits": [ERR_VOLUME_LIMITS],
    "VolumeBinding": [ERR_VOLUME_BINDING],
    "VolumeZone": [ERR_VOLUME_ZONE],
    "PodTopologySpread": [ERR_SPREAD, ERR_SPREAD_LABEL],
    "InterPodAffinity": [ERR_AFFINITY, ERR_ANTI_AFFINITY, ERR_EXISTING_ANTI_AFFINITY],
}


# -- Score plugins --------------------------------------------------------------------------------


def default_normalize(scores: dict[str, int], reverse: bool = False) -> dict[str, int]:
    """``DefaultNormalizeScore``: ``100·s/max`` (integer), reversed ``100 − that``; max 0 → 0 (100)."""
    top = max(scores.values(), default=0)
    if top == 0:
        return {n: MAX_NODE_SCORE if reverse else 0 for n in scores}
    out = {}
    for n, s in scores.items():
        v = MAX_NODE_SCORE * s // top
        out[n] = MAX_NODE_SCORE - v if reverse else v
    return out


def taint_toleration_prescore(state: CycleState, nodes: list[NodeInfo]) -> bool:
    return True


def taint_toleration_score(state: CycleState, ni: NodeInfo) -> int:
    tols = [t for t in state.pod.spec.tolerations if t.effect in ("", "PreferNoSchedule")]
    return sum(1 for t in ni.node.taints if t.effect == "PreferNoSchedule" and not tolerates(tols, t))


def node_affinity_prescore(state: CycleState, nodes: list[NodeInfo]) -> bool:
    na = state.pod.spec.affinity.node_affinity if state.pod.spec.affinity else None
    return bool(na and na.preferred)


def node_affinity_score(state: CycleState, ni: NodeInfo) -> int:
    na = state.pod.spec.affinity.node_affinity if state.pod.spec.affinity else None
    if na is None:
        return 0
    return sum(t.weight for t in na.preferred if t.weight and term_matches(t.preference, ni.node))


def least_allocated_score(state: CycleState, ni: NodeInfo) -> int:
    """LeastAllocated over cpu and memory (weight 1 each), non-zero requests."""
    total = weights = 0
    for r in ("cpu", "memory"):
        alloc = ni.allocatable.get(r, 0)
        if alloc == 0:
            continue
        req = ni.non_zero_requested.get(r, 0) + state.non_zero_request.get(r, 0)
        total += 0 if req > alloc else (alloc - req) * MAX_NODE_SCORE // alloc
        weights += 1
    return total // weights if weights else 0


def least_allocated_numbers(state: CycleState, ni: NodeInfo) -> dict[str, int]:
    return {r: ni.non_zero_requested.get(r, 0) + state.non_zero_request.get(r, 0) for r in ("cpu", "memory")}


def balanced_allocation_score(state: CycleState, ni: NodeInfo) -> int:
    fractions = []
    for r in ("cpu", "memory"):
        alloc = ni.allocatable.get(r, 0)
        if alloc == 0:
            continue
        req = ni.requested.get(r, 0) + state.request.get(r, 0)
        fractions.append(min(req / alloc, 1.0))
    if len(fractions) == 2:
        std = abs(fractions[0] - fractions[1]) / 2
    elif fractions:
        mean = sum(fractions) / len(fractions)
        std = math.sqrt(sum((f - mean) ** 2 for f in fractions) / len(fractions))
    else:
        std = 0.0
    return int((1 - std) * MAX_NODE_SCORE)


MIN_IMAGE_THRESHOLD = 23 * 1024 * 1024
MAX_CONTAINER_THRESHOLD = 1000 * 1024 * 1024


def normalized_image_name(name: str) -> str:
    """An image without a tag or digest is ``:latest`` (imagelocality normalizedImageName)."""
    last = name.rsplit("/", 1)[-1]
    return name if (":" in last or "@" in name) else name + ":latest"


def image_locality_prescore(state: CycleState, nodes: list[NodeInfo]) -> bool:
    total = len(state.all_nodes)
    spread: dict[str, int] = {}
    for ni in state.all_nodes:
        seen = {normalized_image_name(n) for img in ni.node.images for n in img.names}
        for n in seen:
            spread[n] = spread.get(n, 0) + 1
    state.data["image_spread"] = (spread, total)
    return True


def image_locality_score(state: CycleState, ni: NodeInfo) -> int:
    spread, total = state.data["image_spread"]
    sizes = {normalized_image_name(n): img.size_bytes for img in ni.node.images for n in img.names}
    containers = state.pod.spec.init_containers + state.pod.spec.containers
    s = 0
    for c in containers:
        name = normalized_image_name(c.image)
        if name in sizes:
            s += int(sizes[name] * (spread.get(name, 0) / total))
    max_threshold = MAX_CONTAINER_THRESHOLD * len(containers)
    s = min(max(s, MIN_IMAGE_THRESHOLD), max_threshold)
    return MAX_NODE_SCORE * (s - MIN_IMAGE_THRESHOLD) // (max_threshold - MIN_IMAGE_THRESHOLD)


def pod_topology_spread_prescore(state: CycleState, nodes: list[NodeInfo]) -> bool:
    cons, defaulted = _constraints(state, "ScheduleAnyway")
    if not cons:
        return False
    require_all = not defaulted
    ignored = set()
    pair_counts: list[dict[str, int]] = [{} for _ in cons]
    for ni in nodes:
        labels = ni.node.metadata.labels
        if require_all and any(c.topology_key not in labels for c, _ in cons):
            ignored.add(ni.name)
            continue
        for i, (c, _) in enumerate(cons):
            if c.topology_key != HOSTNAME and c.topology_key in labels:
                pair_counts[i][labels[c.topology_key]] = 0
    for ni in state.all_nodes:
        labels = ni.node.metadata.labels
        if require_all and any(c.topology_key not in labels for c, _ in cons):
            continue
        for i, (c, sel) in enumerate(cons):
            value = labels.get(c.topology_key)
            if c.topology_key == HOSTNAME or value is None or value not in pair_counts[i]:
                continue
            pair_counts[i][value] += _count_matching(ni.pods, sel, state.pod.metadata.namespace)
    weights = []
    for i, (c, _) in enumerate(cons):
        size = len(nodes) - len(ignored) if c.topology_key == HOSTNAME else len(pair_counts[i])
        weights.append(math.log(size + 2))
    state.data["spread_score"] = (cons, ignored, pair_counts, weights)
    return True


def pod_topology_spread_score(state: CycleState, ni: NodeInfo) -> int:
    cons, ignored, pair_counts, weights = state.data["spread_score"]
    if ni.name in ignored:
        return 0
    labels = ni.node.metadata.labels
    score = 0.0
    for i, (c, sel) in enumerate(cons):
        if c.topology_key not in labels:
            continue
        if c.topology_key == HOSTNAME:
            cnt = _count_matching(ni.pods, sel, state.pod.metadata.namespace)
        else:
            cnt = pair_counts[i].get(labels[c.topology_key], 0)
        score += cnt * weights[i] + (c.max_skew - 1)
    return math.floor(score + 0.5)


def pod_topology_spread_normalize(state: CycleState, scores: dict[str, int]) -> dict[str, int]:
    ignored = state.data["spread_score"][1]
    counted = [s for n, s in scores.items() if n not in ignored]
    if not counted:
        return {n: 0 for n in scores}
    lo, hi = min(counted), max(counted)
    out = {}
    for n, s in scores.items():
        if n in ignored:
            out[n] = 0
        elif hi == 0:
            out[n] = MAX_NODE_SCORE
        else:
            out[n] = MAX_NODE_SCORE * (hi + lo - s) // hi
    return out


HARD_POD_AFFINITY_WEIGHT = 1


def _affinity_terms(pod: Pod) -> tuple[list[tuple[int, PodAffinityTerm]], list[tuple[int, PodAffinityTerm]]]:
    """(positive, negative) weighted terms a pod carries for scoring."""
    aff = pod.spec.affinity
    pos: list[tuple[int, PodAffinityTerm]] = []
    neg: list[tuple[int, PodAffinityTerm]] = []
    if aff and aff.pod_affinity:
        pos.extend((w.weight, w.term) for w in aff.pod_affinity.preferred)
    if aff and aff.pod_anti_affinity:
        neg.extend((w.weight, w.term) for w in aff.pod_anti_affinity.preferred)
    return pos, neg


def inter_pod_affinity_prescore(state: CycleState, nodes: list[NodeInfo]) -> bool:
    pod = state.pod
    own_pos, own_neg = _affinity_terms(pod)
    placed = _pods_by_node(state)
    has_existing = any(
        p.spec.affinity and (p.spec.affinity.pod_affinity or p.spec.affinity.pod_anti_affinity) for _, p in placed
    )
    if not own_pos and not own_neg and not has_existing:
        return False
    # (topology key, value) → score, built from every placed pod (scoring.go processExistingPod)
    topo: dict[tuple[str, str], int] = {}

    def add(term: PodAffinityTerm, node: Node, weight: int) -> None:
        value = node.metadata.labels.get(term.topology_key)
        if value is not None:
            topo[(term.topology_key, value)] = topo.get((term.topology_key, value), 0) + weight

    for node, other in placed:
        for w, t in own_pos:
            if _term_matches_pod(t, pod, other):
                add(t, node, w)
        for w, t in own_neg:
            if _term_matches_pod(t, pod, other):
                add(t, node, -w)
        o_pos, o_neg = _affinity_terms(other)
        oa = other.spec.affinity
        if oa and oa.pod_affinity:
            o_pos = o_pos + [(HARD_POD_AFFINITY_WEIGHT, t) for t in oa.pod_affinity.required]
        for w, t in o_pos:
            if _term_matches_pod(t, other, pod):
                add(t, node, w)
        for w, t in o_neg:
            if _term_matches_pod(t, other, pod):
                add(t, node, -w)
    state.data["affinity_topo"] = topo
    return True


def inter_pod_affinity_score(state: CycleState, ni: NodeInfo) -> int:
    topo = state.data["affinity_topo"]
    labels = ni.node.metadata.labels
    return sum(s for (k, v), s in topo.items() if labels.get(k) == v)


def min_max_normalize(state: CycleState, scores: dict[str, int]) -> dict[str, int]:
    if not scores:
        return {}
    lo, hi = min(scores.values()), max(scores.values())
    diff = hi - lo
    return {n: int(MAX_NODE_SCORE * ((s - lo) / diff)) if diff > 0 else 0 for n, s in scores.items()}


def always(state: CycleState, nodes: list[NodeInfo]) -> bool:
    return True


@dataclass(frozen=True)
class ScorePlugin:
    name: str
    weight: int
    prescore: Callable[[CycleState, list[NodeInfo]], bool]
    score: Callable[[CycleState, NodeInfo], int]
    normalize: Callable[[CycleState, dict[str, int]], dict[str, int]] | None
    formula: str


def _reverse(state: CycleState, scores: dict[str, int]) -> dict[str, int]:
    return default_normalize(scores, reverse=True)


def _plain(state: CycleState, scores: dict[str, int]) -> dict[str, int]:
    return default_normalize(scores)


#: The default profile's Score plugins, in profile order, with their weights (§1.2).
SCORES: list[ScorePlugin] = [
    ScorePlugin(
        "TaintToleration",
        3,
        taint_toleration_prescore,
        taint_toleration_score,
        _reverse,
        N_("untolerated PreferNoSchedule taints; 100 − 100·s/max"),
    ),
    ScorePlugin(
        "NodeAffinity",
        2,
        node_affinity_prescore,
        node_affinity_score,
        _plain,
        N_("sum of matching preferred terms' weights; 100·s/max"),
    ),
    ScorePlugin(
        "NodeResourcesFit",
        1,
        always,
        least_allocated_score,
        None,
        N_("LeastAllocated: mean over cpu and memory of (allocatable − requested)·100/allocatable"),
    ),
    ScorePlugin(
        "PodTopologySpread",
        2,
        pod_topology_spread_prescore,
        pod_topology_spread_score,
        pod_topology_spread_normalize,
        N_("matching pods × ln(domains + 2) + maxSkew − 1; 100·(max + min − s)/max"),
    ),
    ScorePlugin(
        "InterPodAffinity",
        2,
        inter_pod_affinity_prescore,
        inter_pod_affinity_score,
        min_max_normalize,
        N_("preferred (anti-)affinity weights in the node's domains; min-max to 0–100"),
    ),
    ScorePlugin(
        "NodeResourcesBalancedAllocation",
        1,
        always,
        balanced_allocation_score,
        None,
        N_("(1 − standard deviation of the cpu and memory fractions)·100"),
    ),
    ScorePlugin(
        "ImageLocality",
        1,
        image_locality_prescore,
        image_locality_score,
        None,
        N_("sizes of the pod's images on the node × their spread, scaled between 23 MiB and 1000 MiB per container"),
    ),
]


def pod_request_amounts(pod: Pod) -> tuple[dict[str, int], dict[str, int]]:
    """(real, non-zero) requests of a pod."""
    return pod_requests(pod), pod_requests(pod, non_zero=True)


def default_spread_selector(
    pod: Pod,
    service_selectors: list[dict[str, str]],
    controller_selectors: list[Selector],
) -> Selector | None:
    """``helper.DefaultSelector``: every Service / RC / RS selecting the pod, merged (AND).

    None when nothing selects the pod (a bare pod gets no system default spreading).
    """
    reqs: list[Requirement] = []
    for sel_map in service_selectors:
        if sel_map and all(pod.metadata.labels.get(k) == v for k, v in sel_map.items()):
            reqs.extend(Requirement(k, "=", (v,)) for k, v in sorted(sel_map.items()))
    for sel in controller_selectors:
        if not sel.empty() and sel.matches(pod.metadata.labels):
            reqs.extend(sel.requirements)
    if not reqs:
        return None
    unique = list(dict.fromkeys(reqs))
    return Selector(tuple(sorted(unique, key=lambda r: r.key)))
