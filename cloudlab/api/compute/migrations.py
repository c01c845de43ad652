"""os-migrations (admin): the cloud's resizes, cold and live migrations and evacuations, as
``openstack server migration list`` shows them, from the same Migration rows the resource
tracker counts. ``migration_type`` and links from 2.23, ``uuid`` and paging from 2.59,
``user_id``/``project_id`` from 2.80."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse

from cloudlab.api.auth import project_id, user_id_for_pk
from cloudlab.compute.ids import is_uuid
from cloudlab.compute.models import Migration

from .base import Call, endpoint, ok
from .hypervisors import stable_uuid
from .paging import next_links, page

#: Nova's ``migration_type`` for each kind.
MIGRATION_TYPES = {
    Migration.Kind.RESIZE: "resize",
    Migration.Kind.MIGRATION: "migration",
    Migration.Kind.LIVE_MIGRATION: "live-migration",
    Migration.Kind.EVACUATION: "evacuation",
}


def _time(moment: Any) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")


def migration_body(call: Call, move: Migration) -> dict[str, Any]:
    source = move.source_host.name
    dest = move.dest_host.name if move.dest_host else None
    body: dict[str, Any] = {
        "id": move.pk,
        "source_node": source,
        "dest_node": dest,
        "source_compute": source,
        "dest_compute": dest,
        "dest_host": move.dest_host.host_ip if move.dest_host else None,
        "source_region": "RegionOne",
        "dest_region": "RegionOne",
        "status": move.status,
        "instance_uuid": str(move.instance.uuid),
        "old_instance_type_id": move.old_flavor_id,
        "new_instance_type_id": move.new_flavor_id,
        "created_at": _time(move.created_at),
        "updated_at": _time(move.updated_at),
    }
    if call.at_least("2.23"):
        body["migration_type"] = MIGRATION_TYPES.get(move.kind, move.kind)
        if move.kind == Migration.Kind.LIVE_MIGRATION and move.status in Migration.IN_PROGRESS:
            body["links"] = call.links(f"servers/{move.instance.uuid}/migrations/{move.pk}")
    if call.at_least("2.59"):
        body["uuid"] = stable_uuid("migration", move.pk)
    if call.at_least("2.80"):
        body["user_id"] = user_id_for_pk(move.instance.user_id) if move.instance.user_id else None
        body["project_id"] = project_id(move.instance.project)
    return body


def _list(call: Call) -> HttpResponse:
    call.require_admin("os_compute_api:os-migrations:index")
    moves = Migration.objects.filter(instance__cloud=call.cloud).select_related(
        "instance", "instance__project", "source_host", "dest_host"
    )
    params = call.request.GET
    if params.get("status"):
        moves = moves.filter(status=params["status"])
    if params.get("migration_type"):
        kinds = [k for k, v in MIGRATION_TYPES.items() if v == params["migration_type"]]
        moves = moves.filter(kind__in=kinds)
    if params.get("source_compute"):
        moves = moves.filter(source_host__name=params["source_compute"])
    if params.get("host"):
        name = params["host"]
        moves = moves.filter(source_host__name=name) | moves.filter(dest_host__name=name)
    if params.get("instance_uuid"):
        wanted = params["instance_uuid"]
        moves = moves.filter(instance__uuid=wanted) if is_uuid(wanted) else moves.none()
    ordered = list(moves.order_by("-created_at", "-id"))
    if call.at_least("2.59"):
        chosen, full = page(call, ordered, lambda m: stable_uuid("migration", m.pk))
    else:
        chosen, full = ordered, False
    body: dict[str, Any] = {"migrations": [migration_body(call, m) for m in chosen]}
    if full:
        body["migrations_links"] = next_links(call, "os-migrations", stable_uuid("migration", chosen[-1].pk))
    return ok(body)


migration_list = endpoint(GET=_list)
