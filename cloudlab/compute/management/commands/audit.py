"""Check that every host's usage equals what its instances and moves hold (exit 1 if not)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cloudlab.compute.audit import audit
from cloudlab.compute.models import Cloud, Host


class Command(BaseCommand):
    help = "Audit host usage against the instances on each host (Nova's resource tracker audit)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cloud", action="append", help="only this cloud (repeatable)")

    def handle(self, *args: Any, **options: Any) -> None:
        clouds = None
        if options["cloud"]:
            clouds = list(Cloud.objects.filter(name__in=options["cloud"]))
            missing = set(options["cloud"]) - {c.name for c in clouds}
            if missing:
                raise CommandError(f"no such cloud: {', '.join(sorted(missing))}")
        problems = audit(clouds)
        hosts = Host.objects.filter(cloud__in=clouds) if clouds is not None else Host.objects.all()
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{len(problems)} of {hosts.count()} hosts do not balance")
        self.stdout.write(self.style.SUCCESS(f"all {hosts.count()} hosts balance"))
