"""Serve Plotly's browser bundle from the installed ``plotly`` Python package, so the chart
library is always the version the Python side expects and nothing is fetched from a CDN."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

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
        return [] if find_all else ""

    def list(self, ignore_patterns: Any) -> Any:
        if _SOURCE.exists():
            yield _SOURCE.name, self.storage
