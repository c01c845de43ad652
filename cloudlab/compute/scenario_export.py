"""Save a cloud as it stands as a scenario file, so that ``manage.py load_scenario FILE`` rebuilds
it: hosts (capacity, ratios, reservations, service state, aggregates), aggregates, flavors, images,
the scheduler's settings (era included) and the instances settled on their hosts.

Two steps, the second pure:

1. ``cloud_rows(cloud)`` reads the cloud's rows into plain data (``CloudRows``).
2. ``scenario_document(rows)`` turns them into the scenario format
   (../shared/reference/scenario-format.md): every section in the format's order, each instance
   under its host, and a host's ``usage`` written only where what it records differs from what
   its instances add up to (a scenario that stated a usage, or a claim the audit would flag), so a
   plain cloud exports a plain file. The document is then read back with the engine's own parser:
   a cloud the format cannot express (two images of one name, say) is refused with the parser's
   problems, never written half-right.

What the format has no field for is not exported: a host's disabled reason, IP addresses (a load
hands them out again in order), instances still in a task (building, rebooting…: a snapshot
between two steps is not a scenario), deleted instances, the cloud's pace, and who is in the
class (``--classroom`` files carry people).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from cloudlab.engine.scheduler import ScenarioError
from cloudlab.engine.scheduler.scenario import parse_scenario
from cloudlab.kube.scenario import with_clusters

from .models import Cloud, Instance, ServerGroup

#: A host's usage counters (``hosts[].usage``) kept in its row.
_USAGE = ("vcpus_used", "memory_mb_used", "local_gb_used")


@dataclass(frozen=True)
class CloudRows:
    """The cloud's rows as plain data: what ``scenario_document`` reads."""

    name: str
    description: dict[str, str]
    era: str
    scheduler: dict[str, Any]
    aggregates: list[dict[str, Any]]
    hosts: list[dict[str, Any]]
    flavors: list[dict[str, Any]]
    images: list[dict[str, Any]]
    instances: list[dict[str, Any]]
    server_groups: list[dict[str, Any]]


def cloud_rows(cloud: Cloud) -> CloudRows:
    """Read the cloud (its hosts in name order, the rest in creation order)."""
    cloud = Cloud.objects.get(pk=cloud.pk)  # what is stored now, not a caller's older copy
    hosts = []
    for host in cloud.hosts.prefetch_related("aggregates").order_by("name"):
        hosts.append(
            {
                "name": host.name,
                "aggregates": sorted(a.name for a in host.aggregates.all()),
                "host_ip": host.host_ip,
                "hypervisor_type": host.hypervisor_type,
                "hypervisor_version": host.hypervisor_version,
                "architecture": host.architecture,
                "cpu_arch": host.cpu_arch,
                "supported_instances": [list(t) for t in host.supported_instances],
                "enabled": host.enabled,
                "up": host.up,
                "vcpus": host.vcpus,
                "memory_mb": host.memory_mb,
                "local_gb": host.local_gb,
                "cpu_allocation_ratio": host.cpu_allocation_ratio,
                "ram_allocation_ratio": host.ram_allocation_ratio,
                "disk_allocation_ratio": host.disk_allocation_ratio,
                "reserved_host_memory_mb": host.reserved_host_memory_mb,
                "reserved_host_disk_mb": host.reserved_host_disk_mb,
                "reserved_host_cpus": host.reserved_host_cpus,
                "usage": {name: getattr(host, name) for name in _USAGE} | {"failed_builds": host.failed_builds},
            }
        )
    settled = (
        Instance.objects.filter(cloud=cloud, host__isnull=False, task_state__isnull=True, deleted_at__isnull=True)
        .exclude(vm_state__in=("deleted", "building"))
        .select_related("host", "flavor", "image", "project")
        .order_by("created_at", "pk")
    )
    return CloudRows(
        name=cloud.name,
        description={"en": "", "zh-hans": "", **(cloud.description or {})},
        era=cloud.era,
        scheduler=dict(cloud.scheduler_config or {}),
        aggregates=[
            {"name": a.name, "availability_zone": a.availability_zone or None, "metadata": dict(a.metadata)}
            for a in cloud.aggregates.order_by("pk")
        ],
        hosts=hosts,
        flavors=[
            {
                "id": f.flavorid,
                "name": f.name,
                "vcpus": f.vcpus,
                "memory_mb": f.memory_mb,
                "root_gb": f.root_gb,
                "ephemeral_gb": f.ephemeral_gb,
                "swap": f.swap,
                "extra_specs": dict(f.extra_specs),
            }
            for f in cloud.flavors.order_by("pk")
        ],
        images=[
            {
                "id": str(i.uuid),
                "name": i.name,
                "disk_format": i.disk_format,
                "size_mb": i.size_mb,
                "min_ram": i.min_ram,
                "min_disk": i.min_disk,
                "properties": dict(i.properties),
            }
            for i in cloud.images.order_by("pk")
        ],
        instances=[
            {
                "uuid": str(i.uuid),
                "name": i.name,
                "flavor": i.flavor.name,
                "image": i.image.name,
                "vm_state": i.vm_state,
                "project": i.project.name,
                "host": i.host.name,  # type: ignore[union-attr]  # filtered: every one has a host
            }
            for i in settled
        ],
        server_groups=[
            {
                "name": g.name,
                "uuid": str(g.uuid),
                "policy": g.policy,
                "rules": dict(g.rules),
                "project": g.project.name,
                # The members the file can hold (a member still building or deleted is not in it).
                "members": [str(u) for u in g.members.filter(pk__in=settled).order_by("created_at", "pk")
                            .values_list("uuid", flat=True)],
            }
            for g in ServerGroup.objects.filter(cloud=cloud).select_related("project").order_by("created_at", "pk")
        ],
    )


def scenario_document(rows: CloudRows) -> dict[str, Any]:
    """The scenario file's content for ``rows``; raises ``ScenarioError`` if the format cannot say it.

    Steps: write every section without any host's usage; parse it (the engine derives each host's
    usage from its instances, as a load does); add ``usage`` to the hosts whose recorded counters
    differ from that; parse again, so what is returned is a scenario the loader accepts."""
    document: dict[str, Any] = {
        "name": rows.name,
        "description": dict(rows.description),
        "scheduler": {**rows.scheduler, "era": rows.era},
        "aggregates": [dict(a) for a in rows.aggregates],
        "hosts": [],
        "flavors": [dict(f) for f in rows.flavors],
        "images": [dict(i) for i in rows.images],
    }
    if rows.server_groups:
        document["server_groups"] = [dict(g) for g in rows.server_groups]
    for host in rows.hosts:
        entry = {k: v for k, v in host.items() if k != "usage"}
        entry["instances"] = [
            {k: v for k, v in i.items() if k != "host"} for i in rows.instances if i["host"] == host["name"]
        ]
        document["hosts"].append(entry)
    derived = {h.name: h for h in parse_scenario(document).hosts}
    for entry, host in zip(document["hosts"], rows.hosts, strict=True):
        state = derived[entry["name"]]
        stated = host["usage"]
        differs = any(stated[k] != getattr(state.resources, k) for k in _USAGE)
        if differs or stated["failed_builds"] != state.failed_builds:
            # What the row records wins over the sum of its instances, as in Nova's compute_nodes.
            entry["usage"] = dict(stated)
            entry["instances"] = entry.pop("instances")  # keep instances last, as the format reads
    parse_scenario(document)
    return document


def export_scenario(cloud: Cloud) -> dict[str, Any]:
    return with_clusters(scenario_document(cloud_rows(cloud)), cloud)  # and its Kubernetes clusters


def scenario_yaml(document: dict[str, Any]) -> str:
    """The document as the YAML a scenario file holds (keys in the format's order, UTF-8 text)."""
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)


__all__ = ["CloudRows", "ScenarioError", "cloud_rows", "export_scenario", "scenario_document", "scenario_yaml"]
