"""Reading a stored trace back: the stages a replay steps through, and "why not host X?".

Both work on the trace alone (scenario-format.md, "The trace"), so a decision stored years ago
replays and explains itself without the cloud it was made in. Sentences are English templates
marked with ``N_`` and rendered in the reader's language (``translate``), as the filters' are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..i18n import N_, Translate, identity
from .config import DEFAULT_DRIVER
from .schema import (
    ClaimEntry,
    ClaimSummary,
    InstanceResult,
    NoValidHostReplayStage,
    RankEntry,
    ReplayStage,
    SchedulingError,
    SchedulingTrace,
    SelectedReplayStage,
    VerdictEntry,
)
from .trace import Renderer

#: The name why_not and compare give a host whose Placement-era claim failed after weighing.
CLAIM_STAGE = "Placement claim"


# -- replay -------------------------------------------------------------------------------------


def replay_stages(trace: SchedulingTrace) -> list[ReplayStage]:
    """The ordered stages of a decision, in the order the live funnel shows them.

    For each instance of the request, in turn:

    1. one ``filter`` stage per filter (or ``Placement`` / historic-driver stage) that ran, with
       ``hosts_in`` → ``hosts_out``, the hosts it ``removed`` and those ``remaining``, in the
       trace's host order; stages that did not run (no host left, run-once) are skipped;
    2. a ``weighing`` stage with the ranking (each host's total and per-weigher weighted value),
       unless no weigher ran (one host left, chance and simple drivers);
    3. ``selected`` with the host (and, placement era, the claim walk; with a ``host_subset_size``
       above 1, the random subset), or ``no_valid_host`` right after the stage that emptied the
       list. A request refused before scheduling (MaxRetriesExceeded) is a single
       ``no_valid_host`` stage.

    Every stage carries ``index`` (its position in the list) and ``instance``.
    """
    stages: list[ReplayStage] = []
    error = trace.get("error")
    failed_shown = False
    for entry in trace.get("instances") or []:
        i = int(entry["index"])
        for stage in entry.get("filters") or []:
            if not stage.get("ran", True):
                continue
            verdicts = stage.get("verdicts") or {}
            stages.append(
                {
                    "index": len(stages),
                    "kind": "filter",
                    "instance": i,
                    "name": stage["name"],
                    "hosts_in": stage["hosts_in"],
                    "hosts_out": stage["hosts_out"],
                    "removed": [h for h, v in verdicts.items() if not v["passed"]],
                    "remaining": [h for h, v in verdicts.items() if v["passed"]],
                }
            )
        weighers = entry.get("weighers") or []
        if weighers:
            stages.append(
                {
                    "index": len(stages),
                    "kind": "weighing",
                    "instance": i,
                    "weighers": [w["name"] for w in weighers],
                    "hosts": [
                        {
                            "host": r["host"],
                            "weight": r["weight"],
                            "per_weigher": {w["name"]: w["values"][r["host"]]["weighted"] for w in weighers},
                        }
                        for r in entry.get("ranking") or []
                    ],
                }
            )
        selected = entry.get("selected")
        if selected:
            chosen: SelectedReplayStage = {
                "index": len(stages),
                "kind": "selected",
                "instance": i,
                "host": selected,
                "weight": _weight_of(entry, selected),
            }
            if entry.get("claims"):
                chosen["claims"] = _claim_summaries(entry.get("claims") or [])
            subset = entry.get("subset")
            if subset and subset.get("host_subset_size", 1) > 1:
                chosen["subset"] = subset
            stages.append(chosen)
        elif error is not None:
            stages.append(_failure(len(stages), i, error, entry))
            failed_shown = True
    if error is not None and not failed_shown:
        stages.append(_failure(len(stages), int(error.get("instance_index") or 0), error, None))
    return stages


def _claim_summaries(claims: list[ClaimEntry]) -> list[ClaimSummary]:
    return [{"host": c["host"], "passed": c["passed"], "reason": c["reason"]} for c in claims]


def _failure(index: int, instance: int, error: SchedulingError, entry: InstanceResult | None) -> NoValidHostReplayStage:
    out: NoValidHostReplayStage = {
        "index": index,
        "kind": "no_valid_host",
        "instance": instance,
        "error_type": error.get("type", "NoValidHost"),
        "message": error.get("message", ""),
        "last_filter": error.get("last_filter"),
        "explanation": error.get("explanation") or error.get("reason") or "",
    }
    if entry is not None and entry.get("claims"):
        out["claims"] = _claim_summaries(entry.get("claims") or [])
    return out


def _weight_of(entry: InstanceResult, host: str) -> float | None:
    for r in entry.get("ranking") or []:
        if r["host"] == host:
            return float(r["weight"])
    return None


# -- why not host X? ----------------------------------------------------------------------------

_FILTERED = N_("{filter} removed {host}: {reason}")
_FILTERED_EARLIER = N_("{filter} removed {host} while placing instance {instance}: {reason}")
_LOST = N_("{host} passed every filter but weighed {weight}, {margin} less than {winner} ({winner_weight}).")
_LOST_GAP = N_("The largest gap was {weigher}: {difference} in {winner}'s favour.")
_TIED = N_(
    "{host} passed every filter and tied with {winner} at {weight}; on a tie the ranking keeps the host listed first."
)
_SUBSET = N_(
    "{host} was among the {size} best hosts (host_subset_size = {size}) and the scheduler drew {winner} at random."
)
_CHANCE_LOST = N_("{host} was up, but chance_scheduler picked {winner} at random.")
_SIMPLE_LOST = N_(
    "simple_scheduler takes the least loaded host: {winner} had {winner_cores} cores in use, {host} {cores}."
)
_CHOSEN_ONLY = N_("{host} was the only host left after the filters, so no weigher ran.")
_CHOSEN = N_("{host} passed every filter and weighed the most: {weight}, {margin} ahead of {runner_up}.")
_CHOSEN_SUBSET = N_("{host} was drawn at random among the {size} best hosts (host_subset_size = {size}).")
_CHOSEN_CLAIM = N_("{host} was the best-weighed host whose Placement claim fitted.")
_CHOSEN_CHANCE = N_("chance_scheduler picked {host} at random among the hosts that are up.")
_CHOSEN_SIMPLE = N_("{host} was the least loaded host that is up and enabled ({cores} cores in use).")
_NOT_SEEN = N_("The scheduler never looked at {host}: it was not among the hosts of this decision.")
_NOT_REACHED = N_("The scheduler stopped before it looked at {host}: {message}")


def known_hosts(trace: SchedulingTrace) -> list[str]:
    """Every host the trace mentions, in the order it first mentions them."""
    seen: dict[str, None] = {}
    for entry in trace.get("instances") or []:
        for stage in entry.get("filters") or []:
            seen.update(dict.fromkeys(stage.get("verdicts") or {}))
        seen.update(dict.fromkeys(r["host"] for r in entry.get("ranking") or []))
        seen.update(dict.fromkeys(c["host"] for c in entry.get("claims") or []))
    return list(seen)


def why_not(
    trace: SchedulingTrace,
    host: str,
    *,
    instance: int = 0,
    translate: Translate = identity,
    hosts: Iterable[str] = (),
) -> dict[str, Any]:
    """Why ``host`` was (or was not) chosen for instance ``instance`` of the traced request.

    Steps: the host must appear in the trace (or in ``hosts``, the cloud's host names, for a
    host the decision never saw), else ``ValueError``; the first stage that removed it, looking
    at this instance and the earlier ones (their survivors are where this instance starts) →
    ``filtered``; a failed Placement claim → ``filtered`` by ``Placement claim``; the selected
    host → ``chosen``; a host in the ranking → ``lost``, with the margin and each weigher's part;
    anything else → ``not_seen``.
    """
    render = Renderer(translate)
    names = known_hosts(trace)
    if host not in names and host not in set(hosts):
        raise ValueError(f"unknown host {host!r}")
    entries = list(trace.get("instances") or [])
    num = int((trace.get("request") or {}).get("num_instances") or max(len(entries), 1))
    if not 0 <= instance < num:
        raise ValueError(f"instance {instance} is not in this request (it has {num})")

    # Each filter_scheduler instance starts from the previous one's survivors; the historic
    # drivers look at every host again for each instance.
    cumulative = trace.get("driver", DEFAULT_DRIVER) != "simple_scheduler"
    for earlier in entries:
        i = int(earlier["index"])
        if i > instance:
            break
        if i < instance and not cumulative:
            continue
        for stage in earlier.get("filters") or []:
            verdict = (stage.get("verdicts") or {}).get(host)
            if verdict is not None and not verdict["passed"]:
                return _filtered(host, stage["name"], verdict, i, instance, render)

    entry = next((e for e in entries if int(e["index"]) == instance), None)
    error = trace.get("error")
    if entry is None:
        message = error.get("message", "") if error else ""
        return {
            "host": host,
            "outcome": "not_seen",
            "explanation": render(_NOT_REACHED, {"host": host, "message": message}),
        }
    for claim in entry.get("claims") or []:
        if claim["host"] == host and not claim["passed"]:
            return _filtered(host, CLAIM_STAGE, claim, instance, instance, render)

    selected = entry.get("selected")
    ranking = entry.get("ranking") or []
    ranked = {r["host"]: float(r["weight"]) for r in ranking}
    if selected == host:
        return _chosen(trace, entry, host, ranking, render)
    if selected and host in ranked:
        return _lost(trace, entry, host, selected, ranked, render)
    if selected is None and error is not None and host in ranked:
        message = error.get("message", "")
        return {
            "host": host,
            "outcome": "not_seen",
            "explanation": render(_NOT_REACHED, {"host": host, "message": message}),
        }
    return {"host": host, "outcome": "not_seen", "explanation": render(_NOT_SEEN, {"host": host})}


def reason_of(verdict: VerdictEntry | ClaimEntry, render: Renderer) -> str:
    """A verdict's sentence in ``render``'s language (its stored ``reason`` if it has no template)."""
    message = verdict.get("message")
    if message:
        try:
            return render(message, dict(verdict.get("numbers") or {}))
        except (KeyError, IndexError, ValueError):
            pass
    return str(verdict.get("reason", ""))


def _filtered(
    host: str, stage: str, verdict: VerdictEntry | ClaimEntry, at: int, asked: int, render: Renderer
) -> dict[str, Any]:
    reason = reason_of(verdict, render)
    values = {"filter": stage, "host": host, "reason": reason, "instance": at + 1}  # sentences count from 1
    return {
        "host": host,
        "outcome": "filtered",
        "filter": stage,
        "instance": at,
        "reason": reason,
        "numbers": dict(verdict.get("numbers") or {}),
        "explanation": render(_FILTERED if at == asked else _FILTERED_EARLIER, values),
    }


def _chosen(
    trace: SchedulingTrace,
    entry: InstanceResult,
    host: str,
    ranking: list[RankEntry],
    render: Renderer,
) -> dict[str, Any]:
    weight = next(float(r["weight"]) for r in ranking if r["host"] == host) if ranking else 0.0
    others = [r for r in ranking if r["host"] != host]
    runner_up = others[0] if others else None
    out: dict[str, Any] = {
        "host": host,
        "outcome": "chosen",
        "weight": weight,
        "runner_up": runner_up["host"] if runner_up else None,
        "runner_up_weight": float(runner_up["weight"]) if runner_up else None,
        "margin": weight - float(runner_up["weight"]) if runner_up else None,
    }
    driver = trace.get("driver", DEFAULT_DRIVER)
    subset = entry.get("subset")
    subset_size = subset.get("host_subset_size", 1) if subset else 1
    failed_claims = [c for c in entry.get("claims") or [] if not c["passed"]]
    if driver == "chance_scheduler":
        text = render(_CHOSEN_CHANCE, {"host": host})
    elif driver == "simple_scheduler":
        text = render(_CHOSEN_SIMPLE, {"host": host, "cores": weight})
    elif not entry.get("weighers"):
        text = render(_CHOSEN_ONLY, {"host": host})
    elif subset_size > 1:
        text = render(_CHOSEN_SUBSET, {"host": host, "size": subset_size})
    elif failed_claims:
        text = render(_CHOSEN_CLAIM, {"host": host})
    else:
        text = render(
            _CHOSEN,
            {"host": host, "weight": weight, "margin": out["margin"] or 0.0, "runner_up": out["runner_up"] or ""},
        )
    out["explanation"] = text
    return out


def _lost(
    trace: SchedulingTrace,
    entry: InstanceResult,
    host: str,
    winner: str,
    ranked: Mapping[str, float],
    render: Renderer,
) -> dict[str, Any]:
    weight = ranked[host]
    winner_weight = ranked.get(winner, 0.0)
    driver = trace.get("driver", DEFAULT_DRIVER)
    # simple_scheduler ranks by cores in use, fewest first: the margin is how far it was behind.
    margin = weight - winner_weight if driver == "simple_scheduler" else winner_weight - weight
    per_weigher: list[dict[str, Any]] = []
    for w in entry.get("weighers") or []:
        mine = w["values"][host]
        theirs = w["values"][winner]
        per_weigher.append(
            {
                "name": w["name"],
                "raw": mine["raw"],
                "clamped": mine.get("clamped", mine["raw"]),
                "normalized": mine["normalized"],
                "multiplier": mine["multiplier"],
                "weighted": mine["weighted"],
                "winner_raw": theirs["raw"],
                "winner_clamped": theirs.get("clamped", theirs["raw"]),
                "winner_normalized": theirs["normalized"],
                "winner_multiplier": theirs["multiplier"],
                "winner_weighted": theirs["weighted"],
                "difference": theirs["weighted"] - mine["weighted"],
            }
        )
    values: dict[str, Any] = {
        "host": host,
        "winner": winner,
        "weight": weight,
        "winner_weight": winner_weight,
        "margin": margin,
    }
    subset = entry.get("subset")
    subset_size = subset.get("host_subset_size", 1) if subset else 1
    candidates = subset.get("candidates", []) if subset else []
    if driver == "chance_scheduler":
        text = render(_CHANCE_LOST, values)
    elif driver == "simple_scheduler":
        text = render(_SIMPLE_LOST, {**values, "cores": weight, "winner_cores": winner_weight})
    elif subset_size > 1 and host in candidates:
        text = render(_SUBSET, {**values, "size": subset_size})
    elif margin == 0:
        text = render(_TIED, values)
    else:
        text = render(_LOST, values)
        if per_weigher:
            gap = max(per_weigher, key=lambda p: p["difference"])
            text += " " + render(_LOST_GAP, {**values, "weigher": gap["name"], "difference": gap["difference"]})
    return {
        "host": host,
        "outcome": "lost",
        "weight": weight,
        "winner": winner,
        "winner_weight": winner_weight,
        "margin": margin,
        "per_weigher": per_weigher,
        "explanation": text,
    }
