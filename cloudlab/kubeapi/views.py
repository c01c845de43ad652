"""The apiserver subset under ``/kubernetes/<cluster>/`` (the kubeconfig's server): one entry
that authenticates the bearer token, finds the caller's cluster (another project's answers 404
as an unknown path does, never revealing it exists), parses the Kubernetes path and hands the
request to discovery, the reads (``views_read``), the writes (``views_write``) or the pod log
(``views_logs``). Every refusal is a ``Status`` (§7.5)."""

from __future__ import annotations

import json
import logging

import yaml
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from cloudlab.engine.kubernetes.etcd import ApiError
from cloudlab.engine.kubernetes.manifest import ManifestError

from . import discovery, openapi, views_logs, views_read, views_scale, views_write
from .auth import bearer, caller
from .errors import (
    StatusError,
    json_response,
    method_not_allowed,
    page_not_found,
    status_response,
    unauthorized,
)
from .views_common import Call, Target, bool_param

log = logging.getLogger(__name__)

SUBRESOURCES = {"log", "status", "scale"}


def parse_target(parts: list[str]) -> Target | None:
    """The resource a path names, or None (not served)."""
    if parts[:2] == ["api", "v1"]:
        group, rest = "", parts[2:]
    elif parts[:3] == ["apis", "apps", "v1"]:
        group, rest = "apps", parts[3:]
    else:
        return None
    if not rest:
        return None
    namespace: str | None = None
    if rest[0] == "namespaces" and len(rest) >= 3 and discovery.resource_for(group, rest[2]) is not None:
        namespace, rest = rest[1], rest[2:]
    resource = discovery.resource_for(group, rest[0])
    if resource is None or len(rest) > 3:
        return None
    if resource.namespaced is False and namespace is not None:
        return None
    name = rest[1] if len(rest) >= 2 else None
    sub = rest[2] if len(rest) == 3 else None
    if sub is not None and sub not in {s.name for s in resource.subresources}:
        return None
    if resource.namespaced and namespace is None and name is not None:
        return None  # a namespaced object needs its namespace
    return Target(resource, namespace, name, sub)


ROOT_PATHS = ["/api", "/api/v1", "/apis", "/apis/apps", "/apis/apps/v1", "/healthz", "/livez", "/openapi/v3"]
ROOT_PATHS += ["/readyz", "/version"]


def _discovery(call: Call, parts: list[str]) -> HttpResponse | None:
    request = call.request
    path = "/".join(parts)
    if not parts:
        return json_response({"paths": ROOT_PATHS})
    if path in ("healthz", "livez", "readyz"):
        return HttpResponse("ok", content_type="text/plain; charset=utf-8")
    if path in ("api", "apis"):
        if discovery.wants_aggregated(request):
            return json_response(discovery.aggregated(path), content_type=discovery.AGGREGATED_V2)
        return json_response(discovery.legacy_api(request) if path == "api" else discovery.legacy_apis())
    if path == "api/v1":
        return json_response(discovery.resource_list(""))
    if path == "apis/apps/v1":
        return json_response(discovery.resource_list("apps"))
    if path == "apis/apps":
        gv = {"groupVersion": "apps/v1", "version": "v1"}
        return json_response(
            {"kind": "APIGroup", "apiVersion": "v1", "name": "apps", "versions": [gv], "preferredVersion": gv}
        )
    if path == "openapi/v3":
        return json_response(openapi.root_document(call.prefix))
    if path.startswith("openapi/v3/") and path[len("openapi/v3/") :] in openapi.GV_PATHS:
        return json_response(openapi.group_version_document(openapi.GV_PATHS[path[len("openapi/v3/") :]]))
    return None


def _route(call: Call, parts: list[str]) -> HttpResponse:
    method = call.request.method or "GET"
    found = _discovery(call, parts)
    if found is not None:
        if method != "GET":
            raise method_not_allowed()
        return found
    target = parse_target(parts)
    if target is None:
        raise page_not_found()
    if method == "GET":
        if target.sub == "log":
            return views_logs.pod_log(call, target)
        if target.sub == "scale":
            return views_scale.get_scale(call, target)
        if target.name is None:
            if bool_param(call.request, "watch"):
                return views_read.watch(call, target)
            return views_read.list_objects(call, target)
        if bool_param(call.request, "watch"):  # the old single-object watch: the list's, by name
            return views_read.watch(call, Target(target.resource, target.namespace, None, None), name=target.name)
        return views_read.get_object(call, target)
    if not target.resource.writable or target.sub == "log":
        raise method_not_allowed()
    if method == "POST" and target.name is None:
        if target.resource.namespaced and target.namespace is None:
            raise method_not_allowed()  # a create names its namespace (POST /api/v1/pods is 405)
        return views_write.create(call, target)
    if target.name is None:
        raise method_not_allowed()
    if method == "PUT":
        return views_write.replace(call, target)
    if method == "PATCH":
        return views_write.patch(call, target)
    if method == "DELETE" and target.sub is None:
        return views_write.delete(call, target)
    raise method_not_allowed()


def _as_yaml_if_asked(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """``Accept: application/yaml`` first: the same document as YAML (kube-apiserver serves both)."""
    first = request.headers.get("Accept", "").split(",")[0].split(";")[0].strip().lower()
    if first != "application/yaml" or getattr(response, "streaming", False):
        return response
    if not response.get("Content-Type", "").startswith("application/json"):
        return response
    body = json.loads(response.content)
    out = HttpResponse(yaml.safe_dump(body, sort_keys=False, allow_unicode=True), status=response.status_code)
    out["Content-Type"] = "application/yaml"
    for header in ("Warning",):
        if header in response:
            out[header] = response[header]
    return out


@csrf_exempt
def kubernetes(request: HttpRequest, cluster_id: int, rest: str = "") -> HttpResponse:
    """Every request under ``/kubernetes/<cluster_id>/``."""
    try:
        parts = [p for p in rest.split("/") if p]
        if parts == ["version"] and not bearer(request) and "Authorization" not in request.headers:
            return json_response(discovery.VERSION_INFO)  # public, as system:public-info-viewer allows
        who = caller(request, touch=parts != ["version"])
        if who is None:
            raise unauthorized()
        cluster = who.cluster(cluster_id)
        if cluster is None:
            raise page_not_found()
        if parts == ["version"]:
            if request.method != "GET":
                raise method_not_allowed()
            return json_response(discovery.VERSION_INFO)
        if parts == ["openapi", "v2"]:
            raise page_not_found()  # kubectl tolerates it and uses its compiled-in schemas
        return _as_yaml_if_asked(request, _route(Call(request, who, cluster, f"/kubernetes/{cluster.pk}"), parts))
    except (StatusError, ApiError, ManifestError) as error:
        return _as_yaml_if_asked(request, status_response(error))
    except Exception:  # a bug must still answer in the API's shape
        log.exception("kubeapi: %s %s", request.method, request.path)
        return status_response(
            StatusError(500, "InternalError", "an error on the server has prevented the request from succeeding")
        )
