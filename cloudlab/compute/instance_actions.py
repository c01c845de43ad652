"""Every Horizon row action on an instance, under Nova's rules (cloudlab/engine/lifecycle.py).

``check_instance_action`` refuses what Nova refuses (409 with Nova's text, nothing changes);
``do_instance_action`` applies the API's own transition at once and enqueues the compute-side
steps; ``apply_step`` (run by the Celery task) applies one step as a compare-and-swap from the
task_state it expects, performs the step's resource effect, publishes it and schedules the next.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cloudlab.engine import lifecycle
from cloudlab.engine.launch import MAX_NAME_LENGTH, QuotaSet, flavor_image_problems, quota_problems
from cloudlab.engine.pacing import phase_seconds
from cloudlab.identity.models import is_instructor

from .actions import (
    ActionError,
    image_requirements,
    is_uuid,
    publish_instance,
    quota_limits,
    quota_usage,
    render_problems,
)
from .claims import finish_open_events, release, try_claim
from .decisions import start_live_replay
from .models import Flavor, Host, Image, Instance, InstanceAction, InstanceActionEvent, Migration, SchedulingRecord
from .rows import gate_state
from .scheduling import decide

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

log = logging.getLogger(__name__)


# -- checking --------------------------------------------------------------------------------


def refusal_for(user: AbstractBaseUser, instance: Instance, action: str) -> lifecycle.Refusal | None:
    return lifecycle.refusal(
        action,
        instance_id=str(instance.uuid),
        host_name=instance.host.name if instance.host is not None else "",
        **gate_state(instance, is_admin=is_instructor(user, instance.cloud_id)),
    )


def allowed_actions(instance: Instance, *, is_admin: bool) -> list[str]:
    """The row's menu: exactly the actions Nova would accept now (the engine's table decides)."""
    return lifecycle.allowed_actions(**gate_state(instance, is_admin=is_admin))


def _check_params(user: AbstractBaseUser, instance: Instance, action: str, raw: dict[str, Any]) -> dict[str, Any]:
    """The parameters an action needs, validated as nova-api does; ids are stored, not objects."""
    params: dict[str, Any] = {}
    if action == "resize":
        flavor = Flavor.objects.filter(cloud=instance.cloud, flavorid=str(raw.get("flavor") or "")).first()
        if flavor is None:
            raise ActionError(_("Select a flavor of this cloud to resize to."), "flavor")
        if flavor.pk == instance.flavor_id:
            # Nova: CannotResizeToSameFlavor
            raise ActionError(_("When resizing, instances must change flavor!"), "flavor")
        problems = flavor_image_problems(flavor.name, flavor.size, image_requirements(instance.image))
        if problems:
            raise ActionError(" ".join(render_problems(problems)), "flavor")
        # Resize checks only the upward delta of cores and RAM against the quota.
        delta_cores = max(0, flavor.vcpus - instance.flavor.vcpus)
        delta_ram = max(0, flavor.memory_mb - instance.flavor.memory_mb)
        if delta_cores or delta_ram:
            from cloudlab.engine.resources import FlavorSize

            problems = [
                p
                for p in quota_problems(
                    quota_limits(instance.project),
                    _without_instances(quota_usage(instance.project)),
                    FlavorSize(delta_cores, delta_ram, 0),
                    1,
                )
                if p.numbers.get("resource") != "instances"
            ]
            if problems:
                raise ActionError(" ".join(render_problems(problems)), "flavor", status=403)
        params["flavor"] = flavor.flavorid
    elif action == "rebuild":
        image_id = raw.get("image") or str(instance.image.uuid)
        image = Image.objects.filter(cloud=instance.cloud, uuid=image_id).first() if is_uuid(image_id) else None
        if image is None or (image.owner_id not in (None, instance.project_id)):
            raise ActionError(_("Select an image of this cloud to rebuild from."), "image")
        problems = flavor_image_problems(instance.flavor.name, instance.flavor.size, image_requirements(image))
        if problems:
            raise ActionError(" ".join(render_problems(problems)), "image")
        params["image"] = str(image.uuid)
    elif action == "create_snapshot":
        name = (raw.get("name") or "").strip() if isinstance(raw.get("name"), str) else ""
        if not name:
            raise ActionError(_("Snapshot name is required."), "name")
        if len(name) > MAX_NAME_LENGTH:
            raise ActionError(_("Snapshot name is at most %(max)d characters.") % {"max": MAX_NAME_LENGTH}, "name")
        params["name"] = name
    return params


def _without_instances(usage: QuotaSet) -> QuotaSet:
    return QuotaSet(instances=0, cores=usage.cores, ram=usage.ram)


@dataclass(frozen=True)
class Accepted:
    instance: Instance
    action: InstanceAction


def check_instance_action(
    user: AbstractBaseUser, instance: Instance, action: str, raw_params: dict[str, Any] | None = None
) -> dict[str, Any]:
    if action not in lifecycle.ACTIONS:
        raise ActionError(_("Unknown action '%(action)s'.") % {"action": action})
    refusal = refusal_for(user, instance, action)
    if refusal is not None:
        raise ActionError(refusal.render(_), status=refusal.status)
    return _check_params(user, instance, action, raw_params or {})


def do_instance_action(
    user: AbstractBaseUser, instance: Instance, action: str, raw_params: dict[str, Any] | None = None
) -> Accepted:
    """Check, then in one transaction: set the API's task_state, record the action; after commit
    publish and enqueue the first compute step."""
    from .tasks import enqueue_action_step

    rule = lifecycle.ACTIONS.get(action)
    with transaction.atomic():
        locked = Instance.objects.locked().get(pk=instance.pk)
        params = check_instance_action(user, locked, action, raw_params)  # re-checked under the lock
        assert rule is not None
        now = timezone.now()
        record = InstanceAction.objects.create(
            instance=locked,
            action=rule.api_name,
            request_id=InstanceAction.new_request_id(),
            user=user,
            project=locked.project,
            start_time=now,
            context={
                "action": action,
                "vm_state": locked.vm_state,
                "power_state": locked.power_state,
                "task_state": locked.task_state,
                "has_host": locked.host_id is not None,
                "host_up": locked.host.up if locked.host is not None else True,
                "params": {**params, "hypervisor_type": locked.host.hypervisor_type if locked.host else None},
            },
        )
        if action in ("lock", "unlock"):
            locked.locked = action == "lock"
            locked.locked_by = ("admin" if is_instructor(user, locked.cloud_id) else "owner") if locked.locked else ""
            locked.save(update_fields=["locked", "locked_by", "updated_at"])
            record.finish_time = now
            record.save(update_fields=["finish_time"])
            publish_instance(locked)
            return Accepted(locked, record)
        plan = _plan(record)
        if plan.api_step is not None:
            _set_state(locked, plan.api_step)
            locked.fault = None
            locked.save()
        publish_instance(locked)
        if plan.steps:
            delay = _delay(locked, plan.api_step) if plan.api_step is not None else 0.0
            enqueue_action_step(locked.pk, record.pk, 0, delay)
        else:
            record.finish_time = now
            record.save(update_fields=["finish_time"])
    return Accepted(locked, record)


def _plan(record: InstanceAction) -> lifecycle.Plan:
    context = record.context
    return lifecycle.plan(
        context["action"],
        vm_state=context["vm_state"],
        power_state=context["power_state"],
        params=context.get("params", {}),
        task_state=context.get("task_state"),
        has_host=context.get("has_host", True),
        host_up=context.get("host_up", True),
    )


def _set_state(instance: Instance, step: lifecycle.Step) -> None:
    instance.vm_state = step.vm_state
    instance.task_state = step.task_state
    instance.power_state = step.power_state


def _delay(instance: Instance, step: lifecycle.Step) -> float:
    architecture = instance.host.architecture if instance.host else "bare-metal"
    return phase_seconds(step, instance.cloud.pace, architecture, instance.image.size_mb)


# -- applying one compute-side step -------------------------------------------------------------


class StepFailed(Exception):
    """A step's effect could not happen (no valid host for a move); the action ends in error."""


def apply_step(instance_id: int, action_id: int, index: int) -> None:
    """Apply step ``index`` of the action's plan. Two guards make a duplicate or late delivery a
    no-op: the action's own step counter (under the instance's row lock) and the task_state the
    step expects (a compare-and-swap: the reaper or another action may have moved it)."""
    from .tasks import enqueue_action_step

    with transaction.atomic():
        instance = Instance.objects.locked().filter(pk=instance_id).first()
        record = InstanceAction.objects.filter(pk=action_id, instance_id=instance_id).first()
        if instance is None or record is None or record.finish_time is not None:
            return
        plan = _plan(record)
        if index >= len(plan.steps) or record.context.get("step", 0) != index:
            return
        step = plan.steps[index]
        if instance.task_state != step.expect_task_state:
            return
        if step.event:  # a new phase of the action log starts; the previous one is done
            finish_open_events(record, InstanceActionEvent.Result.SUCCESS)
            InstanceActionEvent.objects.create(
                action=record,
                event=step.event,
                start_time=timezone.now(),
                host=instance.host.name if instance.host else "",
            )
        try:
            if step.effect:
                EFFECTS[step.effect](instance, record)
        except StepFailed as failure:
            _abort(instance, record, plan, str(failure))
            return
        _set_state(instance, step)
        if step.vm_state == lifecycle.VmState.ACTIVE and instance.launched_at is None:
            instance.launched_at = timezone.now()
        instance.save()
        record.context = {**record.context, "step": index + 1}
        last = index + 1 >= len(plan.steps)
        if last:
            finish_open_events(record, InstanceActionEvent.Result.SUCCESS)
            record.finish_time = timezone.now()
        record.save(update_fields=["context", "finish_time"])
        publish_instance(instance)
        if not last:
            enqueue_action_step(instance.pk, record.pk, index + 1, _delay(instance, step))


def _abort(instance: Instance, record: InstanceAction, plan: lifecycle.Plan, message: str) -> None:
    """Nova's outcome when a move or an unshelve finds no host (``plan.on_schedule_failure``: a
    resize goes back to where it was, an evacuation ends in error), with the fault and the action
    marked Error."""
    now = timezone.now()
    if plan.on_schedule_failure is not None:
        _set_state(instance, plan.on_schedule_failure)
    else:
        instance.vm_state = record.context["vm_state"]
        instance.power_state = record.context["power_state"]
        instance.task_state = None
    instance.fault = {"code": 500, "message": message, "created": now.isoformat()}
    instance.save()
    finish_open_events(record, InstanceActionEvent.Result.ERROR, message)
    record.finish_time = now
    record.message = "Error"
    record.save(update_fields=["finish_time", "message"])
    publish_instance(instance)


# -- the effects: what happens to hosts and images at a step ------------------------------------


def _schedule(instance: Instance, record: InstanceAction, flavor: Flavor, *, exclude: str | None) -> Host:
    """Run the cloud's scheduler for a move or an unshelve, keep the trace, claim the winner
    (walking the ranking if a claim lost a race)."""
    trace, moment = decide(instance, exclude=exclude, flavor=flavor)
    attempt = instance.scheduling_records.count() + 1
    scheduling = SchedulingRecord(
        cloud=instance.cloud,
        instance=instance,
        action=record,
        attempt=attempt,
        era=trace["era"],
        driver=trace["driver"],
        trace=trace,
        moment=moment,
    )
    if trace["error"]:
        scheduling.outcome = trace["error"]["type"]
        scheduling.detail = trace["error"]["message"]
        scheduling.save()
        start_live_replay(scheduling)
        raise StepFailed(trace["error"]["message"])
    ranking = [r["host"] for r in trace["instances"][0].get("ranking", [])] or list(trace["selected_hosts"])
    ordered = [trace["selected_hosts"][0], *[h for h in ranking if h != trace["selected_hosts"][0]]]
    for name in ordered:
        host_row = Host.objects.get(cloud=instance.cloud, name=name)
        claimed, _shortfalls = try_claim(host_row.pk, flavor, instance.cloud.era)
        if claimed is not None:
            scheduling.selected_host = name
            scheduling.outcome = SchedulingRecord.Outcome.CLAIMED
            scheduling.save()
            start_live_replay(scheduling)
            return claimed
    scheduling.outcome = SchedulingRecord.Outcome.CLAIM_FAILED
    scheduling.save()
    raise StepFailed("No valid host was found. There are not enough hosts available.")


_MOVE_KINDS = {
    "resize": Migration.Kind.RESIZE,
    "migrate": Migration.Kind.MIGRATION,
    "live_migrate": Migration.Kind.LIVE_MIGRATION,
    "evacuate": Migration.Kind.EVACUATION,
}


def _current_move(instance: Instance) -> Migration | None:
    return (
        instance.migrations.filter(status__in=Migration.IN_PROGRESS)
        .select_related("source_host", "dest_host", "old_flavor", "new_flavor")
        .first()
    )


def effect_schedule_destination(instance: Instance, record: InstanceAction) -> None:
    action = record.context["action"]
    new_flavor = instance.flavor
    if action == "resize":
        new_flavor = Flavor.objects.get(cloud=instance.cloud, flavorid=record.context["params"]["flavor"])
    source = instance.host
    if source is None:
        raise StepFailed(_("Instance %(id)s has no host to move from.") % {"id": instance.uuid})
    dest = _schedule(instance, record, new_flavor, exclude=source.name)
    Migration.objects.create(
        instance=instance,
        kind=_MOVE_KINDS[action],
        source_host=source,
        dest_host=dest,
        old_flavor=instance.flavor,
        new_flavor=new_flavor,
        old_vm_state=record.context["vm_state"],
    )


def effect_move_to_destination(instance: Instance, record: InstanceAction) -> None:
    move = _current_move(instance)
    if move is None or move.dest_host is None:
        raise StepFailed(_("No move in progress for instance %(id)s.") % {"id": instance.uuid})
    instance.host = move.dest_host
    instance.node = move.dest_host.name
    instance.availability_zone = move.dest_host.availability_zone
    instance.flavor = move.new_flavor
    if move.kind in (Migration.Kind.RESIZE, Migration.Kind.MIGRATION):
        move.status = Migration.Status.FINISHED  # waits for confirm or revert
        move.save(update_fields=["status", "updated_at"])


def effect_release_source(instance: Instance, record: InstanceAction) -> None:
    move = _current_move(instance)
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
    move = _current_move(instance)
    if move is None:
        return
    if move.dest_host_id is not None:
        release(move.dest_host_id, move.new_flavor)
    instance.host = move.source_host
    instance.node = move.source_host.name
    instance.availability_zone = move.source_host.availability_zone
    instance.flavor = move.old_flavor
    move.status = Migration.Status.REVERTED
    move.save(update_fields=["status", "updated_at"])


def effect_release_host(instance: Instance, record: InstanceAction) -> None:
    # An instance holds its flavor on its host exactly while it has one (see compute/audit.py).
    if instance.host_id is not None:
        release(instance.host_id, instance.flavor)
    move = _current_move(instance)
    if move is not None:  # deleting in the middle of a move frees the other side too
        other = move.dest_host_id if move.source_host_id == instance.host_id else move.source_host_id
        held = move.new_flavor if other == move.dest_host_id else move.old_flavor
        if other is not None:
            release(other, held)
        move.status = Migration.Status.ERROR
        move.save(update_fields=["status", "updated_at"])
    instance.host = None
    instance.node = ""


def effect_schedule_and_claim(instance: Instance, record: InstanceAction) -> None:
    host = _schedule(instance, record, instance.flavor, exclude=None)
    instance.host = host
    instance.node = host.name
    instance.availability_zone = host.availability_zone


def effect_snapshot_image(instance: Instance, record: InstanceAction) -> None:
    Image.objects.create(
        cloud=instance.cloud,
        owner=instance.project,
        name=record.context["params"]["name"],
        disk_format=instance.image.disk_format,
        size_mb=instance.image.size_mb,
        min_ram=instance.image.min_ram,
        min_disk=instance.flavor.root_gb,
        properties={
            **instance.image.properties,
            "image_type": "snapshot",
            "instance_uuid": str(instance.uuid),
            "base_image_ref": str(instance.image.uuid),
        },
    )


def effect_rebuild_image(instance: Instance, record: InstanceAction) -> None:
    image_id = record.context["params"].get("image")
    if image_id:
        instance.image = Image.objects.get(cloud=instance.cloud, uuid=image_id)


def effect_mark_deleted(instance: Instance, record: InstanceAction) -> None:
    if instance.host_id is not None:
        effect_release_host(instance, record)
    instance.fixed_ip = None
    instance.deleted_at = timezone.now()


EFFECTS = {
    "schedule_destination": effect_schedule_destination,
    "move_to_destination": effect_move_to_destination,
    "release_source": effect_release_source,
    "release_destination": effect_release_destination,
    "release_host": effect_release_host,
    "schedule_and_claim": effect_schedule_and_claim,
    "snapshot_image": effect_snapshot_image,
    "rebuild_image": effect_rebuild_image,
    "mark_deleted": effect_mark_deleted,
}
