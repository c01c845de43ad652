"""Live class sessions: the only writer of sessions and participants (start, join, state, end).

This module is the contract the classroom's pages (lobby, projector, console, polls, summary)
build on. Every function validates first and raises ``SessionError`` (nothing written) with a
sentence in the reader's language naming the problem; events go out after commit, on the
session's stream (``cloudlab.classroom.live``).

- ``start_session(instructor, *, cloud=None, scenario=None, name, quota, pace=None,
  show_scores=False) -> ClassSession``: on an existing ``cloud`` the instructor teaches
  (``identity.models.is_instructor``), or on a fresh copy of ``scenario`` (a name from
  ``available_scenarios()``, i.e. ``fixtures/<name>/cloud.yaml``): a new cloud named after the
  session, its instance uuids new, the instructor its instructor (project ``instructors``).
  ``quota`` is each participant's project quota (a ``SessionQuota`` or a mapping with
  ``instances``, ``cores``, ``ram``; −1 is unlimited). ``pace`` (seconds per lifecycle step) is
  applied to the cloud; without it the session takes the cloud's. The session starts in the lobby
  with a fresh join code.
- ``join(session, *, user=None, nickname=None) -> Participant``: a logged-in ``user`` joins as
  themselves; without one, ``nickname`` makes a guest (a real user, flagged ``is_guest`` on the
  participant, unusable password; the view logs them in and calls ``record_guest_login``).
  Each participant gets a project of their own in the session's cloud (a student membership and
  a quota from the session's settings). Joining again returns the same participant (and
  repairs a missing membership or quota). Refused: an ended session, an instructor of the
  session, a guest of another session, a bad or taken nickname.
- ``set_state(session, state, by)``: lobby → running ⇄ frozen (``models.TRANSITIONS``); ``ended``
  goes through ``end_session``. Publishes ``session.state``.
- ``end_session(session, by)``: the session ends; its guests' access ends with it (users
  deactivated, their Django sessions deleted: open sockets close with 4401 through
  ``cloudlab.live.revocation``). Real users keep their projects. Publishes ``session.state``.
- ``is_session_instructor(user, session)``: the owner or a co-instructor (the controls' rule).
- ``participant_for(user, session) -> Participant | None``.
- ``find_open_session(code) -> ClassSession | None``: a typed code (any case, spaces and dashes
  ignored) to its session, if it is not ended.
- ``may_follow_session(user, session_id)``: who may follow ``session-<id>`` (its participants
  and instructors; ``cloudlab.live.access`` asks it); ``may_follow_session_staff(user,
  session_id)``: who may follow ``session-staff-<id>`` (its instructors only: presence).
"""

from __future__ import annotations

import math
import re
import secrets
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from cloudlab.compute.limits import column_problem
from cloudlab.compute.models import Cloud
from cloudlab.compute.scenarios import create_cloud
from cloudlab.engine.scheduler import Scenario, ScenarioError, load_scenario_file
from cloudlab.identity.models import Membership, Project, Quota, Role, is_instructor

from .live import forget_presence, publish_participant, publish_state
from .models import CODE_ALPHABET, CODE_LENGTH, TRANSITIONS, ClassSession, Participant, State

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
INSTRUCTORS_PROJECT = "instructors"
NICKNAME_MAX = 32
_CODE_TYPED = re.compile(r"[\s\-]+")


class SessionError(Exception):
    """A request about a session that cannot go ahead; ``field`` names the form field at fault,
    ``status`` the HTTP status it answers with (400 bad input, 403 not yours, 404 no such
    session, 409 the session's state forbids it)."""

    def __init__(self, message: str, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


@dataclass(frozen=True)
class SessionQuota:
    """Each participant's project quota (Nova's names; −1 is unlimited)."""

    instances: int = 3
    cores: int = 4
    ram: int = 4096


# -- who is who ---------------------------------------------------------------------------------


def is_session_instructor(user: AnyUser, session: ClassSession) -> bool:
    """The session's owner or one of its co-instructors: who may use its controls."""
    if not user.is_authenticated:
        return False
    return session.owner_id == user.pk or session.co_instructors.filter(pk=user.pk).exists()


def participant_for(user: AnyUser, session: ClassSession) -> Participant | None:
    if not user.is_authenticated:
        return None
    return Participant.objects.filter(session=session, user_id=user.pk).select_related("project").first()


def guest_session_of(user: AnyUser) -> int | None:
    """The session a guest user belongs to (a guest belongs to exactly one), else None."""
    if not user.is_authenticated:
        return None
    return Participant.objects.guests().filter(user_id=user.pk).values_list("session_id", flat=True).first()


def may_follow_session(user: AnyUser, session_id: int) -> bool:
    if not user.is_authenticated:
        return False
    session = ClassSession.objects.filter(pk=session_id).first()
    if session is None:
        return False
    return is_session_instructor(user, session) or Participant.objects.filter(session=session, user_id=user.pk).exists()


def may_follow_session_staff(user: AnyUser, session_id: int) -> bool:
    if not user.is_authenticated:
        return False
    session = ClassSession.objects.filter(pk=session_id).first()
    return session is not None and is_session_instructor(user, session)


def may_start_sessions(user: AnyUser) -> bool:
    """Whoever teaches a cloud (or runs the site) may start a session."""
    if not user.is_authenticated or guest_session_of(user) is not None:
        return False
    return bool(user.is_staff) or Membership.objects.filter(user_id=user.pk, role=Role.INSTRUCTOR).exists()


def taught_clouds(user: AnyUser) -> list[Cloud]:
    """The clouds the user may start a session on."""
    if not user.is_authenticated:
        return []
    ids = Membership.objects.filter(user_id=user.pk, role=Role.INSTRUCTOR).values("project__cloud_id")
    return list(Cloud.objects.filter(pk__in=ids).order_by("name"))


def available_scenarios() -> list[str]:
    """The scenario fixtures a session can copy: ``fixtures/<name>/cloud.yaml``."""
    return sorted(p.parent.name for p in FIXTURES.glob("*/cloud.yaml"))


def find_open_session(code: str) -> ClassSession | None:
    typed = normalize_code(code)
    if typed is None:
        return None
    return ClassSession.objects.open().filter(code=typed).select_related("cloud").first()


def normalize_code(code: str) -> str | None:
    """A typed join code as stored (upper case, no spaces or dashes), None if it cannot be one."""
    typed = _CODE_TYPED.sub("", code or "").upper()
    if len(typed) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in typed):
        return None
    return typed


# -- start --------------------------------------------------------------------------------------


def check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise SessionError(_("Give the session a name."), field="name")
    name = " ".join(name.split())
    problem = column_problem(ClassSession, "name", name)
    if problem:
        raise SessionError(_("The session's name %(problem)s") % {"problem": problem}, field="name")
    return name


def check_quota(quota: SessionQuota | Mapping[str, Any]) -> SessionQuota:
    values = quota.__dict__ if isinstance(quota, SessionQuota) else dict(quota)
    unknown = set(values) - {"instances", "cores", "ram"}
    if unknown:
        raise SessionError(_("Unknown quota settings: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    defaults = SessionQuota()
    labels = {"instances": _("Instances"), "cores": _("VCPUs"), "ram": _("RAM (MB)")}
    checked: dict[str, int] = {}
    for key in ("instances", "cores", "ram"):
        raw = values.get(key, getattr(defaults, key))
        field = f"quota_{key}"
        number: int | None
        if isinstance(raw, bool):
            number = None
        elif isinstance(raw, int):
            number = raw
        else:
            try:
                number = int(str(raw).strip())
            except ValueError:
                number = None
        if number is None:
            raise SessionError(
                _("%(label)s per participant must be a whole number (−1 for unlimited), not “%(value)s”.")
                % {"label": labels[key], "value": str(raw)[:40]},
                field=field,
            )
        if number < -1:
            raise SessionError(
                _("%(label)s per participant must be −1 (unlimited) or more, not %(value)d.")
                % {"label": labels[key], "value": number},
                field=field,
            )
        problem = column_problem(ClassSession, field, number)
        if problem:
            raise SessionError(
                _("%(label)s per participant %(problem)s") % {"label": labels[key], "problem": problem}, field=field
            )
        checked[key] = number
    return SessionQuota(**checked)


def check_pace(pace: Any) -> float | None:
    if pace is None or pace == "":
        return None
    try:
        value = float(pace)
    except (TypeError, ValueError):
        raise SessionError(
            _("The pace must be a number of seconds, not “%(value)s”.") % {"value": str(pace)[:40]}, field="pace"
        ) from None
    if not math.isfinite(value) or value < 0 or value > 60:
        raise SessionError(
            _("The pace must be between 0 and 60 seconds per step, not %(value)s.") % {"value": pace}, field="pace"
        )
    return value


def start_session(
    instructor: AnyUser,
    *,
    cloud: Cloud | None = None,
    scenario: str | None = None,
    name: str,
    quota: SessionQuota | Mapping[str, Any] | None = None,
    pace: float | None = None,
    show_scores: bool = False,
) -> ClassSession:
    """Steps: check the name, quota, pace and the choice of cloud (exactly one of ``cloud`` and
    ``scenario``; a cloud the instructor teaches, or a scenario fixture they may copy); in one
    transaction, build the scenario's cloud if asked (instructor enrolled), apply the pace,
    create the session with a join code unique among open sessions."""
    name = check_name(name)
    checked_quota = check_quota(quota or SessionQuota())
    pace = check_pace(pace)
    if (cloud is None) == (scenario is None or scenario == ""):
        raise SessionError(_("Choose either an existing cloud or a scenario to copy."), field="cloud")
    if cloud is not None and not is_instructor(instructor, cloud.pk):
        raise SessionError(
            _("You do not teach the cloud “%(cloud)s”.") % {"cloud": cloud.name}, field="cloud", status=403
        )
    if not may_start_sessions(instructor):
        raise SessionError(_("Only instructors can start a class session."), status=403)
    source: Scenario | None = None
    if scenario:
        if scenario not in available_scenarios():
            raise SessionError(
                _("There is no scenario “%(name)s” (there are: %(names)s).")
                % {"name": str(scenario)[:64], "names": ", ".join(available_scenarios())},
                field="scenario",
            )
        try:
            source = load_scenario_file(FIXTURES / scenario / "cloud.yaml")
        except ScenarioError as error:
            raise SessionError(
                _("The scenario “%(name)s” cannot be loaded: %(problem)s")
                % {"name": scenario, "problem": error.problems[0]},
                field="scenario",
            ) from None
    with transaction.atomic():
        if source is not None:
            cloud = _copy_scenario(source, name, instructor, pace)
        assert cloud is not None
        if pace is not None and cloud.pace != pace:
            cloud.pace = pace
            cloud.save(update_fields=["pace"])
        session = _create_with_code(
            name=name,
            cloud=cloud,
            owner=instructor,
            pace=cloud.pace,
            quota_instances=checked_quota.instances,
            quota_cores=checked_quota.cores,
            quota_ram=checked_quota.ram,
            scenario=scenario or "",
            show_scores=bool(show_scores),
        )
    return session


def _copy_scenario(source: Scenario, name: str, instructor: AnyUser, pace: float | None) -> Cloud:
    """A fresh cloud from the scenario, named after the session; instance uuids are unique across
    clouds, so the copy's instances get new ones."""
    base = slugify(name)[:48].strip("-") or "session"
    cloud_name, n = base, 1
    while Cloud.objects.filter(name=cloud_name).exists():
        n += 1
        cloud_name = f"{base}-{n}"
    copy = replace(
        source, name=cloud_name, instances=tuple(replace(i, uuid=str(uuid.uuid4())) for i in source.instances)
    )
    try:
        cloud = create_cloud(copy, pace=pace)
    except ScenarioError as error:
        raise SessionError(_("The scenario cannot be copied: %(problem)s") % {"problem": error.problems[0]}) from None
    cloud.title = name
    cloud.save(update_fields=["title"])
    project, _created = Project.objects.get_or_create(cloud=cloud, name=INSTRUCTORS_PROJECT)
    Quota.objects.get_or_create(project=project)
    Membership.objects.update_or_create(user_id=instructor.pk, project=project, defaults={"role": Role.INSTRUCTOR})
    return cloud


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _create_with_code(**fields: Any) -> ClassSession:
    """25^6 codes: a clash with an open session is rare; the partial unique index decides."""
    for _attempt in range(20):
        try:
            with transaction.atomic():
                return ClassSession.objects.create(code=new_code(), **fields)
        except IntegrityError:
            continue
    raise SessionError(_("Could not find a free join code; try again."), status=503)


# -- join ---------------------------------------------------------------------------------------


def check_nickname(session: ClassSession, nickname: Any, *, exclude_user: Any = None) -> str:
    if not isinstance(nickname, str) or not nickname.strip():
        raise SessionError(_("Choose a nickname the class will see."), field="nickname")
    nickname = " ".join(nickname.split())
    problem = column_problem(Participant, "nickname", nickname)
    if problem:
        raise SessionError(_("The nickname %(problem)s") % {"problem": problem}, field="nickname")
    invisible = next((ch for ch in nickname if unicodedata.category(ch) in ("Cf", "Co", "Cn")), None)
    if invisible is not None:
        raise SessionError(
            _("The nickname contains the invisible or unassigned character U+%(code)04X.") % {"code": ord(invisible)},
            field="nickname",
        )
    if len(nickname) < 2:
        raise SessionError(_("The nickname must be at least 2 characters long."), field="nickname")
    taken = Participant.objects.filter(session=session, nickname__iexact=nickname)
    if exclude_user is not None:
        taken = taken.exclude(user_id=exclude_user)
    if taken.exists():
        raise SessionError(
            _("The nickname “%(nickname)s” is taken in this session; choose another.") % {"nickname": nickname},
            field="nickname",
            status=409,
        )
    return nickname


def join(session: ClassSession, *, user: AnyUser | None = None, nickname: str | None = None) -> Participant:
    """Steps: refuse an ended session; a user already in it gets their participant back (its
    membership and quota repaired); else check who joins (not an instructor of the session, not a
    guest of another session) and the nickname, then create, in one transaction, the guest user
    if there is no user, the project with its quota and membership, and the participant; after
    commit, ``session.participant_joined``."""
    if session.is_ended:
        raise SessionError(_("This session has ended."), status=404)
    if user is not None and user.is_authenticated:
        existing = participant_for(user, session)
        if existing is not None:
            with transaction.atomic():
                _give_project(session, existing.user, existing.project)
            return existing
        if is_session_instructor(user, session):
            raise SessionError(_("You teach this session: open its lobby instead of joining it."), status=409)
        if guest_session_of(user) is not None:
            raise SessionError(_("A guest can only be in the session they joined."), status=403)
        chosen = nickname if nickname else (user.get_full_name() or user.get_username())  # type: ignore[union-attr]
        name = _free_nickname(session, chosen[:NICKNAME_MAX]) if not nickname else check_nickname(session, nickname)
    else:
        user = None
        name = check_nickname(session, nickname)
    try:
        with transaction.atomic():
            locked = ClassSession.objects.select_for_update().get(pk=session.pk)
            if locked.is_ended:
                raise SessionError(_("This session has ended."), status=404)
            is_guest = user is None
            if user is None:
                user = _guest_user(session, name)
            project = Project.objects.create(cloud_id=session.cloud_id, name=_project_name(session, name))
            _give_project(session, user, project)
            participant = Participant.objects.create(
                session=session, user=user, nickname=name, is_guest=is_guest, project=project
            )
            publish_participant(participant, "session.participant_joined")
    except IntegrityError:
        # Two joins at once: the same user (return theirs) or the same nickname (refuse).
        if user is not None and getattr(user, "pk", None) and (again := participant_for(user, session)):
            return again
        raise SessionError(
            _("The nickname “%(nickname)s” is taken in this session; choose another.") % {"nickname": name},
            field="nickname",
            status=409,
        ) from None
    return participant


def _guest_user(session: ClassSession, nickname: str) -> Any:
    User = get_user_model()
    guest = User(username=f"guest-{session.code.lower()}-{secrets.token_hex(4)}", first_name=nickname[:150])
    guest.set_unusable_password()
    guest.save()
    return guest


def _free_nickname(session: ClassSession, wanted: str) -> str:
    """A real user's name as their nickname, numbered if someone has it already."""
    base = " ".join(wanted.split()) or "student"
    taken = {n.casefold() for n in Participant.objects.filter(session=session).values_list("nickname", flat=True)}
    name, n = base, 1
    while name.casefold() in taken:
        n += 1
        suffix = f" {n}"
        name = base[: NICKNAME_MAX - len(suffix)] + suffix
    return name


def _project_name(session: ClassSession, nickname: str) -> str:
    """``s<session>-<nickname as a slug>``, numbered if the cloud has that project already."""
    base = f"s{session.pk}-{slugify(nickname)[:40].strip('-') or 'student'}"
    name, n = base, 1
    while Project.objects.filter(cloud_id=session.cloud_id, name=name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def _give_project(session: ClassSession, user: Any, project: Project) -> None:
    Quota.objects.get_or_create(
        project=project,
        defaults={"instances": session.quota_instances, "cores": session.quota_cores, "ram": session.quota_ram},
    )
    Membership.objects.get_or_create(user=user, project=project, defaults={"role": Role.STUDENT})


def record_guest_login(participant: Participant, session_key: str | None) -> None:
    """Remember the guest's Django session, which ``end_session`` deletes."""
    if participant.is_guest and session_key and participant.session_key != session_key:
        participant.session_key = session_key
        participant.save(update_fields=["session_key"])


# -- state --------------------------------------------------------------------------------------


def check_instructor(session: ClassSession, by: AnyUser) -> None:
    if not is_session_instructor(by, session):
        raise SessionError(_("Only the session's instructors can do that."), status=403)


def set_state(session: ClassSession, state: str, by: AnyUser) -> ClassSession:
    """Move the session to ``state`` if ``TRANSITIONS`` allows it; ``ended`` is ``end_session``."""
    if state not in State.values:
        raise SessionError(
            _("“%(state)s” is not a session state (%(states)s).")
            % {"state": str(state)[:20], "states": ", ".join(State.values)},
            field="state",
        )
    check_instructor(session, by)
    if state == State.ENDED:
        return end_session(session, by)
    with transaction.atomic():
        locked = ClassSession.objects.select_for_update().get(pk=session.pk)
        if state not in TRANSITIONS[locked.state]:
            raise SessionError(
                _("A session that is %(current)s cannot become %(state)s.")
                % {"current": State(locked.state).label, "state": State(state).label},
                field="state",
                status=409,
            )
        locked.state = state
        fields = ["state"]
        if state == State.RUNNING and locked.started_at is None:
            locked.started_at = timezone.now()
            fields.append("started_at")
        locked.save(update_fields=fields)
        publish_state(locked, by)
    _refresh(session, locked)
    return session


def end_session(session: ClassSession, by: AnyUser) -> ClassSession:
    """Steps: lock the session, refuse one already ended; mark it ended; deactivate its guests and
    delete their Django sessions (the revocation signals close their sockets with 4401 after
    commit); after commit, ``session.state`` and the presence counts forgotten."""
    check_instructor(session, by)
    with transaction.atomic():
        locked = ClassSession.objects.select_for_update().get(pk=session.pk)
        if locked.is_ended:
            raise SessionError(_("This session has ended already."), status=409)
        locked.state = State.ENDED
        locked.ended_at = timezone.now()
        locked.save(update_fields=["state", "ended_at"])
        guests = list(locked.participants.guests().select_related("user"))
        for guest in guests:
            guest.user.is_active = False
            guest.user.save(update_fields=["is_active"])
        keys = [g.session_key for g in guests if g.session_key]
        for stored in Session.objects.filter(session_key__in=keys):
            stored.delete()  # one by one: each deletion tells that session's sockets
        publish_state(locked, by)
        transaction.on_commit(lambda: forget_presence(locked.pk), robust=True)
    _refresh(session, locked)
    return session


def _refresh(session: ClassSession, saved: ClassSession) -> None:
    for field in ("state", "started_at", "ended_at"):
        setattr(session, field, getattr(saved, field))
