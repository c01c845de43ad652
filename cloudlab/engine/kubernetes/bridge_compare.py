"""One workload through Nova's FilterScheduler and the kube-scheduler, on the same hosts.

The bridge view (issue 17 item 3, kubernetes-semantics.md §8) takes a frozen Nova ``Moment``
(the cloud's compute hosts as they are now, the request: a flavor, maybe a zone, maybe an
anti-affinity server group of N members) and the instances on those hosts, and:

1. runs Nova's FilterScheduler on the moment (``rerun``; the cloud's own driver is replaced by
   filter_scheduler when it is another one, since the bridge is about filters and weighers);
2. builds one Node per compute host (``node_from_host``): capacity = the host's vCPUs, RAM and
   disk; allocatable = capacity − system-reserved (Nova's ``reserved_host_*``, which holds the
   same memory back for the host's own daemons) − the kubelet's hard eviction thresholds
   (``bridge.capacity_from_flavor``); the host's zone and aggregates as labels; a disabled
   nova-compute service as a cordon (``spec.unschedulable`` + the unschedulable taint); a down
   service as a node whose kubelet stopped posting (Ready=Unknown, the unreachable taints);
3. makes every instance on a host a Running pod bound to its node, requesting its flavor
   (``pod_from_instance``), and the workload N pods requesting the flavor
   (``workload_pods``): the zone as a nodeSelector on topology.kubernetes.io/zone, the server
   group as a required pod anti-affinity on kubernetes.io/hostname among the N replicas;
4. schedules those pods one after another as the kube-scheduler does (each bound pod is
   assumed on its node before the next cycle), with the default profile;
5. lines the two traces up row by row (``filter_rows``, ``score_rows``): a Nova filter and the
   filter plugins doing its job share a row (``FILTER_COUNTERPARTS``), a weigher and its score
   plugins likewise, and §8's "difference students should notice" goes next to the row where it
   shows.

Nothing here touches a database: the Django page builds the moment and the instances.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..i18n import N_, Translate, fmt_number, identity, render
from ..scheduler.model import Flavor, HostState, Instance
from ..scheduler.moment import Moment, rerun
from ..scheduler.placement import STAGE_NAME as PLACEMENT_STAGE
from ..scheduler.request_filters import AZ_STAGE
from ..scheduler.schema import FilterStage, SchedulingTrace, WeigherEntry
from .bridge import BRIDGE, FILTER_PAIRS, SCORE_PAIRS, Reserved, aggregate_to_node_terms, node_from_instance
from .controllers.nodelifecycle import UNREACHABLE, default_tolerations
from .nodeinfo import snapshot
from .objects import (
    Affinity,
    Container,
    Node,
    ObjectMeta,
    Pod,
    PodAffinity,
    PodAffinityTerm,
    PodSpec,
    PodStatus,
    Taint,
)
from .plugins import FILTERS, HOSTNAME, SCORES, UNSCHEDULABLE_TAINT, ZONE
from .scheduler import Decision, PodInstanceResult, Scheduler
from .selectors import LabelSelector, from_set

WORKLOAD_APP = "bridge-workload"
NAMESPACE = "default"
IMAGE = "nginx:1.27"
#: Nova's cpu_arch → the kubelet's ``kubernetes.io/arch`` (Go's GOARCH names).
GOARCH = {"x86_64": "amd64", "aarch64": "arm64", "i686": "386", "armv7l": "arm"}

#: Nova filter (or pre-filter stage) → the filter plugins doing its job. ``bridge.FILTER_PAIRS``,
#: plus what a bridge made of hosts adds: a down nova-compute service is a node whose kubelet
#: stopped posting, which the unreachable taint keeps out (TaintToleration), not a cordon.
FILTER_COUNTERPARTS: dict[str, list[str]] = {
    **FILTER_PAIRS,
    "ComputeFilter": ["NodeUnschedulable", "TaintToleration"],
    PLACEMENT_STAGE: ["NodeResourcesFit"],
    AZ_STAGE: ["NodeAffinity"],
}
VOLUME_PLUGINS = ("VolumeRestrictions", "NodeVolumeLimits", "VolumeBinding", "VolumeZone")


def _bridge_row(nova: str) -> dict[str, str]:
    for row in BRIDGE:
        if row["nova"] == nova:
            return row
    raise KeyError(nova)


#: §8's rows, by where the bridge view shows them.
NOTE_FILTERS = _bridge_row("FilterScheduler filters (RamFilter, CoreFilter, ComputeFilter, AvailabilityZoneFilter, …)")
NOTE_ORDER = _bridge_row("filters run in order and the host list shrinks")
NOTE_NORMALISE = _bridge_row("weighers × multipliers, each normalised to [0, 1] as floats")
NOTE_TIES = _bridge_row("host_subset_size (default 1: the best host)")
NOTE_FLAVOR = _bridge_row("flavor (vcpus, ram, disk)")
NOTE_LABELS = _bridge_row("host aggregates, availability zones, their metadata")
NOTE_GROUPS = _bridge_row("server group affinity / anti-affinity, soft-(anti-)affinity weigher")
NOTE_FAILURE = _bridge_row("NoValidHost: the instance goes to ERROR")
NOTE_RETRY = _bridge_row("RetryFilter and alternates after a failed build")
#: The bridge's own note for a request of several: not a §8 row, but what the page shows.
NOTE_MULTI = {
    "nova": "",
    "kubernetes": "",
    "difference": N_(
        "Nova places the instances of one request together: if one finds no host, the whole request fails. "
        "Each pod is scheduled on its own, in its own cycle: the pods that fit are bound and run, only those "
        "that fit nowhere stay Pending."
    ),
}


# -- hosts → nodes, instances → pods ------------------------------------------------------------


def host_zone(host: HostState, default_zone: str) -> str:
    """The zone Nova places the host in: its aggregates' zone, else ``default_availability_zone``."""
    return min(host.availability_zones) if host.availability_zones else default_zone


def node_from_host(host: HostState, default_zone: str) -> Node:
    """The node a kubelet on this compute host would register (steps 2 of the module doc)."""
    r = host.resources
    size = {"vcpus": r.vcpus, "memory_mb": r.memory_mb, "root_gb": r.local_gb}
    reserved = Reserved(
        cpu_milli=r.reserved_host_cpus * 1000,
        memory_mi=r.reserved_host_memory_mb,
        ephemeral_gi=r.reserved_host_disk_mb // 1024,
    )
    zone = host_zone(host, default_zone)
    node = node_from_instance(host.name, size, zone, internal_ip=host.host_ip or "", reserved=reserved)
    labels = dict(node.metadata.labels)
    labels.pop("node.kubernetes.io/instance-type", None)  # a host has no flavor
    labels["kubernetes.io/arch"] = GOARCH.get(host.cpu_arch, host.cpu_arch)
    taints = list(node.taints)
    for agg in host.aggregates:
        extra, _ = aggregate_to_node_terms(dict(agg.metadata))
        labels.update({k: v for k, v in extra.items() if k != ZONE})
    conditions = list(node.conditions)
    if not host.enabled:
        taints.append(Taint(UNSCHEDULABLE_TAINT, "", "NoSchedule"))
    if not host.up:
        conditions = [
            replace(c, status="Unknown", reason="NodeStatusUnknown", message="Kubelet stopped posting node status.")
            for c in conditions
        ]
        taints += [Taint(UNREACHABLE, "", "NoSchedule"), Taint(UNREACHABLE, "", "NoExecute")]
    meta = replace(node.metadata, labels=labels)
    return replace(node, metadata=meta, taints=taints, conditions=conditions, unschedulable=not host.enabled)


def flavor_requests(flavor: Flavor) -> dict[str, str]:
    """A flavor as one container's requests: vCPUs, RAM and the disks (root + ephemeral)."""
    out = {"cpu": str(flavor.vcpus), "memory": f"{flavor.memory_mb}Mi"}
    disk = flavor.root_gb + flavor.ephemeral_gb
    if disk > 0:
        out["ephemeral-storage"] = f"{disk}Gi"
    return out


def _dns_label(text: str) -> str:
    label = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return label[:40].strip("-") or "vm"


def pod_from_instance(instance: Instance, own_project: str) -> Pod:
    """An instance as a Running pod on its host's node. Other projects' instances keep their
    names to themselves, as the Nova half does: they are ``vm-<uuid>``."""
    if instance.project == own_project:
        name = f"{_dns_label(instance.name)}-{instance.uuid[:5]}"
    else:
        name = f"vm-{instance.uuid[:8]}"
    spec = PodSpec([Container("vm", IMAGE, requests=flavor_requests(instance.flavor))], node_name=instance.host)
    return Pod(ObjectMeta(name, NAMESPACE), spec, PodStatus(phase="Running"))


def workload_pods(flavor: Flavor, replicas: int, zone: str | None, anti_affinity: bool) -> list[Pod]:
    """The workload as ``replicas`` pods requesting the flavor, with the zone as a nodeSelector
    and the server group as a required pod anti-affinity on the hostname; the apiserver's
    DefaultTolerationSeconds tolerations (not-ready, unreachable: NoExecute for 300 s)."""
    labels = {"app": WORKLOAD_APP}
    affinity = None
    if anti_affinity:
        term = PodAffinityTerm(LabelSelector(match_labels=dict(labels)), HOSTNAME)
        affinity = Affinity(pod_anti_affinity=PodAffinity(required=[term]))
    pods = []
    for i in range(replicas):
        spec = PodSpec(
            [Container("app", IMAGE, requests=flavor_requests(flavor))],
            node_selector={ZONE: zone} if zone else {},
            affinity=affinity,
        )
        pod = Pod(ObjectMeta(f"{WORKLOAD_APP}-{i + 1}", NAMESPACE, labels=dict(labels)), spec)
        pod.spec.tolerations = default_tolerations(pod)
        pods.append(pod)
    return pods


# -- the two runs -------------------------------------------------------------------------------


@dataclass
class Workload:
    """What the student asked for: the request is the moment's; this says how to read it."""

    zone: str | None = None
    anti_affinity: bool = False
    replicas: int = 1


def run_kube(
    nodes: list[Node], resident: list[Pod], pods: list[Pod], seed: int, translate: Translate = identity
) -> list[Decision]:
    """Schedule ``pods`` one by one; each bound pod is assumed on its node for the next cycle.
    Replicas of one workload get the system default spreading (a ReplicaSet selects them)."""
    infos = snapshot(nodes, resident)
    by_name = {ni.name: ni for ni in infos}
    scheduler = Scheduler(rng=random.Random(seed))  # noqa: S311 (ties, not secrets)
    spread = from_set({"app": WORKLOAD_APP}) if len(pods) > 1 else None
    decisions = []
    for pod in pods:
        decision = scheduler.schedule(pod, infos, spread_selector=spread, translate=translate)
        if decision.node is not None:
            pod.spec.node_name = decision.node
            by_name[decision.node].add_pod(pod)
        decisions.append(decision)
    return decisions


def compare(
    moment: Moment,
    instances: Sequence[Instance],
    workload: Workload,
    *,
    own_project: str = "",
    translate: Translate = identity,
) -> dict[str, Any]:
    """Both schedulers on the moment's hosts; the page's data (see the module doc)."""
    driver_replaced = moment.config.driver != "filter_scheduler"
    if driver_replaced:
        moment = replace(moment, config=replace(moment.config, driver="filter_scheduler"))
    nova = rerun(moment, translate=translate)
    default_zone = moment.config.default_availability_zone
    nodes = [node_from_host(h, default_zone) for h in moment.hosts]
    names = {h.name for h in moment.hosts}
    resident = [pod_from_instance(i, own_project) for i in instances if i.host in names]
    pods = workload_pods(moment.request.flavor, workload.replicas, workload.zone, workload.anti_affinity)
    decisions = run_kube(nodes, resident, pods, moment.config.seed, translate)
    hosts = list(moment.host_names)
    replicas = []
    for i, d in enumerate(decisions):
        n_inst = nova["instances"][i] if i < len(nova["instances"]) else None
        k_inst = d.trace["instances"][0]
        replicas.append(
            {
                "index": i,
                "pod": d.pod,
                "filter_rows": filter_rows(n_inst, k_inst, hosts, translate),
                "score_rows": score_rows(n_inst, k_inst, list(moment.config.weight_classes), hosts, translate),
                "outcome": outcome(nova, n_inst, d, i),
                "outcome_notes": [
                    _note(n, translate)
                    for n in (NOTE_TIES, NOTE_FAILURE, *([NOTE_MULTI] if len(decisions) > 1 else []))
                ],
            }
        )
    return {
        "hosts": [
            host_row(h, n, [p for p in resident if p.spec.node_name == h.name], default_zone)
            for h, n in zip(moment.hosts, nodes, strict=True)
        ],
        "pods": [pod_manifest(p) for p in pods],
        "replicas": replicas,
        "nova_error": nova["error"],
        "nova_selected": nova["selected_hosts"],
        "kube_selected": [d.node for d in decisions],
        "driver_replaced": driver_replaced,
        "era": moment.config.era,
        # the flavor ↔ requests pair is the workload's two cards themselves: only its difference
        "general_notes": [_note(NOTE_ORDER, translate), _note({"difference": NOTE_FLAVOR["difference"]}, translate)],
        "nova_trace": nova,
        "kube_traces": [d.trace for d in decisions],
    }


# -- lining the traces up -----------------------------------------------------------------------


def _note(row: Mapping[str, str], translate: Translate) -> dict[str, str]:
    """A §8 row in the page's language; the page shows its difference, or both sides when it has none."""
    return {k: translate(v) if v else "" for k, v in row.items()}


def _group(
    nova_names: Iterable[str], kube_names: Sequence[str], pairs: Mapping[str, list[str]]
) -> list[list[list[str]]]:
    """Rows [nova names, kube names]: a Nova stage joins the row holding one of its plugins (rows
    it links are merged), in Nova's order; plugins with no Nova counterpart follow, in the
    profile's order (the volume plugins share one row)."""
    rows: list[list[list[str]]] = []
    for name in nova_names:
        mine = [p for p in pairs.get(name, []) if p in kube_names]
        linked = [r for r in rows if any(p in r[1] for p in mine)]
        if not linked:
            rows.append([[name], [p for p in kube_names if p in mine]])
            continue
        first = linked[0]
        first[0].append(name)
        for other in linked[1:]:
            first[0] += other[0]
            first[1] += other[1]
            rows.remove(other)
        first[1] = [p for p in kube_names if p in first[1] or p in mine]
    placed = {p for r in rows for p in r[1]}
    volumes = [p for p in kube_names if p in VOLUME_PLUGINS and p not in placed]
    for p in kube_names:
        if p in placed or p in volumes:
            continue
        rows.append([[], [p]])
    if volumes:
        rows.append([[], volumes])
    return rows


#: NodeResourcesFit refuses with Kubernetes' bare reasons ("Insufficient memory"); the numbers
#: behind them, said beside the reason.
FIT_NUMBERS = N_(
    "asks cpu {cpu_req}m, memory {mem_req_mi}Mi; allocatable cpu {cpu_alloc}m with {cpu_used}m requested, "
    "memory {mem_alloc_mi}Mi with {mem_used_mi}Mi requested, pods {pods} of {pods_alloc}"
)


def _verdicts(stage: Mapping[str, Any], hosts: list[str], translate: Translate = identity) -> list[dict[str, Any]]:
    v = stage.get("verdicts") or {}
    out = []
    for h in hosts:
        if h not in v:
            continue
        entry = {"host": h, "passed": v[h]["passed"], "reason": v[h]["reason"], "detail": ""}
        if stage["name"] == "NodeResourcesFit" and not v[h]["passed"] and "cpu_alloc" in v[h]["numbers"]:
            entry["detail"] = render(FIT_NUMBERS, v[h]["numbers"], translate)
        out.append(entry)
    return out


def _stage_view(
    stage: FilterStage | None, name: str, hosts: list[str], position: int, translate: Translate = identity
) -> dict[str, Any]:
    if stage is None:
        return {"name": name, "ran": False, "why_not": "", "position": position, "verdicts": []}
    verdicts = _verdicts(stage, hosts, translate)
    return {
        "name": name,
        "ran": stage["ran"] and stage["hosts_in"] > 0,
        "why_not": stage.get("why_not", "") if not stage["ran"] else ("" if stage["hosts_in"] else "no host left"),
        "hosts_in": stage["hosts_in"],
        "hosts_out": stage["hosts_out"],
        "removed": [v for v in verdicts if not v["passed"]],
        "kept": [v for v in verdicts if v["passed"]],
        "position": position,
    }


def _filter_notes(nova: list[str], kube: list[str], translate: Translate) -> list[dict[str, str]]:
    notes = []
    if "RetryFilter" in nova:
        notes.append(NOTE_RETRY)
    if "NodeResourcesFit" in kube:
        notes.append(NOTE_FILTERS)
    if "NodeAffinity" in kube:
        notes.append(NOTE_LABELS)
    if "InterPodAffinity" in kube:
        notes.append(NOTE_GROUPS)
    return [_note(n, translate) for n in notes]


def filter_rows(
    nova: Mapping[str, Any] | None, kube: PodInstanceResult, hosts: list[str], translate: Translate = identity
) -> list[dict[str, Any]]:
    """Each Nova filter and its plugins in one row, with hosts in/out and every verdict."""
    n_stages = {s["name"]: s for s in (nova or {}).get("filters", [])}
    k_stages = {s["name"]: s for s in kube["filters"]}
    k_order = [name for name, _ in FILTERS]
    n_order = list(n_stages)
    rows = []
    for n_names, k_names in _group(n_order, k_order, FILTER_COUNTERPARTS):
        rows.append(
            {
                "nova": [_stage_view(n_stages[n], n, hosts, n_order.index(n) + 1) for n in n_names],
                "kube": [_stage_view(k_stages.get(k), k, hosts, k_order.index(k) + 1, translate) for k in k_names],
                "notes": _filter_notes(n_names, k_names, translate),
            }
        )
    return rows


def _weigher_view(entry: WeigherEntry | Mapping[str, Any] | None, name: str, hosts: list[str]) -> dict[str, Any]:
    if entry is None:
        return {"name": name, "ran": False, "values": []}
    values = entry["values"]
    return {
        "name": name,
        "ran": True,
        "multiplier": fmt_number(float(entry["multiplier"]))
        if isinstance(entry["multiplier"], float)
        else entry["multiplier"],
        "values": [
            {
                "host": h,
                "raw": fmt_number(values[h]["raw"]),
                "normalized": fmt_number(values[h]["normalized"]),
                "weighted": fmt_number(values[h]["weighted"]),
            }
            for h in hosts
            if h in values
        ],
    }


def score_rows(
    nova: Mapping[str, Any] | None,
    kube: PodInstanceResult,
    weight_classes: list[str],
    hosts: list[str],
    translate: Translate = identity,
) -> list[dict[str, Any]]:
    """Each weigher and its score plugins in one row, with raw, normalised and weighted values."""
    n_entries = {w["name"]: w for w in (nova or {}).get("weighers", [])}
    k_entries = {w["name"]: w for w in kube.get("weighers", [])}
    skipped = {s["name"] for s in kube.get("plugins_skipped", [])}
    k_order = [p.name for p in SCORES]
    rows = []
    for n_names, k_names in _group(weight_classes, k_order, SCORE_PAIRS):
        kube_views = []
        for k in k_names:
            view = _weigher_view(k_entries.get(k), k, hosts)
            view["position"] = k_order.index(k) + 1
            view["skipped"] = k in skipped
            view["weight"] = next(p.weight for p in SCORES if p.name == k)
            kube_views.append(view)
        rows.append(
            {
                "nova": [_weigher_view(n_entries.get(n), n, hosts) for n in n_names],
                "kube": kube_views,
                "notes": [_note(NOTE_NORMALISE, translate)] if "NodeResourcesFit" in k_names else [],
            }
        )
    return rows


def outcome(nova: SchedulingTrace, n_inst: Mapping[str, Any] | None, d: Decision, index: int) -> dict[str, Any]:
    """Where replica ``index`` went on each side, the final scores, the tie-break and §8's notes."""
    k_inst = d.trace["instances"][0]
    error = nova["error"]
    n_out: dict[str, Any]
    if n_inst is None:
        n_out = {"selected": None, "message": error["message"] if error else "", "reached": False}
    else:
        n_out = {
            "selected": n_inst.get("selected"),
            "message": error["message"] if error and error["instance_index"] == index else "",
            "reached": True,
            "ranking": [
                {"host": r["host"], "weight": r["weight"], "shown": fmt_number(float(r["weight"]))}
                for r in n_inst.get("ranking", [])
            ],
            "subset": n_inst.get("subset"),
            "weighers_skipped": n_inst.get("weighers_skipped", ""),
        }
    k_out = {
        "selected": d.node,
        "message": d.message,
        "event": d.event_reason,
        "event_type": d.event_type,
        "ranking": [
            {"host": r["host"], "weight": r["weight"], "shown": str(r["weight"])} for r in k_inst.get("ranking", [])
        ],
        "subset": k_inst.get("subset"),
        "weighers_skipped": k_inst.get("weighers_skipped", ""),
        "phase": "Pending" if d.node is None else "Scheduled",
    }
    return {"nova": n_out, "kube": k_out}


# -- the mapping, shown ---------------------------------------------------------------------------


def _mi(amount: int) -> int:
    return amount // 2**20


def host_row(host: HostState, node: Node, pods: list[Pod], default_zone: str = "nova") -> dict[str, Any]:
    """One compute host beside its node: Nova's limits and usage, the node's capacity,
    allocatable, what its pods request, its labels and taints."""
    r = host.resources
    alloc = node.allocatable_amounts()
    requested = {"cpu": 0, "memory": 0}
    info = snapshot([node], pods)[0]
    requested.update(info.requested)
    ready = node.condition("Ready")
    return {
        "host": host.name,
        "nova": {
            "zone": host_zone(host, default_zone),
            "zone_is_default": not host.availability_zones,
            "aggregates": [a.name for a in host.aggregates],
            "enabled": host.enabled,
            "up": host.up,
            "vcpus": r.vcpus,
            "cpu_ratio": fmt_number(float(r.cpu_allocation_ratio)),
            "vcpus_limit": fmt_number(float(r.vcpus_limit)),
            "vcpus_used": r.vcpus_used,
            "memory_mb": r.memory_mb,
            "ram_ratio": fmt_number(float(r.ram_allocation_ratio)),
            "memory_limit": fmt_number(float(r.memory_mb_limit)),
            "memory_used": r.memory_mb_used,
            "reserved_memory": r.reserved_host_memory_mb,
            "instances": host.num_instances,
        },
        "kube": {
            "labels": {k: v for k, v in sorted(node.metadata.labels.items()) if not k.startswith("kubernetes.io/os")},
            "taints": [f"{t.key}{'=' + t.value if t.value else ''}:{t.effect}" for t in node.taints],
            "unschedulable": node.unschedulable,
            "ready": ready.status if ready else "Unknown",
            "cpu_capacity": node.capacity.get("cpu", ""),
            "cpu_allocatable": alloc.get("cpu", 0),
            "cpu_requested": requested.get("cpu", 0),
            "memory_capacity_mi": int(node.capacity.get("memory", "0Ki")[:-2]) // 1024,
            "memory_allocatable_mi": _mi(alloc.get("memory", 0)),
            "memory_requested_mi": _mi(requested.get("memory", 0)),
            "pods": len(pods),
            "pods_allocatable": alloc.get("pods", 0),
        },
    }


def pod_manifest(pod: Pod) -> dict[str, Any]:
    """What the workload pod asks, as a manifest's fields read."""
    c = pod.spec.containers[0]
    out: dict[str, Any] = {"name": pod.metadata.name, "requests": dict(c.requests)}
    if pod.spec.node_selector:
        out["nodeSelector"] = dict(pod.spec.node_selector)
    if pod.spec.affinity and pod.spec.affinity.pod_anti_affinity:
        out["antiAffinity"] = {"topologyKey": HOSTNAME, "matchLabels": {"app": WORKLOAD_APP}}
    return out
