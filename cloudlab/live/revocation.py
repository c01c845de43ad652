"""Ending access on open sockets: logging out, a membership lost, a session gone.

A socket decides at connect time what its user may follow; this module tells it when that
answer may have changed. Every consumer joins two access groups besides its streams: one per
user and one per session. After the change commits, a small notice goes to the group:

- ``live.session_ended`` (logging out): the session is over, the socket closes with 4401.
  The notice is the proof, because Django deletes the session only after ``user_logged_out``.
- ``live.recheck`` (a membership changed or went, the user changed or went, the session row
  was deleted): the socket asks ``cloudlab.identity.access`` again and closes with 4401 or
  4403 if the answer is no longer yes.

A session that simply expires needs no notice: each socket also re-checks on a timer
(``CLOUDLAB_LIVE_RECHECK``). Django's signals are the only seam all writers share here (the
admin, the scenario loader, cascades from a deleted cloud or user, ``clearsessions``).
"""

from __future__ import annotations

import hashlib
import logging
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from cloudlab.identity.models import Membership

from .events import layer_send

log = logging.getLogger(__name__)

SESSION_ENDED = "live.session_ended"
RECHECK = "live.recheck"


def user_group(user_id: int) -> str:
    return f"access-user-{user_id}"


def session_group(session_key: str) -> str:
    """A digest, not the key itself: the channel layer's group names are not secrets."""
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{session_key}".encode()).hexdigest()[:40]
    return f"access-session-{digest}"


def _send(group: str, kind: str) -> None:
    try:
        layer_send(group, {"type": kind})
    except Exception:
        # An open socket then keeps its access until its next timed re-check; the write that
        # caused the notice has committed and must not fail because Redis blinked.
        log.exception("could not tell %s that access changed (%s)", group, kind)


def notify_on_commit(group: str, kind: str) -> None:
    transaction.on_commit(partial(_send, group, kind), robust=True)


@receiver(user_logged_out, dispatch_uid="live-logged-out")
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    key = getattr(session, "session_key", None)
    if key:
        notify_on_commit(session_group(key), SESSION_ENDED)


@receiver(post_save, sender=Membership, dispatch_uid="live-membership-saved")
def _membership_saved(sender: Any, instance: Membership, created: bool, **kwargs: Any) -> None:
    # A new membership only widens what its user may see; a changed role may narrow it.
    if not created:
        notify_on_commit(user_group(instance.user_id), RECHECK)


@receiver(post_delete, sender=Membership, dispatch_uid="live-membership-deleted")
def _membership_deleted(sender: Any, instance: Membership, **kwargs: Any) -> None:
    notify_on_commit(user_group(instance.user_id), RECHECK)


def _user_saved(sender: Any, instance: Any, created: bool, update_fields: Any = None, **kwargs: Any) -> None:
    # Every login saves last_login; deactivation or a new password (the session hash) may end access.
    if created or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return
    notify_on_commit(user_group(instance.pk), RECHECK)


def _user_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    notify_on_commit(user_group(instance.pk), RECHECK)


@receiver(post_delete, sender=Session, dispatch_uid="live-session-deleted")
def _session_deleted(sender: Any, instance: Session, **kwargs: Any) -> None:
    notify_on_commit(session_group(instance.session_key), RECHECK)


def connect_user_signals() -> None:
    """The user model is only known once apps are ready (``LiveConfig.ready``)."""
    user_model = get_user_model()
    post_save.connect(_user_saved, sender=user_model, dispatch_uid="live-user-saved")
    post_delete.connect(_user_deleted, sender=user_model, dispatch_uid="live-user-deleted")
