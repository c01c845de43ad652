"""The conversation between OpenStack's services behind every operation (issue 15).

One table per operation (``tables.py``), each row a message one service sends another, read
from Nova 34's source (``../shared/reference/nova-flow.md``): rows that only one era has are
marked with it, so the classic era (Icehouse–Newton: nova-network, no Placement, reschedules
through the scheduler and RetryFilter) and the placement era (today's Nova: Placement
allocations, alternates claimed by the conductor, cells v2) come from the same table. The
worker's steps, the sequence diagram, the replay and the tests all read it.

Contract (what the pages and the worker rely on):

* ``flow(operation, era, *, count=1, outcome=None, variant=None) -> Flow``: the messages, in
  order. ``operation`` is ``"create"`` (a boot, ``lifecycle.BUILD``) or a row action of
  ``lifecycle.ACTIONS`` (``"reboot_soft"``, ``"live_migrate"`` …); ``era`` is ``"classic"`` or
  ``"placement"``; ``count`` the number of instances of a boot (per-instance rows repeat, with
  ``Message.instance`` 1…N; the shared cast and the one scheduler call do not). ``outcome``
  (``OUTCOMES``) changes the flow as Nova does: the failed message is marked
  ``status="failed"`` and the rows after it are what Nova does next (a reschedule to an
  alternate, the error written, or nothing at all because nova-api refused). ``variant``
  (``VARIANTS``) picks the plan's branch where the lifecycle plan has one (a local delete, the
  unshelve of a shelved instance, a rebuild of a stopped one …); ``variant_of`` computes it
  from what the request found.
* ``Message``: ``seq`` (1-based position), ``src`` and ``dst`` (keys of ``SERVICES``),
  ``kind`` (``KINDS``: ``http``, ``rpc_cast``, ``rpc_call``, ``rpc_fanout``, ``reply``,
  ``db_write``, ``db_read``, ``driver``, ``local``), ``name`` (Nova's own: ``"POST /v2.1/servers"``,
  ``"schedule_and_build_instances"``, a table name, a driver method), ``detail`` (columns
  written, the body, the queue: English, not translated, Nova's words), ``task_state`` (the
  task_state the message coincides with, as the instance has it while the message is sent),
  ``step`` (the lifecycle plan step it belongs to: ``"api"`` for nova-api's part of the request,
  else a step key, see below), ``ref`` (the reference's row, ``"2.1#13"``), ``era`` (None: both
  eras; else the one era the row belongs to), ``instance`` (1…N for a boot's per-instance rows,
  0 for rows of the whole request), ``status`` (``"ok"``, ``"failed"``, ``"skipped"``) and
  ``note`` (why it failed, what Nova does next; a sentence marked with ``N_``).
  ``Message.to_json()`` is the dict the pages and the live event carry.
* Step keys: a plan step with an action-log event (``compute_build_and_run_instance``-style
  names: ``schedule_instances``, ``compute_spawn``, ``conductor_live_migrate_instance`` …) is
  keyed by that event; a step without one (the final state write, an intermediate task change)
  by ``"<phase event>#<n>"``, the n-th eventless step since that event (``"api#n"`` before any
  event: nova-api's local delete). ``step_keys(plan)`` gives them for a ``lifecycle.Plan``.
* ``messages_for_step(operation, era, step_event, *, count=1, outcome=None, variant=None,
  instance=None) -> list[Message]``: the messages of one step (``"api"`` for nova-api's).
* ``SERVICES``: the deployment's services, key → ``Service`` (label marked with ``N_``, node
  ``"controller"`` or ``"compute"``, the eras it exists in, its transport).
* ``OPERATIONS``: every operation there is a table for.

Pure: no Django, no I/O.
"""

from __future__ import annotations

from .model import (
    ERAS,
    KINDS,
    OUTCOMES,
    SERVICES,
    STATUSES,
    Flow,
    Message,
    Service,
)
from .tables import OPERATIONS, VARIANTS, flow, messages_for_step, step_keys, variant_of

__all__ = [
    "ERAS",
    "KINDS",
    "OPERATIONS",
    "OUTCOMES",
    "SERVICES",
    "STATUSES",
    "VARIANTS",
    "Flow",
    "Message",
    "Service",
    "flow",
    "messages_for_step",
    "step_keys",
    "variant_of",
]
