from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssignmentsConfig(AppConfig):
    name = "cloudlab.assignments"
    label = "assignments"
    verbose_name = _("Assignments")

    def ready(self) -> None:
        # Register the beat's grading task in every process (as compute's ready() does).
        import_module(f"{self.name}.tasks")
