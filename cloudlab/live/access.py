"""Who may follow which stream: a project's stream whoever may see the project, a cloud's stream
its instructors, a class session's stream its participants and instructors, a session's staff
stream its instructors only. The rule itself is ``cloudlab.identity.access`` (and
``cloudlab.classroom.sessions`` for sessions), which the tables and pages read too."""

from __future__ import annotations

import re
from urllib.parse import urlparse

from channels.security.websocket import OriginValidator
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from cloudlab.classroom.sessions import may_follow_session, may_follow_session_staff
from cloudlab.identity.access import may_see_cloud, may_see_project

_STREAM = re.compile(r"^(project|cloud|session|session-staff)-([1-9][0-9]{0,17})$")


class StreamError(ValueError):
    """A stream name that is malformed or not the user's to see."""


def parse_stream(stream: str) -> tuple[str, int]:
    match = _STREAM.match(stream)
    if not match:
        raise StreamError(
            f"'{stream}' is not a stream name"
            " (expected project-<id>, cloud-<id>, session-<id> or session-staff-<id>)"
        )
    return match.group(1), int(match.group(2))


def may_follow(user: AbstractBaseUser | AnonymousUser, stream: str) -> bool:
    kind, ident = parse_stream(stream)
    if not user.is_authenticated:
        return False
    if kind == "cloud":
        return may_see_cloud(user, ident)
    if kind == "session":
        return may_follow_session(user, ident)
    if kind == "session-staff":
        return may_follow_session_staff(user, ident)
    return may_see_project(user, ident)


def origin_allowed(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether the socket's Origin is one of ``ALLOWED_HOSTS`` (Channels' own matching), so a page
    of another site cannot open a socket with the user's cookie. No Origin is no browser: refused."""
    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = ["localhost", "127.0.0.1", "[::1]"]
    origin = None
    for name, value in headers:
        if name == b"origin":
            try:
                origin = urlparse(value.decode("latin-1"))
            except ValueError:
                return False
    return bool(OriginValidator(None, allowed).valid_origin(origin))
