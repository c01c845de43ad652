"""The only writers of compute state. ``check_*`` validates, ``do_*`` mutates in one transaction
and publishes events and enqueues tasks after commit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
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
from cloudlab.engine.scheduler import SchedulerConfig
from cloudlab.identity.models import Project, Quota, is_instructor
from cloudlab.live.events import cloud_stream, project_stream, publish_on_commit

from .models import Cloud, Flavor, Host, Image, Instance, InstanceAction
from .rows import host_row, instance_row

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


class ActionError(Exception):
    """A request that cannot go ahead; ``field`` names the form field at fault, if any."""

    def __init__(self, message: str, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


# -- reading what a launch depends on -----------------------------------------------------------


def quota_limits(project: Project) -> QuotaSet:
    quota, _created = Quota.objects.get_or_create(project=project)
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
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name:
        raise ActionError(_("Instance name is required."), "name")
    if len(name) > MAX_NAME_LENGTH:
        raise ActionError(
            _("Instance name is %(length)d characters long; at most %(max)d are allowed.")
            % {"length": len(name), "max": MAX_NAME_LENGTH},
            "name",
        )
    if any(ord(ch) < 32 for ch in name):
        raise ActionError(_("Instance name cannot contain control characters."), "name")
    try:
        count = int(count)
    except (TypeError, ValueError):
        raise ActionError(_("Count must be a whole number."), "count") from None
    max_count = settings.CLOUDLAB_MAX_LAUNCH_COUNT
    if not 1 <= count <= max_count:
        raise ActionError(
            _("Count must be between 1 and %(max)d; you asked for %(count)d.") % {"max": max_count, "count": count},
            "count",
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
    return LaunchRequest(project, instance_names(name, count), image, flavor)


def _find(queryset: models.QuerySet[Any], field: str, value: Any) -> Any:
    """The row whose ``field`` is ``value`` in ``queryset``, or None (a malformed id is not found)."""
    if not isinstance(value, str) or not value:
        return None
    if field == "uuid" and not is_uuid(value):
        return None
    return queryset.filter(**{field: value}).first()


def is_uuid(value: Any) -> bool:
    """Whether ``value`` spells a UUID (anything else is simply "not found", never a 500)."""
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def do_launch(user: AbstractBaseUser, request: LaunchRequest) -> list[Instance]:
    """Create the instances (building / scheduling) and their ``create`` actions in one
    transaction; after commit, publish them and enqueue their builds."""
    from .tasks import build_instance

    project = request.project
    with transaction.atomic():
        # Serialise launches of one project so two tabs cannot both pass the quota check.
        Quota.objects.select_for_update().get_or_create(project=project)
        problems = quota_problems(quota_limits(project), quota_usage(project), request.flavor.size, len(request.names))
        if problems:
            raise ActionError(" ".join(render_problems(problems)), "count", status=403)
        now = timezone.now()
        request_id = InstanceAction.new_request_id()
        instances = []
        for name in request.names:
            instance = Instance.objects.create(
                cloud=project.cloud,
                project=project,
                user=user,
                name=name,
                flavor=request.flavor,
                image=request.image,
                vm_state=lifecycle.VmState.BUILDING,
                task_state=lifecycle.TaskState.SCHEDULING,
                power_state=lifecycle.PowerState.NOSTATE,
            )
            InstanceAction.objects.create(
                instance=instance, action="create", request_id=request_id, user=user, project=project, start_time=now
            )
            publish_instance(instance, "instance.created")
            transaction.on_commit(lambda pk=instance.pk: build_instance.delay(pk))
            instances.append(instance)
    return instances


def publish_instance(instance: Instance, event: str = "instance.updated") -> None:
    """Tell the project's members and the cloud's instructors, after commit, how the row reads now."""
    publish_on_commit(project_stream(instance.project_id), event, instance_row(instance, for_instructor=False))
    publish_on_commit(cloud_stream(instance.cloud_id), event, instance_row(instance, for_instructor=True))


# -- the cloud's scheduler settings ---------------------------------------------------------------


def do_update_scheduler(
    user: AbstractBaseUser, cloud: Cloud, config: SchedulerConfig, ratios: dict[str, float]
) -> dict[str, list[Any]]:
    """Save a validated scheduler configuration (and cloud-wide allocation ratios, if given) and
    announce the changes to everyone following the cloud. The next scheduling request reads it.

    Returns ``{option: [old, new]}`` for what changed."""
    if not is_instructor(user, cloud.pk):
        raise ActionError(_("Only the cloud's instructors change its scheduler."), status=404)
    with transaction.atomic():
        cloud = Cloud.objects.select_for_update().get(pk=cloud.pk)
        old = {**cloud.scheduler_config, "era": cloud.era}
        new = config.to_dict()
        changes: dict[str, list[Any]] = {k: [old.get(k), v] for k, v in new.items() if old.get(k) != v}
        for name, value in ratios.items():
            hosts = Host.objects.filter(cloud=cloud).exclude(**{name: value})
            before = sorted({v for v in hosts.values_list(name, flat=True)}, key=lambda v: (v is None, v))
            if hosts.update(**{name: value}):
                changes[name] = [before[0] if len(before) == 1 else before, value]
        cloud.scheduler_config = new
        cloud.era = config.era
        cloud.save(update_fields=["scheduler_config", "era"])
        if changes:
            data = {"changes": changes, "by": user.get_username()}
            publish_on_commit(cloud_stream(cloud.pk), "cloud.scheduler_changed", data)
            for project_id in cloud.projects.values_list("pk", flat=True):
                publish_on_commit(project_stream(project_id), "cloud.scheduler_changed", data)
    return changes


# -- compute services (Admin → Hypervisors → Compute Host) ------------------------------------

HOST_ACTIONS = ("disable", "enable", "mark_down", "bring_up")
MAX_DISABLED_REASON = 255


def do_host_action(user: AbstractBaseUser, host: Host, action: str, reason: str = "") -> Host:
    """Disable or enable a host's nova-compute service, or stop / restart its heartbeat (what
    ComputeFilter reads). Announced live to the cloud's instructors."""
    if not is_instructor(user, host.cloud_id):
        raise ActionError(_("Only the cloud's instructors manage its compute services."), status=404)
    if action not in HOST_ACTIONS:
        raise ActionError(_("Unknown host action '%(action)s'.") % {"action": action})
    reason = (reason or "").strip()
    if len(reason) > MAX_DISABLED_REASON:
        raise ActionError(
            _("The reason is %(length)d characters long; at most %(max)d are allowed.")
            % {"length": len(reason), "max": MAX_DISABLED_REASON},
            "reason",
        )
    with transaction.atomic():
        host = Host.objects.select_for_update().select_related("cloud").get(pk=host.pk)
        already = {
            "disable": not host.enabled,
            "enable": host.enabled,
            "mark_down": not host.up,
            "bring_up": host.up,
        }[action]
        if already:
            messages = {
                "disable": _("The compute service of %(host)s is already disabled."),
                "enable": _("The compute service of %(host)s is already enabled."),
                "mark_down": _("%(host)s is already down."),
                "bring_up": _("%(host)s is already up."),
            }
            raise ActionError(messages[action] % {"host": host.name}, status=409)
        if action == "disable":
            host.enabled, host.disabled_reason = False, reason
        elif action == "enable":
            host.enabled, host.disabled_reason = True, ""
        elif action == "mark_down":
            host.up, host.down_since = False, timezone.now()
        else:
            host.up, host.down_since = True, None
        host.save(update_fields=["enabled", "disabled_reason", "up", "down_since"])
        publish_on_commit(cloud_stream(host.cloud_id), "host.updated", {**host_row(host), "by": user.get_username()})
        if action in ("mark_down", "bring_up"):
            _follow_host_state(user, host, recovered=action == "bring_up")
    return host


def _follow_host_state(user: AbstractBaseUser, host: Host, *, recovered: bool) -> None:
    """What the host's instances show when its heartbeat stops or comes back.

    Down: nothing is synced for a dead host, so vm_state and power_state stay as last reported
    (the rows say the host is down). Back: its guests died with it, the hypervisor reports them
    shut down, and Nova's power-state sync records that and stops, through the API, an instance
    that is still active (the engine's ``power_state_after_host_recovery``)."""
    from .instance_actions import do_instance_action

    for instance in Instance.objects.filter(host=host).select_related("cloud", "flavor", "image", "host", "project"):
        if not recovered:
            publish_instance(instance)
            continue
        sync = lifecycle.power_state_after_host_recovery(instance.vm_state, instance.task_state, instance.power_state)
        if sync is None:
            publish_instance(instance)
            continue
        instance.power_state = sync.power_state
        instance.save(update_fields=["power_state", "updated_at"])
        publish_instance(instance)
        if sync.action:
            try:
                do_instance_action(user, instance, sync.action)
            except ActionError:
                pass  # the gate refused (a task is running): the next sync would try again
