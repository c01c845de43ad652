"""In the placement era a claim that loses its race walks the scheduler's alternates; the
scheduling record, written before any host is locked, ends up naming the host that was claimed
and why the first choice was not, and the action's flow shows both claims."""

import pytest

from cloudlab.compute import placement
from cloudlab.compute.flow_log import flow_of
from cloudlab.compute.models import Host, SchedulingRecord
from cloudlab.engine.scheduler import ERA_DEFAULT_FILTERS, ERA_DEFAULT_WEIGHERS
from tests import steps

pytestmark = pytest.mark.django_db


def test_the_record_names_the_alternate_that_took_the_claim(
    demo_cloud, alice, launch, monkeypatch, django_capture_on_commit_callbacks
):
    demo_cloud.era = "placement"
    demo_cloud.scheduler_config = {
        **demo_cloud.scheduler_config,
        "enabled_filters": list(ERA_DEFAULT_FILTERS["placement"]),
        "weight_classes": list(ERA_DEFAULT_WEIGHERS["placement"]),
    }
    demo_cloud.save(update_fields=["era", "scheduler_config"])
    real_decide = placement.decide
    chosen, filled = [], []

    def decide_then_someone_fills_the_host(instance, **kwargs):
        trace, moment = real_decide(instance, **kwargs)
        chosen.append(trace["selected_hosts"][0])
        filled.append(Host.objects.get(cloud=demo_cloud, name=chosen[0]).memory_mb_used)
        Host.objects.filter(cloud=demo_cloud, name=chosen[0]).update(memory_mb_used=10**6)
        return trace, moment

    monkeypatch.setattr(placement, "decide", decide_then_someone_fills_the_host)
    with django_capture_on_commit_callbacks(execute=False):
        [instance] = launch(alice)
        steps.schedule(instance)

    [record] = SchedulingRecord.objects.filter(instance=instance)
    assert record.outcome == "claimed"
    assert record.selected_host != chosen[0]
    assert record.selected_host in record.trace["alternates"]
    assert f"{chosen[0]}: memory_mb requested" in record.detail
    instance.refresh_from_db()
    assert instance.host.name == record.selected_host
    # The flow shows both claims: Placement's refusal on the first choice, then the next host's.
    [scheduling] = [s for s in flow_of(instance.actions.get(action="create")) if s["step"] == "schedule_instances"]
    assert scheduling["outcome"] == "claim_race"
    claims = [m for m in scheduling["messages"] if m["name"] == "PUT /allocations/{instance_uuid}"]
    assert [m["status"] for m in claims] == ["failed", "ok"]
    assert "Placement refused the claim" in claims[0]["note"]
    # The other claim that filled the host was never real: the books balance again without it.
    Host.objects.filter(cloud=demo_cloud, name=chosen[0]).update(memory_mb_used=filled[0])
