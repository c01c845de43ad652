"""The bridge between the database and the engine's scheduler: rows in, plain HostStates out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from cloudlab.engine import scheduler as engine
from cloudlab.engine.resources import counts_toward_usage, is_io_workload
from cloudlab.engine.scheduler import HostState, Moment, SchedulerConfig, ScheduleRequest, moment_to_dict, rerun

from .models import Aggregate, Cloud, Flavor, Host, Image, Instance, ServerGroup


def scheduler_config(cloud: Cloud) -> SchedulerConfig:
    """The cloud's nova.conf scheduler section, validated (it was validated when saved)."""
    return engine.parse_scheduler_config({**cloud.scheduler_config, "era": cloud.era})


def engine_flavor(flavor: Flavor) -> engine.Flavor:
    return engine.Flavor(
        id=flavor.flavorid,
        name=flavor.name,
        vcpus=flavor.vcpus,
        memory_mb=flavor.memory_mb,
        root_gb=flavor.root_gb,
        ephemeral_gb=flavor.ephemeral_gb,
        swap=flavor.swap,
        extra_specs=dict(flavor.extra_specs),
    )


def engine_image(image: Image) -> engine.Image:
    return engine.Image(
        id=str(image.uuid),
        name=image.name,
        disk_format=image.disk_format,
        size_mb=image.size_mb,
        min_ram=image.min_ram,
        min_disk=image.min_disk,
        properties=dict(image.properties),
    )


def host_states(cloud: Cloud) -> list[HostState]:
    """Every compute host of the cloud as Nova's HostState, from its row and its instances."""
    hosts = list(Host.objects.filter(cloud=cloud).select_related("cloud").prefetch_related("aggregates"))
    uuids: dict[int, set[str]] = defaultdict(set)
    counts: dict[int, int] = defaultdict(int)
    io_ops: dict[int, int] = defaultdict(int)
    rows = Instance.objects.filter(cloud=cloud, host__isnull=False).values_list(
        "host_id", "uuid", "vm_state", "task_state"
    )
    for host_id, uuid, vm_state, task_state in rows:
        if not counts_toward_usage(vm_state):
            continue
        uuids[host_id].add(str(uuid))
        counts[host_id] += 1
        if is_io_workload(vm_state, task_state):
            io_ops[host_id] += 1
    return [
        HostState(
            name=h.name,
            resources=h.resources(),
            aggregates=tuple(
                engine.Aggregate(a.name, a.availability_zone or None, dict(a.metadata)) for a in h.aggregates.all()
            ),
            host_ip=h.host_ip,
            hypervisor_type=h.hypervisor_type,
            hypervisor_version=h.hypervisor_version,
            architecture=h.architecture,
            cpu_arch=h.cpu_arch,
            supported_instances=tuple(tuple(t) for t in h.supported_instances) or None,  # type: ignore[arg-type]
            enabled=h.enabled,
            disabled_reason=h.disabled_reason if not h.enabled else "",
            up=h.up,
            num_instances=counts[h.pk],
            num_io_ops=io_ops[h.pk],
            failed_builds=h.failed_builds,
            instance_uuids=frozenset(uuids[h.pk]),
        )
        for h in hosts
    ]


def schedule_request(
    instance: Instance, siblings: Sequence[Instance] = (), *, create_context: dict[str, Any] | None = None
) -> ScheduleRequest:
    """Nova's RequestSpec for ``instance`` and, in a multi-create, the other instances of its
    request (one request, num_instances of them, in the order they were created).
    ``create_context``: the instance's create action's context, when the caller holds it (a
    boot), so it is not read again."""
    uuids = (str(instance.uuid), *(str(s.uuid) for s in siblings))
    spec = request_spec(instance) if create_context is None else _spec_of(create_context)
    hints = spec.get("scheduler_hints") or {}
    return ScheduleRequest(
        flavor=engine_flavor(instance.flavor),
        image=engine_image(instance.image),
        num_instances=len(uuids),
        availability_zone=spec.get("availability_zone") or None,
        scheduler_hints=engine.SchedulerHints(
            same_host=tuple(hints.get("same_host", ())), different_host=tuple(hints.get("different_host", ()))
        ),
        server_group=engine_server_group(instance),
        instance_uuids=uuids,
        project=instance.project.name,
    )


def engine_server_group(instance: Instance) -> engine.ServerGroup | None:
    """The instance's server group as the scheduler's filters and weighers read it: its policy,
    rules, live members and the hosts they run on (a move's source among them, as Nova's
    InstanceGroup.get_hosts()), for the boot and every later move, as RequestSpec.instance_group."""
    group = ServerGroup.objects.filter(members=instance).order_by("created_at", "id").first()
    if group is None:
        return None
    rows = list(group.members.live().order_by("created_at", "id").values_list("uuid", "host__name"))
    members = tuple(str(uuid) for uuid, _host in rows)
    hosts = tuple(dict.fromkeys(host for _uuid, host in rows if host))
    return engine.ServerGroup(
        name=group.name,
        policy=group.policy,
        members=members,
        rules={k: int(v) for k, v in (group.rules or {}).items()},
        uuid=str(group.uuid),
        hosts=hosts,
    )


def request_spec(instance: Instance) -> dict[str, Any]:
    """What the boot request asked of the scheduler (``availability_zone``, ``scheduler_hints``),
    kept in the instance's create action as Nova keeps its RequestSpec: a move is scheduled
    with it too."""
    context = (
        instance.actions.filter(action="create").order_by("start_time", "id").values_list("context", flat=True).first()
    )
    return _spec_of(context or {})


def _spec_of(context: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in context.items() if k in ("availability_zone", "scheduler_hints")}


def decide(
    instance: Instance,
    *,
    tried: list[str] | None = None,
    exclude: str | None = None,
    flavor: Flavor | None = None,
    siblings: Sequence[Instance] = (),
    requested_destination: str | None = None,
    create_context: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run the cloud's scheduler for ``instance`` (and the ``siblings`` of its multi-create, in
    the same pass) on the cloud as it is now; return the trace and the frozen moment it was made
    from (kept for replay and what-if). ``tried`` are hosts a claim already failed on
    (RetryFilter); ``exclude`` is a move's source host; ``flavor`` a resize's new flavor;
    ``requested_destination`` the host a move named (the scheduler considers only it);
    ``create_context`` the instance's create action's context if the caller holds it."""
    hosts = [h for h in host_states(instance.cloud) if h.name != exclude]
    request = schedule_request(instance, siblings, create_context=create_context)
    if flavor is not None:
        request = replace(request, flavor=engine_flavor(flavor))
    if requested_destination:
        request = replace(request, requested_destination=requested_destination)
    offered = {a.name for h in hosts for a in h.aggregates}
    others = tuple(
        engine.Aggregate(a.name, a.availability_zone or None, dict(a.metadata))
        for a in Aggregate.objects.filter(cloud=instance.cloud).order_by("name")
        if a.name not in offered
    )
    moment = Moment(tuple(hosts), request, scheduler_config(instance.cloud), tuple(tried or ()), others)
    return rerun(moment), moment_to_dict(moment)
