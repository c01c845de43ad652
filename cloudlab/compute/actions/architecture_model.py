"""The cloud's use of the cited architecture model (issue 12), changed by its instructors: whether
the hosts' drivers count each instance's memory overhead, and the illustrative start times of
the kinds the reference has no published figure for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from cloudlab.engine import architectures
from cloudlab.identity.models import is_instructor

from ..claims import recount_usage
from ..models import Cloud
from .errors import ActionError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from django.contrib.auth.models import AbstractBaseUser


def do_set_architecture_model(
    user: AbstractBaseUser,
    cloud: Cloud,
    *,
    model_instance_overhead: bool | None = None,
    illustrative_start_seconds: Mapping[str, float] | None = None,
) -> list[str]:
    """Turn the modelled per-instance overhead on or off and/or set the illustrative start times,
    then recount every host's usage in the same transaction (what its instances hold changed),
    so the audit stays balanced. Returns the names of the hosts whose usage changed."""
    if not is_instructor(user, cloud.pk):
        raise ActionError(_("Only the cloud's instructors change its architecture model."), status=404)
    if model_instance_overhead is not None and not isinstance(model_instance_overhead, bool):
        raise ActionError(_("Counting the overhead is on or off."), "model_instance_overhead")
    if illustrative_start_seconds is not None:
        if not isinstance(illustrative_start_seconds, dict):
            raise ActionError(_("Give the start times as a kind and its seconds."), "illustrative_start_seconds")
        problems = architectures.check_illustrative(illustrative_start_seconds)
        if problems:
            raise ActionError(
                _("Illustrative start times: %(problems)s") % {"problems": "; ".join(problems)},
                "illustrative_start_seconds",
            )
    with transaction.atomic():
        cloud = Cloud.objects.select_for_update().get(pk=cloud.pk)
        fields = []
        if model_instance_overhead is not None:
            cloud.model_instance_overhead = model_instance_overhead
            fields.append("model_instance_overhead")
        if illustrative_start_seconds is not None:
            cloud.illustrative_start_seconds = {k: float(v) for k, v in illustrative_start_seconds.items()}
            fields.append("illustrative_start_seconds")
        if not fields:
            return []
        cloud.save(update_fields=fields)
        return recount_usage(cloud.pk)
