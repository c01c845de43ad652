"""The command line prints a scenario's warnings on stderr and keeps stdout the trace alone."""

from __future__ import annotations

import io
import json
from pathlib import Path

from cloudlab.engine.scheduler.cli import main

TIGHT = """\
name: tight
hosts:
  - {name: compute1, vcpus: 8, memory_mb: 16384, local_gb: 200}
  - {name: compute2, vcpus: 8, memory_mb: 8192, local_gb: 200, ram_allocation_ratio: 1.0,
     instances: [{flavor: m1.large}, {flavor: m1.medium}]}
requests:
  - {flavor: m1.small}
"""
WARNING = (
    ": warning: compute2: memory_mb used 12800 MB > limit 8192 MB (8192 × ratio 1.0; used includes 512 MB "
    "reserved) — over-committed; Nova keeps such hosts and its filters skip them\n"
)


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_the_warnings_go_to_stderr_and_the_table_is_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "tight.yaml"
    path.write_text(TIGHT)
    code, out, err = run(str(path))
    assert code == 0
    assert err == f"{path}{WARNING}"
    assert "warning" not in out
    assert "✗ compute2: usable RAM = 8192 × 1 − 12800 = -4608 MB, below zero: the host is over-committed" in out
    assert "Result: placed on compute1" in out


def test_the_json_on_stdout_stays_parseable(tmp_path: Path) -> None:
    path = tmp_path / "tight.yaml"
    path.write_text(TIGHT)
    code, out, err = run(str(path), "--json")
    assert code == 0 and err == f"{path}{WARNING}"
    assert json.loads(out)[0]["selected_hosts"] == ["compute1"]


def test_the_placement_era_warns_by_its_own_rule(tmp_path: Path) -> None:
    path = tmp_path / "tight.yaml"
    path.write_text(TIGHT)
    _, _, err = run(str(path), "--era", "placement")
    assert err == (
        f"{path}: warning: compute2: memory_mb used 12288 MB > limit 7680 MB ((8192 − reserved 512) × ratio 1.0) "
        "— over-committed; Nova keeps such hosts and Placement skips them\n"
    )


def test_a_scenario_within_its_limits_prints_nothing_on_stderr(tmp_path: Path) -> None:
    path = tmp_path / "roomy.yaml"
    path.write_text(TIGHT.replace("ram_allocation_ratio: 1.0", "ram_allocation_ratio: 2.0"))
    code, _, err = run(str(path))
    assert (code, err) == (0, "")
