"""``{% poll_panel_data session as panel %}``: the poll panel's data for the page's viewer.

The instructor's Polls page hands its own panel (``poll_panel`` in the context: the controls, the
live chart and the distribution); every other page that includes the panel (the student's session
page) gets the participant's, which never holds anyone's answer before the reveal."""

from __future__ import annotations

from typing import Any

from django import template

from ..models import ClassSession
from ..pages.polls import student_panel

register = template.Library()


@register.simple_tag(takes_context=True)
def poll_panel_data(context: dict[str, Any], session: ClassSession) -> dict[str, Any]:
    given = context.get("poll_panel")
    if given is not None:
        return given  # type: ignore[no-any-return]
    return student_panel(session, context["request"].user)
