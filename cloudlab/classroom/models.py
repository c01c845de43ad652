"""A live class session over one shared cloud, and the people in it.

A session moves lobby → running ⇄ frozen → ended (``TRANSITIONS``, the one table of which state
may follow which; ``FINAL`` is the state nothing follows). Its join code is unique among the
sessions that are not ended (a partial unique index), so codes are reused once a session ends.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

#: Join codes use no character a projector or a handwriting mixes up (0/O, 1/I/L, 5/S, 2/Z, 8/B).
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 6


class State(models.TextChoices):
    LOBBY = "lobby", pgettext_lazy("class session", "Lobby")
    RUNNING = "running", pgettext_lazy("class session", "Running")
    FROZEN = "frozen", pgettext_lazy("class session", "Frozen")
    ENDED = "ended", pgettext_lazy("class session", "Ended")


#: Which state may follow which (ending is allowed from every state but the final one).
TRANSITIONS: dict[str, frozenset[str]] = {
    State.LOBBY: frozenset({State.RUNNING, State.ENDED}),
    State.RUNNING: frozenset({State.FROZEN, State.ENDED}),
    State.FROZEN: frozenset({State.RUNNING, State.ENDED}),
    State.ENDED: frozenset(),
}
FINAL = frozenset({State.ENDED})


class ClassSessionQuerySet(models.QuerySet["ClassSession"]):
    def open(self) -> ClassSessionQuerySet:
        """Sessions people can still join (not ended)."""
        return self.exclude(state=State.ENDED)

    def taught_by(self, user: object) -> ClassSessionQuerySet:
        """Sessions the user owns or co-instructs."""
        return self.filter(models.Q(owner=user) | models.Q(co_instructors=user)).distinct()


class ClassSession(models.Model):
    name = models.CharField(_("name"), max_length=80)
    cloud = models.ForeignKey("compute.Cloud", on_delete=models.CASCADE, related_name="class_sessions")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_class_sessions", verbose_name=_("owner")
    )
    co_instructors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="co_instructed_class_sessions",
        verbose_name=_("co-instructors"),
    )
    code = models.CharField(_("join code"), max_length=CODE_LENGTH)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.LOBBY)
    #: Seconds one lifecycle step takes in the session's cloud (the cloud's pace, set at start).
    pace = models.FloatField(_("pace (seconds per step)"), default=1.0)
    #: Each participant's project gets this quota (Nova's per-project limits; −1 is unlimited).
    quota_instances = models.IntegerField(_("instances per participant"), default=3)
    quota_cores = models.IntegerField(_("VCPUs per participant"), default=4)
    quota_ram = models.IntegerField(_("RAM (MB) per participant"), default=4096)
    #: The fixture the cloud was copied from (``fixtures/<scenario>/cloud.yaml``), empty for an existing cloud.
    scenario = models.CharField(_("scenario"), max_length=64, blank=True)
    show_scores = models.BooleanField(_("scores shown to the class"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    objects = ClassSessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("class session")
        verbose_name_plural = _("class sessions")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=~models.Q(state="ended"), name="class_session_code_unique_while_open"
            ),
            models.CheckConstraint(condition=models.Q(pace__gte=0), name="class_session_pace_not_negative"),
            models.CheckConstraint(
                condition=models.Q(quota_instances__gte=-1, quota_cores__gte=-1, quota_ram__gte=-1),
                name="class_session_quota_not_below_unlimited",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_ended(self) -> bool:
        return self.state in FINAL


class ParticipantQuerySet(models.QuerySet["Participant"]):
    def guests(self) -> ParticipantQuerySet:
        return self.filter(is_guest=True)


class Participant(models.Model):
    session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="participants")
    #: A real user, or the guest user created for the nickname (unusable password).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="class_participations")
    nickname = models.CharField(_("nickname"), max_length=32)
    is_guest = models.BooleanField(_("guest"), default=False)
    project = models.ForeignKey("identity.Project", on_delete=models.CASCADE, related_name="participants")
    #: The guest's login (its Django session), deleted when the class session ends.
    session_key = models.CharField(max_length=40, blank=True)
    joined_at = models.DateTimeField(_("joined"), auto_now_add=True)
    #: When a socket of theirs last opened or closed on the session's stream.
    last_seen = models.DateTimeField(_("last seen"), null=True, blank=True)

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["joined_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="participant_once_per_session"),
            # "Ana" and "ana" would be one name on a projector.
            models.UniqueConstraint(Lower("nickname"), "session", name="participant_nickname_unique_in_session"),
        ]

    def __str__(self) -> str:
        return f"{self.nickname} in {self.session}"


# -- "Predict the host" polls (cloudlab.classroom.polls is their only writer) --------------------


class PollKind(models.TextChoices):
    HOST = "host", _("Which host wins?")
    FILTER = "filter", _("Which filter removes a host?")
    NUMBER = "number", _("A host's weight")


class PollState(models.TextChoices):
    OPEN = "open", pgettext_lazy("poll", "Open")
    CLOSED = "closed", pgettext_lazy("poll", "Closed")
    REVEALED = "revealed", pgettext_lazy("poll", "Revealed")


class PollQuerySet(models.QuerySet["Poll"]):
    def current(self) -> Poll | None:
        """The poll the class sees now: the latest one (open, closed or revealed)."""
        return self.order_by("-opened_at", "-pk").first()


class Poll(models.Model):
    """A question about the next scheduling decision on the session's cloud. It carries the
    request it is about (flavor, image, count); the reveal runs that request through the
    scheduler and keeps the trace, from which the correct answer is read."""

    session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="polls")
    kind = models.CharField(_("kind"), max_length=8, choices=PollKind.choices)
    question = models.CharField(_("question"), max_length=200)
    flavor = models.ForeignKey("compute.Flavor", on_delete=models.PROTECT, related_name="+")
    image = models.ForeignKey("compute.Image", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    count = models.PositiveSmallIntegerField(_("instances"), default=1)
    #: The host a "which filter removes it?" or a weight question is about.
    target_host = models.CharField(_("host asked about"), max_length=64, blank=True)
    #: Multiple choice: the values students choose from, in order.
    choices = models.JSONField(_("choices"), default=list, blank=True)
    #: A number question: an answer within this distance of the true value is correct.
    tolerance = models.FloatField(_("tolerance"), default=0)
    #: Seconds students have; null for no limit.
    time_limit = models.PositiveIntegerField(_("time limit (s)"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=8, choices=PollState.choices, default=PollState.OPEN)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    closes_at = models.DateTimeField(_("closes"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    revealed_at = models.DateTimeField(_("revealed"), null=True, blank=True)
    #: The correct answer read from the reveal's trace: a choice, a number, or null (no weight).
    correct = models.JSONField(_("correct answer"), null=True, blank=True)
    #: The reveal's scheduling trace and the frozen moment it was made from (replay, what-if).
    trace = models.JSONField(_("trace"), null=True, blank=True)
    moment = models.JSONField(_("moment"), null=True, blank=True)

    objects = PollQuerySet.as_manager()

    class Meta:
        verbose_name = _("poll")
        verbose_name_plural = _("polls")
        ordering = ["opened_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(count__gte=1), name="poll_count_at_least_one"),
            models.CheckConstraint(condition=models.Q(tolerance__gte=0), name="poll_tolerance_not_negative"),
        ]

    def __str__(self) -> str:
        return self.question


class Answer(models.Model):
    """One participant's answer to one poll (changeable until the poll closes)."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="answers")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="answers")
    #: A multiple-choice answer: one of the poll's choices.
    choice = models.CharField(_("choice"), max_length=64, blank=True)
    #: A number answer.
    value = models.FloatField(_("value"), null=True, blank=True)
    #: When the answer was last given (a change restarts the clock the points scale by).
    answered_at = models.DateTimeField(_("answered"))
    correct = models.BooleanField(_("correct"), null=True, blank=True)
    points = models.PositiveIntegerField(_("points"), default=0)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["answered_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["poll", "participant"], name="answer_once_per_poll")]

    def __str__(self) -> str:
        return f"{self.participant.nickname}: {self.choice or self.value}"
