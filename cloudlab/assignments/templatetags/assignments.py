"""The sidebar's Assignments entry and the dashboard's banner over a sandbox project."""

from __future__ import annotations

from typing import Any

from django import template

from cloudlab.assignments import present, work

register = template.Library()


@register.inclusion_tag("assignments/_sidebar.html", takes_context=True)
def assignments_sidebar(context: template.Context) -> dict[str, Any]:
    match = context["request"].resolver_match
    return {"active": bool(match and match.namespace == "assignments")}


@register.inclusion_tag("assignments/_banner.html", takes_context=True)
def assignment_banner(context: template.Context) -> dict[str, Any]:
    """Over a sandbox project: which assignment it is for, its visible tasks and the last check;
    hidden tasks only counted."""
    submission = work.submission_for_sandbox(context.get("current_project"))
    request = context["request"]
    if submission is None or submission.student_id != request.user.pk:
        return {"submission": None}
    return {
        "submission": submission,
        "assignment": submission.assignment,
        "view": present.student_view(submission.assignment, submission),
    }
