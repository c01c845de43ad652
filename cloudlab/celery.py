"""The Celery app: it paces multi-step work (scheduling, lifecycle steps) over time."""

from __future__ import annotations

import os

from celery import Celery

from . import broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cloudlab.settings")

# A Redis restart with steps in flight must not kill the worker (broker.py says why).
broker.install()

app = Celery("cloudlab")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
