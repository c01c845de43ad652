"""``python -m cloudlab.engine.scheduler``: the table, the JSON and the exit codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from cloudlab.engine.scheduler.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "cloudlab" / "engine" / "scheduler" / "examples"


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_a_placed_request_exits_0_with_a_readable_table() -> None:
    code, out, _ = run(str(EXAMPLES / "ram-filter.yaml"))
    assert code == 0
    assert "✗ compute2: usable RAM = 4096 × 1.5 − 4608 = 1536 MB < 2048 MB requested" in out
    assert "Result: placed on compute1" in out


def test_json_output_is_the_trace() -> None:
    code, out, _ = run(str(EXAMPLES / "weighers.yaml"), "--json", "--request", "0")
    assert code == 0
    trace = json.loads(out)
    assert [r["host"] for r in trace["instances"][0]["ranking"]] == ["hA", "hC", "hB"]


def test_the_era_can_be_overridden() -> None:
    code, out, _ = run(str(EXAMPLES / "ram-filter.yaml"), "--era", "placement")
    assert code == 0
    assert "era placement" in out
    assert "Placement" in out


def test_no_valid_host_exits_1(tmp_path: Path) -> None:
    f = tmp_path / "full.yaml"
    f.write_text("hosts: [{name: c1, vcpus: 1, memory_mb: 1024, local_gb: 10}]\nrequests: [{flavor: m1.large}]\n")
    code, out, _ = run(str(f))
    assert code == 1
    assert "NoValidHost: No valid host was found. There are not enough hosts available." in out


def test_an_invalid_file_exits_2_with_the_problems_on_stderr(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("hosts: [{name: c1, vcpus: 0, memory_mb: 1024, local_gb: 10}]\nrequests: [{flavor: m1.hug}]\n")
    code, out, err = run(str(f))
    assert code == 2
    assert out == ""
    assert "hosts[0].vcpus: must be a positive integer" in err
    assert "requests[0].flavor: unknown flavor 'm1.hug'" in err


def test_a_request_number_out_of_range_exits_2() -> None:
    code, _, err = run(str(EXAMPLES / "ram-filter.yaml"), "--request", "5")
    assert code == 2
    assert "requests 0 to 0" in err


def test_the_module_runs_as_a_program() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "cloudlab.engine.scheduler", str(EXAMPLES / "weighers.yaml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0
    assert "Result: placed on hA" in proc.stdout


def test_the_eras_example_places_in_classic_and_fails_in_placement() -> None:
    assert run(str(EXAMPLES / "eras.yaml"))[0] == 0
    code, out, _ = run(str(EXAMPLES / "eras.yaml"), "--era", "placement")
    assert code == 1
    assert "MEMORY_MB: 9728 used + 2048 requested > (8192 − 512) × 1.5 = 11520 MB" in out


def test_a_clamped_weigher_value_shows_what_it_counted_as(tmp_path: Path) -> None:
    f = tmp_path / "over.yaml"
    f.write_text(
        "scheduler: {enabled_filters: [], weight_classes: [RAMWeigher]}\n"
        "hosts:\n"
        "  - {name: roomy, vcpus: 4, memory_mb: 8192, local_gb: 40}\n"
        "  - {name: over, vcpus: 4, memory_mb: 8192, local_gb: 40, usage: {memory_mb_used: 9216}}\n"
        "requests: [{flavor: m1.tiny}]\n"
    )
    code, out, _ = run(str(f))
    assert code == 0
    assert "RAMWeigher: multiplier 1, minval 0" in out
    assert "RAMWeigher: -1024 (clamped to 0) → 0 × 1" in out
    assert "RAMWeigher: 7680 → 1 × 1" in out
