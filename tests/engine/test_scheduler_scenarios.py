"""Scenario files: defaults filled, every mistake reported by its path, nothing half-loaded."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from cloudlab.engine.scheduler import (
    DEFAULT_FLAVORS,
    ScenarioError,
    load_scenario_file,
    parse_scenario,
    parse_scheduler_config,
    run_scenario,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "cloudlab" / "engine" / "scheduler" / "examples"
MEMBER = "6d2d1c7e-0000-4000-8000-000000000001"


def minimal() -> dict[str, Any]:
    return {
        "name": "tiny",
        "hosts": [
            {"name": "c1", "vcpus": 8, "memory_mb": 16384, "local_gb": 200},
            {"name": "c2", "vcpus": 4, "memory_mb": 8192, "local_gb": 100},
        ],
    }


def test_a_minimal_scenario_gets_every_default() -> None:
    s = parse_scenario(minimal())
    cfg = s.scheduler
    assert cfg.era == "classic"
    assert cfg.driver == "filter_scheduler"
    assert cfg.enabled_filters == (
        "RetryFilter",
        "AvailabilityZoneFilter",
        "RamFilter",
        "ComputeFilter",
        "ImagePropertiesFilter",
        "ServerGroupAntiAffinityFilter",
        "ServerGroupAffinityFilter",
    )
    assert (cfg.host_subset_size, cfg.max_attempts, cfg.io_ops_weight_multiplier) == (1, 3, -1.0)
    r = s.hosts[0].resources
    assert (r.cpu_allocation_ratio, r.ram_allocation_ratio, r.disk_allocation_ratio) == (16.0, 1.5, 1.0)
    assert (r.memory_mb_used, r.reserved_host_memory_mb) == (512, 512)
    assert s.hosts[0].supported_instances == (("x86_64", "qemu", "hvm"),)
    assert s.hosts[0].host_ip == "10.0.0.11"
    assert [f.id for f in s.flavors] == ["1", "2", "3", "4", "5", "42", "84", "451"]
    assert [(f.name, f.vcpus, f.memory_mb, f.root_gb) for f in s.flavors[:5]] == [
        ("m1.tiny", 1, 512, 1),
        ("m1.small", 1, 2048, 20),
        ("m1.medium", 2, 4096, 40),
        ("m1.large", 4, 8192, 80),
        ("m1.xlarge", 8, 16384, 160),
    ]
    assert [i.name for i in s.images] == ["cirros", "ubuntu"]
    assert s.description == {"en": "", "zh-hans": ""}


def test_the_placement_era_has_its_own_defaults() -> None:
    data = minimal()
    data["scheduler"] = {"era": "placement"}
    s = parse_scenario(data)
    r = s.hosts[0].resources
    assert (r.cpu_allocation_ratio, r.ram_allocation_ratio, r.disk_allocation_ratio) == (4.0, 1.0, 1.0)
    assert s.scheduler.enabled_filters[0] == "ComputeFilter"
    assert "RetryFilter" not in s.scheduler.enabled_filters


def test_usage_is_derived_from_the_instances_unless_given() -> None:
    data = minimal()
    data["hosts"][0]["instances"] = [
        {"uuid": MEMBER, "name": "web-1", "flavor": "m1.small", "image": "cirros"},
        {"flavor": "2", "vm_state": "building"},
        {"flavor": "m1.tiny", "vm_state": "shelved_offloaded"},
    ]
    data["hosts"][1]["usage"] = {"memory_mb_used": 4608, "num_io_ops": 3}
    s = parse_scenario(data)
    h1, h2 = s.hosts
    assert (h1.resources.memory_mb_used, h1.resources.vcpus_used, h1.resources.local_gb_used) == (512 + 4096, 2, 40)
    assert (h1.num_instances, h1.num_io_ops) == (2, 1)
    assert MEMBER in h1.instance_uuids
    assert len(s.instances) == 3
    assert (h2.resources.memory_mb_used, h2.num_io_ops) == (4608, 3)


def test_a_scenario_round_trips_through_json() -> None:
    s = parse_scenario(minimal())
    assert json.loads(json.dumps(s.to_dict()))["hosts"][0]["name"] == "c1"


def test_the_example_files_load_and_json_works_too(tmp_path: Path) -> None:
    for path in EXAMPLES.glob("*.yaml"):
        assert load_scenario_file(path).requests
    json_file = tmp_path / "tiny.json"
    json_file.write_text(json.dumps(minimal()))
    assert load_scenario_file(json_file).name == "tiny"


def test_unreadable_and_malformed_files_are_scenario_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("hosts: [\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario_file(bad)
    assert "not valid YAML" in err.value.problems[0]
    with pytest.raises(ScenarioError) as err:
        load_scenario_file(tmp_path / "missing.yaml")
    assert "cannot read" in err.value.problems[0]


def test_requests_see_the_previous_ones_placed() -> None:
    data = minimal()
    data["hosts"] = [{"name": "only", "vcpus": 8, "memory_mb": 8192, "local_gb": 200}]
    data["requests"] = [{"flavor": "m1.large"}, {"flavor": "m1.large"}]
    first, second = run_scenario(parse_scenario(data))
    assert first["selected_hosts"] == ["only"]
    assert second["error"]["type"] == "NoValidHost"


def test_a_request_joins_its_group_for_the_next_request() -> None:
    data = minimal()
    data["server_groups"] = [{"name": "web", "policy": "anti-affinity"}]
    data["requests"] = [{"flavor": "m1.tiny", "scheduler_hints": {"group": "web"}}] * 3
    traces = run_scenario(parse_scenario(data))
    assert sorted(t["selected_hosts"][0] for t in traces[:2]) == ["c1", "c2"]
    assert traces[2]["error"]["last_filter"] == "ServerGroupAntiAffinityFilter"


def _mutate(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(minimal())
    data["aggregates"] = [{"name": "ssd", "metadata": {"ssd": "true"}}]
    data["hosts"][0]["instances"] = [{"uuid": MEMBER, "name": "web-1", "flavor": "m1.small"}]
    data["server_groups"] = [{"name": "web", "policy": "anti-affinity", "members": [MEMBER]}]
    data["requests"] = [{"flavor": "m1.small"}]
    target: Any = data
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    last = keys[-1]
    if value is _DELETE:
        del target[last]
    elif last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return data


_DELETE = object()

INVALID = [
    ("unknown top-level key", "flavours", [], "flavours: unknown key; did you mean 'flavors'?"),
    ("unknown host key", "hosts.0.memory", 1024, "hosts[0].memory: unknown key; did you mean 'memory_mb'?"),
    ("missing capacity", "hosts.1.memory_mb", _DELETE, "hosts[1].memory_mb: must be a positive integer, not null"),
    ("wrong type", "hosts.1.memory_mb", "lots", "hosts[1].memory_mb: must be a positive integer, not 'lots'"),
    ("negative number", "hosts.0.vcpus", -4, "hosts[0].vcpus: must be a positive integer"),
    (
        "negative reserved",
        "hosts.0.reserved_host_memory_mb",
        -1,
        "hosts[0].reserved_host_memory_mb: must be a non-negative integer",
    ),
    ("duplicate host", "hosts.1.name", "c1", "hosts[1].name: duplicate host name 'c1' (first at hosts[0])"),
    (
        "unknown filter",
        "scheduler",
        {"enabled_filters": ["RamFiltr"]},
        "scheduler.enabled_filters[0]: unknown filter 'RamFiltr'; did you mean 'RamFilter'?",
    ),
    (
        "unknown weigher",
        "scheduler",
        {"weight_classes": ["RamWeigher"]},
        "scheduler.weight_classes[0]: unknown weigher 'RamWeigher'; did you mean 'RAMWeigher'?",
    ),
    (
        "removed filter in placement era",
        "scheduler",
        {"era": "placement", "enabled_filters": ["RamFilter"]},
        "scheduler.enabled_filters[0]: RamFilter was removed from Nova",
    ),
    (
        "unknown aggregate",
        "hosts.0.aggregates",
        ["sdd"],
        "hosts[0].aggregates[0]: unknown aggregate 'sdd'; did you mean 'ssd'?",
    ),
    (
        "unknown flavor",
        "requests.0.flavor",
        "m1.smal",
        "requests[0].flavor: unknown flavor 'm1.smal'; did you mean 'm1.small'?",
    ),
    (
        "unknown image",
        "requests.0.image",
        "cirrus",
        "requests[0].image: unknown image 'cirrus'; did you mean 'cirros'?",
    ),
    (
        "bad project",
        "hosts.0.instances.0.project",
        "Demo Project",
        "hosts[0].instances[0].project: 'Demo Project' must be a project slug",
    ),
    ("bad uuid", "hosts.0.instances.0.uuid", "1234", "hosts[0].instances[0].uuid: '1234' is not a UUID"),
    ("bad ip", "hosts.0.host_ip", "10.0.0.256", "hosts[0].host_ip: '10.0.0.256' is not an IP address"),
    (
        "bad cidr",
        "requests.0.scheduler_hints",
        {"build_near_host_ip": "10.0.0.1", "cidr": "24"},
        "requests[0].scheduler_hints.cidr: '24' is not a prefix length like /24 (0 to 32)",
    ),
    ("bad era", "scheduler", {"era": "modern"}, "scheduler.era: 'modern' is not one of classic, placement"),
    (
        "bad driver",
        "scheduler",
        {"driver": "filter"},
        "scheduler.driver: 'filter' is not one of filter_scheduler, chance_scheduler, simple_scheduler; "
        "did you mean 'filter_scheduler'?",
    ),
    (
        "host_subset_size 0",
        "scheduler",
        {"host_subset_size": 0},
        "scheduler.host_subset_size: must be a positive integer",
    ),
    ("max_attempts 0", "scheduler", {"max_attempts": 0}, "scheduler.max_attempts: must be a positive integer"),
    (
        "negative ratio",
        "hosts.0.ram_allocation_ratio",
        -1.5,
        "hosts[0].ram_allocation_ratio: must be a positive number",
    ),
    (
        "unknown policy",
        "server_groups.0.policy",
        "anti_affinity",
        "server_groups[0].policy: 'anti_affinity' is not one of affinity, anti-affinity, soft-affinity, "
        "soft-anti-affinity; did you mean 'anti-affinity'?",
    ),
    (
        "member not an instance",
        "server_groups.0.members",
        ["6d2d1c7e-0000-4000-8000-000000000099"],
        "server_groups[0].members[0]: 6d2d1c7e-0000-4000-8000-000000000099 is not an instance of this scenario",
    ),
    (
        "negative usage",
        "hosts.1.usage",
        {"memory_mb_used": -512},
        "hosts[1].usage.memory_mb_used: must be a non-negative integer",
    ),
    (
        "usage not a number",
        "hosts.1.usage",
        {"vcpus_used": "lots"},
        "hosts[1].usage.vcpus_used: must be a non-negative integer, not 'lots'",
    ),
    (
        "usage without the reservation",
        "hosts.1.usage",
        {"memory_mb_used": 256},
        "hosts[1].usage.memory_mb_used: includes the reserved memory, so it must be at least 512",
    ),
    (
        "reserved not a number",
        "hosts.1.reserved_host_disk_mb",
        "10G",
        "hosts[1].reserved_host_disk_mb: must be a non-negative integer, not '10G'",
    ),
    (
        "unknown group in hint",
        "requests.0.scheduler_hints",
        {"group": "wbe"},
        "requests[0].scheduler_hints.group: unknown server group 'wbe'; did you mean 'web'?",
    ),
    (
        "unknown zone",
        "requests.0.availability_zone",
        "az9",
        "requests[0].availability_zone: unknown availability zone 'az9' (zones: nova)",
    ),
    (
        "image needs more RAM",
        "requests.0",
        {"flavor": "m1.nano", "image": "ubuntu"},
        "requests[0].flavor: Flavor's memory is too small for requested image",
    ),
    (
        "unknown isolated host",
        "scheduler",
        {"isolated_hosts": ["c3"]},
        "scheduler.isolated_hosts[0]: unknown host 'c3'",
    ),
    (
        "rules on the wrong policy",
        "server_groups.0",
        {"name": "web", "policy": "affinity", "rules": {"max_server_per_host": 2}},
        "server_groups[0].rules: only the anti-affinity policy takes rules",
    ),
    ("hosts not a list", "hosts", {"c1": {}}, "hosts: must be a list, not a mapping"),
    ("bad hypervisor", "hosts.0.hypervisor_type", "kvm", "hosts[0].hypervisor_type: 'kvm' is not one of QEMU, KVM"),
    ("zero instances", "requests.0.num_instances", 0, "requests[0].num_instances: must be a positive integer"),
]


@pytest.mark.parametrize(("kind", "path", "value", "message"), INVALID, ids=[k for k, *_ in INVALID])
def test_each_mistake_is_reported_with_its_path(kind: str, path: str, value: Any, message: str) -> None:
    data = _mutate(path, value)
    with pytest.raises(ScenarioError) as err:
        parse_scenario(data)
    assert any(p.startswith(message) for p in err.value.problems), err.value.problems


def test_the_valid_base_of_the_mistakes_loads() -> None:
    # Guards the table above: each case fails because of its own change, not the base.
    assert parse_scenario(_mutate("name", "tiny")).name == "tiny"


def test_every_problem_is_collected_at_once() -> None:
    data = minimal()
    data["scheduler"] = {"era": "modern", "host_subset_size": 0}
    data["hosts"][0]["vcpus"] = -1
    data["hosts"][1]["host_ip"] = "nope"
    with pytest.raises(ScenarioError) as err:
        parse_scenario(data)
    assert len(err.value.problems) == 4
    assert str(err.value).startswith("invalid scenario:")


def test_a_scenario_that_is_not_a_mapping() -> None:
    with pytest.raises(ScenarioError) as err:
        parse_scenario(["hosts"])
    assert err.value.problems == ["(top): a scenario must be a mapping, not a list"]


def test_scheduler_config_alone_validates_like_nova_conf() -> None:
    cfg = parse_scheduler_config({"era": "placement", "host_subset_size": 2, "ram_weight_multiplier": -1})
    assert (cfg.era, cfg.host_subset_size, cfg.ram_weight_multiplier) == ("placement", 2, -1.0)
    with pytest.raises(ScenarioError) as err:
        parse_scheduler_config({"soft_affinity_weight_multiplier": -1, "seed": "x"})
    assert err.value.problems == [
        "scheduler.soft_affinity_weight_multiplier: must be ≥ 0 (Nova's minimum for this option)",
        "scheduler.seed: must be an integer, not 'x'",
    ]


def test_inline_flavor_in_a_request() -> None:
    data = minimal()
    data["requests"] = [{"flavor": {"name": "custom", "vcpus": 2, "memory_mb": 1024, "root_gb": 5}}]
    s = parse_scenario(data)
    assert s.requests[0].flavor.vcpus == 2
    assert len(s.flavors) == len(DEFAULT_FLAVORS)


# -- over-committed hosts: a state Nova runs with, so a warning with its numbers ---------------


def _tight(era: str = "classic", **host: Any) -> dict[str, Any]:
    """compute2 (8192 MB, ratio 1.0) holds an m1.large and an m1.medium: 512 + 12288 MB."""
    data = minimal()
    data["scheduler"] = {"era": era}
    data["hosts"][1] = {
        "name": "compute2",
        "vcpus": 8,
        "memory_mb": 8192,
        "local_gb": 200,
        "ram_allocation_ratio": 1.0,
        "instances": [{"flavor": "m1.large"}, {"flavor": "m1.medium"}],
        **host,
    }
    return data


def test_an_over_committed_host_loads_with_a_warning_that_shows_the_classic_rule() -> None:
    s = parse_scenario(_tight())
    assert s.host("compute2").resources.memory_mb_used == 512 + 8192 + 4096
    [w] = s.warnings
    assert str(w) == (
        "compute2: memory_mb used 12800 MB > limit 8192 MB (8192 × ratio 1.0; used includes 512 MB reserved)"
        " — over-committed; Nova keeps such hosts and its filters skip them"
    )
    assert (w.path, w.host, w.kind, w.resource) == ("hosts[1]", "compute2", "overcommitted", "memory_mb")
    assert w.numbers == {"total": 8192, "ratio": 1.0, "reserved": 512, "used": 12800, "limit": 8192, "room": 7680}
    assert len(s.instances) == 2


def test_the_placement_era_warns_by_placements_rule() -> None:
    [w] = parse_scenario(_tight("placement")).warnings
    assert str(w) == (
        "compute2: memory_mb used 12288 MB > limit 7680 MB ((8192 − reserved 512) × ratio 1.0)"
        " — over-committed; Nova keeps such hosts and Placement skips them"
    )


def test_a_host_at_its_limit_is_not_over_committed() -> None:
    # 4096 reserved + an m1.medium's 4096 MB = 8192 MB = 8192 × 1.0: allowed; one MB more is not.
    at_limit = _tight(instances=[{"flavor": "m1.medium"}], reserved_host_memory_mb=4096)
    assert parse_scenario(at_limit).warnings == ()
    over = _tight(instances=[{"flavor": "m1.medium"}], reserved_host_memory_mb=4097)
    assert [w.resource for w in parse_scenario(over).warnings] == ["memory_mb"]
    assert parse_scenario(minimal()).warnings == ()


def test_every_resource_over_its_limit_is_its_own_warning() -> None:
    # Two m1.medium (2 vCPUs, 4096 MB, 40 GB each) on 2 vCPUs × 1.0, 8192 MB × 1.0, 70 GB × 1.0.
    data = _tight(vcpus=2, cpu_allocation_ratio=1.0, local_gb=70, instances=[{"flavor": "m1.medium"}] * 2)
    assert [str(w) for w in parse_scenario(data).warnings] == [
        "compute2: vcpus used 4 > limit 2 (2 × ratio 1.0) — over-committed; "
        "Nova keeps such hosts and its filters skip them",
        "compute2: memory_mb used 8704 MB > limit 8192 MB (8192 × ratio 1.0; used includes 512 MB reserved) — "
        "over-committed; Nova keeps such hosts and its filters skip them",
        "compute2: local_gb used 80 GB > limit 70 GB (70 × ratio 1.0) — over-committed; "
        "Nova keeps such hosts and its filters skip them",
    ]


def test_a_stated_usage_beyond_the_limit_is_a_warning_too() -> None:
    data = _tight(instances=[], usage={"memory_mb_used": 9000})
    [w] = parse_scenario(data).warnings
    assert str(w).startswith("compute2: memory_mb used 9000 MB > limit 8192 MB")


def test_a_reservation_that_leaves_nothing_is_a_warning_not_a_problem() -> None:
    data = _tight("placement", instances=[], reserved_host_memory_mb=8192)
    s = parse_scenario(data)
    [w] = s.warnings
    assert str(w) == (
        "compute2: reserved_host_memory_mb 8192 leaves nothing for instances: (8192 − reserved 8192) × ratio 1.0"
        " = 0 MB — Nova keeps such hosts and Placement skips them"
    )
    assert (w.path, w.kind) == ("hosts[1].reserved_host_memory_mb", "reserved")
    disk = _tight(instances=[], reserved_host_disk_mb=200 * 1024)
    assert [str(w) for w in parse_scenario(disk).warnings] == [
        "compute2: reserved_host_disk_mb 204800 leaves nothing for instances: limit 200 GB (200 × ratio 1.0)"
        " − reserved 200 GB = 0 GB — Nova keeps such hosts and its filters skip them"
    ]


def test_the_classic_ratio_gives_room_above_a_reservation_of_the_whole_host() -> None:
    # RamFilter: 8192 × 1.5 − 8192 = 4096 MB are still usable, so Nova classic is not stuck.
    data = _tight(instances=[], reserved_host_memory_mb=8192, ram_allocation_ratio=1.5)
    assert parse_scenario(data).warnings == ()


def test_an_instance_larger_than_its_host_is_a_warning() -> None:
    data = _tight(instances=[{"name": "big", "flavor": "m1.xlarge"}], ram_allocation_ratio=4.0)
    [w] = parse_scenario(data).warnings
    assert str(w) == (
        "compute2: big (m1.xlarge) is larger than the host (16384 MB of RAM > 8192 MB) — an instance cannot "
        "overcommit against itself, so no filter would have placed it (a forced host or an evacuation can)"
    )
    assert (w.path, w.kind) == ("hosts[1].instances[0]", "larger_than_host")


def test_instances_that_hold_nothing_do_not_over_commit() -> None:
    data = _tight(instances=[{"flavor": "m1.xlarge", "vm_state": "shelved_offloaded"}])
    assert parse_scenario(data).warnings == ()


def test_an_over_committed_host_takes_no_new_instance_in_either_era() -> None:
    for era in ("classic", "placement"):
        data = _tight(era)
        data["hosts"] = [data["hosts"][1]]
        data["requests"] = [{"flavor": "m1.tiny"}]
        [trace] = run_scenario(parse_scenario(data))
        assert trace["error"]["type"] == "NoValidHost", era
