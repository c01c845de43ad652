"""What the assignment pages show of an assignment, in the page's language.

``student_view`` is the only source of a student's page data: before grades are released it
reads hidden tasks only to count them and add up their points, and never puts their id, title,
hint or check anywhere the page can see.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from . import markdown, work
from .models import Assignment, Submission, Task, TaskResult


def lang() -> str:
    return "zh-hans" if (get_language() or "").lower().startswith("zh") else "en"


def pick(text: Mapping[str, Any] | None) -> str:
    text = text or {}
    return str(text.get(lang()) or text.get("en") or "")


def md(text: Mapping[str, Any] | None) -> SafeString:
    return mark_safe(markdown.render(pick(text)))  # noqa: S308 # markdown.render escapes all input


def title(assignment: Assignment) -> str:
    return pick(assignment.title) or assignment.slug


def _choice(c: Any) -> str:
    return pick(c) if isinstance(c, Mapping) else str(c)


def task_view(task: Task, submission: Submission | None) -> dict[str, Any]:
    """A visible task as its student sees it (the question's form, never its answer)."""
    view: dict[str, Any] = {
        "key": task.key,
        "title": pick(task.title) or task.key,
        "hint": pick(task.hint),
        "points": task.points,
        "kind": task.kind,
    }
    if task.kind == Task.Kind.QUESTION:
        q = task.check_spec["question"]
        view["prompt"] = md(q.get("prompt"))
        view["type"] = q["type"]
        view["unit"] = q.get("unit", "")
        view["choices"] = [(i, _choice(c)) for i, c in enumerate(q.get("choices", []))]
        answer = submission.answers.get(task.key) if submission is not None else None
        view["answer"] = "" if answer is None else answer
    return view


def result_view(result: TaskResult) -> dict[str, Any]:
    return {
        "key": result.task.key,
        "title": pick(result.task.title) or result.task.key,
        "hidden": not result.task.visible,
        "passed": result.passed,
        "score": result.final_score,
        "points": result.task.points,
        "feedback": pick(result.feedback),
        "overridden": result.override_score is not None,
        "comment": result.override_comment,
    }


def student_view(assignment: Assignment, submission: Submission | None) -> dict[str, Any]:
    tasks = list(assignment.tasks.current())
    visible = [t for t in tasks if t.visible]
    hidden = [t for t in tasks if not t.visible]
    checked = {o["id"]: o for o in (submission.last_check if submission is not None else [])}
    shown = []
    for t in visible:
        view = task_view(t, submission)
        outcome = checked.get(t.key)
        if outcome is not None and not outcome.get("hidden"):
            view["check"] = {"passed": outcome["passed"], "feedback": pick(outcome["feedback"])}
        shown.append(view)
    released = assignment.grades_released and submission is not None and submission.graded_at is not None
    results = []
    if released and submission is not None:
        results = [
            result_view(r)
            for r in submission.results.filter(task__retired=False).select_related("task").order_by("task__order")
        ]
    return {
        "title": title(assignment),
        "instructions": md(assignment.definition.get("instructions")),
        "tasks": shown,
        "questions": [v for v in shown if v["kind"] == Task.Kind.QUESTION],
        "hidden_count": len(hidden),
        "hidden_points": sum(t.points for t in hidden),
        "visible_points": sum(t.points for t in visible),
        "released": released,
        "results": results,
        "total": sum(r["score"] for r in results),
        "total_points": sum(t.points for t in tasks),
        "deadline": work.deadline(submission) if submission is not None else assignment.due_at,
    }
