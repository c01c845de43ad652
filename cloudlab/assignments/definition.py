"""A parsed assignment: what ``loader.parse_assignment`` returns and the models store (pure).

Everything here is plain data with a JSON round trip (``to_dict`` / ``from_dict``): the
Assignment row keeps ``Definition.to_dict()``, each Task row keeps its ``TaskDef``'s check, and
``TaskDef.from_row`` rebuilds what ``checks.evaluate`` reads from a stored Task.

A task's ``check`` is the normalised check of one kind (docs/assignments.md):

* ``{"state": {...}}``: a predicate on the sandbox's instances and hosts;
* ``{"events": [...], "without": [...]}``: an ordered pattern on the action log;
* ``{"question": {"type": "choice" | "number", "answer": ..., "tolerance": ..., ...}}``:
  ``answer`` is already resolved when it was ``computed:`` from the scenario (the recipe stays
  under ``"computed"``, for the instructor's pages).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

LANGUAGES = ("en", "zh-hans")
CHECK_KINDS = ("state", "events", "question")


def text(value: Mapping[str, str] | None) -> dict[str, str]:
    """A bilingual text as stored: both languages, empty when absent."""
    value = value or {}
    return {lang: str(value.get(lang, "")) for lang in LANGUAGES}


@dataclass(frozen=True)
class LatePolicy:
    """``late: {per_day: 10%, max_days: 3}``: each started day late takes ``per_day_percent`` of
    the points off; work more than ``max_days`` late scores 0. ``max_days: 0`` accepts no late
    work (the default)."""

    per_day_percent: float = 0.0
    max_days: int = 0

    def multiplier(self, late_days: int) -> float:
        """What a score is multiplied by for work ``late_days`` started days late."""
        if late_days <= 0:
            return 1.0
        if late_days > self.max_days:
            return 0.0
        return max(0.0, 1.0 - late_days * self.per_day_percent / 100.0)

    def to_dict(self) -> dict[str, Any]:
        return {"per_day_percent": self.per_day_percent, "max_days": self.max_days}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LatePolicy:
        return cls(float(data.get("per_day_percent", 0.0)), int(data.get("max_days", 0)))


def late_days(submitted: datetime, due: datetime, extension_days: int = 0) -> int:
    """Started days between the due date (moved by the extension) and the submission; 0 if on time."""
    seconds = (submitted - due).total_seconds() - extension_days * 86400
    return 0 if seconds <= 0 else math.ceil(seconds / 86400)


@dataclass(frozen=True)
class TaskDef:
    key: str
    kind: str  # one of CHECK_KINDS
    check: Mapping[str, Any]
    points: float
    title: Mapping[str, str]
    hint: Mapping[str, str] = field(default_factory=lambda: text(None))
    visible: bool = True
    order: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.key,
            "kind": self.kind,
            "check": dict(self.check),
            "points": self.points,
            "title": dict(self.title),
            "hint": dict(self.hint),
            "visible": self.visible,
            "order": self.order,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TaskDef:
        return cls(
            key=data["id"],
            kind=data["kind"],
            check=data["check"],
            points=float(data["points"]),
            title=text(data.get("title")),
            hint=text(data.get("hint")),
            visible=bool(data.get("visible", True)),
            order=int(data.get("order", 0)),
        )

    @classmethod
    def from_row(cls, task: Any) -> TaskDef:
        """From a stored ``models.Task`` (duck-typed: this module imports no Django)."""
        return cls(
            key=task.key,
            kind=task.kind,
            check=task.check_spec,
            points=float(task.points),
            title=text(task.title),
            hint=text(task.hint),
            visible=task.visible,
            order=task.order,
        )


@dataclass(frozen=True)
class Definition:
    slug: str
    title: Mapping[str, str]
    instructions: Mapping[str, str]  # Markdown, rendered by ``markdown.render``
    #: The sandbox's scenario as data (inline, or read from the referenced file): what a
    #: sandbox cloud is created from with ``parse_scenario``.
    scenario: Mapping[str, Any]
    due: datetime
    late: LatePolicy
    tasks: tuple[TaskDef, ...]
    scenario_ref: str | None = None  # the file or fixture it was read from, if referenced
    #: Instance names the instructions ask students to create (checks may name them).
    instance_names: tuple[str, ...] = ()

    @property
    def total_points(self) -> float:
        return sum(t.points for t in self.tasks)

    def task(self, key: str) -> TaskDef:
        return next(t for t in self.tasks if t.key == key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.slug,
            "title": dict(self.title),
            "instructions": dict(self.instructions),
            "scenario": dict(self.scenario),
            "scenario_ref": self.scenario_ref,
            "due": self.due.isoformat(),
            "late": self.late.to_dict(),
            "instance_names": list(self.instance_names),
            "tasks": [t.to_dict() for t in self.tasks],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Definition:
        return cls(
            slug=data["id"],
            title=text(data["title"]),
            instructions=text(data["instructions"]),
            scenario=data["scenario"],
            scenario_ref=data.get("scenario_ref"),
            due=datetime.fromisoformat(data["due"]),
            late=LatePolicy.from_dict(data["late"]),
            instance_names=tuple(data.get("instance_names", ())),
            tasks=tuple(TaskDef.from_dict(t) for t in data["tasks"]),
        )
