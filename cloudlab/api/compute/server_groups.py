"""os-server-groups: this cloud keeps no server groups yet (the engine's affinity filters read
them, the dashboard has no way to make one), so the list is empty, a group is not found, and
creating one is refused with a clear message rather than half-made."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _

from .base import Call, endpoint, ok
from .faults import Fault


def _list(call: Call) -> HttpResponse:
    return ok({"server_groups": []})


def _create(call: Call) -> HttpResponse:
    raise Fault(
        403, _("Server groups cannot be created in this cloud: it has none (use --hint same_host/different_host).")
    )


def _show(call: Call, group_id: str) -> HttpResponse:
    raise Fault(404, f"Instance group {group_id[:80]} could not be found.")


server_group_list = endpoint(GET=_list, POST=_create)
server_group = endpoint(GET=_show, DELETE=_show)
