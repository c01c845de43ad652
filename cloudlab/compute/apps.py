from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComputeConfig(AppConfig):
    name = "cloudlab.compute"
    label = "compute"
    verbose_name = _("Compute")

    def ready(self) -> None:
        # Register the worker's entry points in every process (web servers, commands, tests), so
        # the writers can enqueue them by name (compute/queue.py). Celery's autodiscovery only
        # imports them when a worker starts.
        import_module(f"{self.name}.tasks")
