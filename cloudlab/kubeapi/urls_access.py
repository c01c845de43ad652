"""Routes of the kubeapi access part (spliced into cloudlab/kubeapi/urls.py)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
