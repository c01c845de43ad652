"""Placeholder until the compute API lands (it replaces this file)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
