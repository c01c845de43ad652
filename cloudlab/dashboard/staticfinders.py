"""CloudLab's static files: Plotly's bundle from the plotly package, and how collected (hashed,
compressed) names are served everywhere.

* ``PlotlyFinder`` serves Plotly's browser bundle from the installed ``plotly`` Python package,
  so the chart library is always the version the Python side expects and nothing is fetched from
  a CDN.
* ``StaticStorage`` is WhiteNoise's ``CompressedManifestStaticFilesStorage``: ``collectstatic``
  (the run command does it) writes every file under a content-hashed name with a gzip copy, and
  WhiteNoise serves hashed names with a cache of ten years (``immutable``). Where nothing was
  collected yet, or a file is newer than the manifest, the page names the file plainly and the
  finders serve it, instead of failing the page.
* ``HashedNameFinder`` finds the source of a hashed name through the manifest, so where only the
  finders serve (``runserver``, the browser tests' ``ASGIStaticFilesHandler``) a page naming
  ``cloudlab/live.3f2a….js`` still gets its script.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import plotly
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.finders import BaseFinder
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.files.storage import FileSystemStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage

PUBLIC_PATH = "vendor/plotly/plotly.min.js"
_SOURCE = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


class PlotlyFinder(BaseFinder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=str(_SOURCE.parent))
        self.storage.prefix = "vendor/plotly"  # type: ignore[attr-defined]

    def check(self, **kwargs: Any) -> list[Any]:
        return []

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> str | list[str]:
        if path == PUBLIC_PATH and _SOURCE.exists():
            return [str(_SOURCE)] if find_all else str(_SOURCE)
        return []  # not found, as Django's own finders say it

    def list(self, ignore_patterns: Any) -> Any:
        if _SOURCE.exists():
            yield _SOURCE.name, self.storage


class StaticStorage(CompressedManifestStaticFilesStorage):
    """Hashed and compressed by ``collectstatic``; a name the manifest lacks stays plain."""

    def stored_name(self, name: str) -> str:
        try:
            return str(super().stored_name(name))
        except ValueError:  # not collected (a fresh checkout, the tests), or collected before it existed
            return name


class HashedNameFinder(BaseFinder):
    """A hashed name of the manifest → the file the other finders have under its plain name."""

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> str | list[str]:
        hashed_files = getattr(staticfiles_storage, "hashed_files", None) or {}
        original = next((name for name, hashed in hashed_files.items() if hashed == path and name != path), None)
        if original is None:
            return []
        return finders.find(original, find_all=find_all) or []  # type: ignore[no-any-return]

    def list(self, ignore_patterns: Any) -> Any:
        return iter(())  # nothing of its own to collect
