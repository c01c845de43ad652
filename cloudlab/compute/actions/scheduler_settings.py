"""Admin → Scheduler: the cloud's nova.conf scheduler options, changed by its instructors."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from cloudlab.engine.scheduler import SchedulerConfig
from cloudlab.engine.scheduler.checks import MAX_MAGNITUDE
from cloudlab.identity.models import is_instructor
from cloudlab.live.events import cloud_stream, project_stream, publish_on_commit

from ..claims import recount_usage
from ..limits import column_problem
from ..models import Cloud, Host
from .errors import ActionError

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

_RATIOS = ("cpu_allocation_ratio", "ram_allocation_ratio", "disk_allocation_ratio")


def do_update_scheduler(
    user: AbstractBaseUser, cloud: Cloud, config: SchedulerConfig, ratios: dict[str, float]
) -> dict[str, list[Any]]:
    """Save a validated scheduler configuration (and cloud-wide allocation ratios, if given) and
    announce the changes to everyone following the cloud. The next scheduling request reads it.

    Returns ``{option: [old, new]}`` for what changed."""
    if not is_instructor(user, cloud.pk):
        raise ActionError(_("Only the cloud's instructors change its scheduler."), status=404)
    # The engine validated the options; what the database stores is checked here too, so a
    # caller that built a SchedulerConfig by hand cannot store NaN (PostgreSQL's jsonb refuses it).
    problem = column_problem(Cloud, "scheduler_config", config.to_dict())
    if problem:
        raise ActionError(_("The scheduler configuration %(problem)s") % {"problem": problem})
    for name, value in ratios.items():
        if name not in _RATIOS:
            raise ActionError(_("Unknown allocation ratio '%(name)s'.") % {"name": name}, name)
        if isinstance(value, bool) or not isinstance(value, int | float) or not (math.isfinite(value) and value > 0):
            raise ActionError(_("Enter a number greater than 0."), name)
        if value > MAX_MAGNITUDE:  # capacity × ratio must stay a number the engine computes with
            raise ActionError(
                _("Ensure this value is less than or equal to %(limit_value)s.") % {"limit_value": MAX_MAGNITUDE}, name
            )
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
        if old["era"] != config.era:
            recount_usage(cloud.pk)  # the driver's per-instance overhead counts in the classic era only
        if changes:
            data = {"changes": changes, "by": user.get_username()}
            publish_on_commit(cloud_stream(cloud.pk), "cloud.scheduler_changed", data)
            for project_id in cloud.projects.values_list("pk", flat=True):
                publish_on_commit(project_stream(project_id), "cloud.scheduler_changed", data)
    return changes
