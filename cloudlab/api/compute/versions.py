"""Compute's version documents, served without a token (keystoneauth's discovery reads
``GET /compute/v2.1``'s ``version`` and ``min_version`` to pick the microversion it sends)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from cloudlab.api.auth import api_headers, request_id

from .faults import fault_response
from .microversions import MAX_VERSION, MIN_VERSION, spell

MEDIA_TYPE = "application/vnd.openstack.compute+json;version=2.1"


def v21(request: HttpRequest) -> dict[str, Any]:
    return {
        "id": "v2.1",
        "status": "CURRENT",
        "version": spell(MAX_VERSION),
        "min_version": spell(MIN_VERSION),
        "updated": "2013-07-23T11:33:21Z",
        "links": [{"rel": "self", "href": request.build_absolute_uri("/compute/v2.1/")}],
        "media-types": [{"base": "application/json", "type": MEDIA_TYPE}],
    }


def v20(request: HttpRequest) -> dict[str, Any]:
    return {
        "id": "v2.0",
        "status": "SUPPORTED",
        "version": "",
        "min_version": "",
        "updated": "2011-01-21T11:33:21Z",
        "links": [{"rel": "self", "href": request.build_absolute_uri("/compute/v2/")}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.compute+json;version=2"}],
    }


def _answer(request: HttpRequest, body: dict[str, Any]) -> HttpResponse:
    response = api_headers(request, JsonResponse(body))
    response["x-compute-request-id"] = request_id(request)
    return response


@csrf_exempt
@require_safe
def versions(request: HttpRequest) -> HttpResponse:
    """``GET /compute/``: every version of the API."""
    return _answer(request, {"versions": [v20(request), v21(request)]})


@csrf_exempt
@require_safe
def version(request: HttpRequest) -> HttpResponse:
    """``GET /compute/v2.1``: the version the clients use, with its microversion range."""
    return _answer(request, {"version": v21(request)})


@csrf_exempt
def unknown(request: HttpRequest) -> HttpResponse:
    """A path the compute API does not have: 404 ``itemNotFound``."""
    response = api_headers(request, fault_response(404, "The resource could not be found."))
    response["x-compute-request-id"] = request_id(request)
    return response
