"""What happens to hosts, addresses and images when a step is applied: one function per effect
of the engine's vocabulary (``lifecycle.EFFECTS``), run in the step's transaction.

Every effect is idempotent (a redelivered step, the reaper), takes the locked instance and the
action it belongs to, and returns how many seconds the viewers need before the next phase (a
scheduling pass's funnel; 0 otherwise). One that cannot happen raises ``StepFailed`` (or, for a
lost claim in the classic era, ``Reschedule``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.utils import timezone
from django.utils.translation import gettext as _

from cloudlab.engine import lifecycle
from cloudlab.engine.i18n import render
from cloudlab.engine.launch import FlavorRef, ImageRequirements, QuotaSet, resize_problems

from . import queue
from .claims import release
from .models import Cloud, Flavor, Host, Image, Instance, InstanceAction, Migration
from .outcomes import StepFailed
from .placement import remaining_funnel, schedule_and_claim, unplaced_siblings

#: Neutron's words when the network's allocation pool is used up.
NO_FIXED_IP = "Zero fixed IPs available."

_MOVE_KINDS = {
    "resize": Migration.Kind.RESIZE,
    "migrate": Migration.Kind.MIGRATION,
    "live_migrate": Migration.Kind.LIVE_MIGRATION,
    "evacuate": Migration.Kind.EVACUATION,
}


def current_move(instance: Instance) -> Migration | None:
    return (
        instance.migrations.filter(status__in=Migration.IN_PROGRESS)
        .select_related("source_host", "dest_host", "old_flavor", "new_flavor")
        .first()
    )


def _on_host(instance: Instance, host: Host | None) -> None:
    """The instance's host, node and (with a host) availability zone, as Nova writes them together."""
    instance.host = host
    instance.node = host.name if host is not None else ""
    if host is not None:
        instance.availability_zone = host.availability_zone


def effect_schedule_and_claim(instance: Instance, record: InstanceAction) -> float:
    """A boot's (or an offloaded instance's unshelve's) placement. The first instance of a
    multi-create places the whole request in one pass; the others, placed by it, only wait for
    its funnel before their builds go on."""
    if instance.host_id is not None:  # placed with the rest of its multi-create
        return remaining_funnel(record)
    siblings = unplaced_siblings(instance, record) if record.context["action"] == lifecycle.BUILD else []
    first, *rest = schedule_and_claim(instance, record, instance.flavor, siblings=siblings)
    _on_host(instance, first.host)
    for member, placed in zip(siblings, rest, strict=True):
        _on_host(member.instance, placed.host)
        member.instance.save(update_fields=["host", "node", "availability_zone", "updated_at"])
        queue.run_step(member.instance.pk, member.record.pk, member.record.context.get("step", 0))
    return first.funnel_seconds


def effect_allocate_network(instance: Instance, record: InstanceAction) -> None:
    """The lowest free address of the cloud's network after the gateway (.1), as Neutron's
    default allocation pool hands them out: 10.0.0.2, 10.0.0.3, … An instance that has one keeps it."""
    if instance.fixed_ip is not None or record.context.get("networks") == "none":
        return  # a boot asked for no network ("networks": "none") has no port
    ip = _free_fixed_ip(instance.cloud)
    if ip is None:
        raise StepFailed(NO_FIXED_IP)
    instance.fixed_ip = ip


def _free_fixed_ip(cloud: Cloud) -> str | None:
    Cloud.objects.select_for_update().filter(pk=cloud.pk).exists()  # serialise allocations
    used = {
        ipaddress.ip_address(ip)
        for ip in Instance.objects.filter(cloud=cloud, fixed_ip__isnull=False).values_list("fixed_ip", flat=True)
    }
    hosts = cloud.network.hosts()
    next(hosts, None)  # the gateway
    for address in hosts:
        if address not in used:
            return str(address)
    return None


def effect_schedule_destination(instance: Instance, record: InstanceAction) -> float:
    action = record.context["action"]
    new_flavor = instance.flavor
    if action == "resize":
        new_flavor = Flavor.objects.get(cloud=instance.cloud, flavorid=record.context["params"]["flavor"])
    source = instance.host
    if source is None:
        raise StepFailed(_("Instance %(id)s has no host to move from.") % {"id": instance.uuid})
    if action == "live_migrate" and not source.up:
        # nova/conductor/tasks/live_migrate.py _check_host_is_up(source), before any scheduling
        raise StepFailed(render(lifecycle.COMPUTE_SERVICE_UNAVAILABLE, {"host": source.name}))
    # A named host that is not forced (nova-api's requested_destination): the scheduler still
    # runs, on that host only.
    requested = record.context["params"].get("host") or None
    [placed] = schedule_and_claim(instance, record, new_flavor, exclude=source.name, requested_destination=requested)
    Migration.objects.create(
        instance=instance,
        kind=_MOVE_KINDS[action],
        source_host=source,
        dest_host=placed.host,
        old_flavor=instance.flavor,
        new_flavor=new_flavor,
        old_vm_state=record.context["vm_state"],
    )
    return placed.funnel_seconds


def effect_migrate_disk(instance: Instance, record: InstanceAction) -> None:
    """The source host's ``migrate_disk_and_power_off``: before it powers the guest off, the
    driver refuses a disk it would have to shrink (libvirt: ``ResizeError`` "Unable to resize
    disk down." in ``InstanceFaultRollback``; VMware: "Unable to shrink disk."). The rule is
    ``launch.resize_problems``' own compute-side one, asked for the source host's driver with
    nothing of nova-api's in play (the quota and the image were checked when it accepted)."""
    move = current_move(instance)
    if move is None or move.old_flavor_id == move.new_flavor_id:
        return  # a cold migration keeps its flavor: nothing can shrink
    refused = next(
        (
            p
            for p in resize_problems(
                FlavorRef(move.old_flavor.flavorid, move.old_flavor.name, move.old_flavor.size),
                FlavorRef(move.new_flavor.flavorid, move.new_flavor.name, move.new_flavor.size),
                _NO_IMAGE_MINIMUMS,
                _NO_QUOTA,
                _NO_QUOTA,
                move.source_host.hypervisor_type if move.source_host is not None else None,
            )
            if p.where == "compute"
        ),
        None,
    )
    if refused is not None:
        raise StepFailed(refused.fault)


#: What ``effect_migrate_disk`` hands ``resize_problems`` for the checks only nova-api makes.
_NO_QUOTA = QuotaSet(instances=-1, cores=-1, ram=-1)
_NO_IMAGE_MINIMUMS = ImageRequirements(name="", min_ram=0, min_disk=0, size_mb=0)


def effect_move_to_destination(instance: Instance, record: InstanceAction) -> None:
    move = current_move(instance)
    if move is None or move.dest_host is None:
        raise StepFailed(_("No move in progress for instance %(id)s.") % {"id": instance.uuid})
    _on_host(instance, move.dest_host)
    instance.flavor = move.new_flavor
    if move.kind in (Migration.Kind.RESIZE, Migration.Kind.MIGRATION):
        move.status = Migration.Status.FINISHED  # waits for confirm or revert
        move.save(update_fields=["status", "updated_at"])


def effect_release_source(instance: Instance, record: InstanceAction) -> None:
    move = current_move(instance)
    if move is None:
        return
    release(move.source_host_id, move.old_flavor)
    move.status = (
        Migration.Status.CONFIRMED
        if move.kind in (Migration.Kind.RESIZE, Migration.Kind.MIGRATION)
        else Migration.Status.COMPLETED
    )
    move.save(update_fields=["status", "updated_at"])


def effect_release_destination(instance: Instance, record: InstanceAction) -> None:
    move = current_move(instance)
    if move is None:
        return
    if move.dest_host_id is not None:
        release(move.dest_host_id, move.new_flavor)
    _on_host(instance, move.source_host)
    instance.flavor = move.old_flavor
    move.status = Migration.Status.REVERTED
    move.save(update_fields=["status", "updated_at"])


def effect_abort_move(instance: Instance, record: InstanceAction) -> None:
    """A move that failed before the instance left its source (``errors_out_migration_ctxt``
    and ``_revert_allocation`` in the manager's ``resize_instance``): the migration is error,
    the destination's claim is given back, the instance stays on the source with its flavor."""
    move = current_move(instance)
    if move is None:
        return  # the scheduler found no host: nothing was claimed
    if move.dest_host_id is not None:
        release(move.dest_host_id, move.new_flavor)
    _on_host(instance, move.source_host)
    instance.flavor = move.old_flavor
    move.status = Migration.Status.ERROR
    move.save(update_fields=["status", "updated_at"])


def effect_release_host(instance: Instance, record: InstanceAction) -> None:
    # An instance holds its flavor on its host exactly while it has one (see compute/audit.py).
    if instance.host_id is not None:
        release(instance.host_id, instance.flavor)
    move = current_move(instance)
    if move is not None:  # deleting in the middle of a move frees the other side too
        other = move.dest_host_id if move.source_host_id == instance.host_id else move.source_host_id
        held = move.new_flavor if other == move.dest_host_id else move.old_flavor
        if other is not None:
            release(other, held)
        move.status = Migration.Status.ERROR
        move.save(update_fields=["status", "updated_at"])
    _on_host(instance, None)


def effect_snapshot_image(instance: Instance, record: InstanceAction) -> None:
    """The upload is done: the snapshot's record (queued since the API accepted, or made now
    for an action recorded before that) holds the instance's image and disk, "active"."""
    params = record.context["params"]
    fields = {
        "owner": instance.project,
        "name": params["name"],
        "disk_format": instance.image.disk_format,
        "size_mb": instance.image.size_mb,
        "min_ram": instance.image.min_ram,
        "min_disk": instance.flavor.root_gb,
        "properties": {
            **instance.image.properties,
            "image_type": "snapshot",
            "instance_uuid": str(instance.uuid),
            "base_image_ref": str(instance.image.uuid),
        },
        "status": "active",
    }
    if params.get("image_id"):
        Image.objects.update_or_create(cloud=instance.cloud, uuid=params["image_id"], defaults=fields)
    else:
        Image.objects.create(cloud=instance.cloud, **fields)


def effect_rebuild_image(instance: Instance, record: InstanceAction) -> None:
    image_id = record.context["params"].get("image")
    if image_id:
        instance.image = Image.objects.get(cloud=instance.cloud, uuid=image_id)


def effect_mark_deleted(instance: Instance, record: InstanceAction) -> None:
    if instance.host_id is not None:
        effect_release_host(instance, record)
    instance.fixed_ip = None
    instance.deleted_at = timezone.now()


EFFECTS: dict[lifecycle.Effect, Callable[[Instance, InstanceAction], float | None]] = {
    "schedule_destination": effect_schedule_destination,
    "migrate_disk": effect_migrate_disk,
    "move_to_destination": effect_move_to_destination,
    "release_source": effect_release_source,
    "release_destination": effect_release_destination,
    "abort_move": effect_abort_move,
    "release_host": effect_release_host,
    "schedule_and_claim": effect_schedule_and_claim,
    "allocate_network": effect_allocate_network,
    "snapshot_image": effect_snapshot_image,
    "rebuild_image": effect_rebuild_image,
    "mark_deleted": effect_mark_deleted,
}
assert EFFECTS.keys() == lifecycle.EFFECTS.keys(), "every effect of the engine's vocabulary has its writer"


def apply_effect(effect: lifecycle.Effect | None, instance: Instance, record: InstanceAction) -> float:
    """Perform ``effect`` (if any) on the locked instance; the seconds the viewers need after it."""
    if effect is None:
        return 0.0
    return EFFECTS[effect](instance, record) or 0.0
