from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiveConfig(AppConfig):
    name = "cloudlab.live"
    label = "live"
    verbose_name = _("Live updates")

    def ready(self) -> None:
        # Open sockets hear of logouts and lost memberships (live/revocation.py); its receivers
        # import models, so the module loads once the apps are ready.
        import_module(f"{self.name}.revocation").connect_user_signals()
        import_module(f"{self.name}.profiling").start_if_asked()
