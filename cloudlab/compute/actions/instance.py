"""Every Horizon row action on an instance, under Nova's rules (``cloudlab/engine/lifecycle``).

``check_instance_action`` refuses what Nova refuses (409 with Nova's text, nothing changes) and
validates the parameters as nova-api does; ``do_instance_action`` records the action, applies
the API's own transition at once and starts the compute side, which the step runner
(``compute/runner.py``) paces.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from cloudlab.engine import lifecycle
from cloudlab.engine.launch import MAX_NAME_LENGTH, FlavorRef, flavor_image_problems, resize_problems
from cloudlab.identity.models import is_instructor

from .. import flow_log
from ..action_log import record_action
from ..ids import is_uuid
from ..limits import text_problem
from ..models import Flavor, Host, Image, Instance, InstanceAction
from ..publish import publish_instance
from ..rows import gate_state
from ..runner import begin, plan_of
from .errors import ActionError
from .launch import image_requirements, quota_limits, quota_usage, render_problems

# -- checking --------------------------------------------------------------------------------


#: Who asks: a user, or None for the cloud's own services (the power-state sync), which act
#: with an admin context and leave no user in the action log, as Nova's periodic tasks do.
Requester = AbstractBaseUser | None


def acts_as_admin(user: Requester, instance: Instance) -> bool:
    return user is None or is_instructor(user, instance.cloud_id)


def refusal_for(user: Requester, instance: Instance, action: str) -> lifecycle.Refusal | None:
    return lifecycle.refusal(
        action,
        instance_id=str(instance.uuid),
        host_name=instance.host.name if instance.host is not None else "",
        **gate_state(instance, is_admin=acts_as_admin(user, instance)),
    )


def allowed_actions(instance: Instance, *, is_admin: bool) -> list[str]:
    """The row's menu: exactly the actions Nova would accept now (the engine's table decides)."""
    return lifecycle.allowed_actions(**gate_state(instance, is_admin=is_admin))


def _check_params(user: Requester, instance: Instance, action: str, raw: dict[str, Any]) -> dict[str, Any]:
    """The parameters an action needs, validated as nova-api does; ids are stored, not objects."""
    params: dict[str, Any] = {}
    if action == "resize":
        flavor = Flavor.objects.filter(cloud=instance.cloud, flavorid=str(raw.get("flavor") or "")).first()
        if flavor is None:
            raise ActionError(_("Select a flavor of this cloud to resize to."), "flavor")
        # nova-api's checks in Nova's order: it answers with the first refusal. What only
        # nova-compute refuses (a disk the driver cannot shrink) nova-api accepts.
        problems = resize_problems(
            FlavorRef(instance.flavor.flavorid, instance.flavor.name, instance.flavor.size),
            FlavorRef(flavor.flavorid, flavor.name, flavor.size),
            image_requirements(instance.image),
            quota_limits(instance.project),
            quota_usage(instance.project),
            instance.host.hypervisor_type if instance.host is not None else None,
        )
        refused = next((p for p in problems if p.where == "api"), None)
        if refused is not None:
            raise ActionError(refused.render(_), "flavor", status=refused.status)
        params["flavor"] = flavor.flavorid
    elif action == "rebuild":
        image_id = raw.get("image") or str(instance.image.uuid)
        image = Image.objects.filter(cloud=instance.cloud, uuid=image_id).first() if is_uuid(image_id) else None
        if image is None or image.status != "active" or (image.owner_id not in (None, instance.project_id)):
            raise ActionError(_("Select an image of this cloud to rebuild from."), "image")
        problems = flavor_image_problems(instance.flavor.name, instance.flavor.size, image_requirements(image))
        if problems:
            raise ActionError(" ".join(render_problems(problems)), "image")
        params["image"] = str(image.uuid)
    elif action in ("live_migrate", "evacuate"):
        host = _target_host(instance, action, raw.get("host"))
        if host:
            params["host"] = host
    elif action == "create_snapshot":
        name = (raw.get("name") or "").strip() if isinstance(raw.get("name"), str) else ""
        if not name:
            raise ActionError(_("Snapshot name is required."), "name")
        if len(name) > MAX_NAME_LENGTH:
            raise ActionError(_("Snapshot name is at most %(max)d characters.") % {"max": MAX_NAME_LENGTH}, "name")
        params["name"] = name
        # The snapshot's id is known when the API accepts (Nova creates the Glance record
        # first, "queued"), so createImage can answer with it; the upload makes the image.
        params["image_id"] = str(uuid.uuid4())
    return params


#: nova-api's words for a target host it refuses (nova/exception.py; the evacuate controller's own).
COMPUTE_HOST_NOT_FOUND = N_("Compute host %(host)s could not be found.")
UNABLE_TO_MIGRATE_TO_SELF = N_("Unable to migrate instance (%(instance_id)s) to current host (%(host)s).")
EVACUATE_HOST_NOT_FOUND = N_("Compute host %(host)s not found.")
EVACUATE_SAME_HOST = N_("The target host can't be the same one.")


def _target_host(instance: Instance, action: str, raw: object) -> str:
    """The host a live migration or an evacuation names ("" leaves it to the scheduler), as
    nova-api checks it before it changes anything:

    * os-migrateLive: ``ComputeNodeList.get_all_by_host`` (ComputeHostNotFound, 400), then the
      source itself (UnableToMigrateToSelf, 400: what the conductor's check answers before
      microversion 2.34 made it asynchronous);
    * evacuate: the compute service (404 "Compute host … not found."), then "The target host
      can't be the same one." (400).
    """
    if raw is None or raw == "":
        return ""
    if not isinstance(raw, str) or not raw.strip():
        raise ActionError(_("Select a compute host of this cloud, or leave it to the scheduler."), "host")
    name = raw.strip()
    live = action == "live_migrate"
    if not Host.objects.filter(cloud=instance.cloud, name=name).exists():
        raise ActionError(
            _(COMPUTE_HOST_NOT_FOUND if live else EVACUATE_HOST_NOT_FOUND) % {"host": name},
            "host",
            status=400 if live else 404,
        )
    if instance.host is not None and instance.host.name == name:
        if live:
            raise ActionError(
                _(UNABLE_TO_MIGRATE_TO_SELF) % {"instance_id": instance.uuid, "host": name}, "host", status=400
            )
        raise ActionError(_(EVACUATE_SAME_HOST), "host", status=400)
    return name


@dataclass(frozen=True)
class Accepted:
    instance: Instance
    action: InstanceAction


def check_instance_action(
    user: Requester, instance: Instance, action: str, raw_params: dict[str, Any] | None = None
) -> dict[str, Any]:
    if action not in lifecycle.ACTIONS:
        raise ActionError(_("Unknown action '%(action)s'.") % {"action": action})
    refusal = refusal_for(user, instance, action)
    if refusal is not None:
        if refusal.status == 409:
            flow_log.publish_refused(instance, action)  # the refused HTTP exchange, nothing else
        raise ActionError(refusal.render(_), status=refusal.status)
    return _check_params(user, instance, action, raw_params or {})


def do_instance_action(
    user: Requester,
    instance: Instance,
    action: str,
    raw_params: dict[str, Any] | None = None,
    *,
    request_id: str | None = None,
) -> Accepted:
    """Check, then in one transaction: set the API's task_state, record the action; after commit
    publish and start the compute side (the step runner applies the plan's steps).
    ``request_id``: the caller's own (the compute API's), else the action log makes one."""
    rule = lifecycle.ACTIONS.get(action)
    with transaction.atomic():
        locked = Instance.objects.locked().get(pk=instance.pk)
        params = check_instance_action(user, locked, action, raw_params)  # re-checked under the lock
        assert rule is not None
        record = record_action(
            locked,
            rule.api_name,
            user=user,
            request_id=request_id,
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
        if action == "create_snapshot":
            queue_snapshot(locked, params)
        if action in ("lock", "unlock"):
            locked.locked = action == "lock"
            locked.locked_by = ("admin" if acts_as_admin(user, locked) else "owner") if locked.locked else ""
            locked.save(update_fields=["locked", "locked_by", "updated_at"])
        begin(locked, record, plan_of(record))
    return Accepted(locked, record)


def queue_snapshot(instance: Instance, params: dict[str, Any]) -> Image:
    """The snapshot's Glance record, made when the API accepts createImage (status "queued",
    as Nova asks Glance first); the upload step makes it "active" (``effects.snapshot_image``)."""
    return Image.objects.create(
        cloud=instance.cloud,
        uuid=params["image_id"],
        owner=instance.project,
        name=params["name"],
        disk_format=instance.image.disk_format,
        status="queued",
    )


def check_instance_name(name: Any) -> str:
    """A new display name, as nova-api's ``name`` parameter type accepts it."""
    if not isinstance(name, str) or not name.strip():
        raise ActionError(_("Instance name is required."), "name")
    name = name.strip()
    if len(name) > MAX_NAME_LENGTH:
        raise ActionError(
            _("Instance name is %(length)d characters long; at most %(max)d are allowed.")
            % {"length": len(name), "max": MAX_NAME_LENGTH},
            "name",
        )
    if text_problem(name):
        raise ActionError(_("Instance name cannot contain control characters."), "name")
    return name


def do_rename_instance(user: Requester, instance: Instance, name: Any) -> Instance:
    """``PUT /servers/{id}`` with a name (``openstack server set --name``): Nova updates the
    display name in any state, with no lock check and no action in the log; viewers see the row
    after commit."""
    new_name = check_instance_name(name)
    with transaction.atomic():
        locked = Instance.objects.locked().get(pk=instance.pk)
        locked.name = new_name
        locked.save(update_fields=["name", "updated_at"])
        publish_instance(locked)
    return locked
