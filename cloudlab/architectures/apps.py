from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArchitecturesConfig(AppConfig):
    name = "cloudlab.architectures"
    label = "architectures"
    verbose_name = _("Architectures")
