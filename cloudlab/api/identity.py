"""Keystone v3, the subset the real clients use: version discovery, password authentication
scoped to a project, token validation and revocation, the service catalog.

Scoping (CloudLab project names repeat across clouds: sandboxes, session clouds):

1. ``scope.project.id`` (what the API Access page's clouds.yaml and openrc give) names exactly
   one project; it must be one of the user's.
2. ``scope.project.name`` (with the domain ``Default``) is looked up among the *user's own*
   projects only; if it matches several (the same name in two clouds) the answer is 401 saying
   to use the project id instead.
3. No scope at all: the user's only project, else 401 asking for one.

Errors are Keystone's shape: ``{"error": {"code", "title", "message"}}``. A wrong user name or
password is Keystone's plain "The request you have made requires authentication." (it never
says which was wrong); a scope problem says what is wrong, as Keystone does in debug mode."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import RequestDataTooBig
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from cloudlab.identity.login_throttle import lockout, record_failure, record_success
from cloudlab.identity.models import Project

from . import auth
from .models import Token

DOMAIN = {"id": "default", "name": "Default"}
REGION = "RegionOne"
VERSION_UPDATED = "2020-04-07T00:00:00Z"  # Keystone's v3.14 (Ussuri)
# keystone.conf [DEFAULT] max_request_body_size: bigger bodies are refused with 413.
MAX_BODY_BYTES = 114688
MAX_NAME_LENGTH = 255  # Keystone's user/project name limit (and the password's, in its schema)

# The services in the catalog: (type, name, path under the server root). No network: CloudLab
# has no Neutron, and without it in the catalog no client calls one (reference §5).
SERVICES: tuple[tuple[str, str, str], ...] = (
    ("identity", "keystone", "/identity"),
    ("compute", "nova", "/compute/v2.1"),
    ("image", "glance", "/image"),
)
INTERFACES = ("public", "internal", "admin")

stable_id = auth.stable_id


def keystone_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    response = JsonResponse({"error": {"code": status, "title": title, "message": message}}, status=status)
    if status == 401:
        response.headers["WWW-Authenticate"] = f'Keystone uri="{auth.identity_url(request)}"'
    return auth.api_headers(request, response)


def bad_request(request: HttpRequest, message: str) -> HttpResponse:
    return error(request, 400, "Bad Request", message)


def unauthorized(request: HttpRequest, message: str = auth.UNAUTHORIZED_MESSAGE) -> HttpResponse:
    return error(request, 401, "Unauthorized", message)


def method_not_allowed(request: HttpRequest) -> HttpResponse:
    return error(request, 405, "Method Not Allowed", f"The method {request.method} is not supported for this resource.")


def _version(request: HttpRequest) -> dict[str, Any]:
    return {
        "id": "v3.14",
        "status": "stable",
        "updated": VERSION_UPDATED,
        "links": [{"rel": "self", "href": request.build_absolute_uri("/identity/v3/")}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}],
    }


@csrf_exempt
def versions(request: HttpRequest) -> HttpResponse:
    """GET /identity: 300 Multiple Choices with ``versions.values`` (keystoneauth needs it)."""
    if request.method not in ("GET", "HEAD"):
        return method_not_allowed(request)
    return auth.api_headers(request, JsonResponse({"versions": {"values": [_version(request)]}}, status=300))


@csrf_exempt
def version(request: HttpRequest) -> HttpResponse:
    """GET /identity/v3: the version document, no token needed."""
    if request.method not in ("GET", "HEAD"):
        return method_not_allowed(request)
    return auth.api_headers(request, JsonResponse({"version": _version(request)}))


def catalog(request: HttpRequest) -> list[dict[str, Any]]:
    entries = []
    for service_type, name, service_path in SERVICES:
        url = request.build_absolute_uri(service_path)
        entries.append(
            {
                "type": service_type,
                "name": name,
                "id": stable_id("service", service_type),
                "endpoints": [
                    {
                        "id": stable_id("endpoint", f"{service_type}:{interface}"),
                        "interface": interface,
                        "region": REGION,
                        "region_id": REGION,
                        "url": url,
                    }
                    for interface in INTERFACES
                ],
            }
        )
    return entries


def project_body(project: Project) -> dict[str, Any]:
    return {"id": auth.project_id(project), "name": project.name, "domain": DOMAIN}


def token_body(request: HttpRequest, row: Token, roles: tuple[str, ...], method: str = "password") -> dict[str, Any]:
    user = row.user
    return {
        "token": {
            "methods": [method],
            "user": {
                "id": auth.user_id(user),
                "name": user.get_username(),
                "domain": DOMAIN,
                "password_expires_at": None,
            },
            "audit_ids": [row.audit_id],
            "expires_at": keystone_time(row.expires_at),
            "issued_at": keystone_time(row.issued_at),
            "project": project_body(row.project),
            "is_domain": False,
            "roles": [{"id": stable_id("role", role), "name": role} for role in roles],
            "catalog": catalog(request),
        }
    }


class AuthRequestError(Exception):
    """A token request we refuse: the status and Keystone's message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _invalid(where: str, problem: str) -> AuthRequestError:
    """Keystone's schema message: ``Invalid input for field 'auth.identity': ...``."""
    return AuthRequestError(400, f"Invalid input for field '{where}': {problem}")


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _invalid(where, f"{json.dumps(value)[:80]} is not of type 'object'")
    return value


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise _invalid(where, f"{json.dumps(value)[:80]} is not of type 'string'")
    if len(value) > MAX_NAME_LENGTH:
        raise _invalid(where, f"it is longer than {MAX_NAME_LENGTH} characters")
    return value


def _check_domain(container: dict[str, Any], where: str) -> None:
    """CloudLab has one domain, Default (id ``default``), as a fresh DevStack."""
    if "domain" not in container:
        return
    domain = _object(container["domain"], f"{where}.domain")
    if "id" in domain and _string(domain["id"], f"{where}.domain.id") != DOMAIN["id"]:
        raise AuthRequestError(401, f"Could not find domain: {domain['id']}.")
    if "name" in domain and _string(domain["name"], f"{where}.domain.name") != DOMAIN["name"]:
        raise AuthRequestError(401, f"Could not find domain: {domain['name']}.")


@dataclass(frozen=True)
class AuthRequest:
    """A v3 token request: by password (``user`` + ``password``) or by an existing token
    (``token``, Keystone's re-scoping), and the project asked for (None: not said)."""

    method: str
    user: dict[str, Any]
    password: str
    token: str
    project: dict[str, Any] | None


def _scope(auth_part: dict[str, Any]) -> dict[str, Any] | None:
    scope = auth_part.get("scope")
    if scope is None or scope == "unscoped":
        return None
    scope = _object(scope, "auth.scope")
    if "project" not in scope:
        unsupported = ", ".join(sorted(scope)) or "nothing"
        raise AuthRequestError(
            400, f"CloudLab tokens are scoped to a project; this request's scope names {unsupported}."
        )
    project = _object(scope["project"], "auth.scope.project")
    if "name" not in project and "id" not in project:
        raise _invalid("auth.scope.project", "give 'name' or 'id'")
    for key in ("name", "id"):
        if key in project:
            _string(project[key], f"auth.scope.project.{key}")
    if "name" in project:
        _check_domain(project, "auth.scope.project")
    return project


def parse_auth_request(body: Any) -> AuthRequest:
    """The request's method, credentials and scope, each field checked as Keystone's schema does."""
    auth_part = _object(_object(body, "body").get("auth"), "auth")
    identity = _object(auth_part.get("identity"), "auth.identity")
    methods = identity.get("methods")
    if not isinstance(methods, list) or not methods or not all(isinstance(method, str) for method in methods):
        raise _invalid("auth.identity.methods", "it must be a non-empty list of strings")
    project = _scope(auth_part)
    if "password" in methods:
        password_part = _object(identity.get("password"), "auth.identity.password")
        user = _object(password_part.get("user"), "auth.identity.password.user")
        if "name" not in user and "id" not in user:
            raise _invalid("auth.identity.password.user", "give 'name' or 'id'")
        for key in ("name", "id"):
            if key in user:
                _string(user[key], f"auth.identity.password.user.{key}")
        if "name" in user:
            _check_domain(user, "auth.identity.password.user")
        password = _string(user.get("password"), "auth.identity.password.user.password")
        return AuthRequest("password", user, password, "", project)
    if "token" in methods:
        token_part = _object(identity.get("token"), "auth.identity.token")
        value = token_part.get("id")
        if not isinstance(value, str) or len(value) > 512:
            raise _invalid("auth.identity.token.id", "it must be a token (a string)")
        return AuthRequest("token", {}, "", value, project)
    supported = ", ".join(repr(method) for method in methods)
    raise AuthRequestError(
        401,
        f"Attempted to authenticate with an unsupported method ({supported}): CloudLab supports password and token.",
    )


def _username(request: HttpRequest, user_ref: dict[str, Any]) -> str | None:
    if "name" in user_ref:
        return str(user_ref["name"])
    wanted = str(user_ref["id"])
    for pk, username in User.objects.values_list("pk", "username"):
        if auth.user_id_for_pk(pk) == wanted:
            return str(username)
    return None


def resolve_project(user: User, project_ref: dict[str, Any] | None) -> Project:
    """The project the token is for, among the user's own (see the module's docstring)."""
    mine: QuerySet[Project] = Project.objects.for_user(user).select_related("cloud")
    if project_ref is None:
        projects = list(mine[:2])
        if len(projects) == 1:
            return projects[0]
        raise AuthRequestError(
            401,
            "This request names no project and you belong to several: "
            "set OS_PROJECT_ID (or OS_PROJECT_NAME) to the one you mean.",
        )
    if "id" in project_ref:
        wanted = str(project_ref["id"])
        found = auth.project_for_id(wanted, mine)
        if found is None:
            raise AuthRequestError(401, f"Could not find project: {wanted}.")
        return found
    name = str(project_ref["name"])
    matches = list(mine.filter(name=name))
    if not matches:
        raise AuthRequestError(401, f"Could not find project: {name}.")
    if len(matches) > 1:
        clouds = ", ".join(sorted(project.cloud.name for project in matches))
        raise AuthRequestError(
            401,
            f"Project name {name} matches {len(matches)} of your projects (in the clouds {clouds}): "
            "use the project id instead (OS_PROJECT_ID; the API Access page shows it).",
        )
    return matches[0]


def _read_json(request: HttpRequest) -> Any:
    declared = request.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise AuthRequestError(413, "Request is too large.")
    try:
        raw = request.body
    except RequestDataTooBig:
        raise AuthRequestError(413, "Request is too large.") from None
    if len(raw) > MAX_BODY_BYTES:
        raise AuthRequestError(413, "Request is too large.")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise AuthRequestError(400, "Malformed request body: it is not valid JSON.") from None
    except RecursionError:  # "[[[[…" nested deeper than the parser goes
        raise AuthRequestError(400, "Malformed request body: it is nested too deeply.") from None


_TITLES = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 413: "Request Entity Too Large"}


def _authenticate(request: HttpRequest, wanted: AuthRequest) -> tuple[User, datetime | None]:
    """The user, and the expiry the new token inherits (a re-scoped token keeps its parent's,
    as Keystone's token method does); raises AuthRequestError."""
    if wanted.method == "token":
        parent = Token.objects.filter(digest=auth.token_digest(wanted.token), expires_at__gt=timezone.now()).first()
        if parent is None or not parent.user.is_active:
            raise AuthRequestError(404, "Could not find token, it may have expired or been revoked.")
        return parent.user, parent.expires_at
    username = _username(request, wanted.user)
    if username is None:
        raise AuthRequestError(401, auth.UNAUTHORIZED_MESSAGE)
    locked = lockout(request, username)
    if locked is not None:
        raise AuthRequestError(401, locked.message())
    user = auth.check_user_password(username, wanted.password)
    if user is None:
        record_failure(request, username)
        raise AuthRequestError(401, auth.UNAUTHORIZED_MESSAGE)
    record_success(request, username)
    return user, None


def _issue(request: HttpRequest) -> HttpResponse:
    """POST /identity/v3/auth/tokens → 201 + X-Subject-Token (steps: read the body, check its
    fields, authenticate, resolve the project among the user's, issue)."""
    try:
        wanted = parse_auth_request(_read_json(request))
        user, expires_at = _authenticate(request, wanted)
        project = resolve_project(user, wanted.project)
    except AuthRequestError as refused:
        return error(request, refused.status, _TITLES.get(refused.status, "Error"), refused.message)
    roles = auth.roles_of(user, project)
    if roles is None:  # left the project between the lookup and now
        return unauthorized(request, f"Could not find project: {project.name}.")
    value, row = auth.issue_token(user, project, expires_at=expires_at)
    response = JsonResponse(token_body(request, row, roles, method=wanted.method), status=201)
    response.headers["X-Subject-Token"] = value
    return auth.api_headers(request, response)


def _subject(request: HttpRequest) -> tuple[Token | None, HttpResponse | None]:
    """The token named by X-Subject-Token, for a caller authenticated by X-Auth-Token. A caller
    sees only their own tokens unless admin."""
    caller = auth.caller_from_request(request)
    if caller is None:
        return None, unauthorized(request)
    value = request.headers.get("X-Subject-Token", "").strip()
    if not value:
        return None, error(request, 404, "Not Found", "Could not find token: the request has no X-Subject-Token.")
    row = (
        Token.objects.select_related("user", "project", "project__cloud")
        .filter(digest=auth.token_digest(value), expires_at__gt=timezone.now())
        .first()
    )
    if row is None or (row.user_id != caller.user.pk and not caller.is_admin):
        return None, error(request, 404, "Not Found", "Could not find token, it may have expired or been revoked.")
    return row, None


@csrf_exempt
def tokens(request: HttpRequest) -> HttpResponse:
    """/identity/v3/auth/tokens: POST issues; GET/HEAD validate X-Subject-Token; DELETE revokes."""
    if request.method == "POST":
        return _issue(request)
    if request.method not in ("GET", "HEAD", "DELETE"):
        return method_not_allowed(request)
    row, refused = _subject(request)
    if refused is not None:
        return refused
    assert row is not None
    if request.method == "DELETE":
        row.delete()
        return auth.api_headers(request, HttpResponse(status=204))
    roles = auth.roles_of(row.user, row.project)
    if roles is None:
        return error(request, 404, "Not Found", "Could not find token, it may have expired or been revoked.")
    response = JsonResponse(token_body(request, row, roles))
    response.headers["X-Subject-Token"] = request.headers["X-Subject-Token"].strip()
    return auth.api_headers(request, response)


@csrf_exempt
def auth_catalog(request: HttpRequest) -> HttpResponse:
    """GET /identity/v3/auth/catalog: the catalog of the caller's token."""
    if request.method not in ("GET", "HEAD"):
        return method_not_allowed(request)
    if auth.caller_from_request(request) is None:
        return unauthorized(request)
    links = {"self": request.build_absolute_uri(), "previous": None, "next": None}
    body = {"catalog": catalog(request), "links": links}
    return auth.api_headers(request, JsonResponse(body))


@csrf_exempt
def auth_projects(request: HttpRequest) -> HttpResponse:
    """GET /identity/v3/auth/projects: the projects the caller can scope a token to."""
    if request.method not in ("GET", "HEAD"):
        return method_not_allowed(request)
    caller = auth.caller_from_request(request)
    if caller is None:
        return unauthorized(request)
    projects = [
        {
            **project_body(project),
            "domain_id": DOMAIN["id"],
            "description": project.description,
            "enabled": True,
            "is_domain": False,
            "parent_id": DOMAIN["id"],
            "links": {"self": request.build_absolute_uri(f"/identity/v3/projects/{auth.project_id(project)}")},
        }
        for project in Project.objects.for_user(caller.user).order_by("pk")
    ]
    body = {"projects": projects, "links": {"self": request.build_absolute_uri(), "previous": None, "next": None}}
    return auth.api_headers(request, JsonResponse(body))


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Anything else under /identity: 404 in Keystone's shape, never Django's HTML page."""
    return error(request, 404, "Not Found", "The resource could not be found.")


urlpatterns = [
    path("", versions),
    path("v3", version),
    path("v3/", version),
    path("v3/auth/tokens", tokens),
    path("v3/auth/catalog", auth_catalog),
    path("v3/auth/projects", auth_projects),
    path("<path:rest>", not_found),
]
