"""Project → Kubernetes → Nova ↔ Kubernetes: one workload through both schedulers, side by side.

The page reads the project's cloud as it is now (its compute hosts, the instances on them, its
``nova.conf``), freezes it in a Nova ``Moment`` as a launch would (``compute.scheduling``), and
hands it to the engine's ``bridge_compare.compare``, which runs the FilterScheduler and the
kube-scheduler on it. Nothing is written: a GET with the form's fields, read-only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from cloudlab.compute.actions.launch import launchable_flavors, launchable_images
from cloudlab.compute.actions.server_groups import SERVER_GROUP_MEMBERS_QUOTA
from cloudlab.compute.models import Aggregate, Cloud, Flavor, Host, Instance
from cloudlab.compute.scheduling import engine_flavor, engine_image, host_states, scheduler_config
from cloudlab.dashboard.access import project_or_404
from cloudlab.engine import scheduler as engine
from cloudlab.engine.kubernetes.bridge_compare import Workload, compare
from cloudlab.engine.resources import counts_toward_usage
from cloudlab.identity.models import Project

#: A server group of 2 … this many members (Nova's default server_group_members quota).
MIN_MEMBERS = 2
MAX_MEMBERS = SERVER_GROUP_MEMBERS_QUOTA
#: The flavor shown first: the course's usual one, else the smallest.
DEFAULT_FLAVOR = "m1.small"

#: The engine's English words for a stage that did not run, as the page says them.
WHY_NOT = {
    "no host left": gettext_lazy("not run: no host left"),
    "runs once per request": gettext_lazy("not run: it runs once per request (for the first instance)"),
    "only one host left": gettext_lazy("only one host left: the weighers are skipped"),
}
KUBE_WHY_NOT = {"no host left": gettext_lazy("not reached: no node passed the plugins before it")}


class BadInput(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class Choice:
    flavor: Flavor
    zone: str
    anti_affinity: bool
    members: int


def _zones(cloud: Cloud) -> list[str]:
    """The cloud's availability zones, as the compute API offers them (the hosts' zones)."""
    return sorted(set(Host.objects.filter(cloud=cloud).values_list("availability_zone", flat=True)))


def _parse(query: Any, flavors: list[Flavor], zones: list[str]) -> Choice:
    """The form's fields, checked; ``BadInput`` names the field at fault."""
    flavor_id = query.get("flavor", "")
    if flavor_id:
        flavor = next((f for f in flavors if f.flavorid == flavor_id), None)
        if flavor is None:
            raise BadInput(_("There is no flavor %(flavor)s in this cloud.") % {"flavor": flavor_id[:64]}, "flavor")
    else:
        flavor = next((f for f in flavors if f.name == DEFAULT_FLAVOR), flavors[0])
    zone = query.get("zone", "")
    if zone and zone not in zones:
        raise BadInput(_("There is no availability zone %(zone)s in this cloud.") % {"zone": zone[:64]}, "zone")
    anti = query.get("anti_affinity", "") in ("on", "1", "true")
    members = MIN_MEMBERS
    raw = query.get("members", "").strip()
    if anti:  # the form always sends the members field; it counts only with the group
        try:
            members = int(raw) if raw else MIN_MEMBERS
        except ValueError:
            members = -1
        if not MIN_MEMBERS <= members <= MAX_MEMBERS:
            raise BadInput(
                _("A server group here has %(min)d to %(max)d members, not %(value)s.")
                % {"min": MIN_MEMBERS, "max": MAX_MEMBERS, "value": raw[:16]},
                "members",
            )
    return Choice(flavor, zone, anti, members)


def _moment(project: Project, choice: Choice) -> engine.Moment:
    """The cloud now, with the workload as a launch would ask for it (``compute.scheduling.decide``)."""
    cloud = project.cloud
    hosts = host_states(cloud)
    count = choice.members if choice.anti_affinity else 1
    uuids = tuple(str(uuid.uuid4()) for _i in range(count))
    image = launchable_images(project).order_by("name").first()
    group = engine.ServerGroup("bridge", "anti-affinity", members=uuids) if choice.anti_affinity else None
    request = engine.ScheduleRequest(
        flavor=engine_flavor(choice.flavor),
        image=engine_image(image) if image else None,
        num_instances=count,
        availability_zone=choice.zone or None,
        server_group=group,
        instance_uuids=uuids,
        project=project.name,
    )
    offered = {a.name for h in hosts for a in h.aggregates}
    others = tuple(
        engine.Aggregate(a.name, a.availability_zone or None, dict(a.metadata))
        for a in Aggregate.objects.filter(cloud=cloud).order_by("name")
        if a.name not in offered
    )
    return engine.Moment(tuple(hosts), request, scheduler_config(cloud), (), others)


def _instances(cloud: Cloud) -> list[engine.Instance]:
    """Every instance holding resources on a host of the cloud (as ``host_states`` counts them)."""
    rows = Instance.objects.filter(cloud=cloud, host__isnull=False).select_related("flavor", "host")
    return [
        engine.Instance(str(i.uuid), i.name, engine_flavor(i.flavor), i.host.name, project=str(i.project_id))
        for i in rows.order_by("created_at", "id")
        if i.host is not None and counts_toward_usage(i.vm_state)
    ]


def _charts(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "nova": r["outcome"]["nova"].get("ranking", []),
            "kube": r["outcome"]["kube"].get("ranking", []),
            "nova_selected": r["outcome"]["nova"].get("selected"),
            "kube_selected": r["outcome"]["kube"].get("selected"),
        }
        for r in result["replicas"]
    ]


def _prepare(result: dict[str, Any]) -> None:
    """The engine's English for a stage that did not run, in the page's language; each row's
    two cells as a list, so the template draws both sides with one loop."""
    for replica in result["replicas"]:
        for row in replica["filter_rows"]:
            for side, words in (("nova", WHY_NOT), ("kube", KUBE_WHY_NOT)):
                for stage in row[side]:
                    if stage.get("why_not"):
                        stage["why_not"] = words.get(stage["why_not"], stage["why_not"])
            row["cells"] = [{"side": "nova", "stages": row["nova"]}, {"side": "kube", "stages": row["kube"]}]
        for row in replica["score_rows"]:
            row["cells"] = [{"side": "nova", "stages": row["nova"]}, {"side": "kube", "stages": row["kube"]}]
        nova = replica["outcome"]["nova"]
        if nova.get("weighers_skipped"):
            nova["weighers_skipped"] = WHY_NOT.get(nova["weighers_skipped"], nova["weighers_skipped"])


@login_required
@require_GET
def bridge(request: HttpRequest) -> HttpResponse:
    project = project_or_404(request)
    cloud = project.cloud
    flavors = list(launchable_flavors(project).order_by("memory_mb", "vcpus", "name"))
    zones = _zones(cloud)
    context: dict[str, Any] = {
        "project": project,
        "flavors": flavors,
        "zones": zones,
        "form": {k: request.GET.get(k, "") for k in ("flavor", "zone", "anti_affinity", "members")},
        "min_members": MIN_MEMBERS,
        "max_members": MAX_MEMBERS,
        "error": None,
        "result": None,
    }
    if not flavors:
        context["error"] = BadInput(_("This cloud has no flavor to launch."), "flavor")
        return render(request, "kube/bridge.html", context, status=400)
    try:
        choice = _parse(request.GET, flavors, zones)
    except BadInput as error:
        context["error"] = error
        return render(request, "kube/bridge.html", context, status=400)
    moment = _moment(project, choice)
    workload = Workload(choice.zone or None, choice.anti_affinity, choice.members if choice.anti_affinity else 1)
    result = compare(moment, _instances(cloud), workload, own_project=str(project.pk), translate=_)
    _prepare(result)
    context["form"] = {
        "flavor": choice.flavor.flavorid,
        "zone": choice.zone,
        "anti_affinity": "on" if choice.anti_affinity else "",
        "members": str(choice.members),
    }
    context.update(
        choice=choice,
        request_summary=moment.request,
        result=result,
        charts=_charts(result),
    )
    return render(request, "kube/bridge.html", context)
