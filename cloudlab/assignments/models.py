"""Assignments loaded from fixture files, their tasks, students' submissions and task results.

Loading (``loader.load_assignment``) is the only writer of Assignment and Task rows. Tasks are
keyed by their ``id`` in the file: re-loading an updated file updates each task in place, adds
the new ones, and *retires* the ones the file no longer lists (``retired=True``: kept with
their results so no grade silently disappears, left out of grading and totals; a task that
comes back is un-retired). Submissions and their results are never touched by a re-load.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Assignment(models.Model):
    slug = models.SlugField(_("ID"), max_length=64, unique=True)
    title = models.JSONField(_("title"), default=dict)  # {"en": …, "zh-hans": …}
    #: ``Definition.to_dict()``: what pages and grading read (instructions, scenario, tasks).
    definition = models.JSONField(_("definition"))
    source = models.TextField(_("source file text"))
    source_hash = models.CharField(_("source SHA-256"), max_length=64)
    source_path = models.CharField(_("source file"), max_length=500, blank=True)
    due_at = models.DateTimeField(_("due"))
    late_policy = models.JSONField(_("late policy"), default=dict)  # LatePolicy.to_dict()
    # Reserved for publishing (the next part): who it is given to, and whether grades are out.
    published = models.BooleanField(_("published"), default=False)
    course_group = models.ForeignKey(
        "auth.Group", on_delete=models.SET_NULL, null=True, blank=True, related_name="assignments"
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    #: The course it is published to: the cloud the instructor teaches; its students (student
    #: members of its projects) are the course group (work.course_students).
    course = models.ForeignKey(
        "compute.Cloud", on_delete=models.SET_NULL, null=True, blank=True, related_name="course_assignments"
    )
    grades_released = models.BooleanField(_("grades released"), default=False)
    loaded_at = models.DateTimeField(_("loaded at"), auto_now=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["due_at", "slug"]

    def __str__(self) -> str:
        return self.slug


class TaskQuerySet(models.QuerySet["Task"]):
    def current(self) -> TaskQuerySet:
        """The tasks the file lists now (not retired), in file order."""
        return self.filter(retired=False).order_by("order")


class Task(models.Model):
    class Kind(models.TextChoices):
        STATE = "state", _("state check")
        EVENTS = "events", _("event check")
        QUESTION = "question", _("question")

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="tasks")
    key = models.SlugField(_("ID"), max_length=64)
    order = models.PositiveIntegerField(_("order"), default=0)
    title = models.JSONField(_("title"), default=dict)
    hint = models.JSONField(_("hint"), default=dict)
    points = models.FloatField(_("points"))
    visible = models.BooleanField(_("visible"), default=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    check_spec = models.JSONField(_("check"))  # TaskDef.check (`check` is Model.check())
    retired = models.BooleanField(_("retired"), default=False)

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["assignment", "order"]
        constraints = [models.UniqueConstraint(fields=["assignment", "key"], name="task_key_unique_in_assignment")]

    def __str__(self) -> str:
        return f"{self.assignment.slug}/{self.key}"


class Submission(models.Model):
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="submissions")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions")
    sandbox = models.ForeignKey(
        "compute.Cloud", on_delete=models.SET_NULL, null=True, blank=True, related_name="submissions"
    )
    #: The student's answers to the questions, by task id.
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    graded_at = models.DateTimeField(_("graded at"), null=True, blank=True)
    late_days = models.PositiveIntegerField(_("days late"), default=0)
    extension_days = models.PositiveIntegerField(_("extension (days)"), default=0)
    #: The student's own deadline when an extension was granted (to a date, or due + days).
    extended_until = models.DateTimeField(_("extended until"), null=True, blank=True)
    #: "Check my work": the visible tasks' outcomes as the student last saw them (work.do_check).
    last_check = models.JSONField(_("last check"), default=list, blank=True)
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        constraints = [models.UniqueConstraint(fields=["assignment", "student"], name="one_submission_per_student")]

    def __str__(self) -> str:
        return f"{self.assignment.slug} by {self.student}"


class TaskResult(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="results")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="results")
    score = models.FloatField(_("score"), default=0.0)
    passed = models.BooleanField(_("passed"), default=False)
    feedback = models.JSONField(_("feedback"), default=dict, blank=True)  # {"en": …, "zh-hans": …}
    override_score = models.FloatField(_("overridden score"), null=True, blank=True)
    override_comment = models.TextField(_("override comment"), blank=True)
    graded_at = models.DateTimeField(_("graded at"), auto_now=True)

    class Meta:
        verbose_name = _("task result")
        verbose_name_plural = _("task results")
        constraints = [models.UniqueConstraint(fields=["submission", "task"], name="one_result_per_task")]

    def __str__(self) -> str:
        return f"{self.submission} / {self.task.key}: {self.final_score}"

    @property
    def final_score(self) -> float:
        return self.score if self.override_score is None else self.override_score
