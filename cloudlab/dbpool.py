"""When the database has no connection to spare: answer 503 with a clear message, never a traceback.

On PostgreSQL every CloudLab process borrows its connections from one bounded pool (Django's
``OPTIONS["pool"]``, psycopg_pool; sized in settings.py from ``CLOUDLAB_DB_POOL_*``). A request
that cannot borrow one within ``CLOUDLAB_DB_POOL_TIMEOUT`` seconds fails where Django connects:
``DatabaseWrapper.get_new_connection`` calls ``pool.getconn()``, which raises
``psycopg_pool.PoolTimeout`` (a ``psycopg.OperationalError``), and ``ensure_connection``'s
``wrap_database_errors`` re-raises it as ``django.db.OperationalError`` with the PoolTimeout as
its ``__cause__``. :func:`pool_exhausted` recognises that chain (and PostgreSQL's own refusals
at connect, "too many clients"); :class:`DatabaseBusyMiddleware` turns it into a 503.

For Celery tasks (a worker thread that waits too long for a connection): the same chain reaches
the task, so retry on ``TRANSIENT_DATABASE_ERRORS``, or more narrowly when
``pool_exhausted(exc)`` is true. Nothing was written when that happens: the connection is taken
before the first query.

A pool never crosses a fork: cloudlab/dbfork.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import connection, connections
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from psycopg_pool import PoolTimeout, TooManyRequests

log = logging.getLogger(__name__)

#: What a task may retry when the database is briefly out of reach: Django's wrappers of
#: psycopg's errors (a pool timeout, a connection refused or dropped). Both are safe to retry
#: for CloudLab's tasks, whose every step is a compare-and-swap.
TRANSIENT_DATABASE_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)

#: PostgreSQL's refusals at connect time: too_many_connections, cannot_connect_now.
_REFUSED_SQLSTATES = {"53300", "57P03"}

#: Seconds a client is asked to wait before it tries again (the Retry-After header).
RETRY_AFTER = 5


def pool_exhausted(error: BaseException) -> bool:
    """Whether ``error`` says that no database connection could be had in time.

    Walks the exception's causes: Django raises ``django.db.OperationalError`` *from* psycopg's
    exception, so the pool's ``PoolTimeout`` (or ``TooManyRequests`` when ``max_waiting`` is
    set) is the ``__cause__``; a raw one (outside Django's wrapper) counts as well."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (PoolTimeout, TooManyRequests)):
            return True
        if getattr(current, "sqlstate", None) in _REFUSED_SQLSTATES:
            return True
        current = current.__cause__
    return False


def busy_message() -> str:
    return _(
        "CloudLab is busy: every database connection is in use. Nothing was changed. "
        "Try again in a few seconds."
    )


def wants_html(request: HttpRequest) -> bool:
    """A browser navigating asks for text/html; the pages' fetch() calls ask for JSON (or send
    */*), and so do API clients: they get the JSON body the pages already read (``message``)."""
    return "text/html" in request.headers.get("Accept", "")


def busy_response(request: HttpRequest) -> HttpResponse:
    """503 Service Unavailable, in the request's language, with Retry-After."""
    message = busy_message()
    response: HttpResponse
    if wants_html(request):
        # Rendered without the request: the context processors would ask the database again.
        html = render_to_string(
            "dbpool/busy.html",
            {
                "message": message,
                "language": get_language(),
                "retry_url": request.get_full_path() if request.method in ("GET", "HEAD") else None,
            },
        )
        response = HttpResponse(html, status=503)
    else:
        response = JsonResponse({"ok": False, "field": None, "message": message}, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


def _uses_pool(alias: str = "default") -> bool:
    return bool(connections[alias].settings_dict.get("OPTIONS", {}).get("pool"))


class DatabaseBusyMiddleware(MiddlewareMixin):
    """503 instead of a traceback when no pooled connection can be had.

    1. ``process_request`` borrows the request's connection before anything else asks for it
       (only with a pool), so a later middleware's database work (saving the session on the
       way out) never meets an empty pool after the view has run.
    2. ``process_exception`` catches a pool timeout the view meets anyway (another database).

    Placed after LocaleMiddleware, so the message is in the request's language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        super().__init__(get_response)
        self.pooled = _uses_pool()

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        if not self.pooled:
            return None
        try:
            connection.ensure_connection()
        except OperationalError as error:
            if not pool_exhausted(error):
                raise
            return self._busy(request, error)
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not pool_exhausted(exception):
            return None
        return self._busy(request, exception)

    def _busy(self, request: HttpRequest, error: BaseException) -> HttpResponse:
        cause = error.__cause__ or error
        log.warning("503 for %s %s: no database connection (%s)", request.method, request.path, cause)
        return busy_response(request)
