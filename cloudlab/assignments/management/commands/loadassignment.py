"""``python manage.py loadassignment FILE [--dry-run]``: validate an assignment file and load it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cloudlab.assignments.loader import AssignmentError, load_assignment


class Command(BaseCommand):
    help = "Validate an assignment file (fixtures/assignments/*.yaml) and load it atomically."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="only validate; write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            assignment = load_assignment(options["file"], dry_run=options["dry_run"])
        except AssignmentError as error:
            for problem in error.problems:
                self.stderr.write(problem)
            raise CommandError(f"{options['file']}: {len(error.problems)} problem(s); nothing was loaded") from None
        tasks = assignment.definition["tasks"]
        points = sum(t["points"] for t in tasks)
        verb = "is valid (dry run, nothing written)" if options["dry_run"] else "loaded"
        self.stdout.write(
            f"{assignment.slug}: {verb}: {len(tasks)} tasks, {points:g} points, due {assignment.due_at.isoformat()}"
        )
