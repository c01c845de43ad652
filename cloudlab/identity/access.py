"""Who may see what: the one rule behind the live streams, the tables and the pages.

A user sees the projects they are a member of, and every project of a cloud they teach
(Keystone's admin role, here the instructor role in any of the cloud's projects). A cloud as a
whole (its stream, the Admin panels) is seen by its instructors only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from .models import Membership, Project, Role, is_instructor

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def visible_projects(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Project]:
    """The user's projects, and every project of a cloud the user teaches."""
    if not user.is_authenticated:
        return Project.objects.none()
    member_of = Membership.objects.filter(user=user).values("project_id")
    taught = Membership.objects.filter(user=user, role=Role.INSTRUCTOR).values("project__cloud_id")
    return Project.objects.filter(Q(pk__in=member_of) | Q(cloud_id__in=taught))


def may_see_project(user: AbstractBaseUser | AnonymousUser, project_id: int) -> bool:
    return visible_projects(user).filter(pk=project_id).exists()


def may_see_cloud(user: AbstractBaseUser | AnonymousUser, cloud_id: int) -> bool:
    return is_instructor(user, cloud_id)
