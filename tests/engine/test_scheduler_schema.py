"""The declared trace schema: every trace the engine writes has it, and the validator names what differs."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from sched_helpers import aggregate, config, host, request

from cloudlab.engine.scheduler import (
    SchedulerConfig,
    SchedulingTrace,
    ServerGroup,
    load_scenario_file,
    replay_stages,
    run_scenario,
    schedule,
    validate_replay_stages,
    validate_trace,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "cloudlab" / "engine" / "scheduler" / "examples"


def _decisions() -> dict[str, SchedulingTrace]:
    """One decision of every shape the engine makes: each driver, era and way to fail."""
    full = host("full", memory_mb=1024, reserved_host_memory_mb=512)
    az = aggregate("az1", "az1", ram_weight_multiplier="2.0")
    hosts = [host("h1"), host("h2", num_io_ops=2, aggregates=(az,)), full]
    group = ServerGroup("g", "soft-anti-affinity", uuid="6d2d1c7e-0000-4000-8000-000000000099")
    out = {
        "classic placed": schedule(hosts, request(), config()),
        "classic two instances, subset": schedule(hosts, request(num_instances=2), config(host_subset_size=2)),
        "classic no valid host": schedule([full], request("m1.large"), config()),
        "classic out of attempts": schedule(hosts, request(), config(max_attempts=1), retry_hosts=["h1"]),
        "placement placed": schedule(hosts, request(group=group), config("placement")),
        "placement no valid host": schedule([full], request("m1.large"), config("placement")),
        "placement zone request filter": schedule(hosts, request(availability_zone="az1"), config("placement")),
        "placement zone without hosts": schedule(
            hosts, request(availability_zone="az9"), config("placement"), aggregates=[aggregate("x", "az9")]
        ),
        "over-committed host weighed": schedule(
            [host("h1"), host("over", memory_mb=2048, memory_mb_used=4096)], request(), config(enabled_filters=[])
        ),
        "one host left": schedule([host("h1"), full], request("m1.large"), config()),
        "chance": schedule(hosts, request(num_instances=2), SchedulerConfig(driver="chance_scheduler")),
        "chance, nothing up": schedule([host("h1", up=False)], request(), SchedulerConfig(driver="chance_scheduler")),
        "simple": schedule(hosts, request(availability_zone="az1"), SchedulerConfig(driver="simple_scheduler")),
        "simple, too many cores": schedule(
            hosts, request("m1.xlarge"), SchedulerConfig(driver="simple_scheduler", max_cores=4)
        ),
    }
    for path in sorted(EXAMPLES.glob("*.yaml")):
        for k, trace in enumerate(run_scenario(load_scenario_file(path))):
            out[f"{path.name} request {k}"] = trace
    return out


DECISIONS = _decisions()


@pytest.mark.parametrize("name", DECISIONS)
def test_every_trace_the_engine_writes_has_the_declared_shape(name: str) -> None:
    stored = json.loads(json.dumps(DECISIONS[name]))
    assert validate_trace(stored) == []


@pytest.mark.parametrize("name", DECISIONS)
def test_every_replay_has_the_declared_shape(name: str) -> None:
    stages = json.loads(json.dumps(replay_stages(DECISIONS[name])))
    assert stages
    assert validate_replay_stages(stages) == []


def test_the_decisions_cover_every_optional_part_of_a_trace() -> None:
    seen: set[str] = set()
    for trace in DECISIONS.values():
        seen.update(k for k in trace if k in ("alternates", "request_index"))
        if trace["error"]:
            seen.update(k for k in trace["error"] if k in ("removed_by", "last_filter", "explanation"))
            seen.add(trace["error"]["type"])
        for entry in trace["instances"]:
            seen.update(entry)
    assert {"alternates", "request_index", "removed_by", "MaxRetriesExceeded", "NoValidHost"} <= seen
    assert {"weighers", "weighers_skipped", "subset", "claims", "limits", "instance_uuid"} <= seen


def _trace() -> dict[str, Any]:
    return copy.deepcopy(json.loads(json.dumps(DECISIONS["classic placed"])))


def test_a_missing_key_is_named_by_its_path() -> None:
    trace = _trace()
    del trace["retry"]
    del trace["instances"][0]["filters"][1]["hosts_out"]
    assert validate_trace(trace) == ["retry: missing", "instances[0].filters[1].hosts_out: missing"]


def test_a_wrong_type_is_named_by_its_path() -> None:
    trace = _trace()
    trace["instances"][0]["filters"][0]["verdicts"]["h1"]["passed"] = "yes"
    trace["instances"][0]["ranking"][0]["weight"] = "heavy"
    assert validate_trace(trace) == [
        "instances[0].filters[0].verdicts.h1.passed: must be a boolean, not 'yes'",
        "instances[0].ranking[0].weight: must be a number, not 'heavy'",
    ]


def test_a_boolean_is_not_a_count() -> None:
    trace = _trace()
    trace["instances"][0]["filters"][0]["hosts_in"] = True
    assert validate_trace(trace) == ["instances[0].filters[0].hosts_in: must be an integer, not True"]


def test_a_key_the_schema_does_not_declare_is_a_problem() -> None:
    trace = _trace()
    trace["instances"][0]["colour"] = "red"
    assert validate_trace(trace) == ["instances[0].colour: unknown key"]


def test_an_error_of_an_unknown_type_names_the_type() -> None:
    trace = _trace()
    trace["error"] = {"type": "Oops", "message": "m", "reason": "r", "instance_index": 0}
    assert validate_trace(trace) == ["error.type: must be one of 'NoValidHost', 'MaxRetriesExceeded', not 'Oops'"]


def test_a_trace_that_is_not_a_mapping_is_one_problem() -> None:
    assert validate_trace([]) == ["(top): must be a mapping, not a list"]
    assert validate_trace({"instances": "none"})[0] == "era: missing"


def test_a_broken_replay_stage_is_named_by_its_path() -> None:
    stages = json.loads(json.dumps(replay_stages(DECISIONS["classic placed"])))
    stages[0]["removed"] = "h1"
    assert validate_replay_stages(stages) == ["[0].removed: must be a list, not 'h1'"]


def test_a_weigher_value_may_lack_the_clamped_value_of_newer_traces_but_not_hold_a_wrong_one() -> None:
    trace = _trace()
    values = trace["instances"][0]["weighers"][0]["values"]
    del values["h1"]["clamped"]  # a trace stored before the engine clamped
    assert validate_trace(trace) == []
    values["h2"]["clamped"] = "zero"
    assert validate_trace(trace) == ["instances[0].weighers[0].values.h2.clamped: must be a number, not 'zero'"]
