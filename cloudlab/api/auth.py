"""Who is calling: Keystone tokens (issue, look up, expire) and the password check behind them.

Every API view (identity, compute, image) finds its caller with ``caller_from_request``: the
``X-Auth-Token`` header only, never the session cookie. A token is scoped to one project; the
caller's roles are read from the membership at each request, so a student removed from a
project loses the token's use at once (Keystone revokes tokens on role removal)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from cloudlab.identity.models import Membership, Project, Role

from .models import ApiPassword, Token

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Keystone's default token lifetime ([token] expiration = 3600 s); CLOUDLAB_API_TOKEN_EXPIRATION.
DEFAULT_TOKEN_EXPIRATION = 3600

# CloudLab's roles as Keystone role names (DevStack gives a member "member" and "reader"; Nova's
# admin, here the cloud's instructor, also holds "admin").
KEYSTONE_ROLES: dict[str, tuple[str, ...]] = {
    Role.STUDENT: ("member", "reader"),
    Role.INSTRUCTOR: ("admin", "member", "reader"),
}

UNAUTHORIZED_MESSAGE = "The request you have made requires authentication."

_REQUEST_ID_ATTRIBUTE = "openstack_request_id"
_NAMESPACE = uuid.UUID("5d0d9a2e-6a55-4c1f-9b0b-8c4f9f1ed0a1")


def stable_id(kind: str, key: object) -> str:
    """A Keystone-style id (32 hex digits) that is the same on every start of every server."""
    return uuid.uuid5(_NAMESPACE, f"{kind}:{key}").hex


def project_id(project: Project) -> str:
    """The project's Keystone id (``tenant_id``/``project_id`` in every API body)."""
    return stable_id("project", project.pk)


def user_id_for_pk(pk: object) -> str:
    return stable_id("user", pk)


def user_id(user: User) -> str:
    """The user's Keystone id (``user_id`` in server and instance-action bodies)."""
    return user_id_for_pk(user.pk)


def project_for_id(value: str, among: QuerySet[Project]) -> Project | None:
    """The project of ``among`` whose Keystone id is ``value`` (ids are derived, not stored:
    the candidates are a user's or a cloud's projects, a short list)."""
    for project in among:
        if project_id(project) == value:
            return project
    return None


@dataclass(frozen=True)
class Caller:
    user: User  # django.contrib.auth user
    project: Project  # the project the token is scoped to
    roles: tuple[str, ...]  # Keystone role names ("member", "reader", "admin")
    expires_at: datetime

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_lifetime() -> timedelta:
    return timedelta(seconds=getattr(settings, "CLOUDLAB_API_TOKEN_EXPIRATION", DEFAULT_TOKEN_EXPIRATION))


def roles_of(user: User, project: Project) -> tuple[str, ...] | None:
    """The Keystone roles of ``user`` in ``project``, or None when they are not a member."""
    role = Membership.objects.filter(user=user, project=project).values_list("role", flat=True).first()
    if role is None:
        return None
    return KEYSTONE_ROLES.get(role, ("member", "reader"))


def issue_token(user: User, project: Project, *, expires_at: datetime | None = None) -> tuple[str, Token]:
    """A new token for ``user`` scoped to ``project``: the value (for X-Subject-Token, shown
    once) and the stored row (digest only). It lives CLOUDLAB_API_TOKEN_EXPIRATION seconds, or
    until ``expires_at`` (a re-scoped token keeps its parent's). Expired tokens are swept as new
    ones are issued."""
    now = timezone.now()
    Token.objects.expired(now).delete()
    value = "gAAAAA" + secrets.token_urlsafe(48)  # Fernet tokens start so; clients treat it as opaque
    row = Token.objects.create(
        digest=token_digest(value),
        user=user,
        project=project,
        audit_id=secrets.token_urlsafe(16)[:22],
        issued_at=now,
        expires_at=expires_at if expires_at is not None else now + token_lifetime(),
    )
    return value, row


def caller_from_request(request: HttpRequest) -> Caller | None:
    """The caller of X-Auth-Token: None when the header is missing, the token unknown, expired,
    or its user/project membership is gone. Tokens are stored hashed (sha256), never in clear."""
    value = request.headers.get("X-Auth-Token", "").strip()
    if not value or len(value) > 512:
        return None
    row = (
        Token.objects.select_related("user", "project", "project__cloud")
        .filter(digest=token_digest(value), expires_at__gt=timezone.now())
        .first()
    )
    if row is None or not row.user.is_active:
        return None
    roles = roles_of(row.user, row.project)
    if roles is None:
        return None
    return Caller(user=row.user, project=row.project, roles=roles, expires_at=row.expires_at)


def check_user_password(username: str, password: str) -> User | None:
    """The active user named ``username`` whose login password or API password is ``password``."""
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    if user is None:
        user_model().set_password(password)  # the same work either way: no timing tells who exists
        return None
    if not user.is_active:
        return None
    if user.check_password(password):
        return user  # type: ignore[return-value]
    api_password = ApiPassword.objects.filter(user=user).values_list("password", flat=True).first()
    if api_password and check_password(password, api_password):
        return user  # type: ignore[return-value]
    return None


def request_id(request: HttpRequest) -> str:
    """'req-<uuid4>' made once per request (memoised on the request object)."""
    value = getattr(request, _REQUEST_ID_ATTRIBUTE, None)
    if value is None:
        value = f"req-{uuid.uuid4()}"
        setattr(request, _REQUEST_ID_ATTRIBUTE, value)
    return str(value)


def api_headers(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Adds x-openstack-request-id (and returns the response)."""
    response.headers["x-openstack-request-id"] = request_id(request)
    return response


def identity_url(request: HttpRequest) -> str:
    """The identity endpoint as the caller reached this server (``http://H/identity``)."""
    return request.build_absolute_uri("/identity")


def unauthorized(request: HttpRequest, message: str = UNAUTHORIZED_MESSAGE) -> HttpResponse:
    """401 in Keystone's (and keystonemiddleware's) shape, with WWW-Authenticate naming the
    identity endpoint: keystoneauth re-authenticates on it. For every service's missing, unknown
    or expired token."""
    response = JsonResponse({"error": {"code": 401, "title": "Unauthorized", "message": message}}, status=401)
    response.headers["WWW-Authenticate"] = f'Keystone uri="{identity_url(request)}"'
    return api_headers(request, response)
