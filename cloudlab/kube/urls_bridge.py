"""The kube namespace's routes for the bridge page (included by cloudlab/kube/urls.py)."""

from django.urls import URLPattern, path

from . import bridge_page

urlpatterns: list[URLPattern] = [
    path("project/kubernetes/bridge/", bridge_page.bridge, name="bridge"),
]
