"""The API's root URLconf, mounted at the server root as DevStack mounts its services:
``/identity`` (Keystone), ``/compute`` (Nova, cloudlab/api/compute/urls.py), ``/image`` (Glance).

Each service answers its bare root (no trailing slash) too: the catalog's URLs have none, and
keystoneauth's discovery requests exactly the catalog URL."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, include, path, resolve
from django.views.decorators.csrf import csrf_exempt

from . import auth, identity, image, pages


@csrf_exempt
def compute_root(request: HttpRequest) -> HttpResponse:
    """GET /compute: whatever /compute/ answers (Nova's versions document), so this file does not
    depend on the names inside the compute package."""
    try:
        match = resolve("/compute/")
    except Resolver404:
        body = {"itemNotFound": {"code": 404, "message": "The resource could not be found."}}
        return auth.api_headers(request, JsonResponse(body, status=404))
    return match.func(request, *match.args, **match.kwargs)  # type: ignore[no-any-return]


urlpatterns = [
    path("identity", identity.versions),
    path("identity/", include(identity.urlpatterns)),
    path("image", image.versions),
    path("image/", include(image.urlpatterns)),
    path("compute", compute_root),
    path("compute/", include("cloudlab.api.compute.urls")),
    # The dashboard's Project → API Access page (Horizon's path).
    path("project/api_access/", pages.api_access, name="api-access"),
    path("project/api_access/clouds.yaml", pages.clouds_yaml, name="api-access-clouds-yaml"),
    path("project/api_access/openrc/", pages.openrc, name="api-access-openrc"),
]
