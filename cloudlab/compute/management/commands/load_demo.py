"""Load the demo cloud and classroom from fixtures/demo (once; again with --replace)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

DEMO = settings.BASE_DIR / "fixtures" / "demo"


class Command(BaseCommand):
    help = "Load fixtures/demo: the demo cloud (cloud.yaml) and its students and instructor (classroom.yaml)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--replace", action="store_true", help="rebuild the demo cloud from scratch")
        parser.add_argument("--pace", type=float, help="seconds per lifecycle step (0 = instant)")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command(
            "load_scenario",
            DEMO / "cloud.yaml",
            classroom=DEMO / "classroom.yaml",
            replace=options["replace"],
            if_missing=not options["replace"],
            pace=options["pace"],
            stdout=self.stdout,
            stderr=self.stderr,
        )
