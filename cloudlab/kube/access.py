"""Who may see which cluster: a student their projects' clusters, an instructor every cluster of
the clouds they teach; anything else answers 404 (never 403), as the dashboard's other panels do.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from cloudlab.identity.access import visible_projects

from .models import Cluster


def visible_clusters(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Cluster]:
    return Cluster.objects.filter(project__in=visible_projects(user)).select_related("cloud", "project")


def cluster_or_404(request: HttpRequest, cluster_id: int) -> Cluster:
    """The cluster with this id, if the user may see it (else 404)."""
    return get_object_or_404(visible_clusters(request.user), pk=cluster_id)
