"""Every module of ``cloudlab.assignments.pages`` lists its own routes; this joins them under the
namespace ``assignments``, so a feature (the student's banner, "Check my work", the gradebook,
the CSV export) is a new module there and no edit here."""

from __future__ import annotations

import pkgutil
from importlib import import_module

from django.urls import URLPattern, URLResolver

from . import pages

app_name = "assignments"


def _collect() -> list[URLPattern | URLResolver]:
    patterns: list[URLPattern | URLResolver] = []
    for module in sorted(m.name for m in pkgutil.iter_modules(pages.__path__) if not m.name.startswith("_")):
        patterns += getattr(import_module(f"{pages.__name__}.{module}"), "urlpatterns", [])
    return patterns


urlpatterns = _collect()
