"""What the VM vs Container charts read: one JSON snapshot of a student's experiment.

Per kind: the host that serves it and what its claims hold, the copies asked and where each one
is (active, building, refused with NoValidHost), and the cited model's figures with their sources
and status tags (``cloudlab.engine.architectures``). Measured in the simulated cloud (from its
rows): how many copies are running on the host and the memory its claims hold per instance
beyond the flavor. From the model: the start time, the per-instance overhead, the density and the
relative performance factors. The page draws only this; it computes no figure of its own.
"""

from __future__ import annotations

import re
from typing import Any, Final

from django.utils.translation import gettext as _

from cloudlab.compute.models import Cloud, Host, Instance
from cloudlab.engine import architectures as model
from cloudlab.engine.lifecycle import VmState
from cloudlab.engine.resources import limits
from cloudlab.identity.models import Project
from cloudlab.live.events import current_seqs, project_stream

from .experiment_cloud import KIND_ORDER, MAX_COPIES, flavor_of_kind, host_of_kind

#: The relative-performance chart's metrics, in its order (the issue's four).
FACTOR_METRICS: Final = ("cpu", "memory_bandwidth", "network_rtt", "disk_random_iops")

#: Units that mark a figure as a factor relative to native (what the performance chart plots).
FACTOR_UNITS: Final = frozenset({"×", "× RTT"})

_NO_VALID_HOST = "No valid host was found"


def short_source(key: str) -> str:
    """A source's name for a hover label: ``felter2014`` → ``Felter 2014``."""
    match = re.fullmatch(r"([a-z-]+?)(\d{4})", key)
    if match:
        return f"{match.group(1).capitalize()} {match.group(2)}"
    return key.replace("-", " ").capitalize()


def source_json(key: str) -> dict[str, str]:
    source = model.SOURCES[key]
    return {"key": key, "short": short_source(key), "citation": source.citation, "link": source.link}


def figure_json(figure: model.Figure) -> dict[str, Any]:
    """A model figure as the page shows it: value (None: no data), unit, status and its meaning,
    the sources by name, and the note saying what the number is."""
    return {
        "value": figure.value,
        "unit": figure.unit,
        "qualifier": figure.qualifier,
        "low": figure.low,
        "high": figure.high,
        "status": figure.status,
        "status_label": _(model.STATUSES[figure.status]),
        "has_data": figure.has_data,
        "text": _(figure.text) if figure.text else "",
        "note": _(figure.note) if figure.note else "",
        "sources": [short_source(k) for k in figure.sources],
    }


def _kind_snapshot(cloud: Cloud, kind: str, instances: list[Instance]) -> dict[str, Any]:
    host = host_of_kind(cloud, kind)
    flavor = flavor_of_kind(cloud, kind)
    mine = sorted((i for i in instances if i.flavor_id == flavor.pk), key=_copy_number)
    active = [i for i in mine if i.vm_state == VmState.ACTIVE]
    refused = [i for i in mine if i.vm_state == VmState.ERROR and _NO_VALID_HOST in (i.fault or {}).get("message", "")]
    failed = [i for i in mine if i.vm_state == VmState.ERROR and i not in refused]
    start = model.start_time(kind, cloud.illustrative_start_seconds or None)
    overhead = model.memory_overhead(kind)
    ram_for_instances = int(limits(host.resources(), cloud.era)["memory_mb"]) - host.reserved_host_memory_mb  # type: ignore[arg-type]
    return {
        "kind": kind,
        "label": _(model.profile(kind).label),
        "examples": _(model.profile(kind).examples),
        "host": _host_json(host, ram_for_instances),
        "flavor": {"name": flavor.name, "memory_mb": flavor.memory_mb, "vcpus": flavor.vcpus},
        "asked": len(mine),
        "active": len(active),
        "building": sum(1 for i in mine if i.vm_state == VmState.BUILDING),
        "refused": len(refused),
        "failed": len(failed),
        "started": [{"name": i.name, "copy": _copy_number(i)} for i in active],
        "start": {
            "seconds": start.seconds,
            "basis": start.basis,
            "basis_label": _(start.label),
            "figure": figure_json(start.figure),
        },
        "overhead": {
            "model_mb": overhead.mb,
            "stand_in": _stand_in_label(overhead.stand_in),
            "figure": figure_json(overhead.figure),
            "claimed_mb": _claimed_overhead(host),
        },
        "density": {
            "model": model.density(kind, max(ram_for_instances, 0), flavor.memory_mb),
            "ram_for_instances_mb": ram_for_instances,
            "per_instance_mb": flavor.memory_mb + overhead.mb,
            "launched": len(active),
        },
        "factors": {metric: figure_json(model.figure(kind, metric)) for metric in FACTOR_METRICS},
    }


def _host_json(host: Host, ram_for_instances: int) -> dict[str, Any]:
    return {
        "name": host.name,
        "hypervisor_type": host.hypervisor_type,
        "architecture": host.architecture,
        "architecture_label": str(host.get_architecture_display()),
        "memory_mb": host.memory_mb,
        "memory_mb_used": host.memory_mb_used,
        "reserved_host_memory_mb": host.reserved_host_memory_mb,
        "ram_for_instances_mb": ram_for_instances,
    }


def _claimed_overhead(host: Host) -> float | None:
    """What the host's claims hold per instance beyond its flavor's RAM: (RAM used − reserved −
    the flavors' RAM) ÷ instances holding the host; None while none does."""
    held = list(Instance.objects.filter(host=host).values_list("flavor__memory_mb", flat=True))
    if not held:
        return None
    return (host.memory_mb_used - host.reserved_host_memory_mb - sum(held)) / len(held)


def _stand_in_label(stand_in: tuple[str, str] | None) -> str:
    if stand_in is None:
        return ""
    kind, metric = stand_in
    return _("stand-in: no published figure, %(kind)s's %(metric)s is used") % {
        "kind": _(model.profile(kind).label),
        "metric": _(model.METRICS[metric].label),
    }


def _copy_number(instance: Instance) -> int:
    tail = instance.name.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def snapshot(project: Project | None) -> dict[str, Any]:
    """The experiment as the charts read it; ``ran`` false (and no kinds) before the first run."""
    base: dict[str, Any] = {
        "max_copies": MAX_COPIES,
        "metrics": [
            {
                "code": m,
                "label": _(model.METRICS[m].label),
                "unit": model.METRICS[m].unit,
                "higher_is_better": model.METRICS[m].higher_is_better,
            }
            for m in FACTOR_METRICS
        ],
        "statuses": {tag: _(text) for tag, text in model.STATUSES.items()},
        "sources": [source_json(key) for key in model.SOURCES],
        "caveats": [_(c) for c in model.CAVEATS],
    }
    if project is None:
        return {**base, "ran": False, "streams": {}, "kinds": []}
    cloud = project.cloud
    stream = project_stream(project.pk)
    seqs = current_seqs([stream])  # read before the rows: a later event is applied on top
    instances = list(Instance.objects.filter(project=project).live().select_related("flavor"))
    return {
        **base,
        "ran": bool(instances),
        "streams": seqs,
        "stream": stream,
        "cloud": cloud.name,
        "pace": cloud.pace,
        "kinds": [_kind_snapshot(cloud, kind, instances) for kind in KIND_ORDER],
    }
