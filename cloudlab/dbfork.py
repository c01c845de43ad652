"""A database pool never crosses a fork.

A process forked after it used PostgreSQL (the tests' Daphne, a prefork Celery child) would
inherit its parent's pool: the parent's sockets, and no worker threads (they do not survive a
fork). Two processes talking on one socket corrupt both sessions. settings.py registers
:func:`forget_pools_after_fork` when the pool is configured; the child then builds its own pool
on first use. Imported by settings.py, so it imports nothing that reads settings.
"""

from __future__ import annotations

import os
import sys

from django.db import connections


def _forget_inherited_pools() -> None:
    """In a forked child: drop (never close) the parent's pools and pooled connections.

    Closing would end the parent's sessions; a dropped psycopg connection says no goodbye from a
    process other than the one that opened it."""
    backend = sys.modules.get("django.db.backends.postgresql.base")
    if backend is None:
        return  # no PostgreSQL connection was ever made in the parent
    for wrapper in connections.all(initialized_only=True):
        if wrapper.connection is not None and hasattr(wrapper.connection, "_pool"):
            wrapper.connection = None
    backend.DatabaseWrapper._connection_pools.clear()


_registered = False


def forget_pools_after_fork() -> None:
    """Make every process forked from this one start without its parent's pools."""
    global _registered
    if not _registered:
        os.register_at_fork(after_in_child=_forget_inherited_pools)
        _registered = True
