"""Deployment reconcile: rolling update, Recreate, revisions and rollback (``pkg/controller/deployment``).

Read: ``sync.go getNewReplicaSet`` (create the new RS at ``NewRSNewReplicas``, or adopt the RS whose
template hash matches: that is how a rollback reuses an old RS), ``rolling.go rolloutRolling``
(scale up first and return; else ``reconcileOldReplicaSets``: ``maxScaledDown = all − minAvailable
− newRSUnavailable``, ``cleanupUnhealthyReplicas``, ``scaleDownOldReplicaSetsForRollingUpdate``),
``recreate.go``, ``util/deployment_util.go`` (``ResolveFenceposts``: surge rounded up, unavailable
rounded down, both 0 → unavailable 1; ``NewRSNewReplicas``; ``SetNewReplicaSetAnnotations``
revision = max old + 1), ``controller_utils.ComputeHash`` (FNV-32a of the template and the
collision count, ``rand.SafeEncodeString``), ``sync.go cleanupDeployment``
(``revisionHistoryLimit``), ``kubectl/pkg/polymorphichelpers/rollout_status.go`` and
``rollback.go`` (``unable to find specified revision``). kubernetes-semantics.md §3.3.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from ...i18n import N_
from ..objects import (
    Deployment,
    DeploymentCondition,
    DeploymentStatus,
    ObjectMeta,
    OwnerReference,
    Pod,
    PodTemplate,
    ReplicaSet,
)
from ..selectors import LabelSelector
from .actions import Action, EventRecord
from .replicaset import NAME_ALPHABET, is_active

REVISION = "deployment.kubernetes.io/revision"
HASH_LABEL = "pod-template-hash"

SCALE_UP = N_("new ReplicaSet {rs}: {old} → {new} (at most {max_total} pods: replicas {replicas} + maxSurge {surge})")
SCALE_DOWN = N_(
    "old ReplicaSet {rs}: {old} → {new} (keep at least {min_available} available: "
    "replicas {replicas} − maxUnavailable {unavailable})"
)
CLEANUP = N_("old ReplicaSet {rs}: {old} → {new} (its unavailable pods go first)")
CREATE_RS = N_("create ReplicaSet {rs} for the new template (revision {revision}) with {new} replicas")
REUSE_RS = N_("ReplicaSet {rs} has this template already: it becomes revision {revision}")
RECREATE_DOWN = N_("Recreate: scale old ReplicaSet {rs} to 0 first")
RECREATE_UP = N_("Recreate: no old pod is left; scale {rs} to {new}")
DELETE_OLD = N_("delete old ReplicaSet {rs}: more than revisionHistoryLimit {limit} old revisions")
SCALE_NEW_DOWN = N_("new ReplicaSet {rs}: {old} → {new} (more than the {replicas} replicas wanted)")


def scaled_value(value: int | str, total: int, round_up: bool) -> int:
    """``GetScaledValueFromIntOrPercent``: an int as is, ``"25%"`` of ``total`` rounded."""
    if isinstance(value, int):
        return value
    text = value.strip()
    if not text.endswith("%"):
        return int(text)
    pct = int(text[:-1])
    exact = pct * total / 100
    return math.ceil(exact) if round_up else math.floor(exact)


def resolve_fenceposts(d: Deployment) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) as numbers of pods."""
    surge = scaled_value(d.strategy.max_surge, d.replicas, True)
    unavailable = scaled_value(d.strategy.max_unavailable, d.replicas, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def _fnv32a(data: bytes) -> int:
    h = 0x811C9DC5
    for b in data:
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def template_hash(template: PodTemplate, collision_count: int = 0) -> str:
    """``ComputeHash``: FNV-32a over the template (here its canonical JSON) and the collision count."""
    clean = copy.deepcopy(template)
    clean.labels.pop(HASH_LABEL, None)
    data = json.dumps(asdict(clean), sort_keys=True, default=str).encode()
    if collision_count:
        data += str(collision_count).encode()
    digits = str(_fnv32a(data))
    return "".join(NAME_ALPHABET[ord(c) % len(NAME_ALPHABET)] for c in digits)


def _same_template(a: PodTemplate, b: PodTemplate) -> bool:
    return template_hash(a) == template_hash(b)


def revision_of(rs: ReplicaSet) -> int:
    try:
        return int(rs.metadata.annotations.get(REVISION, "0"))
    except ValueError:
        return 0


def owned_replica_sets(d: Deployment, replica_sets: list[ReplicaSet]) -> list[ReplicaSet]:
    out = []
    for rs in replica_sets:
        ref = rs.metadata.controller_ref()
        if rs.metadata.namespace == d.metadata.namespace and ref is not None and ref.uid == d.metadata.uid:
            out.append(rs)
    return sorted(out, key=lambda r: (r.metadata.creation_timestamp, r.metadata.name))


@dataclass
class DeploymentResult:
    actions: list[Action]
    status: DeploymentStatus
    new_rs: ReplicaSet | None = None
    old_rs: list[ReplicaSet] = field(default_factory=list)


def _scale(rs: ReplicaSet, new: int, template: str, numbers: Mapping[str, int | str], deploy: str) -> Action:
    old = rs.replicas
    verb_word = "up" if new > old else "down"
    event = EventRecord(
        "Normal", "ScalingReplicaSet", f"Scaled {verb_word} replica set {rs.metadata.name} from {old} to {new}"
    )
    rs.replicas = new
    return Action(
        "scale",
        "ReplicaSet",
        rs.metadata.name,
        template,
        {"rs": rs.metadata.name, "old": old, "new": new, **numbers},
        obj=rs,
        event=event,
    )


def _new_replica_set(d: Deployment, rs_hash: str, revision: int, replicas: int, now: float) -> ReplicaSet:
    labels = {**d.template.labels, HASH_LABEL: rs_hash}
    tmpl = PodTemplate(labels, copy.deepcopy(d.template.spec), dict(d.template.annotations))
    selector = LabelSelector({**d.selector.match_labels, HASH_LABEL: rs_hash}, list(d.selector.match_expressions))
    meta = ObjectMeta(
        f"{d.metadata.name}-{rs_hash}",
        namespace=d.metadata.namespace,
        uid=f"{d.metadata.uid}-{rs_hash}",
        labels=dict(labels),
        annotations={REVISION: str(revision)},
        creation_timestamp=now,
        owner_references=[OwnerReference("apps/v1", "Deployment", d.metadata.name, d.metadata.uid, True, True)],
    )
    return ReplicaSet(meta, replicas, selector, tmpl, d.min_ready_seconds)


def new_rs_new_replicas(d: Deployment, all_rs: list[ReplicaSet], new_rs_replicas: int) -> int:
    """``NewRSNewReplicas`` for RollingUpdate."""
    surge, _ = resolve_fenceposts(d)
    current = sum(rs.replicas for rs in all_rs)
    max_total = d.replicas + surge
    if current >= max_total:
        return new_rs_replicas
    up = min(max_total - current, d.replicas - new_rs_replicas)
    return new_rs_replicas + max(up, 0)


def reconcile_deployment(
    d: Deployment, replica_sets: list[ReplicaSet], pods: list[Pod], now: float
) -> DeploymentResult:
    """One sync of ``d``; the ReplicaSets' ``status`` must be current (their own reconcile sets it).

    The inputs are not changed: each ``scale`` / ``create`` / ``update`` action carries the
    ReplicaSet as it should be written (``obj``).
    """
    actions: list[Action] = []
    # work on copies: an action carries the ReplicaSet as it should become; the inputs stay as given
    mine = [_copy_rs(rs) for rs in owned_replica_sets(d, replica_sets)]
    new_rs = next((rs for rs in mine if _same_template(rs.template, d.template)), None)
    old = [rs for rs in mine if rs is not new_rs]
    max_revision = max((revision_of(rs) for rs in old), default=0)
    surge, unavailable = resolve_fenceposts(d)
    numbers = {
        "replicas": d.replicas,
        "surge": surge,
        "unavailable": unavailable,
        "max_total": d.replicas + surge,
        "min_available": d.replicas - unavailable,
    }
    if d.paused:
        return DeploymentResult(actions, deployment_status(d, new_rs, old), new_rs, old)

    if new_rs is None:
        rs_hash = template_hash(d.template, d.status.collision_count)
        if d.strategy.type == "Recreate":
            start = 0
        else:
            start = new_rs_new_replicas(d, old, 0)
        new_rs = _new_replica_set(d, rs_hash, max_revision + 1, start, now)
        actions.append(
            Action(
                "create",
                "ReplicaSet",
                new_rs.metadata.name,
                CREATE_RS,
                {"rs": new_rs.metadata.name, "revision": max_revision + 1, "new": start},
                obj=new_rs,
                event=EventRecord(
                    "Normal", "ScalingReplicaSet", f"Scaled up replica set {new_rs.metadata.name} from 0 to {start}"
                ),
            )
        )
        return DeploymentResult(actions, deployment_status(d, new_rs, old), new_rs, old)
    if revision_of(new_rs) <= max_revision:
        new_rs.metadata.annotations[REVISION] = str(max_revision + 1)
        actions.append(
            Action(
                "update",
                "ReplicaSet",
                new_rs.metadata.name,
                REUSE_RS,
                {"rs": new_rs.metadata.name, "revision": max_revision + 1},
                obj=new_rs,
            )
        )

    if d.strategy.type == "Recreate":
        if any(rs.replicas for rs in old):
            actions.extend(_scale(rs, 0, RECREATE_DOWN, {}, d.metadata.name) for rs in old if rs.replicas)
        elif not any(is_active(p) and _owned_by_any(p, old) for p in pods) and new_rs.replicas != d.replicas:
            actions.append(_scale(new_rs, d.replicas, RECREATE_UP, {}, d.metadata.name))
    else:
        all_rs = [*old, new_rs]
        if new_rs.replicas > d.replicas:
            actions.append(_scale(new_rs, d.replicas, SCALE_NEW_DOWN, numbers, d.metadata.name))
        elif new_rs.replicas < d.replicas:
            target = new_rs_new_replicas(d, all_rs, new_rs.replicas)
            if target != new_rs.replicas:
                actions.append(_scale(new_rs, target, SCALE_UP, numbers, d.metadata.name))
        if not actions or all(a.verb == "update" for a in actions):
            actions.extend(_scale_down_old(d, old, new_rs, numbers))
    actions.extend(_cleanup(d, old, pods))
    return DeploymentResult(actions, deployment_status(d, new_rs, old), new_rs, old)


def _copy_rs(rs: ReplicaSet) -> ReplicaSet:
    out = copy.copy(rs)
    out.metadata = copy.deepcopy(rs.metadata)
    return out


def _owned_by_any(p: Pod, rss: list[ReplicaSet]) -> bool:
    ref = p.metadata.controller_ref()
    return ref is not None and any(ref.uid == rs.metadata.uid for rs in rss)


def _scale_down_old(d: Deployment, old: list[ReplicaSet], new_rs: ReplicaSet, numbers: dict[str, int]) -> list[Action]:
    actions: list[Action] = []
    old_count = sum(rs.replicas for rs in old)
    if old_count == 0:
        return actions
    all_count = old_count + new_rs.replicas
    min_available = numbers["min_available"]
    new_unavailable = new_rs.replicas - new_rs.status.available_replicas
    max_scaled_down = all_count - min_available - new_unavailable
    if max_scaled_down <= 0:
        return actions
    # cleanupUnhealthyReplicas: the unavailable old pods go first
    cleaned = 0
    for rs in sorted(old, key=lambda r: r.metadata.creation_timestamp):
        if cleaned >= max_scaled_down:
            break
        if rs.replicas == 0 or rs.status.available_replicas >= rs.replicas:
            continue
        down = min(max_scaled_down - cleaned, rs.replicas - rs.status.available_replicas)
        actions.append(_scale(rs, rs.replicas - down, CLEANUP, numbers, d.metadata.name))
        cleaned += down
    # scaleDownOldReplicaSetsForRollingUpdate
    available = sum(min(rs.status.available_replicas, rs.replicas) for rs in old) + new_rs.status.available_replicas
    if available <= min_available:
        return actions
    total = available - min_available
    done = 0
    for rs in sorted(old, key=lambda r: r.metadata.creation_timestamp):
        if done >= total:
            break
        if rs.replicas == 0:
            continue
        down = min(rs.replicas, total - done)
        actions.append(_scale(rs, rs.replicas - down, SCALE_DOWN, numbers, d.metadata.name))
        done += down
    return actions


def _cleanup(d: Deployment, old: list[ReplicaSet], pods: list[Pod]) -> list[Action]:
    idle = [rs for rs in old if rs.replicas == 0 and rs.status.replicas == 0 and rs.metadata.deletion_timestamp is None]
    extra = len(idle) - d.revision_history_limit
    out = []
    for rs in sorted(idle, key=lambda r: (revision_of(r), r.metadata.creation_timestamp))[: max(extra, 0)]:
        out.append(
            Action(
                "delete",
                "ReplicaSet",
                rs.metadata.name,
                DELETE_OLD,
                {"rs": rs.metadata.name, "limit": d.revision_history_limit},
                obj=rs,
            )
        )
    return out


def deployment_status(d: Deployment, new_rs: ReplicaSet | None, old: list[ReplicaSet]) -> DeploymentStatus:
    all_rs = [*old, *([new_rs] if new_rs else [])]
    replicas = sum(rs.status.replicas for rs in all_rs)
    available = sum(rs.status.available_replicas for rs in all_rs)
    _, unavailable = resolve_fenceposts(d)
    st = DeploymentStatus(
        replicas=replicas,
        updated_replicas=new_rs.status.replicas if new_rs else 0,
        ready_replicas=sum(rs.status.ready_replicas for rs in all_rs),
        available_replicas=available,
        unavailable_replicas=max(d.replicas - available, 0),
        observed_generation=d.metadata.generation,
        collision_count=d.status.collision_count,
    )
    if available >= d.replicas - unavailable:
        st.conditions.append(
            DeploymentCondition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
        )
    else:
        st.conditions.append(
            DeploymentCondition(
                "Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability."
            )
        )
    if new_rs is not None:
        name = new_rs.metadata.name
        if st.updated_replicas == d.replicas and available >= d.replicas and replicas == d.replicas:
            st.conditions.append(
                DeploymentCondition(
                    "Progressing", "True", "NewReplicaSetAvailable", f'ReplicaSet "{name}" has successfully progressed.'
                )
            )
        else:
            st.conditions.append(
                DeploymentCondition("Progressing", "True", "ReplicaSetUpdated", f'ReplicaSet "{name}" is progressing.')
            )
    return st


def rollout_status(d: Deployment) -> tuple[str, bool]:
    """``kubectl rollout status``: (the line it prints, whether the rollout is done)."""
    name = d.metadata.name
    st = d.status
    if d.metadata.generation > st.observed_generation:
        return "Waiting for deployment spec update to be observed...", False
    if any(c.type == "Progressing" and c.reason == "ProgressDeadlineExceeded" for c in st.conditions):
        return f'deployment "{name}" exceeded its progress deadline', False
    if st.updated_replicas < d.replicas:
        return (
            f'Waiting for deployment "{name}" rollout to finish: {st.updated_replicas} out of {d.replicas} '
            "new replicas have been updated..."
        ), False
    if st.replicas > st.updated_replicas:
        return (
            f'Waiting for deployment "{name}" rollout to finish: {st.replicas - st.updated_replicas} old replicas '
            "are pending termination..."
        ), False
    if st.available_replicas < st.updated_replicas:
        return (
            f'Waiting for deployment "{name}" rollout to finish: {st.available_replicas} of {st.updated_replicas} '
            "updated replicas are available..."
        ), False
    return f'deployment "{name}" successfully rolled out', True


class RollbackError(ValueError):
    pass


def rollback_template(d: Deployment, replica_sets: list[ReplicaSet], to_revision: int = 0) -> PodTemplate:
    """``kubectl rollout undo [--to-revision=N]``: the template of that revision (0: the previous one)."""
    mine = owned_replica_sets(d, replica_sets)
    by_rev = {revision_of(rs): rs for rs in mine}
    if to_revision == 0:
        revs = sorted(by_rev)
        if len(revs) < 2:
            raise RollbackError('no rollout history found for deployment "' + d.metadata.name + '"')
        to_revision = revs[-2]
    rs = by_rev.get(to_revision)
    if rs is None:
        raise RollbackError(f"unable to find specified revision {to_revision} in history")
    tmpl = copy.deepcopy(rs.template)
    tmpl.labels.pop(HASH_LABEL, None)
    return tmpl
