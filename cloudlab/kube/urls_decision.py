"""The kube namespace's routes for the decision page (included by cloudlab/kube/urls.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
