"""Nova's and Glance's objects in a simulated cloud: clouds, hosts, flavors, images, instances."""

from __future__ import annotations

import ipaddress
import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from cloudlab.engine import architectures, lifecycle
from cloudlab.engine.architectures import ARCHITECTURES
from cloudlab.engine.resources import ERA_DEFAULT_RATIOS, FlavorSize, HostResources, instance_overhead_mb
from cloudlab.identity.access import visible_projects

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def _default_pace() -> float:
    return settings.CLOUDLAB_PACE


def _validate_illustrative_start_seconds(value: Any) -> None:
    problems = (
        architectures.check_illustrative(value)
        if isinstance(value, dict)
        else ["must map a kind of runtime to seconds"]
    )
    if problems:
        raise ValidationError("; ".join(problems))


class Cloud(models.Model):
    """One simulated OpenStack deployment, with its own nova.conf and pace."""

    class Era(models.TextChoices):
        CLASSIC = "classic", _("classic (Icehouse–Newton)")
        PLACEMENT = "placement", _("placement (today's Nova)")

    name = models.SlugField(_("name"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=120, blank=True)
    description = models.JSONField(_("description"), default=dict, blank=True)
    era = models.CharField(_("era"), max_length=16, choices=Era.choices, default=Era.CLASSIC)
    #: The scheduler section of the scenario (nova.conf [filter_scheduler] / [scheduler]).
    scheduler_config = models.JSONField(_("scheduler configuration"), default=dict, blank=True)
    pace = models.FloatField(
        _("pace (seconds per step)"),
        default=_default_pace,
        validators=[MinValueValidator(0.0)],
        help_text=_("How long one lifecycle step takes; 0 makes every step instant."),
    )
    #: Whether the hosts' drivers estimate each instance's memory overhead from the cited
    #: architecture model (classic era: claims and usage count flavor RAM + the host kind's
    #: overhead, as Nova counted ``estimate_instance_overhead``). Off: 0, libvirt's estimate.
    #: Change it through ``actions.architecture_model.set_instance_overhead`` (it recounts usage).
    model_instance_overhead = models.BooleanField(
        _("count the per-instance memory overhead"),
        default=False,
        help_text=_(
            "Classic era: each instance's claim holds its flavor's RAM plus its host kind's memory "
            "overhead from the architecture model (a VM's VMM, a container's none)."
        ),
    )
    #: Start times an instructor sets for kinds the cited model has no published figure for
    #: (``{"type2": 120}``): they pace the boots and are labelled illustrative wherever shown.
    illustrative_start_seconds = models.JSONField(
        _("illustrative start times (s)"),
        default=dict,
        blank=True,
        validators=[_validate_illustrative_start_seconds],
        help_text=_(
            "Seconds a guest takes to boot on a kind without a published figure (type1: local boot, "
            'type2), e.g. {"type2": 120}. Shown as illustrative, never as a measurement.'
        ),
    )
    network_name = models.CharField(_("network"), max_length=64, default="private")
    network_cidr = models.CharField(_("network CIDR"), max_length=43, default="10.0.0.0/24")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("cloud")
        verbose_name_plural = _("clouds")
        constraints = [models.CheckConstraint(condition=models.Q(pace__gte=0), name="cloud_pace_not_negative")]

    def __str__(self) -> str:
        return self.title or self.name

    @property
    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        return ipaddress.ip_network(self.network_cidr)


class Aggregate(models.Model):
    cloud = models.ForeignKey(Cloud, on_delete=models.CASCADE, related_name="aggregates")
    name = models.CharField(_("name"), max_length=64)
    availability_zone = models.CharField(_("availability zone"), max_length=64, blank=True)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)

    class Meta:
        verbose_name = _("host aggregate")
        verbose_name_plural = _("host aggregates")
        constraints = [models.UniqueConstraint(fields=["cloud", "name"], name="aggregate_name_unique_in_cloud")]

    def __str__(self) -> str:
        return self.name


class Host(models.Model):
    """A compute node. Its usage columns follow Nova's compute_nodes row (reserved included) and
    change only through claims; ``manage.py audit`` proves they equal the instances on it."""

    #: BARE_METAL, HOSTED, CONTAINER: the engine's classes (cloudlab/engine/architectures.py),
    #: whose labels are marked there with N_().
    Architecture = models.TextChoices(
        "Architecture",
        [(a.member, (a.code, _(a.label))) for a in ARCHITECTURES],
        module=__name__,
        qualname="Host.Architecture",
    )

    cloud = models.ForeignKey(Cloud, on_delete=models.CASCADE, related_name="hosts")
    name = models.CharField(_("name"), max_length=64)
    aggregates = models.ManyToManyField(Aggregate, related_name="hosts", blank=True)
    availability_zone = models.CharField(_("availability zone"), max_length=64, default="nova")
    host_ip = models.GenericIPAddressField(_("host IP"), null=True, blank=True)
    hypervisor_type = models.CharField(_("hypervisor type"), max_length=32, default="QEMU")
    hypervisor_version = models.PositiveIntegerField(_("hypervisor version"), default=6002000)
    architecture = models.CharField(
        _("architecture"), max_length=16, choices=Architecture.choices, default=Architecture.BARE_METAL
    )
    cpu_arch = models.CharField(_("CPU architecture"), max_length=16, default="x86_64")
    supported_instances = models.JSONField(_("supported instances"), default=list, blank=True)
    enabled = models.BooleanField(_("service enabled"), default=True)
    disabled_reason = models.CharField(_("disabled reason"), max_length=255, blank=True)
    up = models.BooleanField(_("service up"), default=True)
    #: When the nova-compute heartbeat stopped (an instructor marked the host down).
    down_since = models.DateTimeField(_("down since"), null=True, blank=True)
    vcpus = models.PositiveIntegerField(_("vCPUs"), validators=[MinValueValidator(1)])
    memory_mb = models.PositiveIntegerField(_("RAM (MB)"), validators=[MinValueValidator(1)])
    local_gb = models.PositiveIntegerField(_("local disk (GB)"), validators=[MinValueValidator(1)])
    cpu_allocation_ratio = models.FloatField(_("CPU allocation ratio"), null=True, blank=True)
    ram_allocation_ratio = models.FloatField(_("RAM allocation ratio"), null=True, blank=True)
    disk_allocation_ratio = models.FloatField(_("disk allocation ratio"), null=True, blank=True)
    reserved_host_memory_mb = models.PositiveIntegerField(_("reserved RAM (MB)"), default=512)
    reserved_host_disk_mb = models.PositiveIntegerField(_("reserved disk (MB)"), default=0)
    reserved_host_cpus = models.PositiveIntegerField(_("reserved vCPUs"), default=0)
    vcpus_used = models.IntegerField(_("vCPUs used"), default=0)
    memory_mb_used = models.IntegerField(_("RAM used (MB)"), default=512)
    local_gb_used = models.IntegerField(_("disk used (GB)"), default=0)
    failed_builds = models.PositiveIntegerField(_("failed builds"), default=0)

    class Meta:
        verbose_name = _("compute host")
        verbose_name_plural = _("compute hosts")
        ordering = ["cloud", "name"]
        constraints = [models.UniqueConstraint(fields=["cloud", "name"], name="host_name_unique_in_cloud")]

    def __str__(self) -> str:
        return self.name

    @property
    def kind(self) -> str:
        """The kind of runtime of this host's instances in the cited model (``type1`` …)."""
        return architectures.kind_of(self.architecture)

    @property
    def instance_overhead_mb(self) -> int:
        """MB this host's driver adds to each instance's claim (Nova's ``estimate_instance_overhead``):
        the kind's memory overhead in a classic-era cloud that models it, else none
        (``resources.instance_overhead_mb``)."""
        return instance_overhead_mb(
            self.cloud.era,  # type: ignore[arg-type]
            self.architecture,
            self.cloud.model_instance_overhead,
        )

    def resources(self) -> HostResources:
        """This row as the engine sees it, with the cloud era's default for unset ratios and
        the driver's per-instance memory overhead."""
        defaults = ERA_DEFAULT_RATIOS[self.cloud.era]  # type: ignore[index]
        return HostResources(
            vcpus=self.vcpus,
            memory_mb=self.memory_mb,
            local_gb=self.local_gb,
            cpu_allocation_ratio=self.cpu_allocation_ratio or defaults.cpu,
            ram_allocation_ratio=self.ram_allocation_ratio or defaults.ram,
            disk_allocation_ratio=self.disk_allocation_ratio or defaults.disk,
            vcpus_used=self.vcpus_used,
            memory_mb_used=self.memory_mb_used,
            local_gb_used=self.local_gb_used,
            reserved_host_memory_mb=self.reserved_host_memory_mb,
            reserved_host_disk_mb=self.reserved_host_disk_mb,
            reserved_host_cpus=self.reserved_host_cpus,
            instance_overhead_mb=self.instance_overhead_mb,
        )

    def set_usage(self, resources: HostResources) -> None:
        self.vcpus_used = resources.vcpus_used
        self.memory_mb_used = resources.memory_mb_used
        self.local_gb_used = resources.local_gb_used


class Flavor(models.Model):
    cloud = models.ForeignKey(Cloud, on_delete=models.CASCADE, related_name="flavors")
    flavorid = models.CharField(_("ID"), max_length=64)
    name = models.CharField(_("name"), max_length=64)
    vcpus = models.PositiveIntegerField(_("vCPUs"), validators=[MinValueValidator(1)])
    memory_mb = models.PositiveIntegerField(_("RAM (MB)"), validators=[MinValueValidator(1)])
    root_gb = models.PositiveIntegerField(_("root disk (GB)"), default=0)
    ephemeral_gb = models.PositiveIntegerField(_("ephemeral disk (GB)"), default=0)
    swap = models.PositiveIntegerField(_("swap (MB)"), default=0)
    extra_specs = models.JSONField(_("extra specs"), default=dict, blank=True)
    is_public = models.BooleanField(_("public"), default=True)

    class Meta:
        verbose_name = _("flavor")
        verbose_name_plural = _("flavors")
        ordering = ["cloud", "memory_mb", "vcpus", "name"]
        constraints = [
            models.UniqueConstraint(fields=["cloud", "flavorid"], name="flavor_id_unique_in_cloud"),
            models.UniqueConstraint(fields=["cloud", "name"], name="flavor_name_unique_in_cloud"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def size(self) -> FlavorSize:
        return FlavorSize(self.vcpus, self.memory_mb, self.root_gb, self.ephemeral_gb, self.swap)

    @property
    def disk_gb(self) -> int:
        return self.size.disk_gb


class Image(models.Model):
    """A Glance image (public, or a project's own snapshot)."""

    cloud = models.ForeignKey(Cloud, on_delete=models.CASCADE, related_name="images")
    uuid = models.UUIDField(_("ID"), default=uuid.uuid4)
    name = models.CharField(_("name"), max_length=128)
    owner = models.ForeignKey(
        "identity.Project", on_delete=models.CASCADE, null=True, blank=True, related_name="images"
    )
    disk_format = models.CharField(_("disk format"), max_length=16, default="qcow2")
    container_format = models.CharField(_("container format"), max_length=16, default="bare")
    size_mb = models.PositiveIntegerField(_("size (MB)"), default=0)
    min_ram = models.PositiveIntegerField(_("minimum RAM (MB)"), default=0)
    min_disk = models.PositiveIntegerField(_("minimum disk (GB)"), default=0)
    properties = models.JSONField(_("properties"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, default="active")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("image")
        verbose_name_plural = _("images")
        ordering = ["cloud", "name"]
        constraints = [models.UniqueConstraint(fields=["cloud", "uuid"], name="image_uuid_unique_in_cloud")]

    def __str__(self) -> str:
        return self.name


class InstanceQuerySet(models.QuerySet["Instance"]):
    def live(self) -> InstanceQuerySet:
        """Instances not deleted (Nova keeps deleted rows; the tables hide them)."""
        return self.exclude(vm_state=lifecycle.VmState.DELETED)

    def visible_to(self, user: AbstractBaseUser | AnonymousUser) -> InstanceQuerySet:
        """What a user may open: their projects' instances, and every instance of a cloud they
        teach (``cloudlab.identity.access``). Anything else answers 404, never 403."""
        return self.filter(project__in=visible_projects(user))

    def locked(self) -> InstanceQuerySet:
        """The rows locked for an update (only the instance's own row: its nullable host join
        cannot be locked on PostgreSQL), with what a step reads."""
        return self.select_for_update(of=("self",)).select_related("cloud", "flavor", "image", "host", "project")

    def for_table(self) -> InstanceQuerySet:
        return self.select_related("flavor", "image", "host", "project", "user").order_by("-created_at", "-id")


class Instance(models.Model):
    """Nova's instance fields that matter here."""

    uuid = models.UUIDField(_("ID"), default=uuid.uuid4, unique=True, editable=False)
    cloud = models.ForeignKey(Cloud, on_delete=models.CASCADE, related_name="instances")
    project = models.ForeignKey("identity.Project", on_delete=models.CASCADE, related_name="instances")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="instances"
    )
    name = models.CharField(_("name"), max_length=255)
    flavor = models.ForeignKey(Flavor, on_delete=models.PROTECT, related_name="instances")
    image = models.ForeignKey(Image, on_delete=models.PROTECT, related_name="instances")
    host = models.ForeignKey(Host, on_delete=models.PROTECT, null=True, blank=True, related_name="instances")
    node = models.CharField(_("node"), max_length=255, blank=True)
    availability_zone = models.CharField(_("availability zone"), max_length=64, blank=True)
    vm_state = models.CharField(_("vm_state"), max_length=32, default=lifecycle.VmState.BUILDING)
    task_state = models.CharField(_("task_state"), max_length=64, null=True, blank=True)  # noqa: DJ001 - Nova: None = no task
    power_state = models.PositiveSmallIntegerField(_("power_state"), default=lifecycle.PowerState.NOSTATE)
    fixed_ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    launched_at = models.DateTimeField(_("launched at"), null=True, blank=True)
    locked = models.BooleanField(_("locked"), default=False)
    locked_by = models.CharField(_("locked by"), max_length=8, blank=True)  # "owner" or "admin", as Nova
    fault = models.JSONField(_("fault"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)

    objects = InstanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("instance")
        verbose_name_plural = _("instances")
        indexes = [models.Index(fields=["cloud", "vm_state"]), models.Index(fields=["project", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["cloud", "fixed_ip"],
                name="fixed_ip_unique_in_cloud",
                condition=models.Q(fixed_ip__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.uuid})"

    @property
    def status(self) -> str:
        return lifecycle.status_from_state(self.vm_state, self.task_state)

    @property
    def addresses(self) -> dict[str, list[str]]:
        """As Nova shows them: ``{"private": ["10.0.0.2"]}``."""
        return {self.cloud.network_name: [self.fixed_ip]} if self.fixed_ip else {}


class InstanceAction(models.Model):
    """One user request on an instance, as ``openstack server event list`` shows it."""

    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="actions")
    action = models.CharField(_("action"), max_length=64)
    request_id = models.CharField(_("request ID"), max_length=64, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    project = models.ForeignKey("identity.Project", on_delete=models.SET_NULL, null=True, blank=True)
    start_time = models.DateTimeField(_("start time"))
    finish_time = models.DateTimeField(_("finish time"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)  # "Error" when an event failed, as Nova
    #: What the step plan was made from (starting vm_state / power_state, parameters), so every
    #: paced step re-derives the same plan from the engine.
    context = models.JSONField(_("context"), default=dict, blank=True)

    class Meta:
        verbose_name = _("instance action")
        verbose_name_plural = _("instance actions")
        ordering = ["-start_time", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.request_id}"

    @staticmethod
    def new_request_id() -> str:
        return f"req-{uuid.uuid4()}"


class InstanceActionEvent(models.Model):
    """A compute-side step of an action (``compute__schedule_instances``, ``compute_spawn`` …)."""

    class Result(models.TextChoices):
        SUCCESS = "Success", _("Success")
        ERROR = "Error", _("Error")

    action = models.ForeignKey(InstanceAction, on_delete=models.CASCADE, related_name="events")
    event = models.CharField(_("event"), max_length=64)
    start_time = models.DateTimeField(_("start time"))
    finish_time = models.DateTimeField(_("finish time"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=16, choices=Result.choices, blank=True)
    details = models.TextField(_("details"), blank=True)
    host = models.CharField(_("host"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("instance action event")
        verbose_name_plural = _("instance action events")
        ordering = ["start_time", "id"]

    def __str__(self) -> str:
        return self.event

    def as_dict(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "start_time": self.start_time.isoformat(),
            "finish_time": self.finish_time.isoformat() if self.finish_time else None,
            "result": self.result or None,
            "host": self.host,
            "details": self.details,
        }


class SchedulingRecordQuerySet(models.QuerySet["SchedulingRecord"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser) -> SchedulingRecordQuerySet:
        """Decisions of the user's projects, and every decision of a cloud they teach (else 404)."""
        return self.filter(instance__project__in=visible_projects(user))


class SchedulingRecord(models.Model):
    """One pass of the scheduler for one instance: the full trace, kept for explanation and replay."""

    class Outcome(models.TextChoices):
        CLAIMED = "claimed", _("placed and claimed")
        CLAIM_FAILED = "claim_failed", _("the chosen host filled meanwhile: rescheduled")
        NO_VALID_HOST = "NoValidHost", _("no valid host")
        MAX_RETRIES = "MaxRetriesExceeded", _("out of attempts")

    cloud = models.ForeignKey(Cloud, on_delete=models.CASCADE, related_name="scheduling_records")
    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="scheduling_records")
    action = models.ForeignKey(
        InstanceAction, on_delete=models.SET_NULL, null=True, blank=True, related_name="scheduling_records"
    )
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)
    #: Which instance of its request this record is for (a multi-create shares one pass).
    instance_index = models.PositiveSmallIntegerField(_("instance of the request"), default=0)
    era = models.CharField(_("era"), max_length=16)
    driver = models.CharField(_("driver"), max_length=32)
    trace = models.JSONField(_("trace"))
    #: The frozen inputs of the decision (hosts, request, nova.conf): replay and what-if rerun it.
    moment = models.JSONField(_("moment"), null=True, blank=True)
    #: When the worker started publishing the decision's stages at the cloud's pace.
    live_started_at = models.DateTimeField(_("live since"), null=True, blank=True)
    selected_host = models.CharField(_("selected host"), max_length=64, blank=True)
    outcome = models.CharField(_("outcome"), max_length=32, choices=Outcome.choices)
    detail = models.TextField(_("detail"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = SchedulingRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("scheduling record")
        verbose_name_plural = _("scheduling records")
        ordering = ["instance", "attempt", "id"]

    def __str__(self) -> str:
        return f"{self.instance.name} attempt {self.attempt}: {self.outcome}"


class Migration(models.Model):
    """A move of an instance between hosts (resize, cold or live migration, evacuation), as Nova's
    migrations table: while it is in progress the source keeps the old flavor and the destination
    holds the new one, so the resource tracker counts both (nova-semantics.md section e)."""

    class Kind(models.TextChoices):
        RESIZE = "resize", _("resize")
        MIGRATION = "migration", _("cold migration")
        LIVE_MIGRATION = "live-migration", _("live migration")
        EVACUATION = "evacuation", _("evacuation")

    class Status(models.TextChoices):
        MIGRATING = "migrating", _("migrating")
        FINISHED = "finished", _("finished")  # resized: waiting for confirm or revert
        CONFIRMED = "confirmed", _("confirmed")
        REVERTED = "reverted", _("reverted")
        COMPLETED = "completed", _("completed")
        ERROR = "error", _("error")

    IN_PROGRESS = (Status.MIGRATING, Status.FINISHED)

    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="migrations")
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.MIGRATING)
    source_host = models.ForeignKey(Host, on_delete=models.PROTECT, related_name="outgoing_migrations")
    dest_host = models.ForeignKey(
        Host, on_delete=models.PROTECT, null=True, blank=True, related_name="incoming_migrations"
    )
    old_flavor = models.ForeignKey(Flavor, on_delete=models.PROTECT, related_name="+")
    new_flavor = models.ForeignKey(Flavor, on_delete=models.PROTECT, related_name="+")
    old_vm_state = models.CharField(_("vm_state before"), max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("migration")
        verbose_name_plural = _("migrations")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} of {self.instance.name}: {self.status}"


class ServerGroup(models.Model):
    """Nova's instance group (``os-server-groups``): a policy the scheduler keeps for its members.

    ``policy`` is one of Nova's four; ``rules`` holds ``max_server_per_host`` for an
    anti-affinity group (API 2.64+). The API adds a boot's instance to ``members`` before it is
    scheduled, as nova-api does; a deleted instance is no member any more (``live_members``)."""

    class Policy(models.TextChoices):
        AFFINITY = "affinity", _("affinity")
        ANTI_AFFINITY = "anti-affinity", _("anti-affinity")
        SOFT_AFFINITY = "soft-affinity", _("soft affinity")
        SOFT_ANTI_AFFINITY = "soft-anti-affinity", _("soft anti-affinity")

    uuid = models.UUIDField(_("ID"), default=uuid.uuid4, unique=True, editable=False)
    cloud = models.ForeignKey(Cloud, on_delete=models.CASCADE, related_name="server_groups")
    project = models.ForeignKey("identity.Project", on_delete=models.CASCADE, related_name="server_groups")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("name"), max_length=255)
    policy = models.CharField(_("policy"), max_length=32, choices=Policy.choices)
    rules = models.JSONField(_("rules"), default=dict, blank=True)
    members = models.ManyToManyField(Instance, related_name="server_groups", blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("server group")
        verbose_name_plural = _("server groups")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.policy})"

    def live_members(self) -> InstanceQuerySet:
        return self.members.all().live().order_by("created_at", "id")  # type: ignore[attr-defined, no-any-return]
