from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClassroomConfig(AppConfig):
    name = "cloudlab.classroom"
    label = "classroom"
    verbose_name = _("Classroom")

    def ready(self) -> None:
        # The session stream's presence hooks (live.presence) are registered on import.
        import_module(f"{self.name}.live")
        # The poll deadline task, registered in every process so the writer enqueues it by name.
        import_module(f"{self.name}.tasks")
