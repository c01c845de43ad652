"""Launch Instance: what a launch depends on (images, flavors, the quota), its validation as
nova-api makes it, and the creation of the instances whose builds the step runner then paces."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models, transaction
from django.utils.translation import gettext as _

from cloudlab.engine import lifecycle
from cloudlab.engine.launch import (
    MAX_NAME_LENGTH,
    ImageRequirements,
    Problem,
    QuotaSet,
    flavor_image_problems,
    instance_names,
    quota_problems,
)
from cloudlab.identity.models import Project, Quota, is_instructor

from ..action_log import record_action
from ..ids import is_uuid
from ..limits import column_limits, column_problem, text_problem
from ..models import Flavor, Image, Instance, InstanceAction
from ..runner import begin, set_state
from .errors import ActionError
from .server_groups import check_group_room, find_group

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


# -- reading what a launch depends on -----------------------------------------------------------


def quota_limits(project: Project) -> QuotaSet:
    """The project's quota; a project without a quota row has Nova's defaults. Reading it
    writes nothing (a page's GET must not create rows)."""
    quota = Quota.objects.filter(project=project).first() or Quota(project=project)
    return QuotaSet(instances=quota.instances, cores=quota.cores, ram=quota.ram)


def quota_usage(project: Project) -> QuotaSet:
    """What counts against the quota: every instance of the project not yet deleted."""
    usage = (
        Instance.objects.filter(project=project)
        .live()
        .aggregate(
            instances=models.Count("id"),
            cores=models.Sum("flavor__vcpus"),
            ram=models.Sum("flavor__memory_mb"),
        )
    )
    return QuotaSet(instances=usage["instances"], cores=usage["cores"] or 0, ram=usage["ram"] or 0)


def image_requirements(image: Image) -> ImageRequirements:
    return ImageRequirements(image.name, image.min_ram, image.min_disk, image.size_mb)


def launchable_images(project: Project) -> models.QuerySet[Image]:
    return Image.objects.filter(cloud=project.cloud, status="active").filter(
        models.Q(owner__isnull=True) | models.Q(owner=project)
    )


def launchable_flavors(project: Project) -> models.QuerySet[Flavor]:
    return Flavor.objects.filter(cloud=project.cloud, is_public=True)


def render_problems(problems: list[Problem]) -> list[str]:
    return [p.render(_) for p in problems]


# -- launch -----------------------------------------------------------------------------------


def check_not_frozen(user: AbstractBaseUser, project: Project) -> None:
    """A live class session whose instructor froze launches refuses them in its cloud (issue 13).

    Only launches freeze: a student may still stop, reboot or delete what they have (the class
    looks at what is there while the instructor explains). The cloud's instructors may still
    launch, to show the class the next decision while it waits."""
    # The reverse relation, not an import: compute stays below the classroom app.
    frozen = project.cloud.class_sessions.filter(state="frozen").first()  # type: ignore[attr-defined]
    if frozen is not None and not is_instructor(user, project.cloud_id):
        raise ActionError(
            _(
                "Launches are frozen: the instructor of the class session “%(session)s” paused them. "
                "Wait until they unfreeze launches."
            )
            % {"session": frozen.name},
            status=409,
        )


@dataclass(frozen=True)
class LaunchRequest:
    project: Project
    names: list[str]
    image: Image
    flavor: Flavor


def check_launch(
    user: AbstractBaseUser, project: Project, *, name: Any, count: Any, image_id: Any, flavor_id: Any
) -> LaunchRequest:
    """Validate a Launch Instance request the way nova-api does, or raise ``ActionError``."""
    if not Project.objects.for_user(user).filter(pk=project.pk).exists():
        raise ActionError(_("You are not a member of project %(project)s.") % {"project": project.name}, status=404)
    check_not_frozen(user, project)
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name:
        raise ActionError(_("Instance name is required."), "name")
    if len(name) > MAX_NAME_LENGTH:
        raise ActionError(
            _("Instance name is %(length)d characters long; at most %(max)d are allowed.")
            % {"length": len(name), "max": MAX_NAME_LENGTH},
            "name",
        )
    if text_problem(name):
        raise ActionError(_("Instance name cannot contain control characters."), "name")
    count = _whole_number(count)
    if count is None:
        raise ActionError(_("Count must be a whole number."), "count")
    max_count = settings.CLOUDLAB_MAX_LAUNCH_COUNT
    if not 1 <= count <= max_count:
        raise ActionError(
            _("Count must be between 1 and %(max)d; you asked for %(count)d.") % {"max": max_count, "count": count},
            "count",
        )
    names = instance_names(name, count)
    longest = max(names, key=len)
    if column_problem(Instance, "name", longest):
        # "web-10" is longer than "web": the numbered names must fit the column too.
        fit = column_limits(Instance, "name").max_length or 0
        raise ActionError(
            _(
                "With %(count)d instances the names end in -%(count)d, and at most %(max)d characters fit: "
                "shorten the name to %(room)d characters."
            )
            % {"count": count, "max": fit, "room": fit - (len(longest) - len(name))},
            "name",
        )
    image = _find(launchable_images(project), "uuid", image_id)
    if image is None:
        raise ActionError(_("Select an image of this cloud; the one sent does not exist here."), "image")
    flavor = _find(launchable_flavors(project), "flavorid", flavor_id)
    if flavor is None:
        raise ActionError(_("Select a flavor of this cloud; the one sent does not exist here."), "flavor")
    problems = flavor_image_problems(flavor.name, flavor.size, image_requirements(image))
    if problems:
        raise ActionError(" ".join(render_problems(problems)), "flavor")
    problems = quota_problems(quota_limits(project), quota_usage(project), flavor.size, count)
    if problems:
        raise ActionError(" ".join(render_problems(problems)), "count", status=403)
    return LaunchRequest(project, names, image, flavor)


_WHOLE_NUMBER = re.compile(r"\s*[+-]?[0-9]{1,18}\s*", re.ASCII)


def _whole_number(value: Any) -> int | None:
    """A count from a form or JSON: an int, or up to 18 ASCII digits (int() would also read
    '١' as 1, and a 400-digit count means nothing)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if abs(value) < 10**18 else None
    if isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value):
        return int(value)
    return None


def _find(queryset: models.QuerySet[Any], field: str, value: Any) -> Any:
    """The row whose ``field`` is ``value`` in ``queryset``, or None (a malformed id is not found)."""
    if not isinstance(value, str) or not value:
        return None
    if field == "uuid" and not is_uuid(value):
        return None
    return queryset.filter(**{field: value}).first()


def do_launch(
    user: AbstractBaseUser,
    request: LaunchRequest,
    *,
    request_id: str | None = None,
    availability_zone: str | None = None,
    scheduler_hints: dict[str, list[str]] | None = None,
    networks: str | None = None,
) -> list[Instance]:
    """Create the instances (building / scheduling, the boot plan's api_step) and their
    ``create`` actions in one transaction; after commit, publish them and start their builds
    (the step runner applies the rest of the plan).

    ``request_id``: the caller's own (the compute API's ``x-openstack-request-id``), else a new
    one. ``availability_zone`` and ``scheduler_hints`` (``same_host``/``different_host`` lists
    of uuids; ``group``, the server group the instances join) are the RequestSpec's: kept in
    the create action's context, where the scheduler reads them for the boot and every later
    move, as Nova keeps its RequestSpec. ``networks``
    "none" (the API's ``"networks": "none"``) boots without a port: no fixed address."""
    project = request.project
    plan = lifecycle.plan(
        lifecycle.BUILD, vm_state=lifecycle.VmState.BUILDING, power_state=lifecycle.PowerState.NOSTATE
    )
    assert plan.api_step is not None
    with transaction.atomic():
        # Serialise launches of one project so two tabs cannot both pass the quota check.
        Quota.objects.select_for_update().get_or_create(project=project)
        check_not_frozen(user, project)  # frozen between the check and now
        problems = quota_problems(quota_limits(project), quota_usage(project), request.flavor.size, len(request.names))
        if problems:
            raise ActionError(" ".join(render_problems(problems)), "count", status=403)
        request_id = request_id or InstanceAction.new_request_id()
        spec: dict[str, Any] = {}
        if availability_zone:
            spec["availability_zone"] = availability_zone
        if scheduler_hints:
            spec["scheduler_hints"] = {key: list(values) for key, values in scheduler_hints.items()}
        if networks == "none":
            spec["networks"] = "none"
        # The hint ``group`` joins the project's server group before scheduling, as nova-api.
        group_ids = (scheduler_hints or {}).get("group") or ()
        group = find_group(project, group_ids[0]) if group_ids else None
        if group is not None:
            group = type(group).objects.select_for_update().get(pk=group.pk)
            check_group_room(group, len(request.names))
        instances = []
        for name in request.names:
            instance = Instance(
                cloud=project.cloud, project=project, user=user, name=name, flavor=request.flavor, image=request.image
            )
            set_state(instance, plan.api_step)
            instance.save()
            if group is not None:
                group.members.add(instance)
            record = record_action(
                instance,
                lifecycle.BUILD,
                user=user,
                request_id=request_id,
                context={
                    "action": lifecycle.BUILD,
                    "vm_state": instance.vm_state,
                    "power_state": instance.power_state,
                    "task_state": None,
                    # The flow's multi-create: how many instances the request has, which this is.
                    "count": len(request.names),
                    "index": len(instances) + 1,
                    **spec,
                },
            )
            # A multi-create is one scheduling request: the first instance's pass places them all
            # and starts the others' builds (nova/conductor/manager.py schedule_and_build_instances).
            begin(instance, record, plan, "instance.created", start=not instances, inserted=True)
            instances.append(instance)
    return instances
