"""The kube namespace's routes for the service page (included by cloudlab/kube/urls.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
