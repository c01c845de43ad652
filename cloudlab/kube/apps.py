from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KubeConfig(AppConfig):
    name = "cloudlab.kube"
    label = "kube"
    verbose_name = _("Kubernetes")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The reconcile task, registered in every process so a writer enqueues it by name.
        import_module(f"{self.name}.tasks")
        # A node follows its VM: the instance and host save hooks.
        import_module(f"{self.name}.hooks").connect()
