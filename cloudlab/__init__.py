"""CloudLab: a Horizon-like teaching dashboard over a simulated OpenStack cloud."""

from .celery import app as celery_app

__all__ = ["celery_app"]
