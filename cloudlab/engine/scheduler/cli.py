"""``python -m cloudlab.engine.scheduler FILE [--json] [--request N] [--era ERA] [--verbose]``.

Loads a scenario, schedules its requests in order and prints each trace as a readable table (or
the JSON trace). Exit status: 0 every printed request was placed, 1 NoValidHost, 2 the file is
invalid (its problems on stderr). A valid scenario's warnings (an over-committed host…) go to
stderr too, so stdout stays the trace alone.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import yaml

from ..i18n import fmt_number
from ..resources import ERAS
from .runner import run_scenario
from .scenario import Scenario, ScenarioError, load_scenario_file, parse_scenario
from .schema import SchedulingTrace, WeigherValue

EXIT_PLACED, EXIT_NO_VALID_HOST, EXIT_INVALID = 0, 1, 2


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    parser = argparse.ArgumentParser(
        prog="python -m cloudlab.engine.scheduler",
        description="Schedule a scenario's requests the way Nova would and explain every decision.",
    )
    parser.add_argument("file", type=Path, help="scenario file (YAML or JSON)")
    parser.add_argument("--json", action="store_true", help="print the JSON trace")
    parser.add_argument("--request", type=int, metavar="N", help="only request N (0-based), after the earlier ones")
    parser.add_argument("--era", choices=ERAS, help="override the scenario's era (its defaults apply)")
    parser.add_argument("--verbose", "-v", action="store_true", help="also show the hosts that passed each filter")
    args = parser.parse_args(argv)

    try:
        scenario = _load(args.file, args.era)
    except ScenarioError as exc:
        print(f"{args.file}: invalid scenario ({len(exc.problems)} problems)", file=err)
        for problem in exc.problems:
            print(f"  {problem}", file=err)
        return EXIT_INVALID
    for warning in scenario.warnings:
        print(f"{args.file}: warning: {warning}", file=err)
    if not scenario.requests:
        print(f"{args.file}: the scenario has no requests to schedule", file=err)
        return EXIT_INVALID
    if args.request is not None and not 0 <= args.request < len(scenario.requests):
        print(f"--request {args.request}: the scenario has requests 0 to {len(scenario.requests) - 1}", file=err)
        return EXIT_INVALID

    traces = run_scenario(scenario, only=args.request)
    if args.json:
        payload: Any = traces[0] if args.request is not None else traces
        json.dump(payload, out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        for trace in traces:
            out.write(format_trace(trace, scenario, verbose=args.verbose))
    return EXIT_NO_VALID_HOST if any(t["error"] for t in traces) else EXIT_PLACED


def _load(path: Path, era: str | None) -> Scenario:
    if era is None:
        return load_scenario_file(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return load_scenario_file(path)  # reports the read or syntax problem
    if isinstance(data, dict):
        scheduler = data.get("scheduler") or {}
        if isinstance(scheduler, dict):
            data["scheduler"] = {**scheduler, "era": era}
    return parse_scenario(data)


def _num(value: Any) -> str:
    return str(fmt_number(value))


def _weighed(val: WeigherValue) -> str:
    """``raw → normalised × multiplier``; a raw value the weigher clamped shows what it counted as:
    ``-1024 (clamped to 0) → 0 × 1``."""
    raw = _num(val["raw"])
    clamped = val.get("clamped", val["raw"])
    if clamped != val["raw"]:
        raw += f" (clamped to {_num(clamped)})"
    return f"{raw} → {_num(val['normalized'])} × {_num(val['multiplier'])}"


def format_trace(trace: SchedulingTrace, scenario: Scenario, *, verbose: bool = False) -> str:
    """The trace as a table a student can read in a terminal."""
    lines: list[str] = []
    req = trace["request"]
    flavor = req["flavor"]
    image = req["image"]["name"] if req["image"] else "(boot from volume)"
    lines.append(f"Scenario {scenario.name}: era {trace['era']}, driver {trace['driver']}")
    lines.append(
        f"Request {trace.get('request_index', 0)}: {req['num_instances']} × {flavor['name']} "
        f"({flavor['vcpus']} vCPU, {flavor['memory_mb']} MB RAM, {flavor['root_gb']} GB disk), image {image}"
        + (f", zone {req['availability_zone']}" if req["availability_zone"] else "")
    )
    for inst in trace["instances"]:
        lines.append("")
        lines.append(f"Instance {inst['index'] + 1}")
        if inst["filters"]:
            width = max(len(f["name"]) for f in inst["filters"]) + 2
            lines.append(f"  {'Filter':<{width}}  hosts in → out")
            for f in inst["filters"]:
                if not f["ran"]:
                    lines.append(f"  {f['name']:<{width}}  (not run: {f['why_not']})")
                    continue
                lines.append(f"  {f['name']:<{width}}  {f['hosts_in']:>5} → {f['hosts_out']}")
                for host, v in f["verdicts"].items():
                    if verbose or not v["passed"]:
                        mark = "✓" if v["passed"] else "✗"
                        lines.append(f"      {mark} {host}: {v['reason']}")
        if inst.get("weighers"):
            lines.append("")
            lines.append("  Weighers (ranking shows raw → normalised × multiplier)")
            for w in inst["weighers"]:
                minval = "" if w["minval"] is None else f", minval {_num(w['minval'])}"
                lines.append(f"    {w['name']}: multiplier {_num(w['multiplier'])}{minval}")
        if inst.get("weighers_skipped"):
            lines.append(f"  Weighers not run: {inst['weighers_skipped']}")
        ranking = inst.get("ranking") or []
        if ranking:
            lines.append("")
            lines.append("  Ranking")
            shown = ranking if verbose or len(ranking) <= 10 else ranking[:10]
            for pos, r in enumerate(shown, 1):
                detail = ""
                for w in inst.get("weighers", []):
                    val = w["values"][r["host"]]
                    detail += f"  {w['name']}: {_weighed(val)}"
                lines.append(f"    {pos:>2}. {r['host']:<12} {_num(r['weight']):>10}{detail}")
            if len(shown) < len(ranking):
                lines.append(f"    … {len(ranking) - len(shown)} more")
        subset = inst.get("subset")
        if subset and subset["host_subset_size"] > 1:
            lines.append(
                f"  host_subset_size {subset['host_subset_size']}: chose {subset['chosen']} "
                f"at random among {', '.join(subset['candidates'])}"
            )
        for claim in inst.get("claims", []):
            mark = "✓" if claim["passed"] else "✗"
            lines.append(f"  claim {mark} {claim['host']}: {claim['reason']}")
        if inst.get("selected"):
            limits = inst.get("limits")
            extra = ""
            if limits:
                extra = " (limits for the claim: " + ", ".join(f"{k} {_num(v)}" for k, v in limits.items()) + ")"
            lines.append(f"  Selected: {inst['selected']}{extra}")
    lines.append("")
    error = trace["error"]
    if error:
        lines.append(f"Result: {error['type']}: {error['message']}")
        if error.get("explanation"):
            lines.append(f"  Why: {error['explanation']}")
    else:
        lines.append(f"Result: placed on {', '.join(trace['selected_hosts'])}")
    lines.append("")
    return "\n".join(lines) + "\n"
