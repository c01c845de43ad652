"""Claims on a compute host's resources and the action log's open events: the pieces the build
pipeline and the instance actions share. A claim runs under the host's row lock and re-checks
the fit with the engine's one capacity rule (``resources.claim_shortfalls``)."""

from __future__ import annotations

from django.utils import timezone

from cloudlab.engine.resources import Shortfall, claim_shortfalls

from .models import Flavor, Host, InstanceAction

USAGE_FIELDS = ["vcpus_used", "memory_mb_used", "local_gb_used"]


def lock_host(host_id: int) -> Host:
    return Host.objects.select_for_update().select_related("cloud").get(pk=host_id)


def try_claim(host_id: int, flavor: Flavor, era: str) -> tuple[Host | None, list[Shortfall]]:
    """Lock the host and add ``flavor`` to its usage if it still fits; else say what it lacks."""
    host = lock_host(host_id)
    resources = host.resources()
    shortfalls = claim_shortfalls(resources, flavor.size, era)  # type: ignore[arg-type]
    if shortfalls:
        return None, shortfalls
    host.set_usage(resources.consume(flavor.size))
    host.save(update_fields=USAGE_FIELDS)
    return host, []


def release(host_id: int, flavor: Flavor) -> None:
    host = lock_host(host_id)
    host.set_usage(host.resources().release(flavor.size))
    host.save(update_fields=USAGE_FIELDS)


def finish_open_events(action: InstanceAction, result: str, details: str = "") -> None:
    """Close the action log's events still running (a phase ended, or the action did)."""
    action.events.filter(finish_time__isnull=True).update(finish_time=timezone.now(), result=result, details=details)
