"""``{% load clock %}``: ``{{ moment|clock }}`` shows a time as every page does (see dashboard/clock.py)."""

from __future__ import annotations

from datetime import datetime

from django import template

from cloudlab.dashboard import clock as course_clock

register = template.Library()


@register.filter(name="clock")
def clock(value: datetime | None) -> str:
    return course_clock.clock(value)
