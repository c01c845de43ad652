"""Routes of the kubeapi api part (spliced into cloudlab/kubeapi/urls.py)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
