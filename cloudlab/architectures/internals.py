"""Inside a Container (issue 12): namespaces, cgroups and the layered rootfs, each a tab over a pure
model of ``cloudlab.engine.containers``. The page carries each tab's first state; the tab's form
posts to a small JSON view here that runs the same model again (parse, call, render: nothing is
stored, so the views need no action layer)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from cloudlab.engine.containers import cgroups, namespaces, overlay
from cloudlab.engine.containers.notes import Note, Refused

#: What the cgroups tab starts with: a hog throttled at memory.high, then OOM-killed at memory.max.
DEMO_KNOBS = {"cpu.max": "50000 100000", "memory.high": "192M", "memory.max": "256M", "memory.oom.group": "0"}
DEMO_WORKLOAD = {"cpu_demand": "2", "anon_mib": "48", "cache_mib": "16", "ticks": "20"}


def _plain(value: Any) -> Any:
    """The model's output as JSON, its notes translated into the page's language."""
    if isinstance(value, Note):
        return value.as_dict(gettext)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _refused(refusal: Refused, **extra: Any) -> JsonResponse:
    return JsonResponse(
        {"ok": False, "errno": refusal.errno, "message": refusal.note.text(gettext), **extra}, status=400
    )


def namespace_rows() -> list[dict[str, Any]]:
    return [
        {
            "key": n.key,
            "name": gettext(n.name),
            "flag": n.flag,
            "link": n.link,
            "arrived": n.arrived,
            "arrived_note": gettext(n.arrived_note) if n.arrived_note else "",
            "proc_link": n.proc_link,
            "isolates": gettext(n.isolates),
            "docker_default": n.docker_default,
        }
        for n in namespaces.NAMESPACES
    ]


def namespace_state(flags: frozenset[str]) -> dict[str, Any]:
    return {"ok": True, **_plain(namespaces.views(flags))}


def cgroup_state(values: dict[str, Any]) -> dict[str, Any]:
    limits = cgroups.parse_limits(values)
    workload = cgroups.parse_workload(values)
    return {
        "ok": True,
        "tree": cgroups.tree(limits),
        "run": _plain(cgroups.run(limits, workload)),
        "workload": {
            "ticks": workload.ticks,
            "cpu_demand": workload.cpu_demand,
            "anon_mib": workload.anon_per_tick / cgroups.MIB,
            "cache_mib": workload.cache_per_tick / cgroups.MIB,
        },
        "host_cpus": cgroups.HOST_CPUS,
    }


def rootfs_state(operations: list[Any]) -> dict[str, Any]:
    result = overlay.replay(operations)
    state = {
        "ok": result.refusal is None,
        **overlay.describe(result.rootfs),
        "notes": _plain(result.outcome.notes),
        "applied": len(operations) if result.failed_at is None else result.failed_at,
    }
    if result.refusal is not None:
        state.update(errno=result.refusal.errno, message=result.refusal.note.text(gettext))
    return state


@login_required
def page(request: HttpRequest) -> HttpResponse:
    data = {
        "urls": {
            "namespaces": reverse("architectures:inside-namespaces"),
            "cgroups": reverse("architectures:inside-cgroups"),
            "rootfs": reverse("architectures:inside-rootfs"),
        },
        "namespaces": namespace_state(namespaces.DOCKER_DEFAULT),
        "cgroups": cgroup_state({**DEMO_KNOBS, **DEMO_WORKLOAD}),
        "rootfs": rootfs_state([]),
    }
    context = {
        "namespace_rows": namespace_rows(),
        "knobs": {key.replace(".", "_").replace("memory_oom_group", "oom_group"): v for key, v in DEMO_KNOBS.items()},
        "workload": DEMO_WORKLOAD,
        "v1_controllers": cgroups.V1_CONTROLLERS,
        "v1_hierarchies": cgroups.V1_HIERARCHIES,
        "v2_since": sorted(cgroups.V2_SINCE.items(), key=lambda item: [int(x) for x in item[1].split(".")]),
        "operations": overlay.OPERATIONS,
        "page": data,
    }
    return render(request, "architectures/internals.html", context)


@login_required
@require_POST
def namespaces_json(request: HttpRequest) -> JsonResponse:
    """``on`` (repeated): the namespaces the container is created with."""
    try:
        flags = namespaces.parse_flags(request.POST.getlist("on"))
    except Refused as refusal:
        return _refused(refusal)
    return JsonResponse(namespace_state(flags))


@login_required
@require_POST
def cgroups_json(request: HttpRequest) -> JsonResponse:
    """The container group's knobs (``cpu.max`` …) and the workload (``cpu_demand`` …)."""
    try:
        return JsonResponse(cgroup_state(request.POST.dict()))
    except Refused as refusal:
        return _refused(refusal)


@login_required
@require_POST
def rootfs_json(request: HttpRequest) -> JsonResponse:
    """``ops``: the JSON list of the student's operations since the container started. A refused
    operation answers 400 with the state before it."""
    try:
        operations = json.loads(request.POST.get("ops", "[]"))
    except ValueError:
        return JsonResponse({"ok": False, "message": gettext("The operations are not valid JSON.")}, status=400)
    if not isinstance(operations, list):
        return JsonResponse({"ok": False, "message": gettext("The operations must be a JSON list.")}, status=400)
    try:
        state = rootfs_state(operations)
    except Refused as refusal:
        return _refused(refusal)
    return JsonResponse(state, status=200 if state["ok"] else 400)


urlpatterns = [
    path("learn/inside-a-container/", page, name="inside"),
    path("learn/inside-a-container/namespaces.json", namespaces_json, name="inside-namespaces"),
    path("learn/inside-a-container/cgroups.json", cgroups_json, name="inside-cgroups"),
    path("learn/inside-a-container/rootfs.json", rootfs_json, name="inside-rootfs"),
]
