"""Who is calling the Kubernetes API: ``Authorization: Bearer <token>`` (kubectl's kubeconfig
token, the Python client's ``api_key``), stored hashed as the OpenStack API's tokens are.

A token is scoped to one project. A student's token reaches that project's clusters; an
instructor's token every cluster of the clouds they teach. Membership is read at each request,
so a student removed from the project loses the token's use at once."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import DatabaseError, OperationalError, connection, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from cloudlab.identity.models import Membership, Project, Role
from cloudlab.kube.models import Cluster

from .models import KubeToken

if TYPE_CHECKING:
    from django.contrib.auth.models import User

TOKEN_PREFIX = "cloudlab-kube-"  # noqa: S105 (a prefix, not a secret)
# last_used is written at most once a minute per token (kubectl sends a dozen requests a command).
LAST_USED_GRANULARITY = timedelta(seconds=60)
LAST_USED_WAIT_MS = 200


@dataclass(frozen=True)
class Caller:
    user: User
    project: Project  # the project the token is scoped to
    role: str  # Role.STUDENT or Role.INSTRUCTOR in that project
    token_id: int

    @property
    def is_instructor(self) -> bool:
        return self.role == Role.INSTRUCTOR

    @property
    def username(self) -> str:
        return str(self.user.get_username())

    def clusters(self) -> QuerySet[Cluster]:
        """The clusters this token reaches (another's answers NotFound, never Forbidden)."""
        if self.is_instructor:
            taught = Membership.objects.filter(user=self.user, role=Role.INSTRUCTOR).values("project__cloud_id")
            found = Cluster.objects.filter(project__cloud_id__in=taught)
        else:
            found = Cluster.objects.filter(project=self.project)
        return found.select_related("cloud", "project")

    def cluster(self, cluster_id: int) -> Cluster | None:
        return self.clusters().filter(pk=cluster_id).first()


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(user: User, project: Project) -> str:
    """A new bearer token for ``user`` in ``project``: the secret, to show once (only its
    digest is stored)."""
    value = TOKEN_PREFIX + secrets.token_urlsafe(32)
    KubeToken.objects.create(digest=token_digest(value), user=user, project=project)
    return value


def revoke_token(token_id: int) -> None:
    KubeToken.objects.filter(pk=token_id, revoked__isnull=True).update(revoked=timezone.now())


def bearer(request: HttpRequest) -> str | None:
    """The token of ``Authorization: Bearer <token>`` (header name and scheme case-insensitive)."""
    header = request.headers.get("Authorization", "")  # HttpHeaders are case-insensitive
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or len(value) > 512:
        return None
    return value


def _touch(token_id: int, now: datetime) -> None:
    """Record the token's use, best effort: never wait long for a busy database (SQLite's write
    lock, PostgreSQL's row lock) nor fail the request over a "last used" time."""
    sqlite = connection.vendor == "sqlite"
    try:
        if sqlite:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA busy_timeout")
                before = cursor.fetchone()[0]
                cursor.execute(f"PRAGMA busy_timeout = {LAST_USED_WAIT_MS}")
        try:
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute(f"SET LOCAL lock_timeout = '{LAST_USED_WAIT_MS}ms'")
                KubeToken.objects.filter(pk=token_id).update(last_used=now)
        finally:
            if sqlite:
                with connection.cursor() as cursor:
                    cursor.execute(f"PRAGMA busy_timeout = {int(before)}")
    except (OperationalError, DatabaseError):
        pass


def caller(request: HttpRequest, *, touch: bool = True) -> Caller | None:
    """The caller of the bearer token, or None (no header, unknown or revoked token, inactive
    user, membership gone): the view answers 401 Unauthorized. ``touch``: record the use (not for
    kubectl's dispatcher probing ``/version`` with a 5 s timeout)."""
    value = bearer(request)
    if value is None:
        return None
    row = (
        KubeToken.objects.select_related("user", "project", "project__cloud")
        .filter(digest=token_digest(value), revoked__isnull=True)
        .first()
    )
    if row is None or not row.user.is_active:
        return None
    role = Membership.objects.filter(user=row.user, project=row.project).values_list("role", flat=True).first()
    if role is None:
        return None
    now = timezone.now()
    if touch and (row.last_used is None or now - row.last_used > LAST_USED_GRANULARITY):
        _touch(row.pk, now)
    return Caller(user=row.user, project=row.project, role=str(role), token_id=row.pk)
