"""The instructor console's writers beyond the session's state (``sessions.set_state`` freezes and
unfreezes, ``sessions.end_session`` ends): the pace, a reset of the cloud to its scenario, and the
announcement of every control on the session's stream (``session.control``), so every page of
the session hears what changed and who changed it.

Each validates first and raises ``SessionError`` (nothing written) naming the problem.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from cloudlab.compute.models import Aggregate, Cloud, Flavor, Host, Image, Instance, InstanceAction
from cloudlab.compute.publish import publish_instance
from cloudlab.compute.scenarios import create_cloud
from cloudlab.engine import lifecycle
from cloudlab.engine.scheduler import ScenarioError, load_scenario_file
from cloudlab.identity.models import Project, Quota

from .live import publish_session_event
from .models import ClassSession
from .sessions import FIXTURES, SessionError, available_scenarios, check_instructor, check_pace

if TYPE_CHECKING:
    from .sessions import AnyUser


def announce(session: ClassSession, control: str, by: AnyUser, **detail: Any) -> None:
    """``session.control`` after commit: which control, its details, who used it."""
    publish_session_event(session, "session.control", {"control": control, "detail": detail, "by": by.get_username()})


def _check_open(session: ClassSession) -> None:
    if session.is_ended:
        raise SessionError(_("This session has ended: its controls do nothing any more."), status=409)


def change_pace(session: ClassSession, pace: Any, by: AnyUser) -> ClassSession:
    """The session's and its cloud's pace (seconds per lifecycle step; the next step reads it)."""
    check_instructor(session, by)
    _check_open(session)
    value = check_pace(pace)
    if value is None:
        raise SessionError(_("Give the pace in seconds per step (0 for instant)."), field="pace")
    with transaction.atomic():
        ClassSession.objects.filter(pk=session.pk).update(pace=value)
        Cloud.objects.filter(pk=session.cloud_id).update(pace=value)
        announce(session, "pace", by, pace=value)
    session.pace = value
    return session


def _announce_replaced(gone: list[Instance], arrived: Any) -> None:
    """After commit, every open Instances panel follows the reset as it follows a delete: each
    removed instance's row as deleted (its project's stream and the cloud's), each instance the
    scenario brought as created. The rows are read now, in the transaction, from the instances as
    they were (the deleted ones are no longer in the database)."""
    now = timezone.now()
    for instance in gone:
        instance.vm_state, instance.task_state = lifecycle.VmState.DELETED, None
        instance.power_state, instance.fixed_ip = lifecycle.PowerState.NOSTATE, None
        instance.deleted_at = instance.updated_at = now
        publish_instance(instance)
    for instance in arrived.select_related("image", "flavor", "host", "project"):
        publish_instance(instance, "instance.created")


def reset_cloud(session: ClassSession, by: AnyUser) -> ClassSession:
    """Replace the cloud's contents with the scenario it was copied from.

    Steps: refuse a session without a scenario (it runs on an existing cloud) or an ended one;
    read the scenario; in one transaction: build the scenario as a scratch cloud (its instances
    with new uuids, as the session's copy had), delete the session cloud's instances (their
    actions and decisions go with them), hosts, aggregates, flavors and images, move the scratch
    cloud's rows over (the scenario's own projects merged by name into the cloud's), take its
    scheduler settings, delete the scratch cloud; after commit, each removed instance announced as
    deleted and each new one as created (``_announce_replaced``), then ``session.control``. The
    participants keep their projects, memberships and quotas; their instances are gone."""
    check_instructor(session, by)
    _check_open(session)
    if not session.scenario:
        raise SessionError(
            _("This session runs on an existing cloud, not a copy of a scenario: there is nothing to reset it to."),
            status=409,
        )
    if session.scenario not in available_scenarios():
        raise SessionError(
            _("The scenario “%(name)s” this session was copied from is not there any more.")
            % {"name": session.scenario},
            status=409,
        )
    try:
        source = load_scenario_file(FIXTURES / session.scenario / "cloud.yaml")
    except ScenarioError as error:
        raise SessionError(
            _("The scenario “%(name)s” cannot be loaded: %(problem)s")
            % {"name": session.scenario, "problem": error.problems[0]},
            status=409,
        ) from None
    try:
        with transaction.atomic():
            cloud = Cloud.objects.select_for_update().get(pk=session.cloud_id)
            scratch = create_cloud(
                replace(
                    source,
                    name=f"reset-{uuid.uuid4().hex[:16]}",
                    instances=tuple(replace(i, uuid=str(uuid.uuid4())) for i in source.instances),
                ),
                pace=cloud.pace,
            )
            gone = list(Instance.objects.filter(cloud=cloud).select_related("image", "flavor", "host", "project"))
            Instance.objects.filter(cloud=cloud).delete()
            for model in (Host, Aggregate, Flavor, Image):
                model.objects.filter(cloud=cloud).delete()  # type: ignore[attr-defined]
            for model in (Aggregate, Host, Flavor, Image, Instance):
                model.objects.filter(cloud=scratch).update(cloud=cloud)  # type: ignore[attr-defined]
            for project in Project.objects.filter(cloud=scratch):
                target, created = Project.objects.get_or_create(cloud=cloud, name=project.name)
                if created:
                    Quota.objects.get_or_create(project=target)
                Instance.objects.filter(project=project).update(project=target)
                InstanceAction.objects.filter(project=project).update(project=target)
            cloud.scheduler_config = scratch.scheduler_config
            cloud.era = scratch.era
            cloud.save(update_fields=["scheduler_config", "era"])
            scratch.delete()
            _announce_replaced(gone, Instance.objects.filter(cloud=cloud))
            announce(session, "reset", by, scenario=session.scenario)
    except ScenarioError as error:
        raise SessionError(
            _("The scenario cannot be copied: %(problem)s") % {"problem": error.problems[0]}, status=409
        ) from None
    except ProtectedError:
        raise SessionError(
            _("Something else in this cloud still uses its hosts or flavors; nothing was reset."), status=409
        ) from None
    return session
