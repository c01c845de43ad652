"""Project → Kubernetes: the project's clusters and the pages of one cluster (being written)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def _todo(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404("not yet")


clusters = delete_cluster = section = cluster_json = apply = delete = scale = labels = _todo
