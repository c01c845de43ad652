"""A live class session over one shared cloud, and the people in it.

A session moves lobby → running ⇄ frozen → ended (``TRANSITIONS``, the one table of which state
may follow which; ``FINAL`` is the state nothing follows). Its join code is unique among the
sessions that are not ended (a partial unique index), so codes are reused once a session ends.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
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
