"""The bridge's pure part: compute hosts as nodes, instances as pods, the workload as pods, the
two schedulers' traces lined up row by row (engine/kubernetes/bridge_compare.py)."""

from __future__ import annotations

from dataclasses import replace

from cloudlab.engine.kubernetes import bridge_compare as bc
from cloudlab.engine.kubernetes.plugins import UNSCHEDULABLE_TAINT, ZONE
from cloudlab.engine.kubernetes.quantity import resource_amount
from cloudlab.engine.resources import HostResources
from cloudlab.engine.scheduler import (
    Aggregate,
    Flavor,
    HostState,
    Instance,
    Moment,
    SchedulerConfig,
    ScheduleRequest,
    ServerGroup,
)

SMALL = Flavor("2", "m1.small", 1, 2048, 20)
LARGE = Flavor("4", "m1.large", 4, 8192, 80)
HUGE = Flavor("9", "x1.huge", 64, 65536, 10)


def _host(name: str, vcpus: int, memory_mb: int, zone: str | None = None, **kw: object) -> HostState:
    res = HostResources(vcpus, memory_mb, 200, 16.0, 1.5, 1.0)
    kw.setdefault("aggregates", (Aggregate(f"az-{zone}", zone),) if zone else ())
    return HostState(name, res, **kw)  # type: ignore[arg-type]


HOSTS = (_host("big", 16, 32768, "east"), _host("mid", 8, 16384, "west"), _host("small", 4, 8192, "east"))


def _moment(flavor: Flavor = SMALL, n: int = 1, zone: str | None = None, group: bool = False) -> Moment:
    uuids = tuple(f"u{i}" for i in range(n))
    sg = ServerGroup("g", "anti-affinity", members=uuids) if group else None
    req = ScheduleRequest(flavor, num_instances=n, availability_zone=zone, server_group=sg, instance_uuids=uuids)
    return Moment(HOSTS, req, SchedulerConfig.for_era("classic", seed=7))


def test_a_host_becomes_a_node_with_allocatable_less_its_reservations():
    node = bc.node_from_host(HOSTS[2], "nova")
    assert node.capacity["cpu"] == "4" and node.capacity["memory"] == f"{8192 * 1024}Ki"
    alloc = node.allocatable_amounts()
    # Nova's reserved_host_memory_mb (512) as system-reserved, then memory.available 100Mi
    assert alloc["memory"] == (8192 - 512 - 100) * 2**20
    assert alloc["cpu"] == 4000 and alloc["pods"] == 110
    assert node.metadata.labels[ZONE] == "east"
    assert node.metadata.labels["kubernetes.io/hostname"] == "small"
    assert "node.kubernetes.io/instance-type" not in node.metadata.labels


def test_a_host_outside_any_zone_is_in_the_default_zone_and_aggregates_are_labels():
    host = _host("plain", 2, 4096, aggregates=(Aggregate("ssd", None, {"ssd": "true"}),))
    node = bc.node_from_host(host, "nova")
    assert node.metadata.labels[ZONE] == "nova"
    assert node.metadata.labels["aggregate.cloudlab.example/ssd"] == "true"


def test_a_disabled_service_is_a_cordon_and_a_down_one_an_unreachable_node():
    cordoned = bc.node_from_host(replace(HOSTS[0], enabled=False), "nova")
    assert cordoned.unschedulable
    assert [(t.key, t.effect) for t in cordoned.taints] == [(UNSCHEDULABLE_TAINT, "NoSchedule")]
    down = bc.node_from_host(replace(HOSTS[0], up=False), "nova")
    assert not down.unschedulable
    ready = down.condition("Ready")
    assert ready is not None and ready.status == "Unknown"
    assert {(t.key, t.effect) for t in down.taints} == {
        ("node.kubernetes.io/unreachable", "NoSchedule"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
    }


def test_an_instance_is_a_running_pod_requesting_its_flavor_and_others_stay_anonymous():
    inst = Instance("0123456789ab", "Web Server", LARGE, "big", project="p1")
    own = bc.pod_from_instance(inst, "p1")
    other = bc.pod_from_instance(inst, "p2")
    assert own.metadata.name == "web-server-01234"
    assert other.metadata.name == "vm-01234567"
    assert own.spec.node_name == "big" and own.status.phase == "Running"
    req = own.spec.containers[0].requests
    assert resource_amount("cpu", req["cpu"]) == 4000
    assert resource_amount("memory", req["memory"]) == 8192 * 2**20
    assert resource_amount("ephemeral-storage", req["ephemeral-storage"]) == 80 * 2**30


def test_the_workload_carries_the_zone_the_anti_affinity_and_the_default_tolerations():
    pods = bc.workload_pods(SMALL, 3, "east", anti_affinity=True)
    assert [p.metadata.name for p in pods] == ["bridge-workload-1", "bridge-workload-2", "bridge-workload-3"]
    spec = pods[0].spec
    assert spec.node_selector == {ZONE: "east"}
    term = spec.affinity.pod_anti_affinity.required[0]
    assert term.topology_key == "kubernetes.io/hostname"
    assert term.label_selector.match_labels == {"app": bc.WORKLOAD_APP}
    assert {(t.key, t.effect, t.toleration_seconds) for t in spec.tolerations} == {
        ("node.kubernetes.io/not-ready", "NoExecute", 300),
        ("node.kubernetes.io/unreachable", "NoExecute", 300),
    }


def test_too_big_everywhere_is_no_valid_host_and_failed_scheduling():
    out = bc.compare(_moment(HUGE), [], bc.Workload())
    assert out["nova_error"]["type"] == "NoValidHost"
    kube = out["replicas"][0]["outcome"]["kube"]
    assert kube["selected"] is None
    assert kube["message"].startswith("0/3 nodes are available: 3 Insufficient cpu, 3 Insufficient memory.")


def test_the_zone_is_removed_by_the_same_hosts_on_both_sides():
    out = bc.compare(_moment(zone="east"), [], bc.Workload(zone="east"))
    row = next(r for r in out["replicas"][0]["filter_rows"] if any(s["name"] == "NodeAffinity" for s in r["kube"]))
    az = next(s for s in row["nova"] if s["name"] == "AvailabilityZoneFilter")
    na = next(s for s in row["kube"] if s["name"] == "NodeAffinity")
    assert {v["host"] for v in az["removed"]} == {v["host"] for v in na["removed"]} == {"mid"}
    assert any(n["difference"] == "taints repel by default; tolerations opt in" for n in row["notes"])


def test_the_rows_pair_each_filter_with_its_plugins():
    out = bc.compare(_moment(), [], bc.Workload())
    rows = out["replicas"][0]["filter_rows"]
    pairs = [([s["name"] for s in r["nova"]], [s["name"] for s in r["kube"]]) for r in rows]
    assert (["RamFilter"], ["NodeResourcesFit"]) in pairs
    assert (["ComputeFilter"], ["NodeUnschedulable", "TaintToleration"]) in pairs
    assert (
        ["ServerGroupAntiAffinityFilter", "ServerGroupAffinityFilter"],
        ["PodTopologySpread", "InterPodAffinity"],
    ) in pairs
    # every plugin of the profile appears once, after Nova's filters those without a counterpart
    kube = [name for _, names in pairs for name in names]
    assert sorted(kube) == sorted(
        [
            "NodeUnschedulable",
            "NodeName",
            "TaintToleration",
            "NodeAffinity",
            "NodePorts",
            "NodeResourcesFit",
            "VolumeRestrictions",
            "NodeVolumeLimits",
            "VolumeBinding",
            "VolumeZone",
            "PodTopologySpread",
            "InterPodAffinity",
        ]
    )
    assert pairs[-1] == ([], ["VolumeRestrictions", "NodeVolumeLimits", "VolumeBinding", "VolumeZone"])
    fit = next(r for r in rows if r["kube"] and r["kube"][0]["name"] == "NodeResourcesFit")
    assert fit["notes"][0]["difference"].startswith("no overcommit ratios")


def test_weighers_sit_beside_their_score_plugins_with_integer_scores():
    out = bc.compare(_moment(), [], bc.Workload())
    rows = out["replicas"][0]["score_rows"]
    ram = next(r for r in rows if r["nova"] and r["nova"][0]["name"] == "RAMWeigher")
    assert [s["name"] for s in ram["kube"]] == ["NodeResourcesFit"]
    assert ram["notes"][0]["difference"] == "integer truncation makes ties frequent"
    fit = ram["kube"][0]
    assert fit["weight"] == 1 and fit["ran"]
    for v in fit["values"]:
        assert isinstance(v["normalized"], int) and 0 <= v["normalized"] <= 100
    nova = ram["nova"][0]["values"]
    assert all(0 <= float(v["normalized"]) <= 1 for v in nova)


def test_allocatable_refuses_what_the_ram_ratio_lets_nova_take():
    # 8192 MB on an 8192 MB host: RamFilter allows 8192 × 1.5 − 512; allocatable is 7580Mi
    out = bc.compare(_moment(LARGE), [], bc.Workload())
    fit = next(r for r in out["replicas"][0]["filter_rows"] if any(s["name"] == "RamFilter" for s in r["nova"]))
    assert next(s for s in fit["nova"] if s["name"] == "RamFilter")["removed"] == []
    assert [(v["host"], v["reason"]) for v in fit["kube"][0]["removed"]] == [("small", "Insufficient memory")]
    # the numbers behind Kubernetes' bare reason
    detail = fit["kube"][0]["removed"][0]["detail"]
    assert "memory 8192Mi" in detail and "memory 7580Mi with 0Mi requested" in detail


def test_anti_affinity_spreads_the_replicas_and_nova_fails_the_whole_request():
    out = bc.compare(_moment(SMALL, 4, group=True), [], bc.Workload(anti_affinity=True, replicas=4))
    assert out["nova_error"] is not None and out["nova_selected"] == []
    placed = out["kube_selected"]
    assert len(set(placed[:3])) == 3 and placed[3] is None
    last = out["replicas"][3]["outcome"]["kube"]["message"]
    assert last.startswith("0/3 nodes are available: 3 node(s) didn't")
    assert out["replicas"][3]["outcome_notes"][-1]["difference"].startswith("Nova places the instances")


def test_pods_on_a_host_count_against_its_node():
    busy = Instance("ffffffff0000", "db", LARGE, "small", project="other")
    out = bc.compare(_moment(LARGE), [busy], bc.Workload())
    small = next(h for h in out["hosts"] if h["host"] == "small")
    assert small["kube"]["cpu_requested"] == 4000 and small["kube"]["pods"] == 1
    assert small["kube"]["memory_requested_mi"] == 8192


def test_another_driver_is_replaced_by_the_filter_scheduler():
    m = _moment()
    m = replace(m, config=replace(m.config, driver="chance_scheduler"))
    out = bc.compare(m, [], bc.Workload())
    assert out["driver_replaced"] and out["nova_trace"]["driver"] == "filter_scheduler"


def test_the_placement_era_pairs_placement_with_node_resources_fit():
    m = _moment(HUGE)
    m = replace(m, config=SchedulerConfig.for_era("placement", seed=7))
    out = bc.compare(m, [], bc.Workload())
    rows = out["replicas"][0]["filter_rows"]
    row = next(r for r in rows if any(s["name"] == "Placement" for s in r["nova"]))
    assert [s["name"] for s in row["kube"]] == ["NodeResourcesFit"]
    assert {v["host"] for v in row["kube"][0]["removed"]} == {"big", "mid", "small"}
    assert out["nova_error"]["type"] == "NoValidHost"


def test_a_cloud_without_hosts_has_no_nodes_either():
    out = bc.compare(replace(_moment(), hosts=()), [], bc.Workload())
    assert out["hosts"] == [] and out["nova_error"]["type"] == "NoValidHost"
    assert out["replicas"][0]["outcome"]["kube"]["message"] == "no nodes available to schedule pods"
