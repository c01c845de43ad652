"""Create a cloud from a scenario file (and, optionally, the people who use it).

A scenario's warnings (a host over-committed, a reservation that leaves nothing: states Nova runs
with) do not stop it; they are printed after the cloud is created, one a line.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cloudlab.compute.models import Cloud
from cloudlab.compute.scenarios import ClassroomError, load_cloud, load_yaml, parse_classroom
from cloudlab.engine.scheduler import ScenarioError
from cloudlab.kube.scenario import load_scenario_file


class Command(BaseCommand):
    help = "Create a cloud from a scenario file (YAML or JSON); see docs/scenarios.md."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("scenario", type=Path)
        parser.add_argument("--classroom", type=Path, help="a people file: users, roles and their projects")
        parser.add_argument("--pace", type=float, help="seconds per lifecycle step (0 = instant)")
        parser.add_argument("--replace", action="store_true", help="delete and rebuild a cloud of the same name")
        parser.add_argument("--if-missing", action="store_true", help="do nothing if the cloud exists")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["scenario"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            scenario = load_scenario_file(path)
        except ScenarioError as error:
            raise CommandError(_invalid(path, error.problems)) from None
        people = None
        if options["classroom"]:
            try:
                people = parse_classroom(load_yaml(options["classroom"]))
            except ClassroomError as error:
                raise CommandError(
                    f"{options['classroom']} is not a valid classroom file:\n" + _lines(error.problems)
                ) from None
        pace = options["pace"]
        if pace is not None and not (math.isfinite(pace) and pace >= 0):
            raise CommandError(f"--pace must be 0 or more seconds, not {pace}")
        if options["if_missing"] and Cloud.objects.filter(name=scenario.name).exists():
            self.stdout.write(f"cloud '{scenario.name}' exists already; left as it is")
            return
        try:
            # The cloud and its classroom in one transaction: a refused file leaves nothing.
            cloud = load_cloud(scenario, people, pace=pace, replace=options["replace"])
        except ScenarioError as error:
            raise CommandError(_invalid(path, error.problems)) from None
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"cloud '{cloud.name}': {cloud.hosts.count()} hosts, {cloud.flavors.count()} flavors, "
                f"{cloud.images.count()} images, {cloud.projects.count()} projects, "
                f"era {cloud.era}, pace {cloud.pace:g} s"
            )
        )
        for warning in scenario.warnings:
            self.stdout.write(self.style.WARNING(f"warning: {warning}"))


def _lines(problems: list[str]) -> str:
    return "\n".join(f"  {p}" for p in problems)


def _invalid(path: Path, problems: list[str]) -> str:
    return f"{path} is not a valid scenario:\n" + _lines(problems)
