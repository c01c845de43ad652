"""One clock for every page: every time is shown in the course's time zone (settings.TIME_ZONE,
``TIME_ZONE`` in the environment, Asia/Shanghai by default) as ``YYYY-MM-DD HH:MM:SS``, and the
zone is named once in the top bar. The browser formats the times it renders itself with the same
zone and format (``CloudLab.localTime`` in static/cloudlab/common.js reads ``data-time-zone``)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

FORMAT = "%Y-%m-%d %H:%M:%S"


def course_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def clock(value: datetime | None) -> str:
    """A moment as the pages show it, in the course's zone ("–" for none)."""
    if value is None:
        return "–"
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.utc)
    return value.astimezone(course_zone()).strftime(FORMAT)


def zone_label(now: datetime | None = None) -> str:
    """The zone's name and its offset now, e.g. "Asia/Shanghai (UTC+8)"."""
    moment = (now or timezone.now()).astimezone(course_zone())
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    shown = f"{hours}" + (f":{rest:02d}" if rest else "")
    return f"{settings.TIME_ZONE} (UTC{sign}{shown})"
