"""Create a cloud from a scenario file (and, optionally, the people who use it).

A scenario's warnings (a host over-committed, a reservation that leaves nothing: states Nova runs
with) do not stop it; they are printed after the cloud is created, one a line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cloudlab.compute.models import Cloud
from cloudlab.compute.scenarios import ClassroomError, create_cloud, enrol, load_yaml, parse_classroom
from cloudlab.engine.scheduler import ScenarioError, load_scenario_file


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
            raise CommandError(
                f"{path} is not a valid scenario:\n" + "\n".join(f"  {p}" for p in error.problems)
            ) from None
        people = None
        if options["classroom"]:
            try:
                people = parse_classroom(load_yaml(options["classroom"]))
            except (ClassroomError, OSError) as error:
                raise CommandError(f"{options['classroom']}: {error}") from None
        if options["pace"] is not None and options["pace"] < 0:
            raise CommandError("--pace must be 0 or more seconds")
        if options["if_missing"] and Cloud.objects.filter(name=scenario.name).exists():
            self.stdout.write(f"cloud '{scenario.name}' exists already; left as it is")
            return
        try:
            cloud = create_cloud(scenario, pace=options["pace"], replace=options["replace"])
        except ValueError as error:
            raise CommandError(str(error)) from None
        if people:
            enrol(cloud, people)
        self.stdout.write(
            self.style.SUCCESS(
                f"cloud '{cloud.name}': {cloud.hosts.count()} hosts, {cloud.flavors.count()} flavors, "
                f"{cloud.images.count()} images, {cloud.projects.count()} projects, "
                f"era {cloud.era}, pace {cloud.pace:g} s"
            )
        )
        for warning in scenario.warnings:
            self.stdout.write(self.style.WARNING(f"warning: {warning}"))
