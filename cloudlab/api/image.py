"""Glance v2, the subset the clients use: version discovery, image list (with ``name``,
``id=in:``, ``status``, ``visibility``, ``owner``, ``limit``/``marker`` filters) and show, and
the JSON schemas. Snapshots made by the lifecycle (createImage) appear here: a project sees the
cloud's public images and its own snapshots; the cloud's instructor (admin) sees them all.

Errors: 401 in keystonemiddleware's shape (``auth.unauthorized``); Glance's own 400/404 are
webob pages whose status is what the clients read (``404 Not Found`` + the reason)."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from html import escape
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from cloudlab.compute.models import Image

from . import auth

# Glance's api_limit_max and limit_param_default.
LIMIT_MAX = 1000
LIMIT_DEFAULT = 25
CORE_PROPERTIES = (
    "id",
    "name",
    "status",
    "visibility",
    "protected",
    "os_hidden",
    "container_format",
    "disk_format",
    "size",
    "virtual_size",
    "min_disk",
    "min_ram",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "owner",
    "created_at",
    "updated_at",
    "tags",
    "self",
    "file",
    "schema",
    "direct_url",
    "locations",
)
VISIBILITIES = ("public", "community", "shared", "private", "all")
STATUSES = (
    "queued",
    "saving",
    "uploading",
    "importing",
    "active",
    "deactivated",
    "killed",
    "deleted",
    "pending_delete",
)


def glance_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def glance_error(request: HttpRequest, status: int, reason: str, explanation: str) -> HttpResponse:
    """A webob error page, as Glance answers 400/404 (clients read the status; people the text)."""
    title = f"{status} {reason}"
    body = (
        f"<html>\n <head>\n  <title>{title}</title>\n </head>\n <body>\n"
        f"  <h1>{title}</h1>\n  {escape(explanation)}<br /><br />\n\n\n\n </body>\n</html>"
    )
    return auth.api_headers(request, HttpResponse(body, status=status, content_type="text/html; charset=UTF-8"))


def not_found(request: HttpRequest, explanation: str = "The resource could not be found.") -> HttpResponse:
    return glance_error(request, 404, "Not Found", explanation)


def bad_request(request: HttpRequest, explanation: str) -> HttpResponse:
    return glance_error(request, 400, "Bad Request", explanation)


def method_not_allowed(request: HttpRequest) -> HttpResponse:
    return glance_error(request, 405, "Method Not Allowed", "The method specified is not allowed for this resource.")


def _versions_body(request: HttpRequest) -> dict[str, Any]:
    href = request.build_absolute_uri("/image/v2/")
    ids = ["v2.16", "v2.15", "v2.9", "v2.7", "v2.6", "v2.5", "v2.4", "v2.3", "v2.2", "v2.1", "v2.0"]
    return {
        "versions": [
            {"id": version, "status": "CURRENT" if i == 0 else "SUPPORTED", "links": [{"rel": "self", "href": href}]}
            for i, version in enumerate(ids)
        ]
    }


@csrf_exempt
def versions(request: HttpRequest) -> HttpResponse:
    """GET /image: 300 Multiple Choices (no token needed)."""
    if request.method not in ("GET", "HEAD"):
        return method_not_allowed(request)
    return auth.api_headers(request, JsonResponse(_versions_body(request), status=300))


@csrf_exempt
def versions_list(request: HttpRequest) -> HttpResponse:
    """GET /image/versions: the same document with 200, as Glance's /versions."""
    if request.method not in ("GET", "HEAD"):
        return method_not_allowed(request)
    return auth.api_headers(request, JsonResponse(_versions_body(request)))


def visible_images(caller: auth.Caller) -> QuerySet[Image]:
    """The images the caller's project sees: the cloud's public ones and its own snapshots."""
    images = Image.objects.filter(cloud=caller.project.cloud).select_related("owner")
    if caller.is_admin:
        return images
    return images.filter(Q(owner__isnull=True) | Q(owner=caller.project))


def owner_id(image: Image) -> str:
    """The owning project's id; public images belong to the cloud's admin project as DevStack's."""
    if image.owner is not None:
        return auth.project_id(image.owner)
    return auth.stable_id("cloud-admin-project", image.cloud_id)


def visibility(image: Image) -> str:
    return "public" if image.owner_id is None else "private"


def _property_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def image_body(image: Image) -> dict[str, Any]:
    """The image as Glance v2 shows it; extra properties are top-level strings."""
    image_id = str(image.uuid)
    size = image.size_mb * 1024 * 1024 if image.status == "active" else None
    seed = f"{image.cloud_id}:{image_id}".encode()
    body: dict[str, Any] = {
        key: _property_value(value) for key, value in (image.properties or {}).items() if key not in CORE_PROPERTIES
    }
    body.update(
        {
            "id": image_id,
            "name": image.name,
            "status": image.status,
            "visibility": visibility(image),
            "protected": False,
            "os_hidden": False,
            "container_format": image.container_format,
            "disk_format": image.disk_format,
            "size": size,
            "virtual_size": size,
            "min_disk": image.min_disk,
            "min_ram": image.min_ram,
            "checksum": hashlib.md5(seed, usedforsecurity=False).hexdigest() if size is not None else None,
            "os_hash_algo": "sha512" if size is not None else None,
            "os_hash_value": hashlib.sha512(seed).hexdigest() if size is not None else None,
            "owner": owner_id(image),
            "created_at": glance_time(image.created_at),
            "updated_at": glance_time(image.created_at),
            "tags": [],
            "self": f"/v2/images/{image_id}",
            "file": f"/v2/images/{image_id}/file",
            "schema": "/v2/schemas/image",
        }
    )
    return body


def _refuse(request: HttpRequest) -> HttpResponse | None:
    if request.method not in ("GET", "HEAD"):
        return method_not_allowed(request)
    return None


def _filtered(request: HttpRequest, images: QuerySet[Image]) -> QuerySet[Image] | str:
    """Glance's list filters; a string is the 400's explanation."""
    query = request.GET
    name = query.get("name")
    if name is not None:
        images = images.filter(name=name[4:] if name.startswith("eq:") else name)
    ids = query.get("id")
    if ids is not None:
        wanted = ids[3:].split(",") if ids.startswith("in:") else [ids[3:] if ids.startswith("eq:") else ids]
        parsed = []
        for value in wanted:
            try:
                parsed.append(uuid.UUID(value.strip().strip('"')))
            except ValueError:
                continue  # an id that is no UUID matches no image
        images = images.filter(uuid__in=parsed)
    status = query.get("status")
    if status is not None:
        if status not in STATUSES:
            return f"Invalid status value: {status}"
        images = images.filter(status=status)
    wanted_visibility = query.get("visibility")
    if wanted_visibility is not None:
        if wanted_visibility not in VISIBILITIES:
            return f"Invalid visibility value: {wanted_visibility}"
        if wanted_visibility == "public":
            images = images.filter(owner__isnull=True)
        elif wanted_visibility in ("private", "shared"):
            images = images.filter(owner__isnull=False)
        elif wanted_visibility == "community":
            images = images.none()
    owner = query.get("owner")
    if owner is not None:
        images = images.filter(pk__in=[image.pk for image in images if owner_id(image) == owner])
    for flag in ("protected", "os_hidden"):
        value = query.get(flag)
        if value is not None:
            if value.lower() not in ("true", "false"):
                return f"Invalid value '{value}' for '{flag}': it must be true or false"
            if value.lower() == "true":
                images = images.none()
    return images


@csrf_exempt
def images_list(request: HttpRequest) -> HttpResponse:
    """GET /image/v2/images: newest first (Glance's created_at desc, id desc), paginated."""
    refused = _refuse(request)
    if refused is not None:
        return refused
    caller = auth.caller_from_request(request)
    if caller is None:
        return auth.unauthorized(request)
    raw_limit = request.GET.get("limit")
    limit = LIMIT_DEFAULT if raw_limit is None else None
    if raw_limit is not None:
        if not raw_limit.isdigit():
            return bad_request(request, "limit param must be an integer")
        limit = min(int(raw_limit), LIMIT_MAX)
    filtered = _filtered(request, visible_images(caller))
    if isinstance(filtered, str):
        return bad_request(request, filtered)
    ordered = list(filtered.order_by("-created_at", "-uuid"))
    marker = request.GET.get("marker")
    if marker is not None:
        position = next((i for i, image in enumerate(ordered) if str(image.uuid) == marker), None)
        if position is None:
            return bad_request(request, f"Invalid marker. Image {marker} could not be found.")
        ordered = ordered[position + 1 :]
    assert limit is not None
    page = ordered[:limit]
    body: dict[str, Any] = {
        "images": [image_body(image) for image in page],
        "first": "/v2/images",
        "schema": "/v2/schemas/images",
    }
    if len(ordered) > limit and page:
        params = request.GET.copy()
        params["marker"] = str(page[-1].uuid)
        params["limit"] = str(limit)
        body["next"] = f"/v2/images?{params.urlencode()}"
    return auth.api_headers(request, JsonResponse(body))


@csrf_exempt
def image_show(request: HttpRequest, image_id: str) -> HttpResponse:
    """GET /image/v2/images/{id}: the bare image object; 404 for a name or someone else's."""
    refused = _refuse(request)
    if refused is not None:
        return refused
    caller = auth.caller_from_request(request)
    if caller is None:
        return auth.unauthorized(request)
    try:
        wanted = uuid.UUID(image_id)
    except ValueError:
        return not_found(request, f"No image found with ID {image_id}")
    image = visible_images(caller).filter(uuid=wanted).first()
    if image is None:
        return not_found(request, f"No image found with ID {image_id}")
    return auth.api_headers(request, JsonResponse(image_body(image)))


def _string_property(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": ["null", "string"], "readOnly": True, "description": description, **extra}


def image_schema() -> dict[str, Any]:
    """Glance's ``image`` schema (the properties CloudLab serves; extra properties are strings)."""
    return {
        "name": "image",
        "additionalProperties": {"type": "string"},
        "properties": {
            "id": {
                "type": "string",
                "description": "An identifier for the image",
                "pattern": "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$",
            },
            "name": {"type": ["null", "string"], "description": "Descriptive name for the image", "maxLength": 255},
            "status": {
                "type": "string",
                "readOnly": True,
                "description": "Status of the image",
                "enum": list(STATUSES),
            },
            "visibility": {
                "type": "string",
                "description": "Scope of image accessibility",
                "enum": ["community", "public", "private", "shared"],
            },
            "protected": {"type": "boolean", "description": "If true, image will not be deletable."},
            "os_hidden": {"type": "boolean", "description": "If true, image will not appear in default image list."},
            "checksum": _string_property("md5 hash of image contents.", maxLength=32),
            "os_hash_algo": _string_property("Algorithm to calculate the os_hash_value", maxLength=64),
            "os_hash_value": _string_property("Hexdigest of the image contents", maxLength=128),
            "owner": {"type": ["null", "string"], "description": "Owner of the image", "maxLength": 255},
            "size": {"type": ["null", "integer"], "readOnly": True, "description": "Size of image file in bytes"},
            "virtual_size": {"type": ["null", "integer"], "readOnly": True, "description": "Virtual size of image"},
            "container_format": {
                "type": ["null", "string"],
                "description": "Format of the container",
                "enum": [None, "ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"],
            },
            "disk_format": {
                "type": ["null", "string"],
                "description": "Format of the disk",
                "enum": [None, "ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop"],
            },
            "created_at": {"type": "string", "readOnly": True, "description": "Date and time of image registration"},
            "updated_at": {"type": "string", "readOnly": True, "description": "Date and time of the last modification"},
            "tags": {
                "type": "array",
                "description": "List of strings related to the image",
                "items": {"type": "string"},
            },
            "direct_url": {"type": "string", "readOnly": True, "description": "URL to access the image file"},
            "min_ram": {"type": "integer", "description": "Amount of ram (in MB) required to boot image."},
            "min_disk": {"type": "integer", "description": "Amount of disk space (in GB) required to boot image."},
            "self": {"type": "string", "readOnly": True, "description": "An image self url"},
            "file": {"type": "string", "readOnly": True, "description": "An image file url"},
            "schema": {"type": "string", "readOnly": True, "description": "An image schema url"},
            "locations": {
                "type": "array",
                "description": "A set of URLs to access the image file kept in external store",
            },
        },
        "links": [
            {"rel": "self", "href": "{self}"},
            {"rel": "enclosure", "href": "{file}"},
            {"rel": "describedby", "href": "{schema}"},
        ],
    }


@csrf_exempt
def schema_image(request: HttpRequest) -> HttpResponse:
    refused = _refuse(request)
    if refused is not None:
        return refused
    if auth.caller_from_request(request) is None:
        return auth.unauthorized(request)
    return auth.api_headers(request, JsonResponse(image_schema()))


@csrf_exempt
def schema_images(request: HttpRequest) -> HttpResponse:
    refused = _refuse(request)
    if refused is not None:
        return refused
    if auth.caller_from_request(request) is None:
        return auth.unauthorized(request)
    body = {
        "name": "images",
        "properties": {
            "images": {"type": "array", "items": image_schema()},
            "schema": {"type": "string"},
            "first": {"type": "string"},
            "next": {"type": "string"},
        },
        "links": [
            {"rel": "first", "href": "{first}"},
            {"rel": "next", "href": "{next}"},
            {"rel": "describedby", "href": "{schema}"},
        ],
    }
    return auth.api_headers(request, JsonResponse(body))


@csrf_exempt
def other(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Anything else under /image: Glance's 404, never Django's page."""
    return not_found(request)


urlpatterns = [
    path("", versions),
    path("versions", versions_list),
    path("v2/images", images_list),
    path("v2/images/<str:image_id>", image_show),
    path("v2/schemas/image", schema_image),
    path("v2/schemas/images", schema_images),
    path("<path:rest>", other),
]
