"""The kube-scheduler's scheduling cycle for one pod, with a trace shaped like Nova's.

Read: ``pkg/scheduler/schedule_one.go`` at a v1.32-era commit (``schedulePod``,
``findNodesThatFitPod``, ``findNodesThatPassFilters``, ``numFeasibleNodesToFind``,
``prioritizeNodes``, ``selectHost`` with reservoir sampling among the top scores),
``framework/types.go FitError.Error`` (the FailedScheduling text) and
``plugins/defaultpreemption`` + ``framework/preemption`` (victims, the "preemption: …" text).
kubernetes-semantics.md §1.1–§1.6 is followed to the letter.

``Scheduler.schedule`` returns a ``Decision``: the node (or None), the FitError message and a
``trace`` whose ``instances[0]`` has the keys of the Nova scheduler's ``InstanceResult``
(engine/scheduler/schema.py): ``filters`` (one stage per Filter plugin, each node's verdict,
the nodes still feasible going in and out), ``weighers`` (one per Score plugin: raw, normalized,
weight as multiplier, weighted), ``ranking``, ``subset`` (the tied top nodes and the one drawn)
and ``selected``, so the scheduling view draws a pod's decision as it draws an instance's.
The randomness (ties) comes from an injectable ``random.Random``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NotRequired, TypedDict

from ..i18n import N_, Translate, identity, render
from ..scheduler.schema import FilterStage, RankEntry, SubsetDict, VerdictEntry, WeigherEntry
from .nodeinfo import NodeInfo, snapshot
from .objects import Node, Pod
from .plugins import (
    FILTERS,
    SCORES,
    UNRESOLVABLE,
    CycleState,
    FilterFn,
    ScorePlugin,
    Status,
    pod_request_amounts,
)
from .selectors import Selector

MIN_FEASIBLE_NODES_TO_FIND = 100
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5
NUMBER_OF_HIGHEST_SCORED_NODES_TO_REPORT = 3
NOTE_LENGTH_LIMIT = 1024
ERR_NO_NODES = "no nodes available to schedule pods"
PREEMPTION_NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"
DRIVER = "kube-scheduler"
ONE_FEASIBLE = N_("only one node is feasible: PreScore and Score are skipped")


def num_feasible_nodes_to_find(num_all_nodes: int, percentage: int = 0) -> int:
    """§1.3: all nodes below 100; else the adaptive percentage (50 − N/125, at least 5), ≥ 100."""
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND:
        return num_all_nodes
    p = percentage
    if p == 0:
        p = 50 - num_all_nodes // 125
        if p < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND:
            p = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND
    n = num_all_nodes * p // 100
    return max(n, MIN_FEASIBLE_NODES_TO_FIND)


def fit_error_message(
    num_all_nodes: int, node_reasons: dict[str, list[str]], pre_filter_msg: str = "", post_filter_msg: str = ""
) -> str:
    """``FitError.Error``: the histogram of reasons, plain-sorted, then the PostFilter message."""
    msg = f"0/{num_all_nodes} nodes are available:"
    if pre_filter_msg:
        msg += " " + pre_filter_msg + "."
    else:
        counts: dict[str, int] = {}
        for reasons in node_reasons.values():
            for r in reasons:
                counts[r] = counts.get(r, 0) + 1
        items = sorted(f"{c} {r}" for r, c in counts.items())
        if items:
            msg += " " + ", ".join(items) + "."
    if post_filter_msg:
        msg += " " + post_filter_msg
    return msg


def truncate_note(message: str) -> str:
    """Events cut their note at 1024 characters with " ..." (``NoteLengthLimit``)."""
    if len(message) <= NOTE_LENGTH_LIMIT:
        return message
    return message[: NOTE_LENGTH_LIMIT - 4] + " ..."


# -- the trace ------------------------------------------------------------------------------------


class SamplingDict(TypedDict):
    num_all_nodes: int
    num_nodes_to_find: int
    percentage_of_nodes_to_score: int
    start_index: int
    processed: int
    next_start_index: int
    not_examined: list[str]


class SkippedPlugin(TypedDict):
    name: str
    reason: str


class PodInstanceResult(TypedDict):
    """Nova's ``InstanceResult`` keys, plus the Score plugins PreScore skipped."""

    index: int
    filters: list[FilterStage]
    selected: str | None
    weighers: NotRequired[list[WeigherEntry]]
    weighers_skipped: NotRequired[str]
    ranking: NotRequired[list[RankEntry]]
    subset: NotRequired[SubsetDict]
    plugins_skipped: NotRequired[list[SkippedPlugin]]


class PodRequestDict(TypedDict):
    pod: str
    namespace: str
    requests: dict[str, int]
    non_zero_requests: dict[str, int]
    priority: int


class RemovedByDict(TypedDict):
    filter: str
    hosts: list[str]


class FitErrorDict(TypedDict):
    type: str  # "FitError" or "NoNodesAvailable"
    message: str
    reason: str
    instance_index: int
    removed_by: list[RemovedByDict]
    last_filter: str | None
    explanation: str
    node_reasons: dict[str, list[str]]
    post_filter: str


class KubeSchedulingTrace(TypedDict):
    era: str
    driver: str
    request: PodRequestDict
    instances: list[PodInstanceResult]
    selected_hosts: list[str]
    error: FitErrorDict | None
    sampling: SamplingDict
    nominated_node: NotRequired[str]
    top_nodes: NotRequired[list[RankEntry]]


@dataclass
class Decision:
    """What one scheduling cycle decided, the event it emits and the trace."""

    pod: str
    node: str | None
    message: str
    event_reason: str
    event_type: str
    trace: KubeSchedulingTrace
    nominated_node: str = ""
    victims: list[str] = field(default_factory=list)


def _verdict(status: Status, render_: Callable[[str, dict[str, Any]], str]) -> VerdictEntry:
    if status.ok:
        return {
            "passed": True,
            "reason": render_(status.message, status.numbers),
            "message": status.message,
            "numbers": {k: v for k, v in status.numbers.items()},
        }
    text = ", ".join(status.reasons)
    # Kubernetes' own words, not a template (a taint's "{key: value}" is no field: replay.reason_of
    # falls back to ``reason``); the page shows them untranslated, as the scheduler prints them
    return {"passed": False, "reason": text, "message": text, "numbers": {k: v for k, v in status.numbers.items()}}


@dataclass
class Scheduler:
    """The default profile (``default-scheduler``) with its round-robin start index and its dice."""

    rng: random.Random = field(default_factory=lambda: random.Random(0))  # noqa: S311 (ties, not secrets)
    percentage_of_nodes_to_score: int = 0
    next_start_node_index: int = 0
    filters: list[tuple[str, FilterFn]] = field(default_factory=lambda: list(FILTERS))
    scores: list[ScorePlugin] = field(default_factory=lambda: list(SCORES))

    def schedule(
        self,
        pod: Pod,
        nodes: list[Node] | list[NodeInfo],
        pods: list[Pod] = (),  # type: ignore[assignment]
        *,
        spread_selector: Selector | None = None,
        translate: Translate = identity,
    ) -> Decision:
        """Run one scheduling cycle for ``pod`` over ``nodes`` (Node objects, or a snapshot)."""
        infos: list[NodeInfo] = (
            list(nodes) if nodes and isinstance(nodes[0], NodeInfo) else snapshot(list(nodes), list(pods))  # type: ignore[arg-type]
        )
        request, non_zero = pod_request_amounts(pod)
        state = CycleState(pod, request, non_zero, infos, spread_selector)

        def rend(template: str, numbers: dict[str, Any]) -> str:
            return render(template, numbers, translate)

        n_all = len(infos)
        to_find = num_feasible_nodes_to_find(n_all, self.percentage_of_nodes_to_score)
        trace: KubeSchedulingTrace = {
            "era": "v1.32",
            "driver": DRIVER,
            "request": {
                "pod": pod.metadata.name,
                "namespace": pod.metadata.namespace,
                "requests": request,
                "non_zero_requests": non_zero,
                "priority": pod.spec.priority,
            },
            "instances": [],
            "selected_hosts": [],
            "error": None,
            "sampling": {
                "num_all_nodes": n_all,
                "num_nodes_to_find": to_find,
                "percentage_of_nodes_to_score": self.percentage_of_nodes_to_score,
                "start_index": self.next_start_node_index,
                "processed": 0,
                "next_start_index": self.next_start_node_index,
                "not_examined": [],
            },
        }
        result: PodInstanceResult = {"index": 0, "filters": [], "selected": None}
        trace["instances"].append(result)
        if n_all == 0:
            trace["error"] = self._error("NoNodesAvailable", ERR_NO_NODES, {}, [], "")
            return Decision(pod.metadata.name, None, ERR_NO_NODES, "FailedScheduling", "Warning", trace)

        # A nominated node is tried first; if it passes, it is used directly.
        nominated = pod.status.nominated_node_name
        if nominated:
            for ni in infos:
                if ni.name == nominated and all(fn(state, ni).ok for _, fn in self.filters):
                    result["filters"] = self._stages([ni], {ni.name: (None, {})}, state, rend)
                    return self._bind(pod, ni.name, result, trace)

        # Filter: from the start index, round robin, until enough feasible nodes are found.
        start = self.next_start_node_index % n_all
        order = infos[start:] + infos[:start]
        feasible: list[NodeInfo] = []
        statuses: dict[str, tuple[str | None, Status]] = {}  # node → (failing plugin, its status)
        per_node: dict[str, dict[str, Status]] = {}
        processed = 0
        for ni in order:
            if len(feasible) >= to_find:
                break
            processed += 1
            verdicts: dict[str, Status] = {}
            failed: tuple[str | None, Status] | None = None
            for name, fn in self.filters:
                st = fn(state, ni)
                verdicts[name] = st
                if not st.ok:
                    failed = (name, st)
                    break
            per_node[ni.name] = verdicts
            if failed is None:
                feasible.append(ni)
            else:
                statuses[ni.name] = failed
        self.next_start_node_index = (start + processed) % n_all
        examined = order[:processed]
        trace["sampling"]["processed"] = processed
        trace["sampling"]["next_start_index"] = self.next_start_node_index
        trace["sampling"]["not_examined"] = [ni.name for ni in order[processed:]]
        result["filters"] = self._stage_list(examined, per_node, rend)

        if not feasible:
            node_reasons = {n: st.reasons for n, (_, st) in statuses.items()}
            nominated_node, victims, post = self._preempt(pod, infos, statuses, state)
            message = fit_error_message(n_all, node_reasons, "", post)
            trace["error"] = self._error("FitError", message, node_reasons, self._removed_by(statuses), post)
            decision = Decision(pod.metadata.name, None, truncate_note(message), "FailedScheduling", "Warning", trace)
            if nominated_node:
                trace["nominated_node"] = nominated_node
                decision.nominated_node = nominated_node
                decision.victims = victims
            return decision

        if len(feasible) == 1:
            result["weighers_skipped"] = rend(ONE_FEASIBLE, {})
            result["ranking"] = [{"host": feasible[0].name, "weight": 0}]
            return self._bind(pod, feasible[0].name, result, trace)

        totals = self._score(state, feasible, result)
        ranking = sorted(feasible, key=lambda ni: -totals[ni.name])
        result["ranking"] = [{"host": ni.name, "weight": totals[ni.name]} for ni in ranking]
        trace["top_nodes"] = result["ranking"][:NUMBER_OF_HIGHEST_SCORED_NODES_TO_REPORT]
        chosen = self._select_host(feasible, totals, result)
        return self._bind(pod, chosen, result, trace)

    # -- pieces ----------------------------------------------------------------------------------

    def _stage_list(
        self,
        examined: list[NodeInfo],
        per_node: dict[str, dict[str, Status]],
        rend: Callable[[str, dict[str, Any]], str],
    ) -> list[FilterStage]:
        stages: list[FilterStage] = []
        alive = [ni.name for ni in examined]
        for name, _ in self.filters:
            verdicts: dict[str, VerdictEntry] = {}
            survivors = []
            for n in alive:
                st = per_node[n].get(name)
                if st is None:
                    continue
                verdicts[n] = _verdict(st, rend)
                if st.ok:
                    survivors.append(n)
            stages.append(
                {"name": name, "ran": True, "hosts_in": len(alive), "hosts_out": len(survivors), "verdicts": verdicts}
            )
            alive = survivors
        return stages

    def _stages(
        self,
        infos: list[NodeInfo],
        _unused: dict[str, Any],
        state: CycleState,
        rend: Callable[[str, dict[str, Any]], str],
    ) -> list[FilterStage]:
        per_node = {ni.name: {name: fn(state, ni) for name, fn in self.filters} for ni in infos}
        return self._stage_list(infos, per_node, rend)

    def _score(self, state: CycleState, feasible: list[NodeInfo], result: PodInstanceResult) -> dict[str, int]:
        totals = {ni.name: 0 for ni in feasible}
        weighers: list[WeigherEntry] = []
        skipped: list[SkippedPlugin] = []
        for plugin in self.scores:
            if not plugin.prescore(state, feasible):
                skipped.append({"name": plugin.name, "reason": "Skip"})
                continue
            raw = {ni.name: plugin.score(state, ni) for ni in feasible}
            norm = plugin.normalize(state, raw) if plugin.normalize else dict(raw)
            values = {}
            for n in raw:
                weighted = norm[n] * plugin.weight
                totals[n] += weighted
                values[n] = {"raw": raw[n], "normalized": norm[n], "multiplier": plugin.weight, "weighted": weighted}
            weighers.append({"name": plugin.name, "multiplier": plugin.weight, "minval": 0, "values": values})  # type: ignore[typeddict-item]
        result["weighers"] = weighers
        result["plugins_skipped"] = skipped
        return totals

    def _select_host(self, feasible: list[NodeInfo], totals: dict[str, int], result: PodInstanceResult) -> str:
        """Reservoir sampling over the top-scoring nodes: each is chosen with equal probability."""
        top = max(totals.values())
        tied = [ni.name for ni in feasible if totals[ni.name] == top]
        chosen = tied[0]
        for k, name in enumerate(tied[1:], start=2):
            if self.rng.randrange(k) == 0:
                chosen = name
        result["subset"] = {"host_subset_size": len(tied), "candidates": tied, "chosen": chosen}
        return chosen

    def _bind(self, pod: Pod, node: str, result: PodInstanceResult, trace: KubeSchedulingTrace) -> Decision:
        result["selected"] = node
        trace["selected_hosts"] = [node]
        message = f"Successfully assigned {pod.metadata.namespace}/{pod.metadata.name} to {node}"
        return Decision(pod.metadata.name, node, message, "Scheduled", "Normal", trace)

    @staticmethod
    def _removed_by(statuses: dict[str, tuple[str | None, Status]]) -> list[RemovedByDict]:
        by: dict[str, list[str]] = {}
        for n, (plugin, _) in statuses.items():
            by.setdefault(plugin or "", []).append(n)
        order = [name for name, _ in FILTERS]
        return [{"filter": p, "hosts": by[p]} for p in sorted(by, key=lambda p: order.index(p) if p in order else 99)]

    @staticmethod
    def _error(
        type_: str, message: str, node_reasons: dict[str, list[str]], removed: list[RemovedByDict], post: str
    ) -> FitErrorDict:
        return {
            "type": type_,
            "message": message,
            "reason": message,
            "instance_index": 0,
            "removed_by": removed,
            "last_filter": removed[-1]["filter"] if removed else None,
            "explanation": N_("a pod that fits no node stays Pending and is retried when the cluster changes"),
            "node_reasons": node_reasons,
            "post_filter": post,
        }

    # -- DefaultPreemption -----------------------------------------------------------------------

    def _preempt(
        self, pod: Pod, infos: list[NodeInfo], statuses: dict[str, tuple[str | None, Status]], state: CycleState
    ) -> tuple[str, list[str], str]:
        """PostFilter: find a node where evicting lower-priority pods lets ``pod`` fit.

        Returns (nominated node, victims, message). The message is "" when a node was found,
        else "preemption: " + a FitError over the candidates (§1.5).
        """
        reasons: dict[str, list[str]] = {}
        candidates: list[tuple[tuple[int, int, int, str], str, list[str]]] = []
        for ni in infos:
            if ni.name not in statuses:
                continue
            _, st = statuses[ni.name]
            if st.code == UNRESOLVABLE:
                reasons[ni.name] = [PREEMPTION_NOT_HELPFUL]
                continue
            lower = [p for p in ni.pods if p.spec.priority < pod.spec.priority]
            if not lower:
                reasons[ni.name] = [NO_VICTIMS]
                continue
            keep = [p for p in ni.pods if p.spec.priority >= pod.spec.priority]
            trial = NodeInfo(ni.node, allocatable=ni.allocatable)
            for p in keep:
                trial.add_pod(p)
            failing = self._first_failure(state, trial)
            if failing is not None:
                reasons[ni.name] = failing.reasons
                continue
            # reprieve: put victims back, highest priority first, while the pod still fits
            kept = list(keep)
            victims = []
            for p in sorted(lower, key=lambda p: -p.spec.priority):
                again = NodeInfo(ni.node, allocatable=ni.allocatable)
                for q in [*kept, p]:
                    again.add_pod(q)
                if self._first_failure(state, again) is None:
                    kept.append(p)
                else:
                    victims.append(p)
            key = (max(v.spec.priority for v in victims), sum(v.spec.priority for v in victims), len(victims), ni.name)
            candidates.append((key, ni.name, [v.metadata.name for v in victims]))
        if candidates:
            candidates.sort()
            _, node, victims_names = candidates[0]
            return node, victims_names, ""
        return "", [], "preemption: " + fit_error_message(len(infos), reasons)

    def _first_failure(self, state: CycleState, ni: NodeInfo) -> Status | None:
        state.data.pop("placed", None)
        for key in [k for k in state.data if k in ("placed", "anti_guards") or isinstance(k, tuple)]:
            del state.data[key]
        for _, fn in self.filters:
            st = fn(state, ni)
            if not st.ok:
                return st
        return None
