"""makemessages that also extracts the engine's sentences, marked with ``N_()`` (see
cloudlab/engine/i18n.py), and skips what is not CloudLab's own."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=N_"]

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        options["ignore_patterns"] = [
            *options.get("ignore_patterns", []),
            ".venv/*",
            "data/*",
            "tests/*",
            "bench/*",
            "static/vendor/*",
            "node_modules/*",
        ]
        return super().handle(*args, **options)
