"""The Django adapter: a sandbox cloud's rows as the plain ``state.Snapshot`` checks read.

``sandbox_snapshot(cloud, project, answers=None)`` reads, in a handful of queries: the cloud's
instances that are not deleted; its hosts with their usage columns (reserved included, as Nova's
compute_nodes) and allocation ratios (the era's default where unset); and the action log of
every instance of the cloud (deleted ones included), oldest first, each action with the host
its last scheduling pass selected and the fault of a failed launch (NoValidHost …).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudlab.compute.models import Cloud, Host, Instance, InstanceAction, SchedulingRecord
from cloudlab.engine.lifecycle import VmState
from cloudlab.identity.models import Project

from .state import ERROR, IN_PROGRESS, POWER_STATE_NAMES, SUCCESS, ActionFacts, HostFacts, InstanceFacts, Snapshot


def sandbox_snapshot(
    cloud: Cloud, project: Project | None = None, answers: Mapping[str, Any] | None = None
) -> Snapshot:
    """The cloud as checks see it (``project`` names the student's project in it)."""
    instances = list(
        Instance.objects.filter(cloud=cloud)
        .select_related("flavor", "image", "host", "project")
        .order_by("created_at", "id")
    )
    live = [i for i in instances if i.vm_state != VmState.DELETED]
    hosts = list(Host.objects.filter(cloud=cloud).select_related("cloud").prefetch_related("aggregates"))
    on_host: dict[int, int] = {}
    for i in live:
        if i.host_id is not None:
            on_host[i.host_id] = on_host.get(i.host_id, 0) + 1
    return Snapshot(
        instances=tuple(_instance(i) for i in live),
        hosts=tuple(_host(h, on_host.get(h.pk, 0)) for h in hosts),
        actions=_actions(cloud),
        answers=dict(answers or {}),
        project=project.name if project is not None else "",
    )


def _instance(i: Instance) -> InstanceFacts:
    return InstanceFacts(
        name=i.name,
        uuid=str(i.uuid),
        status=i.status,
        vm_state=i.vm_state,
        task_state=i.task_state,
        power_state=POWER_STATE_NAMES.get(i.power_state, str(i.power_state)),
        flavor=i.flavor.name,
        image=i.image.name,
        host=i.host.name if i.host else None,
        availability_zone=i.availability_zone,
        project=i.project.name,
        locked=i.locked,
    )


def _host(h: Host, num_instances: int) -> HostFacts:
    r = h.resources()
    return HostFacts(
        name=h.name,
        vcpus=r.vcpus,
        memory_mb=r.memory_mb,
        local_gb=r.local_gb,
        vcpus_used=r.vcpus_used,
        memory_mb_used=r.memory_mb_used,
        local_gb_used=r.local_gb_used,
        cpu_allocation_ratio=r.cpu_allocation_ratio,
        ram_allocation_ratio=r.ram_allocation_ratio,
        disk_allocation_ratio=r.disk_allocation_ratio,
        enabled=h.enabled,
        up=h.up,
        availability_zone=h.availability_zone,
        aggregates=tuple(sorted(a.name for a in h.aggregates.all())),
        num_instances=num_instances,
    )


def _actions(cloud: Cloud) -> tuple[ActionFacts, ...]:
    records = (
        InstanceAction.objects.filter(instance__cloud=cloud)
        .select_related("instance", "instance__flavor", "instance__image")
        .order_by("start_time", "id")
    )
    decisions: dict[int, SchedulingRecord] = {}
    for d in SchedulingRecord.objects.filter(cloud=cloud, action__isnull=False).order_by("attempt", "id"):
        decisions[d.action_id] = d  # the last attempt wins
    flavors = {f.flavorid: f.name for f in cloud.flavors.all()}
    out = []
    for a in records:
        decision = decisions.get(a.pk)
        fault = None
        if decision is not None and decision.outcome in (
            SchedulingRecord.Outcome.NO_VALID_HOST,
            SchedulingRecord.Outcome.MAX_RETRIES,
        ):
            fault = str(decision.outcome)
        failed = bool(a.message) or fault is not None or a.events.filter(result="Error").exists()
        result = IN_PROGRESS if a.finish_time is None and not failed else ERROR if failed else SUCCESS
        flavor = a.instance.flavor.name
        params = a.context.get("params") or {}
        new_flavor = params.get("flavor") if isinstance(params, dict) else None
        if a.action == "resize" and isinstance(new_flavor, str):
            flavor = flavors.get(new_flavor, new_flavor if new_flavor in flavors.values() else flavor)
        out.append(
            ActionFacts(
                action=a.action,
                instance=a.instance.name,
                instance_uuid=str(a.instance.uuid),
                result=result,
                flavor=flavor,
                image=a.instance.image.name,
                host=(decision.selected_host or None) if decision is not None else None,
                fault=fault,
                message=a.message,
                start_time=a.start_time.isoformat(),
            )
        )
    return tuple(out)
