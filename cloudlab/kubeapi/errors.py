"""The apiserver's ``Status`` answers (§7.5, apimachinery ``pkg/api/errors``): every refusal of the
Kubernetes API is one of these, with the HTTP status equal to ``code``; never a 500."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse

from cloudlab.engine.kubernetes.etcd import ApiError
from cloudlab.engine.kubernetes.manifest import ManifestError

#: The apiserver's request body limit (``maxRequestBodyBytes``, 3 MiB).
MAX_BODY_BYTES = 3 * 1024 * 1024


class StatusError(Exception):
    """Raised anywhere below a view; the view answers ``status``."""

    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.error = ApiError(code, reason, message, details)

    @property
    def code(self) -> int:
        return self.error.code


def json_response(body: Any, status: int = 200, content_type: str = "application/json") -> HttpResponse:
    return HttpResponse(
        json.dumps(body, separators=(",", ":"), ensure_ascii=False), status=status, content_type=content_type
    )


def status_response(error: ApiError | ManifestError | StatusError) -> HttpResponse:
    if isinstance(error, StatusError):
        error = error.error
    body = error.status()
    return json_response(body, status=int(body.get("code", 500)))


def success(resource: str, name: str, uid: str, group: str = "") -> dict[str, Any]:
    """What a DELETE of a workload may answer: ``Status`` Success with the object's name, kind, uid."""
    details: dict[str, Any] = {"name": name, "kind": resource, "uid": uid}
    if group:
        details["group"] = group
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}


def unauthorized() -> StatusError:
    return StatusError(401, "Unauthorized", "Unauthorized")


def not_found(resource: str, name: str, group: str = "") -> StatusError:
    details: dict[str, Any] = {"name": name}
    if group:
        details["group"] = group
    details["kind"] = resource
    return StatusError(404, "NotFound", f'{resource}{"." + group if group else ""} "{name}" not found', details)


def page_not_found() -> StatusError:
    """A path the server does not serve (``the server could not find the requested resource``)."""
    return StatusError(404, "NotFound", "the server could not find the requested resource", {})


def bad_request(message: str) -> StatusError:
    return StatusError(400, "BadRequest", message)


def method_not_allowed() -> StatusError:
    return StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})


PATCH_TYPES = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/apply-patch+yaml",
    "application/strategic-merge-patch+json",
)
BODY_TYPES = ("application/json", "application/yaml")


def unsupported_media_type(accepted: tuple[str, ...]) -> StatusError:
    return StatusError(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: " + ", ".join(accepted),
    )


def too_large() -> StatusError:
    return StatusError(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728")


def conflict(resource: str, name: str, group: str = "") -> StatusError:
    shown = f"{resource}.{group}" if group else resource
    return StatusError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {shown} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again",
        {"name": name, **({"group": group} if group else {}), "kind": resource},
    )
