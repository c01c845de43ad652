"""The assignments' Celery entry point: grading what is due (run by Celery beat)."""

from __future__ import annotations

from celery import shared_task

from .grading import grade_due


@shared_task(name="assignments.grade_due")
def grade_due_assignments() -> int:
    """Grade, once, every submission whose deadline has passed (``grading.grade_due``)."""
    return grade_due()
