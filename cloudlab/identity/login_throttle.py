"""Repeated failed logins are throttled, per user name from one address and per address.

A classroom shares one NAT address, so locking an address after a handful of failures would let
one student (or one typo-prone morning) lock out the whole class. Two counters instead:

1. **user name + address** (``CLOUDLAB_LOGIN_FAILURE_LIMIT``, default 5): guessing one
   student's password from one place stops quickly, and the other students behind the same
   address are not affected;
2. **address** (``CLOUDLAB_LOGIN_ADDRESS_FAILURE_LIMIT``, default 50, deliberately loose): one
   address trying many user names (spraying a common password over the class list) stops too,
   long after a class's ordinary typos would.

A user name alone is never locked: anyone could then lock a student out from anywhere.

Steps of one attempt (``ThrottledModelBackend.authenticate``, so the login page and Django's
admin login both go through it):

1. a lock in force for the pair or the address refuses the attempt before the password is
   checked (``LoginLocked``; the login form shows ``Lockout.message()``);
2. a failure adds one to both counters; each counter lives ``CLOUDLAB_LOGIN_LOCKOUT`` seconds
   from its first failure (a fixed window);
3. a counter reaching its limit sets a lock until now + ``CLOUDLAB_LOGIN_LOCKOUT`` and starts
   again from 0, so after the cool-off the full allowance is back;
4. a success clears its own pair's counter (not the address's: otherwise an attacker could clear
   it by logging in to an account of their own between guesses).

Counters live in the ``login-throttle`` cache (Redis, shared by every Daphne process). If Redis
cannot be reached the attempt goes ahead unthrottled and the failure is logged: a Redis restart
must not lock the class out.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import caches
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import ngettext

logger = logging.getLogger(__name__)

CACHE_ALIAS = "login-throttle"


def now() -> float:
    """The throttle's clock (tests move it forward instead of waiting)."""
    return time.time()


@dataclass(frozen=True)
class Lockout:
    """A lock in force: until when (a UNIX time), and whether it is the pair's or the address's."""

    until: float
    scope: str  # "user" (user name + address) or "address"
    username: str

    def seconds_left(self) -> int:
        return max(1, math.ceil(self.until - now()))

    def message(self) -> str:
        minutes = math.ceil(self.seconds_left() / 60)
        at = time_format(timezone.localtime(datetime.fromtimestamp(self.until, tz=UTC)), "H:i")
        if self.scope == "user":
            text = ngettext(
                "Too many failed sign-ins as %(username)s from this address. "
                "Try again after %(time)s (in %(minutes)d minute).",
                "Too many failed sign-ins as %(username)s from this address. "
                "Try again after %(time)s (in %(minutes)d minutes).",
                minutes,
            )
        else:
            text = ngettext(
                "Too many failed sign-ins from this network address. Try again after %(time)s (in %(minutes)d minute).",
                "Too many failed sign-ins from this network address. "
                "Try again after %(time)s (in %(minutes)d minutes).",
                minutes,
            )
        return text % {"username": self.username, "time": at, "minutes": minutes}


class LoginLocked(PermissionDenied):
    """Raised by the backend: ``authenticate()`` stops there and checks no password."""

    def __init__(self, lockout: Lockout) -> None:
        super().__init__(lockout.message())
        self.lockout = lockout


def client_address(request: HttpRequest) -> str:
    """The address the request came from. Behind a reverse proxy run Daphne with
    ``--proxy-headers`` so this is the client's, not the proxy's (README, HTTPS)."""
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _key(kind: str, *parts: str) -> str:
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:32]
    return f"login:{kind}:{digest}"


def _scopes(request: HttpRequest, username: str) -> list[tuple[str, str, int]]:
    """(scope, key suffix, limit) for each counter that applies to this attempt."""
    address = client_address(request)
    return [
        ("user", _key("pair", username.casefold(), address), settings.CLOUDLAB_LOGIN_FAILURE_LIMIT),
        ("address", _key("addr", address), settings.CLOUDLAB_LOGIN_ADDRESS_FAILURE_LIMIT),
    ]


def lockout(request: HttpRequest | None, username: str | None) -> Lockout | None:
    """The lock in force for this user name from this request's address, if any."""
    if request is None or not username:
        return None
    cache = caches[CACHE_ALIAS]
    try:
        for scope, key, _limit in _scopes(request, username):
            until = cache.get(f"{key}:lock")
            if until is not None and float(until) > now():
                return Lockout(until=float(until), scope=scope, username=username)
    except Exception:  # Redis unreachable: throttle nothing rather than refuse every login.
        logger.exception("login throttle: cannot read the %s cache; not throttling", CACHE_ALIAS)
    return None


def record_failure(request: HttpRequest, username: str) -> None:
    """Count a failed attempt in both counters; lock whichever reaches its limit."""
    cache = caches[CACHE_ALIAS]
    window = settings.CLOUDLAB_LOGIN_LOCKOUT
    try:
        for scope, key, limit in _scopes(request, username):
            count_key = f"{key}:count"
            cache.add(count_key, 0, timeout=window)
            try:
                count = cache.incr(count_key)
            except ValueError:  # expired between add and incr: this failure starts a new window
                cache.set(count_key, 1, timeout=window)
                count = 1
            if count >= limit:
                until = now() + window
                cache.set(f"{key}:lock", until, timeout=window + 1)
                cache.delete(count_key)
                logger.warning(
                    "login throttle: %s locked for %d s after %d failures (user %r from %s)",
                    scope,
                    window,
                    count,
                    username,
                    client_address(request),
                )
    except Exception:
        logger.exception("login throttle: cannot write the %s cache; failure not counted", CACHE_ALIAS)


def record_success(request: HttpRequest, username: str) -> None:
    """A correct password clears the pair's counter (never the address's)."""
    _scope, key, _limit = _scopes(request, username)[0]
    try:
        caches[CACHE_ALIAS].delete(f"{key}:count")
    except Exception:
        logger.exception("login throttle: cannot write the %s cache", CACHE_ALIAS)


class ThrottledModelBackend(ModelBackend):
    """Django's ModelBackend behind the throttle: every password login (the login page, the
    admin's) is counted and refused while locked."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if request is None or username is None or password is None:
            return super().authenticate(request, username=username, password=password, **kwargs)
        locked = lockout(request, username)
        if locked is not None:
            raise LoginLocked(locked)
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            record_failure(request, username)
        else:
            record_success(request, username)
        return user

    async def aauthenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        # ModelBackend's own async path would skip the throttle.
        return await sync_to_async(self.authenticate)(request, username=username, password=password, **kwargs)
