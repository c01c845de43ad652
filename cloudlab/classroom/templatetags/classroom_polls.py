"""``{% poll_panel_data session as panel %}``: the poll panel's data for the page's viewer."""

from __future__ import annotations

from typing import Any

from django import template

from ..models import ClassSession
from ..pages.polls import student_panel

register = template.Library()


@register.simple_tag(takes_context=True)
def poll_panel_data(context: dict[str, Any], session: ClassSession) -> dict[str, Any]:
    return student_panel(session, context["request"].user)
