"""Nova's error bodies: ``{"<faultName>": {"code": N, "message": "…"}}`` (nova/api/openstack/wsgi.py
``Fault._fault_names``; a status it does not name is a ``computeFault``, as the 406 of an
unsupported microversion is)."""

from __future__ import annotations

from django.http import JsonResponse

FAULT_NAMES = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "itemNotFound",
    405: "badMethod",
    409: "conflictingRequest",
    413: "overLimit",
    415: "badMediaType",
    429: "overLimit",
    501: "notImplemented",
    503: "serviceUnavailable",
}


class Fault(Exception):
    """A request the compute API refuses: its HTTP status and Nova's message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def fault_body(status: int, message: str) -> dict[str, dict[str, object]]:
    return {FAULT_NAMES.get(status, "computeFault"): {"code": status, "message": message}}


def fault_response(status: int, message: str) -> JsonResponse:
    return JsonResponse(fault_body(status, message), status=status)


def bad_request(message: str) -> Fault:
    return Fault(400, message)


def not_found(message: str) -> Fault:
    return Fault(404, message)
