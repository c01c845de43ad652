"""ReplicationController and ReplicaSet reconcile (``pkg/controller/replicaset/replica_set.go``).

Read: ``syncReplicaSet`` / ``manageReplicas`` (diff, ``burstReplicas`` 500, ``slowStartBatch``
starting at 1 and doubling), ``claimPods`` (adopt orphans that match, release owned pods that
stop matching), ``calculateStatus``, ``controller_utils.go ActivePodsWithRanks.Less`` with
LogarithmicScaleDown and PodDeletionCost (§3.2) and ``getPodsRankedByRelatedPodsOnSameNode``;
apiserver ``names.SimpleNameGenerator`` (5 chars from ``bcdfghjklmnpqrstvwxz2456789``, base cut at
58). The RC controller is the same code through an adapter: only its selector is a map.
"""

from __future__ import annotations

import copy
import functools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from ...i18n import N_
from ..objects import ObjectMeta, OwnerReference, Pod, ReplicaSet, ReplicaStatus, ReplicationController
from ..selectors import Selector, from_set, label_selector_as_selector
from .actions import Action, EventRecord

BURST_REPLICAS = 500
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
MAX_GENERATED_NAME_LENGTH = 63 - 5
DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"

CREATE = N_("desired {desired}, actual {actual}: create {pod}")
DELETE = N_("desired {desired}, actual {actual}: delete {pod} ({why})")
ADOPT = N_("adopt {pod}: it matches the selector and has no controller")
RELEASE = N_("release {pod}: its labels no longer match the selector")

Controller = ReplicationController | ReplicaSet


def random_suffix(rng: random.Random) -> Callable[[], str]:
    """A suffix maker drawing 5 characters from the apiserver's alphabet with ``rng``."""
    return lambda: "".join(rng.choice(NAME_ALPHABET) for _ in range(5))


def generate_name(base: str, suffix: str) -> str:
    if len(base) > MAX_GENERATED_NAME_LENGTH:
        base = base[:MAX_GENERATED_NAME_LENGTH]
    return base + suffix


def selector_of(rc: Controller) -> Selector:
    if isinstance(rc, ReplicationController):
        return from_set(rc.selector or rc.template.labels)
    return label_selector_as_selector(rc.selector)


def is_active(p: Pod) -> bool:
    return not p.is_terminal() and p.metadata.deletion_timestamp is None


def ready_since(p: Pod) -> float | None:
    c = p.condition("Ready")
    return c.last_transition_time if c is not None and c.status == "True" else None


def is_available(p: Pod, min_ready_seconds: int, now: float) -> bool:
    since = ready_since(p)
    return since is not None and (min_ready_seconds == 0 or now - since >= min_ready_seconds)


@dataclass
class ReconcileResult:
    actions: list[Action]
    status: ReplicaStatus
    owned: list[Pod] = field(default_factory=list)


def new_pod(rc: Controller, name: str, now: float) -> Pod:
    """A pod from the template, owned by ``rc`` (controller + blockOwnerDeletion)."""
    t = rc.template
    meta = ObjectMeta(
        name,
        namespace=rc.metadata.namespace,
        labels=dict(t.labels),
        annotations=dict(t.annotations),
        generate_name=rc.metadata.name + "-",
        creation_timestamp=now,
        owner_references=[OwnerReference(rc.api_version, rc.kind, rc.metadata.name, rc.metadata.uid, True, True)],
    )
    return Pod(meta, copy.deepcopy(t.spec))


def _log_rank(t: float, now: float) -> int:
    d = (now - t) * 1e9  # upstream compares durations in nanoseconds
    return int(math.log2(d)) if d > 0 else -1


_PHASE_ORDER = {"Pending": 0, "Unknown": 1, "Running": 2}


def _cost(p: Pod) -> int:
    try:
        return int(p.metadata.annotations.get(DELETION_COST, "0"))
    except ValueError:
        return 0


def _max_restarts(p: Pod) -> int:
    return max((s.restart_count for s in p.status.container_statuses), default=0)


def _by_uid(a: Pod, b: Pod) -> tuple[int, str]:
    if a.metadata.uid == b.metadata.uid:
        return 0, ""
    return (-1 if a.metadata.uid < b.metadata.uid else 1), N_("UID order")


def deletion_order(pods: list[Pod], related: list[Pod], now: float) -> list[tuple[Pod, str]]:
    """``ActivePodsWithRanks`` sorted: the pods to delete first come first, with the deciding rule.

    As upstream (controller_utils.go): two ready times or two creation times that differ but fall
    in the same log2 bucket are ordered by UID right away; equal creation times are a tie.
    """
    per_node: dict[str, int] = {}
    for p in related:
        if p.spec.node_name and is_active(p):
            per_node[p.spec.node_name] = per_node.get(p.spec.node_name, 0) + 1
    rank = {id(p): per_node.get(p.spec.node_name, 0) if p.spec.node_name else 0 for p in pods}

    def rule(a: Pod, b: Pod) -> tuple[int, str]:
        """(<0 when a goes first, >0 when b does, the rule's name)."""
        if a.spec.node_name != b.spec.node_name and (not a.spec.node_name or not b.spec.node_name):
            return (-1 if not a.spec.node_name else 1), N_("not yet scheduled")
        pa, pb = _PHASE_ORDER.get(a.status.phase, 3), _PHASE_ORDER.get(b.status.phase, 3)
        if pa != pb:
            return (-1 if pa < pb else 1), N_("earlier phase (Pending, Unknown, Running)")
        if a.is_ready() != b.is_ready():
            return (-1 if not a.is_ready() else 1), N_("not ready")
        if _cost(a) != _cost(b):
            return (-1 if _cost(a) < _cost(b) else 1), N_("lower pod-deletion-cost")
        if rank[id(a)] != rank[id(b)]:
            return (-1 if rank[id(a)] > rank[id(b)] else 1), N_("more pods of this controller on its node")
        ra, rb = ready_since(a), ready_since(b)
        if a.is_ready() and b.is_ready() and ra is not None and rb is not None and ra != rb:
            # different ready times in the same log2 bucket are ordered by UID at once
            diff = _log_rank(ra, now) - _log_rank(rb, now)
            if diff != 0:
                return (-1 if diff < 0 else 1), N_("ready for less time")
            return _by_uid(a, b)
        if _max_restarts(a) != _max_restarts(b):
            return (-1 if _max_restarts(a) > _max_restarts(b) else 1), N_("more restarts")
        ca, cb = a.metadata.creation_timestamp, b.metadata.creation_timestamp
        if ca != cb:
            diff = _log_rank(ca, now) - _log_rank(cb, now)
            if diff != 0:
                return (-1 if diff < 0 else 1), N_("created more recently")
            return _by_uid(a, b)
        return 0, ""

    def cmp(a: Pod, b: Pod) -> int:
        return rule(a, b)[0]

    ordered = sorted(pods, key=functools.cmp_to_key(cmp))
    out = []
    for i, p in enumerate(ordered):
        why = rule(p, ordered[i + 1])[1] if i + 1 < len(ordered) else N_("last in the ranking")
        out.append((p, why))
    return out


def calculate_status(rc: Controller, owned: list[Pod], now: float) -> ReplicaStatus:
    labels = rc.template.labels
    return ReplicaStatus(
        replicas=len(owned),
        fully_labeled_replicas=sum(1 for p in owned if all(p.metadata.labels.get(k) == v for k, v in labels.items())),
        ready_replicas=sum(1 for p in owned if p.is_ready()),
        available_replicas=sum(1 for p in owned if is_available(p, rc.min_ready_seconds, now)),
        observed_generation=rc.metadata.generation,
    )


def reconcile_replicas(
    rc: Controller,
    pods: list[Pod],
    now: float,
    suffix: Callable[[], str] | None = None,
    related: list[Pod] | None = None,
    burst: int = BURST_REPLICAS,
) -> ReconcileResult:
    """One sync of ``rc`` against the pods of its namespace.

    ``suffix`` makes the 5 random characters of a new pod's name (injectable for tests and
    replays; default: a seeded generator). ``related`` are the pods counted for the
    same-node rank (a Deployment's RS passes all the Deployment's pods); default its own.
    """
    make_suffix = suffix or random_suffix(random.Random(rc.metadata.uid or rc.metadata.name))  # noqa: S311
    sel = selector_of(rc)
    uid = rc.metadata.uid
    actions: list[Action] = []
    owned: list[Pod] = []
    for p in pods:
        if p.metadata.namespace != rc.metadata.namespace or not is_active(p):
            continue
        ref = p.metadata.controller_ref()
        matches = sel.matches(p.metadata.labels)
        if ref is not None and ref.uid == uid:
            if matches:
                owned.append(p)
            else:
                actions.append(Action("release", "Pod", p.metadata.name, RELEASE, {"pod": p.metadata.name}))
        elif ref is None and matches and rc.metadata.deletion_timestamp is None:
            owned.append(p)
            actions.append(Action("adopt", "Pod", p.metadata.name, ADOPT, {"pod": p.metadata.name}))
    status = calculate_status(rc, owned, now)
    if rc.metadata.deletion_timestamp is not None:
        return ReconcileResult(actions, status, owned)
    diff = len(owned) - rc.replicas
    if diff < 0:
        count = min(-diff, burst)
        batch, size, made = 1, 1, 0
        while made < count:
            for _ in range(min(size, count - made)):
                name = generate_name(rc.metadata.name + "-", make_suffix())
                pod = new_pod(rc, name, now)
                actions.append(
                    Action(
                        "create",
                        "Pod",
                        name,
                        CREATE,
                        {"desired": rc.replicas, "actual": len(owned) + made, "pod": name},
                        obj=pod,
                        event=EventRecord("Normal", "SuccessfulCreate", f"Created pod: {name}"),
                        batch=batch,
                    )
                )
                made += 1
            batch, size = batch + 1, size * 2
    elif diff > 0:
        count = min(diff, burst)
        ranked = deletion_order(owned, related if related is not None else owned, now)
        for i, (p, why) in enumerate(ranked[:count]):
            actions.append(
                Action(
                    "delete",
                    "Pod",
                    p.metadata.name,
                    DELETE,
                    {"desired": rc.replicas, "actual": len(owned) - i, "pod": p.metadata.name, "why": why},
                    obj=p,
                    event=EventRecord("Normal", "SuccessfulDelete", f"Deleted pod: {p.metadata.name}"),
                )
            )
    return ReconcileResult(actions, status, owned)
