"""Keystone's part: projects (tenants) inside a cloud, memberships with roles, and quotas."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class ProjectQuerySet(models.QuerySet["Project"]):
    def for_user(self, user: AbstractBaseUser | AnonymousUser) -> ProjectQuerySet:
        """Projects the user is a member of (any role)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user).distinct()


class Project(models.Model):
    cloud = models.ForeignKey("compute.Cloud", on_delete=models.CASCADE, related_name="projects")
    name = models.SlugField(_("name"), max_length=64)
    description = models.CharField(_("description"), max_length=255, blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="projects")

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["cloud", "name"]
        constraints = [models.UniqueConstraint(fields=["cloud", "name"], name="project_name_unique_in_cloud")]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    STUDENT = "student", _("Student")
    INSTRUCTOR = "instructor", _("Instructor")


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.STUDENT)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["user", "project"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} in {self.project} ({self.role})"


class Quota(models.Model):
    """Nova's per-project compute quotas (defaults from nova/conf/quota.py); −1 means unlimited."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="quota")
    instances = models.IntegerField(_("instances"), default=10)
    cores = models.IntegerField(_("VCPUs"), default=20)
    ram = models.IntegerField(_("RAM (MB)"), default=51200)

    class Meta:
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(instances__gte=-1, cores__gte=-1, ram__gte=-1),
                name="quota_limits_not_below_unlimited",
            )
        ]

    def __str__(self) -> str:
        return f"quota of {self.project}"


def is_instructor(user: AbstractBaseUser | AnonymousUser, cloud_id: int) -> bool:
    """Instructors of a cloud hold the instructor role in one of its projects (Nova's admin)."""
    if not user.is_authenticated:
        return False
    return Membership.objects.filter(user=user, project__cloud_id=cloud_id, role=Role.INSTRUCTOR).exists()
