"""Reading a pod's scheduling decision back: the nodes it saw, and "why (not) node X?".

The kube-scheduler's trace has the Nova trace's shape (``scheduler.py``), so the Nova half's
``replay_stages`` steps through it as it is. Three things are the pod's own:

* ``node_card``: a node as the scheduling cycle saw it (allocatable, what its pods request, its
  taints and STATUS), frozen with the decision so the view's node cards show that moment;
* ``decision_snapshots``: those cards for every decision of a reconcile round, rebuilt from the
  round's writes in order (the decisions of one round see the pods the earlier ones bound);
* ``why_not``: the explanation in Kubernetes' words (Filter and Score plugins, weights, the
  random pick among the top-scored nodes), with the keys the scheduling view's "why" panel reads
  (``outcome`` filtered / lost / chosen / not_seen, ``filter``, ``reason``, ``numbers``,
  ``per_weigher``, ``margin``, ``winner``, ``explanation``).

Sentences are English templates marked with ``N_`` and rendered in the reader's language; the
reasons a Filter plugin gives ("Insufficient cpu", "node(s) had untolerated taint {…}") stay as
the scheduler prints them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..i18n import N_, Translate, identity, render
from .cluster import Change
from .nodeinfo import NodeInfo, snapshot
from .objects import Node, Pod
from .podlifecycle import print_node
from .scheduler import Decision

MI = 2**20

_REJECTED = N_("Filter plugin {plugin} rejected {node}: {reason}")
_LOST = N_("{node} passed every Filter plugin but scored {score}, {margin} less than {winner} ({winner_score}).")
_LOST_GAP = N_("The largest gap was {plugin}: {difference} in {winner}'s favour (score × weight).")
_TIED = N_(
    "{node} tied with {winner} at the top score {score}; the kube-scheduler picks one of the top-scored "
    "nodes at random, and drew {winner}."
)
_CHOSEN = N_("{node} passed every Filter plugin and scored the most: {score}, {margin} ahead of {runner_up}.")
_CHOSEN_TIED = N_("{node} was drawn at random among the {count} nodes tied at the top score {score}.")
_CHOSEN_ONLY = N_("{node} was the only feasible node, so PreScore and Score were skipped.")
_CHOSEN_NOMINATED = N_("{node} was the pod's nominated node and passed every Filter plugin, so it was used at once.")
_NOT_EXAMINED = N_(
    "The kube-scheduler stopped after it had found {found} feasible nodes (percentageOfNodesToScore) "
    "and never examined {node}."
)
_NOT_SEEN = N_("{node} was not a node of the cluster when this pod was scheduled.")


# -- the nodes the decision saw -------------------------------------------------------------------


def node_card(info: NodeInfo, now: float = 0.0) -> dict[str, Any]:
    """A node as one scheduling cycle saw it: what the scheduling view's node card shows."""
    node = info.node
    printed = print_node(node, now)
    alloc, used = info.allocatable, info.requested
    return {
        "name": info.name,
        "status": printed["STATUS"],
        "roles": printed["ROLES"],
        "ready": printed["STATUS"].split(",")[0] == "Ready",
        "unschedulable": node.unschedulable,
        "labels": dict(node.metadata.labels),
        "taints": [f"{t.key}={t.value}:{t.effect}" if t.value else f"{t.key}:{t.effect}" for t in node.taints],
        "cpu_allocatable": alloc.get("cpu", 0),
        "cpu_requested": used.get("cpu", 0),
        "memory_allocatable_mi": alloc.get("memory", 0) // MI,
        "memory_requested_mi": used.get("memory", 0) // MI,
        "pods_allocatable": info.allowed_pods(),
        "pods": len(info.pods),
        "pod_names": sorted(f"{p.metadata.namespace}/{p.metadata.name}" for p in info.pods),
    }


def _bound(pods: Iterable[Pod]) -> list[Pod]:
    """What the scheduler is given: every bound pod not terminated (``_schedule_round``)."""
    return [p for p in pods if p.spec.node_name and not p.is_terminal()]


def _is_binding(change: Change, key: str, decision: Decision) -> bool:
    """Whether ``change`` is the scheduler's write of ``decision``'s pod: bound to its node, or
    marked unschedulable with its message (a controller's earlier write of the same pod is not)."""
    if change.resource != "pods" or f"{change.namespace}/{change.name}" != key or change.verb == "delete":
        return False
    pod: Pod = change.obj
    cond = pod.condition("PodScheduled")
    if decision.node is not None:
        return pod.spec.node_name == decision.node and cond is not None and cond.status == "True"
    return not pod.spec.node_name and cond is not None and cond.status == "False" and cond.message == decision.message


def decision_snapshots(
    nodes: dict[str, Node],
    pods: dict[tuple[str, str], Pod],
    changes: Sequence[Change],
    decisions: Sequence[tuple[str, Decision]],
    now: float = 0.0,
) -> list[list[dict[str, Any]]]:
    """The node cards each decision of a round saw: ``nodes`` and ``pods`` as the round found them
    (copies of the tables before ``reconcile``), ``changes`` and ``decisions`` as it returned them.

    Steps: walk the round's writes in order, keeping the tables up to date; when a write is the
    next decision's own (``_is_binding``), the tables hold what that decision was given, so its
    cards are taken there, before the write. A decision whose write is not found (it cannot
    happen with ``cluster.reconcile``) gets the cards of the tables after the round."""
    nodes, pods = dict(nodes), dict(pods)
    out: list[list[dict[str, Any]]] = []
    k = 0
    for change in changes:
        if k < len(decisions) and _is_binding(change, *decisions[k]):
            out.append([node_card(i, now) for i in snapshot(list(nodes.values()), _bound(pods.values()))])
            k += 1
        if change.resource == "nodes":
            if change.verb == "delete":
                nodes.pop(change.name, None)
            else:
                nodes[change.name] = change.obj
        elif change.resource == "pods":
            if change.verb == "delete":
                pods.pop((change.namespace, change.name), None)
            else:
                pods[(change.namespace, change.name)] = change.obj
    while k < len(decisions):
        out.append([node_card(i, now) for i in snapshot(list(nodes.values()), _bound(pods.values()))])
        k += 1
    return out


# -- why (not) node X? ----------------------------------------------------------------------------


def known_nodes(trace: dict[str, Any]) -> list[str]:
    """Every node the trace mentions, in the order it first does."""
    seen: dict[str, None] = {}
    for entry in trace.get("instances") or []:
        for stage in entry.get("filters") or []:
            seen.update(dict.fromkeys(stage.get("verdicts") or {}))
        seen.update(dict.fromkeys(r["host"] for r in entry.get("ranking") or []))
    seen.update(dict.fromkeys((trace.get("sampling") or {}).get("not_examined") or []))
    return list(seen)


def why_not(
    trace: dict[str, Any], node: str, *, translate: Translate = identity, nodes: Iterable[str] = ()
) -> dict[str, Any]:
    """Why ``node`` was (or was not) chosen for the traced pod.

    Steps: the node must be in the trace or in ``nodes`` (the cluster's), else ``ValueError``; the
    Filter plugin that rejected it → ``filtered`` (with its reason and numbers); never examined
    (percentageOfNodesToScore) or not in the cluster then → ``not_seen``; the selected node →
    ``chosen`` (the only feasible one, the nominated one, the best score, or drawn among ties);
    else it was scored and lost → ``lost``, with the margin and each Score plugin's part.
    """

    def say(template: str, values: dict[str, Any]) -> str:
        return render(template, values, translate)

    if node not in known_nodes(trace) and node not in set(nodes):
        raise ValueError(f"unknown node {node!r}")
    entry = (trace.get("instances") or [{}])[0]
    for stage in entry.get("filters") or []:
        verdict = (stage.get("verdicts") or {}).get(node)
        if verdict is not None and not verdict["passed"]:
            reason = str(verdict.get("reason") or verdict.get("message") or "")
            return {
                "host": node,
                "outcome": "filtered",
                "filter": stage["name"],
                "instance": 0,
                "reason": reason,
                "numbers": dict(verdict.get("numbers") or {}),
                "explanation": say(_REJECTED, {"plugin": stage["name"], "node": node, "reason": reason}),
            }
    sampling = trace.get("sampling") or {}
    if node in (sampling.get("not_examined") or []):
        found = sampling.get("num_nodes_to_find", 0)
        return {"host": node, "outcome": "not_seen", "explanation": say(_NOT_EXAMINED, {"node": node, "found": found})}
    selected = entry.get("selected")
    ranking = entry.get("ranking") or []
    scores = {r["host"]: r["weight"] for r in ranking}
    if selected and selected == node:
        return _chosen(entry, node, ranking, say)
    if selected and node in scores:
        return _lost(entry, node, selected, scores, say)
    return {"host": node, "outcome": "not_seen", "explanation": say(_NOT_SEEN, {"node": node})}


def _per_plugin(entry: dict[str, Any], node: str, winner: str | None) -> list[dict[str, Any]]:
    rows = []
    for w in entry.get("weighers") or []:
        mine = w["values"][node]
        row = {
            "name": w["name"],
            "raw": mine["raw"],
            "normalized": mine["normalized"],
            "multiplier": mine["multiplier"],
            "weighted": mine["weighted"],
        }
        if winner is not None:
            theirs = w["values"][winner]
            row.update(
                {
                    "winner_raw": theirs["raw"],
                    "winner_normalized": theirs["normalized"],
                    "winner_multiplier": theirs["multiplier"],
                    "winner_weighted": theirs["weighted"],
                    "difference": theirs["weighted"] - mine["weighted"],
                }
            )
        rows.append(row)
    return rows


def _chosen(entry: dict[str, Any], node: str, ranking: list[dict[str, Any]], say: Any) -> dict[str, Any]:
    score = next((r["weight"] for r in ranking if r["host"] == node), 0)
    others = [r for r in ranking if r["host"] != node]
    runner_up = others[0] if others else None
    out: dict[str, Any] = {
        "host": node,
        "outcome": "chosen",
        "weight": score,
        "runner_up": runner_up["host"] if runner_up else None,
        "runner_up_weight": runner_up["weight"] if runner_up else None,
        "margin": score - runner_up["weight"] if runner_up else None,
        "per_weigher": _per_plugin(entry, node, None),
    }
    tied = (entry.get("subset") or {}).get("candidates") or []
    if not ranking:
        text = say(_CHOSEN_NOMINATED, {"node": node})
    elif entry.get("weighers_skipped") or len(ranking) == 1:
        text = say(_CHOSEN_ONLY, {"node": node})
    elif len(tied) > 1:
        text = say(_CHOSEN_TIED, {"node": node, "count": len(tied), "score": score})
    else:
        values = {"node": node, "score": score, "margin": out["margin"] or 0, "runner_up": out["runner_up"] or ""}
        text = say(_CHOSEN, values)
    out["explanation"] = text
    return out


def _lost(entry: dict[str, Any], node: str, winner: str, scores: dict[str, Any], say: Any) -> dict[str, Any]:
    score, winner_score = scores[node], scores.get(winner, 0)
    margin = winner_score - score
    per_plugin = _per_plugin(entry, node, winner)
    values = {"node": node, "winner": winner, "score": score, "winner_score": winner_score, "margin": margin}
    if margin == 0:
        text = say(_TIED, values)
    else:
        text = say(_LOST, values)
        if per_plugin:
            gap = max(per_plugin, key=lambda p: p["difference"])
            if gap["difference"] > 0:
                text += " " + say(_LOST_GAP, {**values, "plugin": gap["name"], "difference": gap["difference"]})
    return {
        "host": node,
        "outcome": "lost",
        "weight": score,
        "winner": winner,
        "winner_weight": winner_score,
        "margin": margin,
        "per_weigher": per_plugin,
        "explanation": text,
    }


__all__ = ["decision_snapshots", "known_nodes", "node_card", "why_not"]
