"""The sidebar's Classroom group: Class Sessions for whoever may start one, and each open session
the viewer takes part in."""

from __future__ import annotations

from typing import Any

from django import template

from cloudlab.classroom.models import Participant
from cloudlab.classroom.sessions import may_start_sessions

register = template.Library()


@register.inclusion_tag("classroom/_sidebar.html", takes_context=True)
def classroom_sidebar(context: template.Context) -> dict[str, Any]:
    request = context["request"]
    user = request.user
    joined = (
        Participant.objects.filter(user_id=user.pk).exclude(session__state="ended").select_related("session")
        if user.is_authenticated
        else Participant.objects.none()
    )
    match = request.resolver_match
    return {
        "teaches": may_start_sessions(user),
        "joined": [p.session for p in joined],
        "url_name": match.url_name if match and match.namespace == "classroom" else "",
        "session_id": match.kwargs.get("session_id") if match else None,
    }
