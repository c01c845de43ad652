"""Every module of ``cloudlab.classroom.pages`` lists its own routes; this joins them under the
namespace ``classroom``, so a new feature (the projector, the console, polls, the summary) is a
new module there and no edit here.

Names and where they live: ``sessions`` (the instructor's list and the start form),
``lobby`` (<id>), ``set-state`` (<id>), ``join``, ``join-code`` (<code>), ``student`` (<id>),
``snapshot`` (<id>). Reserved for the modules other features add: ``projector``, ``console``,
``polls``, ``summary`` (each under ``classroom/<id>/``).
"""

from __future__ import annotations

import pkgutil
from importlib import import_module

from django.urls import URLPattern, URLResolver

from . import pages

app_name = "classroom"


def _collect() -> list[URLPattern | URLResolver]:
    patterns: list[URLPattern | URLResolver] = []
    for module in sorted(m.name for m in pkgutil.iter_modules(pages.__path__) if not m.name.startswith("_")):
        patterns += getattr(import_module(f"{pages.__name__}.{module}"), "urlpatterns", [])
    return patterns


urlpatterns = _collect()
