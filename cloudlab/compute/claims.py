"""Claims on a compute host's resources and the action log's open events: the pieces the build
pipeline and the instance actions share. A claim runs under the host's row lock and re-checks
the fit with the engine's one capacity rule (``resources.claim_shortfalls``).

A claim holds the flavor plus the host driver's per-instance memory overhead (classic era:
Nova's ``Claim.memory_mb`` = flavor + ``estimate_instance_overhead``; the overhead is the host
kind's figure in the cited model), and a release gives back the same amount
(``HostResources.claimed_memory_mb``)."""

from __future__ import annotations

from django.utils import timezone

from cloudlab.engine.resources import Shortfall, claim_shortfalls

from .audit import expected_usage
from .models import Flavor, Host, InstanceAction

USAGE_FIELDS = ["vcpus_used", "memory_mb_used", "local_gb_used"]


def lock_host(host_id: int) -> Host:
    return Host.objects.select_for_update().select_related("cloud").get(pk=host_id)


def try_claim(host_id: int, flavor: Flavor, era: str) -> tuple[Host | None, list[Shortfall]]:
    """Lock the host and add ``flavor`` to its usage if it still fits; else say what it lacks."""
    return _claim_locked(lock_host(host_id), flavor, era)


def _claim_locked(host: Host, flavor: Flavor, era: str) -> tuple[Host | None, list[Shortfall]]:
    resources = host.resources()
    shortfalls = claim_shortfalls(resources, flavor.size, era)  # type: ignore[arg-type]
    if shortfalls:
        return None, shortfalls
    host.set_usage(resources.consume(flavor.size))
    host.save(update_fields=USAGE_FIELDS)
    return host, []


def try_claim_named(cloud_id: int, name: str, flavor: Flavor, era: str) -> tuple[Host | None, list[Shortfall]]:
    """``try_claim`` on the cloud's host called ``name``, found and locked in one query."""
    host = Host.objects.select_for_update().select_related("cloud").get(cloud_id=cloud_id, name=name)
    return _claim_locked(host, flavor, era)


def release(host_id: int, flavor: Flavor) -> None:
    host = lock_host(host_id)
    host.set_usage(host.resources().release(flavor.size))
    host.save(update_fields=USAGE_FIELDS)


def finish_open_events(action: InstanceAction, result: str, details: str = "") -> None:
    """Close the action log's events still running (a phase ended, or the action did)."""
    action.events.filter(finish_time__isnull=True).update(finish_time=timezone.now(), result=result, details=details)


def recount_usage(cloud_id: int) -> list[str]:
    """Set every host's usage of the cloud to what it holds, as the ResourceTracker's periodic
    ``update_available_resource`` does; returns the names of the hosts that changed.

    Needed when what an instance holds changes under instances already placed: the cloud's era
    switched (a classic-era host counts the driver's overhead, a placement-era host none).
    """
    changed = []
    for host in Host.objects.select_for_update().select_related("cloud").filter(cloud_id=cloud_id):
        usage = expected_usage(host)
        if (host.vcpus_used, host.memory_mb_used, host.local_gb_used) != (
            usage.vcpus_used,
            usage.memory_mb_used,
            usage.local_gb_used,
        ):
            host.set_usage(host.resources().with_usage(usage))
            host.save(update_fields=USAGE_FIELDS)
            changed.append(host.name)
    return changed
