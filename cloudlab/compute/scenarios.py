"""Build a Cloud in the database from a validated scenario, and a classroom (people) onto it.

The engine validates the scenario (every problem by its path, nothing loaded on error); this
module then checks what only the database knows (``database_problems``: every value against its
column's limits, read from the model fields; instance uuids another cloud already uses; enough
addresses on the cloud's network for the instances already running) and writes it, all in one
transaction, so a cloud is either created whole or not at all. ``load_cloud`` writes the cloud
and enrols its classroom in that one transaction: a refused classroom leaves no cloud behind. A
host over its limits (``Scenario.warnings``) is written as it is: Nova runs such hosts, and the
claims and filters refuse it new instances until its usage is back under the limit.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from cloudlab.engine.lifecycle import PowerState, VmState
from cloudlab.engine.scheduler import Scenario, ScenarioError
from cloudlab.engine.scheduler.scenario import read_data
from cloudlab.engine.scheduler.sections import SLUG
from cloudlab.identity.models import Membership, Project, Quota, Role
from cloudlab.kube.scenario import create_clusters

from .limits import column_problem
from .models import Aggregate, Cloud, Flavor, Host, Image, Instance, InstanceAction, ServerGroup

_POWER_BY_VM_STATE = {
    VmState.ACTIVE: PowerState.RUNNING,
    VmState.PAUSED: PowerState.PAUSED,
    VmState.SUSPENDED: PowerState.SUSPENDED,
    VmState.RESCUED: PowerState.RUNNING,
    VmState.RESIZED: PowerState.RUNNING,
}


class ClassroomError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid classroom file:\n" + "\n".join(f"  {p}" for p in problems))


@transaction.atomic
def load_cloud(
    scenario: Scenario, people: list[Person] | None = None, *, pace: float | None = None, replace: bool = False
) -> Cloud:
    """The cloud and its classroom in one transaction: both are written, or neither."""
    cloud = create_cloud(scenario, pace=pace, replace=replace)
    if people:
        enrol(cloud, people)
    return cloud


@transaction.atomic
def create_cloud(scenario: Scenario, *, pace: float | None = None, replace: bool = False) -> Cloud:
    """Create the cloud ``scenario.name`` with its hosts, flavors, images and instances.

    Raises ``ScenarioError`` (nothing written) for what the database would refuse or could not
    hold (``database_problems``), ``ValueError`` if the cloud exists and ``replace`` is false."""
    if pace is not None and (not math.isfinite(pace) or pace < 0):
        raise ValueError(f"the pace must be 0 or more seconds, not {pace}")
    existing = Cloud.objects.filter(name=scenario.name).first()
    if existing is not None and not replace:
        raise ValueError(f"a cloud named '{scenario.name}' exists already (use --replace to rebuild it)")
    problems = database_problems(scenario, replacing=existing)
    if problems:
        raise ScenarioError(problems)
    if existing is not None:
        Instance.objects.filter(cloud=existing).delete()
        existing.delete()
    cloud = Cloud.objects.create(
        name=scenario.name,
        description=dict(scenario.description),
        era=scenario.scheduler.era,
        scheduler_config=scenario.scheduler.to_dict(),
        pace=settings.CLOUDLAB_PACE if pace is None else pace,
    )
    aggregates = {
        a.name: Aggregate.objects.create(
            cloud=cloud, name=a.name, availability_zone=a.availability_zone or "", metadata=dict(a.metadata)
        )
        for a in scenario.aggregates
    }
    hosts: dict[str, Host] = {}
    for h in scenario.hosts:
        r = h.resources
        zone = next((a.availability_zone for a in h.aggregates if a.availability_zone), None)
        host = Host.objects.create(
            cloud=cloud,
            name=h.name,
            availability_zone=zone or scenario.scheduler.default_availability_zone,
            host_ip=h.host_ip,
            hypervisor_type=h.hypervisor_type,
            hypervisor_version=h.hypervisor_version,
            architecture=h.architecture,
            cpu_arch=h.cpu_arch,
            supported_instances=[list(t) for t in h.supported_instances],
            enabled=h.enabled,
            up=h.up,
            vcpus=r.vcpus,
            memory_mb=r.memory_mb,
            local_gb=r.local_gb,
            cpu_allocation_ratio=r.cpu_allocation_ratio,
            ram_allocation_ratio=r.ram_allocation_ratio,
            disk_allocation_ratio=r.disk_allocation_ratio,
            reserved_host_memory_mb=r.reserved_host_memory_mb,
            reserved_host_disk_mb=r.reserved_host_disk_mb,
            reserved_host_cpus=r.reserved_host_cpus,
            vcpus_used=r.vcpus_used,
            memory_mb_used=r.memory_mb_used,
            local_gb_used=r.local_gb_used,
            failed_builds=h.failed_builds,
        )
        host.aggregates.set([aggregates[a.name] for a in h.aggregates])
        hosts[h.name] = host
    flavors = {
        f.id: Flavor.objects.create(
            cloud=cloud,
            flavorid=f.id,
            name=f.name,
            vcpus=f.vcpus,
            memory_mb=f.memory_mb,
            root_gb=f.root_gb,
            ephemeral_gb=f.ephemeral_gb,
            swap=f.swap,
            extra_specs=dict(f.extra_specs),
        )
        for f in scenario.flavors
    }
    images = {
        i.id: Image.objects.create(
            cloud=cloud,
            uuid=i.id,
            name=i.name,
            disk_format=i.disk_format,
            size_mb=i.size_mb,
            min_ram=i.min_ram,
            min_disk=i.min_disk,
            properties=dict(i.properties),
        )
        for i in scenario.images
    }
    network = ipaddress.ip_network(cloud.network_cidr).hosts()
    next(network)  # the gateway
    now = timezone.now()
    created: dict[str, Instance] = {}
    for i in scenario.instances:
        project = _project(cloud, i.project)
        image = images[i.image.id] if i.image else next(iter(images.values()))
        instance = Instance.objects.create(
            uuid=i.uuid,
            cloud=cloud,
            project=project,
            name=i.name,
            flavor=flavors[i.flavor.id],
            image=image,
            host=hosts[i.host],
            node=i.host,
            availability_zone=hosts[i.host].availability_zone,
            vm_state=i.vm_state,
            task_state=i.task_state,
            power_state=_POWER_BY_VM_STATE.get(i.vm_state, PowerState.SHUTDOWN),
            fixed_ip=str(next(network)),
            launched_at=now,
        )
        InstanceAction.objects.create(
            instance=instance,
            action="create",
            request_id=InstanceAction.new_request_id(),
            project=project,
            start_time=now,
            finish_time=now,
        )
        created[i.uuid] = instance
    for g in scenario.server_groups:
        members = [created[u] for u in g.members]
        owner = _project(cloud, g.project) if g.project else members[0].project if members else _project(cloud, "demo")
        group = ServerGroup.objects.create(
            uuid=g.uuid, cloud=cloud, project=owner, name=g.name, policy=g.policy, rules=dict(g.rules)
        )
        group.members.set(members)
    create_clusters(cloud, scenario)  # a ``clusters:`` section (cloudlab.kube.scenario), in this transaction
    return cloud


def _instance_paths(scenario: Scenario) -> list[str]:
    """Each of ``scenario.instances``' path in the file (``hosts[0].instances[1]``)."""
    host_index = {h.name: i for i, h in enumerate(scenario.hosts)}
    seen: dict[str, int] = {}
    paths = []
    for instance in scenario.instances:
        k = seen[instance.host] = seen.get(instance.host, -1) + 1
        paths.append(f"hosts[{host_index[instance.host]}].instances[{k}]")
    return paths


def _columns(scenario: Scenario) -> list[tuple[str, type[models.Model], str, Any]]:
    """Every value the cloud's rows will hold: (path in the file, model, field, value)."""
    config = scenario.scheduler
    values: list[tuple[str, type[models.Model], str, Any]] = [
        ("name", Cloud, "name", scenario.name),
        ("description", Cloud, "description", dict(scenario.description)),
        ("scheduler", Cloud, "scheduler_config", config.to_dict()),
        ("scheduler.default_availability_zone", Host, "availability_zone", config.default_availability_zone),
    ]
    for i, a in enumerate(scenario.aggregates):
        values += [
            (f"aggregates[{i}].name", Aggregate, "name", a.name),
            (f"aggregates[{i}].availability_zone", Aggregate, "availability_zone", a.availability_zone),
            (f"aggregates[{i}].metadata", Aggregate, "metadata", dict(a.metadata)),
        ]
    for i, h in enumerate(scenario.hosts):
        r = h.resources
        host_fields: dict[str, Any] = {
            "name": h.name,
            "hypervisor_type": h.hypervisor_type,
            "hypervisor_version": h.hypervisor_version,
            "cpu_arch": h.cpu_arch,
            "architecture": h.architecture,
            "supported_instances": [list(t) for t in h.supported_instances],
            "failed_builds": h.failed_builds,
        }
        for name in (
            "vcpus",
            "memory_mb",
            "local_gb",
            "cpu_allocation_ratio",
            "ram_allocation_ratio",
            "disk_allocation_ratio",
            "reserved_host_memory_mb",
            "reserved_host_disk_mb",
            "reserved_host_cpus",
        ):
            host_fields[name] = getattr(r, name)
        # What the host uses is derived from its instances unless stated: named as usage.
        usage = {name: getattr(r, name) for name in ("vcpus_used", "memory_mb_used", "local_gb_used")}
        values += [(f"hosts[{i}].{k}", Host, k, v) for k, v in host_fields.items()]
        values += [(f"hosts[{i}].usage.{k}", Host, k, v) for k, v in usage.items()]
    for i, f in enumerate(scenario.flavors):
        flavor_fields = {"flavorid": f.id, "name": f.name, "vcpus": f.vcpus, "memory_mb": f.memory_mb}
        flavor_fields |= {"root_gb": f.root_gb, "ephemeral_gb": f.ephemeral_gb, "swap": f.swap}
        flavor_fields["extra_specs"] = dict(f.extra_specs)
        values += [(f"flavors[{i}].{'id' if k == 'flavorid' else k}", Flavor, k, v) for k, v in flavor_fields.items()]
    for i, im in enumerate(scenario.images):
        image_fields = {"name": im.name, "disk_format": im.disk_format, "size_mb": im.size_mb}
        image_fields |= {"min_ram": im.min_ram, "min_disk": im.min_disk, "properties": dict(im.properties)}
        values += [(f"images[{i}].{k}", Image, k, v) for k, v in image_fields.items()]
    for path, inst in zip(_instance_paths(scenario), scenario.instances, strict=True):
        values += [
            (f"{path}.name", Instance, "name", inst.name),
            (f"{path}.project", Project, "name", inst.project),
            (f"{path}.vm_state", Instance, "vm_state", inst.vm_state),
            (f"{path}.task_state", Instance, "task_state", inst.task_state),
        ]
    return values


def database_problems(scenario: Scenario, *, replacing: Cloud | None = None) -> list[str]:
    """What the database would refuse, or the cloud could not hold, each by its path in the file.

    Steps: every value against its column (``limits.column_problem``); instance uuids used by
    another cloud (``replacing``, the cloud of the same name being rebuilt, gives its own back);
    one address per running instance on the cloud's network (its first address is the gateway).
    """
    problems = []
    for path, model, field, value in _columns(scenario):
        problem = column_problem(model, field, value)
        if problem:
            problems.append(f"{path}: {problem}")
    paths = _instance_paths(scenario)
    taken = Instance.objects.filter(uuid__in=[i.uuid for i in scenario.instances])
    if replacing is not None:
        taken = taken.exclude(cloud=replacing)
    owners = {str(u): c for u, c in taken.values_list("uuid", "cloud__name")}
    for path, inst in zip(paths, scenario.instances, strict=True):
        if inst.uuid in owners:
            problems.append(
                f"{path}.uuid: {inst.uuid} is already the uuid of an instance in cloud '{owners[inst.uuid]}' "
                "(an instance's uuid is unique across clouds)"
            )
    network = ipaddress.ip_network(Cloud._meta.get_field("network_cidr").get_default())
    addresses = network.num_addresses - (2 if network.version == 4 and network.prefixlen < 31 else 0) - 1
    if len(scenario.instances) > addresses:
        problems.append(
            f"hosts: {len(scenario.instances)} instances are running, but the cloud's network {network} "
            f"has {addresses} addresses for instances (one more is its gateway)"
        )
    return problems


def _project(cloud: Cloud, name: str) -> Project:
    project, created = Project.objects.get_or_create(cloud=cloud, name=name)
    if created:
        Quota.objects.create(project=project)
    return project


# -- classrooms: who uses a cloud ----------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    username: str
    password: str
    role: str
    projects: tuple[str, ...]
    display_name: str = ""


def parse_classroom(data: Any) -> list[Person]:
    """A classroom file: ``people: [{username, password, role, projects: [..]}]``. Every problem
    is reported by its path; nothing is returned on error."""
    problems: list[str] = []
    people: list[Person] = []
    if not isinstance(data, Mapping) or not isinstance(data.get("people"), list):
        raise ClassroomError(["people: must be a list of people"])
    seen: set[str] = set()
    for index, raw in enumerate(data["people"]):
        path = f"people[{index}]"
        if not isinstance(raw, Mapping):
            problems.append(f"{path}: must be a mapping")
            continue
        unknown = set(raw) - {"username", "password", "role", "projects", "display_name"}
        if unknown:
            problems.append(f"{path}: unknown keys {sorted(unknown)}")
        username, password = raw.get("username"), raw.get("password")
        if not isinstance(username, str) or not username.strip():
            problems.append(f"{path}.username: must be a non-empty string")
        elif username in seen:
            problems.append(f"{path}.username: '{username}' is listed twice")
        else:
            seen.add(username)
            problems += [f"{path}.username: {p}" for p in _username_problems(username)]
        if not isinstance(password, str) or len(password) < 8:
            problems.append(f"{path}.password: must be a string of at least 8 characters")
        elif "\x00" in password:
            problems.append(f"{path}.password: must not contain NUL (U+0000)")
        role = raw.get("role", Role.STUDENT)
        if not isinstance(role, str) or role not in Role.values:
            problems.append(f"{path}.role: must be one of {', '.join(Role.values)}")
        projects = raw.get("projects", [])
        if not isinstance(projects, list) or not projects or not all(isinstance(p, str) and p for p in projects):
            problems.append(f"{path}.projects: must be a non-empty list of project names")
            projects = []
        for k, project in enumerate(projects):
            if not SLUG.match(project):
                problems.append(
                    f"{path}.projects[{k}]: {project!r} must be a project slug (lower-case letters, digits, '-', '_')"
                )
            elif problem := column_problem(Project, "name", project):
                problems.append(f"{path}.projects[{k}]: {problem}")
        display_name = raw.get("display_name", "")
        if not isinstance(display_name, str):
            problems.append(f"{path}.display_name: must be a string")
        elif problem := column_problem(get_user_model(), "first_name", display_name):
            problems.append(f"{path}.display_name: {problem}")
        if not problems:
            people.append(Person(username, password, role, tuple(projects), display_name))
    if problems:
        raise ClassroomError(problems)
    return people


@transaction.atomic
def enrol(cloud: Cloud, people: list[Person]) -> None:
    """Create the users (if new) and their memberships in the cloud's projects."""
    User = get_user_model()
    for person in people:
        user, created = User.objects.get_or_create(username=person.username)
        if created:
            user.set_password(person.password)
            user.first_name = person.display_name
            user.save()
        for name in person.projects:
            Membership.objects.get_or_create(user=user, project=_project(cloud, name), defaults={"role": person.role})


def _username_problems(username: str) -> list[str]:
    """What the user model's username field refuses (its length, its validators' characters)."""
    field = get_user_model()._meta.get_field(get_user_model().USERNAME_FIELD)
    problem = column_problem(get_user_model(), field.name, username)
    if problem:
        return [problem]
    try:
        field.run_validators(username)
    except ValidationError as error:
        return [str(m) for m in error.messages]
    return []


def load_yaml(path: Path) -> Any:
    """A classroom file's data; ``ClassroomError`` naming the line and column of bad YAML."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ClassroomError([f"{path}: cannot read the file ({exc})"]) from exc
    try:
        return read_data(Path(path), text)
    except ScenarioError as error:
        raise ClassroomError(error.problems) from None
