"""The VM vs Container experiment's cloud: one per student, built from ``fixtures/experiment``.

A student's experiment runs on a cloud of their own (``experiment-u<user id>``), created from the
built-in scenario by the scenario loader (``compute.scenarios.create_cloud``), with one project
(``experiment``) of which the student is the only member: the access rules that keep two students'
projects apart (``identity.access``) keep their experiments apart too. Resetting replaces that
cloud whole; a run always starts from a fresh one, so reruns never mix.

The experiment launches N copies of one workload per kind through the Launch dialog's writer
(``check_launch`` / ``do_launch``), one instance per request so that a full host refuses only the
copies that no longer fit (a multi-create is all or nothing in Nova). Each kind's flavor carries
``aggregate_instance_extra_specs:workload_kind``, which AggregateInstanceExtraSpecsFilter matches
against the one aggregate whose host serves that kind: Nova's own way to steer a flavor to a group
of hosts. The Celery worker then schedules, claims and steps every instance like any launch.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from cloudlab.compute.actions.errors import ActionError
from cloudlab.compute.actions.launch import check_launch, do_launch
from cloudlab.compute.models import Cloud, Flavor, Host, Image
from cloudlab.compute.scenarios import create_cloud
from cloudlab.engine.architectures import check_illustrative
from cloudlab.engine.scheduler import Scenario, load_scenario_file
from cloudlab.identity.models import Membership, Project, Quota, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

SCENARIO_FILE: Final = Path(settings.BASE_DIR) / "fixtures" / "experiment" / "cloud.yaml"

#: The aggregate metadata key that names a host's kind, and the flavor extra spec that asks for it.
KIND_KEY: Final = "workload_kind"
KIND_SPEC: Final = f"aggregate_instance_extra_specs:{KIND_KEY}"

#: The experiment's only project, in every student's experiment cloud.
PROJECT_NAME: Final = "experiment"

#: How many copies of the workload per kind a student may ask for, and the form's default. The
#: equal hosts hold at most 14 (containers); the default fills every host and leaves a copy over.
MAX_COPIES: Final = 24
DEFAULT_COPIES: Final = 16

#: The kinds in the order the page shows them, and the image every kind runs.
KIND_ORDER: Final = ("container", "microvm", "type1", "type2")
IMAGE_NAME: Final = "workload"


def cloud_name(user: AbstractBaseUser) -> str:
    """The name of ``user``'s experiment cloud (a slug; the user's primary key keeps it unique)."""
    return f"experiment-u{user.pk}"


@cache
def _scenario() -> Scenario:
    """The built-in scenario, validated once (a broken fixture fails the first run loudly)."""
    return load_scenario_file(SCENARIO_FILE)


def experiment_project(user: AbstractBaseUser) -> Project | None:
    """``user``'s experiment project, if they have run or reset the experiment."""
    if not user.is_authenticated:
        return None
    return (
        Project.objects.filter(cloud__name=cloud_name(user), name=PROJECT_NAME, memberships__user=user)
        .select_related("cloud")
        .first()
    )


_WHOLE_NUMBER = re.compile(r"\s*[0-9]{1,6}\s*", re.ASCII)


def check_copies(value: Any) -> int:
    """The number of copies per kind from the form, or ``ActionError`` naming the problem."""
    if isinstance(value, int) and not isinstance(value, bool):
        copies = value
    elif isinstance(value, str) and value.strip() and _WHOLE_NUMBER.fullmatch(value):
        copies = int(value)
    elif isinstance(value, str) and not value.strip():
        raise ActionError(_("Enter how many copies of the workload to launch of each kind."), "copies")
    else:
        raise ActionError(
            _("The number of copies must be a whole number from 1 to %(max)d; “%(value)s” is not one.")
            % {"max": MAX_COPIES, "value": str(value)[:40]},
            "copies",
        )
    if not 1 <= copies <= MAX_COPIES:
        raise ActionError(
            _("Launch from 1 to %(max)d copies of each kind; you asked for %(count)d.")
            % {"max": MAX_COPIES, "count": copies},
            "copies",
        )
    return copies


@transaction.atomic
def do_reset(
    user: AbstractBaseUser, *, pace: float | None = None, illustrative: Mapping[str, float] | None = None
) -> Project:
    """Replace ``user``'s experiment cloud with a fresh one from the scenario (or create it), and
    make ``user`` the only member of its project. Its instances, old builds included, go with it:
    a step still queued for one of them finds no instance and does nothing. ``pace``: seconds per
    lifecycle step (default ``CLOUDLAB_PACE``, as every new cloud). ``illustrative``: the start
    times the course's instructor set for kinds without a published one (the course cloud's
    ``illustrative_start_seconds``); they pace the boots and the page labels them so."""
    problems = check_illustrative(illustrative or {})
    if problems:
        raise ActionError(_("Illustrative start times: %(problems)s") % {"problems": "; ".join(problems)})
    scenario = replace(_scenario(), name=cloud_name(user))
    cloud = create_cloud(scenario, replace=True, pace=pace)
    # The hosts' drivers count each instance's overhead from the cited model (the experiment
    # measures it), set before any instance exists, so no usage needs recounting.
    cloud.model_instance_overhead = True
    cloud.illustrative_start_seconds = {kind: float(seconds) for kind, seconds in (illustrative or {}).items()}
    cloud.save(update_fields=["model_instance_overhead", "illustrative_start_seconds"])
    project = Project.objects.create(cloud=cloud, name=PROJECT_NAME)
    # Room for every copy the form allows (4 kinds × MAX_COPIES), so the hosts, not the quota,
    # decide how many fit.
    flavor_sizes = list(Flavor.objects.filter(cloud=cloud).values_list("vcpus", "memory_mb"))
    Quota.objects.create(
        project=project,
        instances=len(KIND_ORDER) * MAX_COPIES,
        cores=MAX_COPIES * sum(vcpus for vcpus, _ram in flavor_sizes),
        ram=MAX_COPIES * sum(ram for _vcpus, ram in flavor_sizes),
    )
    Membership.objects.create(user=user, project=project, role=Role.STUDENT)
    return project


@dataclass(frozen=True)
class Run:
    project: Project
    copies: int
    launched: int


def do_run(
    user: AbstractBaseUser,
    copies: Any,
    *,
    pace: float | None = None,
    illustrative: Mapping[str, float] | None = None,
) -> Run:
    """Start the experiment on a fresh cloud: ``copies`` launches of the workload per kind, each
    one request of one instance through the Launch dialog's writer. All in one transaction: the
    cloud is replaced and every instance created, or nothing is; the builds start after commit."""
    count = check_copies(copies)
    with transaction.atomic():
        project = do_reset(user, pace=pace, illustrative=illustrative)
        image = Image.objects.get(cloud=project.cloud, name=IMAGE_NAME)
        launched = 0
        for kind in KIND_ORDER:
            flavor = flavor_of_kind(project.cloud, kind)
            for index in range(1, count + 1):
                request = check_launch(
                    user,
                    project,
                    name=f"{kind}-{index}",
                    count=1,
                    image_id=str(image.uuid),
                    flavor_id=flavor.flavorid,
                )
                launched += len(do_launch(user, request))
    return Run(project, count, launched)


def flavor_of_kind(cloud: Cloud, kind: str) -> Flavor:
    """The flavor that asks for ``kind``'s host (its extra spec)."""
    for flavor in Flavor.objects.filter(cloud=cloud):
        if flavor.extra_specs.get(KIND_SPEC) == kind:
            return flavor
    raise LookupError(f"the experiment cloud {cloud.name} has no flavor asking for {KIND_SPEC}={kind}")


def host_of_kind(cloud: Cloud, kind: str) -> Host:
    """The host of the aggregate that serves ``kind`` (its metadata)."""
    for host in Host.objects.filter(cloud=cloud).select_related("cloud").prefetch_related("aggregates"):
        if any(a.metadata.get(KIND_KEY) == kind for a in host.aggregates.all()):
            return host
    raise LookupError(f"the experiment cloud {cloud.name} has no host in an aggregate with {KIND_KEY}={kind}")
