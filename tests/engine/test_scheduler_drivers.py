"""The drivers end to end: the trace, both eras, multi-instance requests, NoValidHost."""

from __future__ import annotations

import json
import random
from dataclasses import replace

from sched_helpers import UBUNTU, aggregate, config, flavor, host, request, uuid

from cloudlab.engine.scheduler import ServerGroup, schedule

NO_HOSTS = "No valid host was found. There are not enough hosts available."


def stage(trace: dict, name: str, index: int = 0) -> dict:  # type: ignore[type-arg]
    return next(f for f in trace["instances"][index]["filters"] if f["name"] == name)


def test_trace_has_the_documented_shape_and_is_json() -> None:
    trace = schedule([host("compute1"), host("compute2", memory_mb=4096, memory_mb_used=4608)], request(), config())
    assert set(trace) >= {"era", "driver", "request", "instances", "error", "selected_hosts"}
    assert trace["era"] == "classic"
    assert trace["driver"] == "filter_scheduler"
    assert trace["request"]["flavor"]["name"] == "m1.small"
    ram = stage(trace, "RamFilter")
    assert (ram["hosts_in"], ram["hosts_out"]) == (2, 1)
    verdict = ram["verdicts"]["compute2"]
    assert verdict == {
        "passed": False,
        "reason": "usable RAM = 4096 × 1.5 − 4608 = 1536 MB < 2048 MB requested",
        "message": "usable RAM = {memory_mb} × {ram_allocation_ratio} − {used_ram_mb} "
        "= {usable_ram_mb} MB < {requested_ram_mb} MB requested",
        "numbers": {
            "memory_mb": 4096,
            "requested_ram_mb": 2048,
            "ram_allocation_ratio": 1.5,
            "used_ram_mb": 4608,
            "usable_ram_mb": 1536.0,
            "memory_mb_limit": 6144.0,
        },
    }
    assert trace["instances"][0]["selected"] == "compute1"
    assert trace["instances"][0]["limits"] == {"memory_mb": 8192 * 1.5}
    json.dumps(trace)


def test_filters_run_in_the_configured_order() -> None:
    cfg = config(enabled_filters=["ComputeFilter", "RamFilter", "RetryFilter"])
    names = [f["name"] for f in schedule([host()], request(), cfg)["instances"][0]["filters"]]
    assert names == ["ComputeFilter", "RamFilter", "RetryFilter"]


def test_translate_renders_every_reason_in_the_given_language() -> None:
    catalogue = {"nova-compute is enabled and up": "nova-compute 已启用并在线"}
    trace = schedule([host()], request(), config(), translate=lambda t: catalogue.get(t, t))
    verdict = stage(trace, "ComputeFilter")["verdicts"]["h1"]
    assert verdict["reason"] == "nova-compute 已启用并在线"
    assert verdict["message"] == "nova-compute is enabled and up"


def test_no_valid_host_uses_novas_wording_and_names_the_last_filter() -> None:
    hosts = [host("full", memory_mb=2048), host("off", enabled=False)]
    trace = schedule(hosts, request("m1.medium"), config())
    error = trace["error"]
    assert error["type"] == "NoValidHost"
    assert error["message"] == NO_HOSTS
    assert error["last_filter"] == "ComputeFilter"
    assert error["removed_by"] == [
        {"filter": "RamFilter", "hosts": ["full"]},
        {"filter": "ComputeFilter", "hosts": ["off"]},
    ]
    assert "ComputeFilter removed the last hosts: off" == error["explanation"]
    assert trace["selected_hosts"] == []
    later = [f for f in trace["instances"][0]["filters"] if not f["ran"]]
    assert [f["name"] for f in later] == [
        "ImagePropertiesFilter",
        "ServerGroupAntiAffinityFilter",
        "ServerGroupAffinityFilter",
    ]


def test_no_hosts_at_all_is_no_valid_host() -> None:
    assert schedule([], request(), config())["error"]["message"] == NO_HOSTS


def test_retry_filter_skips_hosts_already_tried() -> None:
    hosts = [host("h1"), host("h2")]
    trace = schedule(hosts, request(), config(), retry_hosts=["h1"])
    assert trace["selected_hosts"] == ["h2"]
    assert trace["retry"]["num_attempts"] == 2
    trace = schedule(hosts, request(), config(), retry_hosts=["h1", "h2"])
    assert trace["error"]["last_filter"] == "RetryFilter"


# -- the two eras ---------------------------------------------------------------------------------


def _tight_host(era: str):  # type: ignore[no-untyped-def]
    # 8192 MB, 512 reserved, ratio 1.5, instances hold 9728 MB: classic leaves 11776 − 9728 = 2048 MB,
    # Placement (8192 − 512) × 1.5 − 9728 = 1792 MB.
    return host("tight", era=era, memory_mb=8192, memory_mb_used=512 + 9728, ram_allocation_ratio=1.5)


def test_the_same_request_differs_between_the_eras() -> None:
    classic = schedule([_tight_host("classic")], request("m1.small"), config("classic"))
    placement = schedule([_tight_host("placement")], request("m1.small"), config("placement"))
    assert classic["era"] == "classic"
    assert classic["selected_hosts"] == ["tight"]
    assert placement["era"] == "placement"
    assert placement["error"]["type"] == "NoValidHost"
    verdict = stage(placement, "Placement")["verdicts"]["tight"]
    assert verdict["reason"] == "MEMORY_MB: 9728 used + 2048 requested > (8192 − 512) × 1.5 = 11520 MB"
    assert placement["error"]["last_filter"] == "Placement"


def test_placement_stage_comes_first_and_removes_disabled_hosts() -> None:
    hosts = [host("on", era="placement"), host("off", era="placement", enabled=False)]
    trace = schedule(hosts, request(), config("placement"))
    first = trace["instances"][0]["filters"][0]
    assert first["name"] == "Placement"
    assert (first["hosts_in"], first["hosts_out"]) == (2, 1)
    assert "COMPUTE_STATUS_DISABLED" in first["verdicts"]["off"]["reason"]
    assert [f["name"] for f in trace["instances"][0]["filters"][1:]] == [
        "ComputeFilter",
        "ComputeCapabilitiesFilter",
        "ImagePropertiesFilter",
        "ServerGroupAntiAffinityFilter",
        "ServerGroupAffinityFilter",
    ]


def test_placement_stage_maps_the_zone_to_its_aggregates() -> None:
    hosts = [
        host("a1", era="placement", aggregates=(aggregate("A", "az1"),)),
        host("plain", era="placement"),
    ]
    trace = schedule(hosts, request(availability_zone="az1"), config("placement"))
    assert stage(trace, "Placement")["hosts_out"] == 1
    assert trace["selected_hosts"] == ["a1"]
    # A zone no aggregate carries adds no constraint in Placement.
    trace = schedule(hosts, request(availability_zone="nova"), config("placement"))
    assert stage(trace, "Placement")["hosts_out"] == 2


def test_placement_refuses_a_request_larger_than_the_host() -> None:
    small = host("small", era="placement", vcpus=2, cpu_allocation_ratio=16.0)
    eight_vcpus = replace(flavor("m1.tiny"), vcpus=8)  # 8 ≤ 2 × 16 by capacity, but 8 > 2 physical
    trace = schedule([small], request(eight_vcpus), config("placement"))
    verdict = stage(trace, "Placement")["verdicts"]["small"]
    assert not verdict["passed"]
    assert verdict["reason"] == "VCPU: 8 requested > 2 on the host (max_unit)"


def test_placement_does_not_ask_for_disk_of_a_volume_boot() -> None:
    full_disk = host("h", era="placement", local_gb=10, local_gb_used=10)
    assert schedule([full_disk], request("m1.small", image=None), config("placement"))["selected_hosts"] == ["h"]
    assert schedule([full_disk], request("m1.small"), config("placement"))["error"] is not None


# -- multi-instance requests ------------------------------------------------------------------------


def test_classic_multi_instance_consumes_each_chosen_host() -> None:
    # Each host fits exactly one m1.large by RamFilter (8192 × 1.5 − 512 = 11776 ≥ 8192, then 3584).
    hosts = [host("h1", memory_mb=8192), host("h2", memory_mb=8192)]
    trace = schedule(hosts, request("m1.large", num_instances=2), config())
    assert trace["selected_hosts"] == ["h1", "h2"]
    second = stage(trace, "RamFilter", 1)
    assert not second["verdicts"]["h1"]["passed"]
    assert second["verdicts"]["h1"]["numbers"]["used_ram_mb"] == 512 + 8192


def test_multi_instance_skips_run_once_filters_after_the_first() -> None:
    trace = schedule([host("h1"), host("h2")], request("m1.tiny", num_instances=2), config())
    compute = stage(trace, "ComputeFilter", 1)
    assert compute["ran"] is False
    assert compute["why_not"] == "runs once per request"
    assert stage(trace, "RamFilter", 1)["ran"] is True


def test_multi_instance_needs_a_host_for_every_instance() -> None:
    hosts = [host("h1", memory_mb=8192), host("h2", memory_mb=8192)]
    trace = schedule(hosts, request("m1.large", num_instances=3), config())
    assert trace["error"]["message"] == NO_HOSTS
    assert trace["error"]["instance_index"] == 2
    assert trace["selected_hosts"] == []


def test_anti_affinity_multi_create_spreads_and_runs_out_of_hosts() -> None:
    group = ServerGroup("web", "anti-affinity")
    hosts = [host("h1"), host("h2")]
    ok = schedule(hosts, request("m1.tiny", num_instances=2, group=group), config())
    assert sorted(ok["selected_hosts"]) == ["h1", "h2"]
    too_many = schedule(hosts, request("m1.tiny", num_instances=3, group=group), config())
    assert too_many["error"]["last_filter"] == "ServerGroupAntiAffinityFilter"


def test_affinity_multi_create_follows_the_first_instance() -> None:
    group = ServerGroup("db", "affinity")
    hosts = [host("h1"), host("h2", memory_mb=16384)]
    trace = schedule(hosts, request("m1.tiny", num_instances=3, group=group), config())
    assert trace["selected_hosts"] == ["h2", "h2", "h2"]


def test_affinity_with_existing_members_lands_next_to_them() -> None:
    group = ServerGroup("db", "affinity", (uuid(1),))
    hosts = [host("big", memory_mb=65536), host("member", instance_uuids=frozenset({uuid(1)}))]
    assert schedule(hosts, request("m1.tiny", group=group), config())["selected_hosts"] == ["member"]


def test_placement_claim_walk_moves_to_the_next_host_when_a_claim_fails() -> None:
    # "new" ranks first for both instances (HypervisorVersionWeigher) but fits only one m1.large.
    hosts = [
        host("new", era="placement", memory_mb=8704, hypervisor_version=8000000),
        host("old", era="placement", memory_mb=32768, hypervisor_version=6000000),
    ]
    cfg = config("placement", weight_classes=["HypervisorVersionWeigher"])
    trace = schedule(hosts, request("m1.large", num_instances=2), cfg)
    assert trace["selected_hosts"] == ["new", "old"]
    claims = trace["instances"][1]["claims"]
    assert [(c["host"], c["passed"]) for c in claims] == [("new", False), ("old", True)]
    assert claims[0]["reason"].startswith("MEMORY_MB: 8192 used + 8192 requested > (8704 − 512) × 1 = 8192 MB")


# -- host_subset_size ------------------------------------------------------------------------------


def test_host_subset_size_picks_among_the_best_reproducibly() -> None:
    hosts = [host(f"h{i}", memory_mb=4096 * (i + 1)) for i in range(6)]
    cfg = config(host_subset_size=3, seed=7)
    picks = {schedule(hosts, request("m1.tiny"), cfg)["selected_hosts"][0] for _ in range(5)}
    assert len(picks) == 1  # same seed, same pick
    assert picks <= {"h5", "h4", "h3"}
    many = {schedule(hosts, request("m1.tiny"), cfg, rng=random.Random(s))["selected_hosts"][0] for s in range(40)}
    assert many == {"h5", "h4", "h3"}
    subset = schedule(hosts, request("m1.tiny"), cfg)["instances"][0]["subset"]
    assert subset["candidates"] == ["h5", "h4", "h3"]


def test_host_subset_size_larger_than_the_list_uses_the_whole_list() -> None:
    hosts = [host("a"), host("b")]
    subset = schedule(hosts, request("m1.tiny"), config(host_subset_size=10))["instances"][0]["subset"]
    assert subset["candidates"] == ["a", "b"]


# -- chance and simple -------------------------------------------------------------------------------


def test_chance_scheduler_ignores_disabled_but_not_down_hosts_and_capacity() -> None:
    hosts = [host("down", up=False), host("disabled", enabled=False), host("tiny", memory_mb=1024)]
    seen = set()
    for seed in range(30):
        trace = schedule(hosts, request("m1.xlarge"), config(driver="chance_scheduler", seed=seed))
        seen.update(trace["selected_hosts"])
    assert seen == {"disabled", "tiny"}


def test_chance_scheduler_picks_distinct_hosts_when_it_can() -> None:
    hosts = [host("a"), host("b"), host("c")]
    trace = schedule(hosts, request("m1.tiny", num_instances=3), config(driver="chance_scheduler"))
    assert sorted(trace["selected_hosts"]) == ["a", "b", "c"]
    trace = schedule(hosts[:1], request("m1.tiny", num_instances=2), config(driver="chance_scheduler"))
    assert trace["selected_hosts"] == ["a", "a"]


def test_chance_scheduler_with_no_host_up() -> None:
    trace = schedule([host(up=False)], request(), config(driver="chance_scheduler"))
    assert trace["error"]["message"] == "No valid host was found. Is the appropriate service running?"


def test_simple_scheduler_takes_the_least_loaded_host_without_checking_ram() -> None:
    hosts = [host("busy", vcpus_used=4), host("tiny", memory_mb=1024, vcpus_used=1)]
    trace = schedule(hosts, request("m1.xlarge"), config(driver="simple_scheduler"))
    assert trace["selected_hosts"] == ["tiny"]  # 16 GB flavor on a 1 GB host: the lesson


def test_simple_scheduler_fails_at_once_past_max_cores() -> None:
    hosts = [host("a", vcpus_used=10), host("b", vcpus_used=12)]
    trace = schedule(hosts, request("m1.xlarge"), config(driver="simple_scheduler"))
    assert trace["error"]["message"] == "No valid host was found. Not enough allocatable CPU cores remaining"


def test_simple_scheduler_skips_hosts_that_are_down_and_respects_isolation() -> None:
    cfg = config(driver="simple_scheduler", isolated_hosts=["iso"], isolated_images=[UBUNTU.id])
    hosts = [host("iso"), host("down", up=False), host("ok", vcpus_used=2)]
    assert schedule(hosts, request("m1.tiny"), cfg)["selected_hosts"] == ["ok"]
    assert schedule(hosts, request("m1.small", image=UBUNTU), cfg)["selected_hosts"] == ["iso"]
    trace = schedule([host("down", up=False)], request(), config(driver="simple_scheduler"))
    assert trace["error"]["message"] == "No valid host was found. Is the appropriate service running?"


def test_simple_scheduler_multi_instance_sees_its_own_placements() -> None:
    hosts = [host("a"), host("b")]
    trace = schedule(hosts, request("m1.medium", num_instances=3), config(driver="simple_scheduler"))
    assert trace["selected_hosts"] == ["a", "b", "a"]


def test_classic_refuses_a_pass_beyond_max_attempts() -> None:
    req = request()
    trace = schedule(
        [host("h1"), host("h2"), host("h3"), host("h4")], req, config(max_attempts=3), retry_hosts=["h1", "h2", "h3"]
    )
    assert trace["error"]["type"] == "MaxRetriesExceeded"
    assert trace["error"]["message"] == (
        f"No valid host was found. Exceeded max scheduling attempts 3 for instance {req.uuid_of(0)}."
    )
    assert trace["selected_hosts"] == []


def test_placement_returns_alternates_for_retries() -> None:
    hosts = [host(f"h{i}", era="placement", memory_mb=4096 * (i + 1)) for i in range(5)]
    trace = schedule(hosts, request("m1.tiny", num_instances=2), config("placement", max_attempts=3))
    assert trace["selected_hosts"] == ["h4", "h3"]
    assert trace["alternates"] == ["h2", "h1"]
    assert "alternates" not in schedule(hosts, request(), config())
