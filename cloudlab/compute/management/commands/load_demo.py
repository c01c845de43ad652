"""Load the demo cloud from fixtures/demo (once; again with --replace), and its demo accounts only
where a public password is harmless.

The demo accounts (alice, bob, ivy) share the password printed in the README. They are created
in the embedded demo mode (``DEBUG=1``, the default) and never with ``DEBUG=0`` unless asked for
explicitly (``--with-demo-accounts`` or ``CLOUDLAB_DEMO_ACCOUNTS=1``); ``CLOUDLAB_DEMO_ACCOUNTS=0``
leaves them out in demo mode too. Skipping them says so, and a demo account already present with
its public password under ``DEBUG=0`` is named in a warning.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from cloudlab.compute.models import Cloud
from cloudlab.compute.scenarios import ClassroomError, Person, enrol, load_yaml, parse_classroom
from cloudlab.engine.scheduler import ScenarioError, load_scenario_file

DEMO = settings.BASE_DIR / "fixtures" / "demo"


class Command(BaseCommand):
    help = (
        "Load fixtures/demo: the demo cloud (cloud.yaml) and, with DEBUG=1 or --with-demo-accounts, "
        "its students and instructor with the public demo password (classroom.yaml)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--replace", action="store_true", help="rebuild the demo cloud from scratch")
        parser.add_argument("--pace", type=float, help="seconds per lifecycle step (0 = instant)")
        parser.add_argument(
            "--with-demo-accounts",
            action="store_true",
            help="create the demo accounts (public password) even with DEBUG=0",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with_accounts = options["with_demo_accounts"] or settings.CLOUDLAB_DEMO_ACCOUNTS
        try:
            people = parse_classroom(load_yaml(DEMO / "classroom.yaml"))
            cloud_name = load_scenario_file(DEMO / "cloud.yaml").name
        except (ClassroomError, ScenarioError, OSError) as error:
            raise CommandError(f"{DEMO}: {error}") from None
        with transaction.atomic():
            call_command(
                "load_scenario",
                DEMO / "cloud.yaml",
                replace=options["replace"],
                if_missing=not options["replace"],
                pace=options["pace"],
                stdout=self.stdout,
                stderr=self.stderr,
            )
            if with_accounts:
                # enrol is idempotent: a cloud loaded earlier without them gets them now.
                enrol(Cloud.objects.get(name=cloud_name), people)
        if with_accounts:
            self.stdout.write(self.style.WARNING(self._accounts_line(people)))
            return
        why = "CLOUDLAB_DEMO_ACCOUNTS=0" if os.environ.get("CLOUDLAB_DEMO_ACCOUNTS") else "DEBUG=0"
        self.stdout.write(
            f"demo accounts skipped ({why}): no one can log in with the public demo password. "
            "Load your own people with `manage.py load_scenario FILE --classroom PEOPLE`, or pass "
            "--with-demo-accounts (CLOUDLAB_DEMO_ACCOUNTS=1) for a demo."
        )
        for username in self._public_password_users(people):
            self.stdout.write(
                self.style.WARNING(
                    f"warning: user {username!r} still has the public demo password: "
                    f"`manage.py changepassword {username}` or delete the user"
                )
            )

    @staticmethod
    def _accounts_line(people: list[Person]) -> str:
        names = ", ".join(f"{p.username} ({p.role})" for p in people)
        return f"demo accounts (public password, for a demo only): {names}"

    @staticmethod
    def _public_password_users(people: list[Person]) -> list[str]:
        users = {u.username: u for u in get_user_model().objects.filter(username__in=[p.username for p in people])}
        return [p.username for p in people if p.username in users and users[p.username].check_password(p.password)]
