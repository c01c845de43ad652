"""What a page says about a host's architecture class, from the cited model (cloudlab/engine/
architectures.py): its kind, the start time the simulator paces its boots with (and what that
number is), the per-instance memory overhead (and whether the cloud counts it), each with its
source for the hover. The Hypervisors page and the scheduling view's host cards both read this,
so neither restates a figure."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from cloudlab.compute.models import Cloud, Host
from cloudlab.engine import architectures as arch
from cloudlab.engine.i18n import fmt_number
from cloudlab.engine.resources import instance_overhead_mb


def _cite(figure: arch.Figure) -> str:
    """The figure's sources and status for a hover: "Source: Mao & Humphrey 2012 (P: read in the
    primary source)". Authors and year only: the page's list of sources gives each citation in
    full, in its own language (``sources_of``)."""
    status = _("%(tag)s: %(meaning)s") % {"tag": figure.status, "meaning": _(arch.STATUSES[figure.status])}
    sources = "; ".join(s.short for s in figure.citations)
    return _("Source: %(sources)s (%(status)s)") % {"sources": sources, "status": status} if sources else status


def sources_of(summaries: list[dict[str, Any]]) -> list[arch.Source]:
    """The sources the summaries' figures cite, in the model's order, for the page's list."""
    keys = {key for summary in summaries for key in summary["sources"]}
    return [source for key, source in arch.SOURCES.items() if key in keys]


def architecture_summary(code: str, cloud: Cloud) -> dict[str, Any]:
    """The class ``code`` on ``cloud``: kind, start time, overhead, with labels and sources."""
    kind = arch.kind_of(code)
    start = arch.start_time(kind, cloud.illustrative_start_seconds or None)
    overhead = arch.memory_overhead(kind)
    counted = instance_overhead_mb(cloud.era, code, cloud.model_instance_overhead)  # type: ignore[arg-type]
    overhead_note = _(overhead.figure.note) if overhead.figure.note else ""
    if overhead.stand_in:
        overhead_note = _("No published figure: the QEMU VMM's (Type I) stands in. ") + overhead_note
    return {
        "code": code,
        "kind": kind,
        "kind_label": _(arch.profile(kind).label),
        "examples": _(arch.profile(kind).examples),
        "start_s": start.seconds,
        "start_text": _("%(seconds)s s") % {"seconds": fmt_number(start.seconds)},
        "start_basis": start.basis,
        "start_label": _(start.label),
        "start_source": _cite(start.figure) if start.basis in ("measured", "cloud-launch") else _(start.label),
        "overhead_mb": overhead.mb,
        "overhead_stand_in": overhead.stand_in is not None,
        "overhead_counted_mb": counted,
        "overhead_text": _("%(mb)s MB per instance") % {"mb": fmt_number(overhead.mb)},
        "overhead_source": (overhead_note + " " + _cite(overhead.figure)).strip(),
        "sources": [
            *(start.figure.sources if start.basis in ("measured", "cloud-launch") else ()),
            *overhead.figure.sources,
        ],
    }


def cloud_architectures(cloud: Cloud) -> list[dict[str, Any]]:
    """``architecture_summary`` of every class the cloud's hosts have, in the model's order."""
    codes = set(Host.objects.filter(cloud=cloud).values_list("architecture", flat=True))
    return [architecture_summary(a.code, cloud) for a in arch.ARCHITECTURES if a.code in codes]
