"""A request that names a destination (RequestSpec.requested_destination: a live migration or an
evacuation to a chosen host, not forced): the filter scheduler considers only that host and the
filters still run on it.

From nova/tests/unit/scheduler/test_host_manager.py ``test_get_filtered_hosts_with_requested_destination``
(only the named host reaches the filters) and ``…_with_wrong_requested_destination`` (a name no
host has: none does), and nova/scheduler/utils.py ``resources_from_request_spec`` (Placement is
asked in_tree that host, so the placement era sees the same).
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from sched_helpers import config, host, request

from cloudlab.engine.resources import Era
from cloudlab.engine.scheduler import Moment, moment_from_dict, moment_to_dict, rerun, schedule, validate_trace

STAGE = "requested_destination"


def _hosts(era: Era) -> list:  # type: ignore[type-arg]
    return [host("compute1", era=era), host("compute2", era=era, memory_mb=16384), host("compute3", era=era)]


@pytest.mark.parametrize("era", ["classic", "placement"])
def test_only_the_requested_host_reaches_the_filters(era: Era) -> None:
    # compute2 has the most free RAM (the weighers would pick it): the request names compute3.
    trace = schedule(_hosts(era), replace(request(), requested_destination="compute3"), config(era))
    assert trace["selected_hosts"] == ["compute3"]
    first = trace["instances"][0]["filters"][0]
    assert (first["name"], first["hosts_in"], first["hosts_out"]) == (STAGE, 3, 1)
    assert first["verdicts"]["compute2"]["reason"] == "not the requested destination compute3"
    assert first["verdicts"]["compute3"]["passed"] is True
    later = trace["instances"][0]["filters"][1:]
    assert later and all(set(stage["verdicts"]) <= {"compute3"} for stage in later)
    assert trace["request"]["requested_destination"] == "compute3"
    assert validate_trace(trace) == []


def test_without_a_destination_there_is_no_such_stage_and_the_weighers_choose() -> None:
    trace = schedule(_hosts("classic"), request(), config())
    assert trace["selected_hosts"] == ["compute2"]
    assert all(stage["name"] != STAGE for stage in trace["instances"][0]["filters"])
    assert "requested_destination" not in trace["request"]


@pytest.mark.parametrize(
    ("era", "message"),
    [
        ("classic", "No valid host was found. There are not enough hosts available."),
        ("placement", "No valid host was found."),  # Placement has no candidate: an empty reason
    ],
)
def test_the_filters_still_apply_to_the_requested_host(era: Era, message: str) -> None:
    hosts = _hosts(era)
    hosts[2] = replace(hosts[2], enabled=False, disabled_reason="maintenance")
    trace = schedule(hosts, replace(request(), requested_destination="compute3"), config(era))
    assert trace["selected_hosts"] == []
    assert trace["error"] is not None and trace["error"]["message"] == message
    assert validate_trace(trace) == []


@pytest.mark.parametrize("era", ["classic", "placement"])
def test_a_host_the_request_cannot_see_leaves_no_host(era: Era) -> None:
    # The source host of a move is left out before the scheduler runs; a name no host has too.
    trace = schedule(_hosts(era), replace(request(), requested_destination="compute9"), config(era))
    assert trace["error"] is not None and trace["error"]["type"] == "NoValidHost"
    first = trace["instances"][0]["filters"][0]
    assert (first["name"], first["hosts_out"]) == (STAGE, 0)
    assert all(not stage["ran"] for stage in trace["instances"][0]["filters"][1:])


def test_the_moment_keeps_the_destination_and_a_rerun_honours_it() -> None:
    moment = Moment(tuple(_hosts("classic")), replace(request(), requested_destination="compute1"), config())
    stored = moment_to_dict(moment)
    assert stored["request"]["requested_destination"] == "compute1"
    assert moment_from_dict(stored) == moment
    assert rerun(moment_from_dict(stored))["selected_hosts"] == ["compute1"]
    plain = Moment(moment.hosts, request(), moment.config)
    assert "requested_destination" not in moment_to_dict(plain)["request"]  # older moments read the same


def test_a_malformed_destination_is_named_by_its_path() -> None:
    stored = moment_to_dict(Moment(tuple(_hosts("classic")), request(), config()))
    stored["request"]["requested_destination"] = 7
    with pytest.raises(ValueError, match=r"request\.requested_destination: must be a string, not 7"):
        moment_from_dict(stored)
    trace = schedule(_hosts("classic"), request(), config())
    trace["request"]["requested_destination"] = 7  # type: ignore[typeddict-item]
    assert validate_trace(trace) == ["request.requested_destination: must be a string, not 7"]
