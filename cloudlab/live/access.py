"""Who may follow which stream: the one rule the WebSocket consumer and the snapshot views share."""

from __future__ import annotations

import re

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from cloudlab.identity.models import Membership, Project, is_instructor

_STREAM = re.compile(r"^(project|cloud)-([1-9][0-9]{0,17})$")


class StreamError(ValueError):
    """A stream name that is malformed or not the user's to see."""


def parse_stream(stream: str) -> tuple[str, int]:
    match = _STREAM.match(stream)
    if not match:
        raise StreamError(f"'{stream}' is not a stream name (expected project-<id> or cloud-<id>)")
    return match.group(1), int(match.group(2))


def may_follow(user: AbstractBaseUser | AnonymousUser, stream: str) -> bool:
    kind, ident = parse_stream(stream)
    if not user.is_authenticated:
        return False
    if kind == "cloud":
        return is_instructor(user, ident)
    project = Project.objects.filter(pk=ident).only("cloud_id").first()
    if project is None:
        return False
    return Membership.objects.filter(user=user, project=project).exists() or is_instructor(user, project.cloud_id)
