"""Placement era: the availability-zone request filter before Placement (nova/scheduler/request_filter.py).

``map_az_to_placement_aggregate``: a requested zone that some aggregate declares restricts
Placement to that aggregate's hosts (``member_of``), even when none of them is left; a zone no
aggregate declares adds nothing. The cases follow nova/tests/unit/scheduler/test_request_filter.py
(test_map_az, test_map_az_no_hint, test_map_az_no_aggregates).
"""

from __future__ import annotations

from sched_helpers import aggregate, config, host, request

from cloudlab.engine.scheduler import (
    Moment,
    moment_from_dict,
    moment_to_dict,
    parse_scenario,
    replay_stages,
    rerun,
    run_scenario,
    schedule,
    why_not,
)
from cloudlab.engine.scheduler.request_filters import AZ_STAGE

AZ1 = aggregate("rack-a", "az1")
AZ2_EMPTY = aggregate("rack-b", "az2")


def _hosts():  # type: ignore[no-untyped-def]
    return [
        host("a1", era="placement", aggregates=(AZ1,)),
        host("plain", era="placement"),
        host("a2", era="placement", aggregates=(AZ1, aggregate("ssd", ssd="true"))),
    ]


def _names(trace):  # type: ignore[no-untyped-def]
    return [f["name"] for f in trace["instances"][0]["filters"]]


def test_without_a_requested_zone_the_request_filter_adds_no_stage() -> None:
    trace = schedule(_hosts(), request(), config("placement"))
    assert _names(trace)[0] == "Placement"
    assert AZ_STAGE not in _names(trace)


def test_a_declared_zone_keeps_only_the_hosts_of_its_aggregates_before_placement() -> None:
    trace = schedule(_hosts(), request(availability_zone="az1"), config("placement"))
    az, placement = trace["instances"][0]["filters"][:2]
    assert (az["name"], placement["name"]) == (AZ_STAGE, "Placement")
    assert (az["hosts_in"], az["hosts_out"]) == (3, 2)
    assert az["verdicts"]["a1"]["reason"] == "in aggregate rack-a of availability zone az1"
    assert az["verdicts"]["plain"]["reason"] == "not in an aggregate of availability zone az1"
    assert az["verdicts"]["plain"]["numbers"]["zone_aggregates"] == "rack-a"
    assert set(placement["verdicts"]) == {"a1", "a2"}
    assert trace["selected_hosts"] == ["a1"]


def test_a_zone_no_aggregate_declares_restricts_nothing() -> None:
    trace = schedule(_hosts(), request(availability_zone="nova"), config("placement"))
    az = trace["instances"][0]["filters"][0]
    assert (az["name"], az["hosts_out"]) == (AZ_STAGE, 3)
    assert az["verdicts"]["plain"]["reason"] == (
        "no aggregate declares availability zone nova, so Placement is not restricted"
    )


def test_a_declared_zone_without_hosts_is_no_valid_host_not_a_host_of_another_zone() -> None:
    trace = schedule(_hosts(), request(availability_zone="az2"), config("placement"), aggregates=[AZ2_EMPTY])
    az, placement = trace["instances"][0]["filters"][:2]
    assert az["hosts_out"] == 0
    assert (placement["name"], placement["ran"], placement["why_not"]) == ("Placement", False, "no host left")
    assert trace["selected_hosts"] == []
    error = trace["error"]
    assert error is not None
    # Placement without allocation candidates: NoValidHost(reason="") in nova/scheduler/manager.py.
    assert (error["type"], error["message"], error["reason"]) == ("NoValidHost", "No valid host was found.", "")
    assert error["last_filter"] == AZ_STAGE
    assert error["explanation"] == f"{AZ_STAGE} removed the last hosts: a1, plain, a2"


def test_the_zone_holds_when_its_only_host_is_not_offered() -> None:
    # A move excludes its source host: if that was the zone's only host, the zone still binds.
    others = [h for h in _hosts() if h.name == "plain"]
    free = schedule(others, request(availability_zone="az1"), config("placement"))
    assert free["selected_hosts"] == ["plain"]  # nothing tells the scheduler az1 exists
    bound = schedule(others, request(availability_zone="az1"), config("placement"), aggregates=[AZ1])
    assert bound["error"] is not None and bound["selected_hosts"] == []


def test_the_zones_hosts_all_disabled_leave_placement_without_candidates() -> None:
    hosts = [host("a1", era="placement", aggregates=(AZ1,), enabled=False), host("plain", era="placement")]
    trace = schedule(hosts, request(availability_zone="az1"), config("placement"))
    error = trace["error"]
    assert error is not None
    assert (error["last_filter"], error["reason"]) == ("Placement", "")
    assert error["removed_by"] == [{"filter": AZ_STAGE, "hosts": ["plain"]}, {"filter": "Placement", "hosts": ["a1"]}]


def test_filters_that_empty_the_list_after_placement_still_say_not_enough_hosts() -> None:
    trace = schedule([host("down", era="placement", up=False)], request(), config("placement"))
    assert trace["error"] is not None
    assert trace["error"]["message"] == "No valid host was found. There are not enough hosts available."


def test_the_classic_era_has_no_request_filter_stage() -> None:
    hosts = [host("a1", aggregates=(AZ1,)), host("plain")]
    trace = schedule(hosts, request(availability_zone="az2"), config(), aggregates=[AZ2_EMPTY])
    assert AZ_STAGE not in _names(trace)
    # AvailabilityZoneFilter: hosts outside az2, and plain's default zone nova is not az2 either.
    assert trace["error"] is not None and trace["error"]["last_filter"] == "AvailabilityZoneFilter"


def test_a_scenarios_aggregates_count_even_without_hosts() -> None:
    scenario = parse_scenario(
        {
            "scheduler": {"era": "placement"},
            "aggregates": [{"name": "rack-b", "availability_zone": "az2"}],
            "hosts": [{"name": "c1", "vcpus": 4, "memory_mb": 8192, "local_gb": 80}],
            "requests": [{"flavor": "m1.small", "availability_zone": "az2"}],
        }
    )
    (trace,) = run_scenario(scenario)
    assert trace["error"] is not None and trace["error"]["last_filter"] == AZ_STAGE


def test_replay_and_why_not_read_the_request_filter_stage_like_any_stage() -> None:
    trace = schedule(_hosts(), request(availability_zone="az1"), config("placement"))
    first = replay_stages(trace)[0]
    assert (first["kind"], first["name"]) == ("filter", AZ_STAGE)
    assert first["removed"] == ["plain"]  # type: ignore[typeddict-item]
    answer = why_not(trace, "plain")
    assert (answer["outcome"], answer["filter"]) == ("filtered", AZ_STAGE)
    assert answer["explanation"] == (f"{AZ_STAGE} removed plain: not in an aggregate of availability zone az1")


def test_a_moment_keeps_the_clouds_other_aggregates_so_a_replay_decides_the_same() -> None:
    others = [h for h in _hosts() if h.name == "plain"]
    moment = Moment(tuple(others), request(availability_zone="az1"), config("placement"), (), (AZ1,))
    again = moment_from_dict(moment_to_dict(moment))
    assert again == moment and again.aggregates == (AZ1,)
    assert rerun(again)["selected_hosts"] == []  # the zone binds in the replay too
    old = moment_to_dict(moment)
    del old["aggregates"]  # a moment stored before aggregates were kept
    assert moment_from_dict(old).aggregates == ()
