"""The classroom's Celery entry points: each takes primary keys and calls the writer."""

from __future__ import annotations

from celery import shared_task

from .models import Poll
from .polls import ANNOUNCE_COUNT, CLOSE_DUE_POLL, send_count, settle_expired


@shared_task(name=CLOSE_DUE_POLL, ignore_result=True)
def close_due_poll(poll_id: int) -> None:
    """A poll's time limit has passed: close it (nothing if it closed or was revealed already)."""
    poll = Poll.objects.filter(pk=poll_id).select_related("session").first()
    if poll is not None:
        settle_expired(poll)


@shared_task(name=ANNOUNCE_COUNT, ignore_result=True)
def announce_poll_count(poll_id: int) -> None:
    """The end of a busy moment of answers: the count as it is now."""
    poll = Poll.objects.filter(pk=poll_id).first()
    if poll is not None:
        send_count(poll)
