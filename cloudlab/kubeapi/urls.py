"""The Kubernetes API's routes: ``urls_api`` (the apiserver subset under /kubernetes/<cluster>/)
and ``urls_access`` (the kubeconfig page), spliced into the ``kubeapi:`` namespace."""

from django.urls import URLPattern, URLResolver

from . import urls_access, urls_api

app_name = "kubeapi"

urlpatterns: list[URLPattern | URLResolver] = [*urls_api.urlpatterns, *urls_access.urlpatterns]
