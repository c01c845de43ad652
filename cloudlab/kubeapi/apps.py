from django.apps import AppConfig


class KubeApiConfig(AppConfig):
    name = "cloudlab.kubeapi"
    label = "kubeapi"
    verbose_name = "Kubernetes API"
    default_auto_field = "django.db.models.BigAutoField"
