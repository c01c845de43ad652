"""The kube namespace's routes for the service page (included by cloudlab/kube/urls.py)."""

from django.urls import URLPattern, path

from . import service_page

_BASE = "project/kubernetes/<int:cluster_id>/services/<str:namespace>/<str:name>/"

urlpatterns: list[URLPattern] = [
    path(_BASE, service_page.service, name="service"),
    path(_BASE + "data.json", service_page.service_data, name="service-data"),
    path(_BASE + "route/", service_page.service_route, name="service-route"),
]
