"""Build a Cloud in the database from a validated scenario, and a classroom (people) onto it.

The engine validates the scenario (every problem by its path, nothing loaded on error); this
module writes it, all in one transaction, so a cloud is either created whole or not at all. A
host over its limits (``Scenario.warnings``) is written as it is: Nova runs such hosts, and the
claims and filters refuse it new instances until its usage is back under the limit.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from cloudlab.engine.lifecycle import PowerState, VmState
from cloudlab.engine.scheduler import Scenario
from cloudlab.identity.models import Membership, Project, Quota, Role

from .models import Aggregate, Cloud, Flavor, Host, Image, Instance, InstanceAction

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
def create_cloud(scenario: Scenario, *, pace: float | None = None, replace: bool = False) -> Cloud:
    """Create the cloud ``scenario.name`` with its hosts, flavors, images and instances."""
    existing = Cloud.objects.filter(name=scenario.name).first()
    if existing is not None:
        if not replace:
            raise ValueError(f"a cloud named '{scenario.name}' exists already (use --replace to rebuild it)")
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
    return cloud


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
        if not isinstance(password, str) or len(password) < 8:
            problems.append(f"{path}.password: must be a string of at least 8 characters")
        role = raw.get("role", Role.STUDENT)
        if role not in Role.values:
            problems.append(f"{path}.role: must be one of {', '.join(Role.values)}")
        projects = raw.get("projects", [])
        if not isinstance(projects, list) or not projects or not all(isinstance(p, str) and p for p in projects):
            problems.append(f"{path}.projects: must be a non-empty list of project names")
            projects = []
        if not problems:
            people.append(Person(username, password, role, tuple(projects), str(raw.get("display_name", ""))))
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


def load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)
