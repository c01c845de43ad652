"""What every compute API view shares: the caller of the token, the microversion, the request's
JSON body, Nova's error bodies and the headers of every answer.

``endpoint(GET=..., POST=...)`` makes a csrf-exempt view (the API never reads the session
cookie). In Nova's order: keystonemiddleware's 401 for a missing or bad token, the microversion
(400/406), then the method (405), then the handler. A handler gets a ``Call`` and answers with
``ok(...)`` / ``accepted(...)`` or raises ``Fault`` (or the actions' ``ActionError``, answered
with its status and message in Nova's shape).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from cloudlab.api.auth import Caller, api_headers, caller_from_request, request_id, unauthorized
from cloudlab.compute.actions.errors import ActionError
from cloudlab.compute.models import Cloud

from .faults import Fault, fault_response
from .microversions import MIN_VERSION, Microversion, add_headers, negotiate
from .validation import read_body

#: Nova's policy refusal (nova/exception.py PolicyNotAuthorized).
POLICY_FORBIDS = "Policy doesn't allow {rule} to be performed."


@dataclass
class Call:
    """One request to the compute API, authenticated and at its microversion."""

    request: HttpRequest
    caller: Caller
    version: Microversion
    request_id: str
    body: Any = None
    _base: str = field(default="", repr=False)

    @property
    def cloud(self) -> Cloud:
        return self.caller.project.cloud

    def at_least(self, version: str) -> bool:
        return self.version.at_least(version)

    def require_admin(self, rule: str) -> None:
        if not self.caller.is_admin:
            raise Fault(403, POLICY_FORBIDS.format(rule=rule))

    def url(self, path: str = "") -> str:
        """An absolute link into this API (``self`` links): ``…/compute/v2.1/<path>``."""
        return self.request.build_absolute_uri("/compute/v2.1/" + path)

    def bookmark(self, path: str) -> str:
        """A version-less link (Nova's ``bookmark``): ``…/compute/<path>``."""
        return self.request.build_absolute_uri("/compute/" + path)

    def links(self, path: str) -> list[dict[str, str]]:
        return [{"rel": "self", "href": self.url(path)}, {"rel": "bookmark", "href": self.bookmark(path)}]


Handler = Callable[..., HttpResponse]


def ok(body: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(body, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def accepted(body: Any = None, *, location: str | None = None) -> HttpResponse:
    """202: with a body (a create), or empty (an action)."""
    response: HttpResponse = ok(body, 202) if body is not None else HttpResponse(status=202)
    if location:
        response["Location"] = location
    return response


def no_content() -> HttpResponse:
    return HttpResponse(status=204)


def finish(request: HttpRequest, response: HttpResponse, version: Microversion | None) -> HttpResponse:
    add_headers(response, version or Microversion(*MIN_VERSION))
    response = api_headers(request, response)
    response["x-compute-request-id"] = request_id(request)
    return response


def endpoint(**handlers: Handler) -> Callable[..., HttpResponse]:
    """A view serving ``handlers`` by HTTP method (``GET=…``, ``POST=…``, ``PUT=…``, ``DELETE=…``)."""
    allowed = sorted(handlers)

    @csrf_exempt
    def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        caller = caller_from_request(request)
        if caller is None:
            return finish(request, unauthorized(request), None)
        version: Microversion | None = None
        try:
            version = negotiate(request)
            handler = handlers.get(request.method or "")
            if handler is None:
                response = fault_response(405, "The method specified is not allowed for this resource.")
                response["Allow"] = ", ".join(allowed)
                return finish(request, response, version)
            body = read_body(request) if request.method in ("POST", "PUT") else None
            call = Call(request, caller, version, request_id(request), body)
            response = handler(call, **kwargs)
        except Fault as refused:
            response = fault_response(refused.status, refused.message)
        except ActionError as refused:
            response = fault_response(refused.status, refused.message)
        return finish(request, response, version)

    return view
