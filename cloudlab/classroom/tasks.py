"""The classroom's Celery entry points: each takes primary keys and calls the writer."""

from __future__ import annotations

from celery import shared_task

from .models import Poll
from .polls import CLOSE_DUE_POLL, settle_expired


@shared_task(name=CLOSE_DUE_POLL, ignore_result=True)
def close_due_poll(poll_id: int) -> None:
    """A poll's time limit has passed: close it (nothing if it closed or was revealed already)."""
    poll = Poll.objects.filter(pk=poll_id).select_related("session").first()
    if poll is not None:
        settle_expired(poll)
