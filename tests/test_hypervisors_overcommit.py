"""Admin → Hypervisors: a host used beyond its limits says so per resource (``over``), from the
server's one rule."""

import pytest
from django.test import Client
from django.urls import reverse

from cloudlab.compute.models import Host

NOT_OVER = {"vcpus": False, "memory_mb": False, "local_gb": False}


@pytest.fixture
def ivy_client(ivy):
    client = Client()
    client.force_login(ivy)
    return client


def _rows(client):
    return {h["name"]: h for h in client.get(reverse("dashboard:hypervisors-rows")).json()["hosts"]}


def test_a_ratio_lowered_below_the_usage_marks_that_resource_only(ivy_client):
    # compute-kvm1 holds 512 + 2048 MB; 32768 × 0.05 = 1638.4 MB is below it.
    assert _rows(ivy_client)["compute-kvm1"]["over"] == NOT_OVER
    Host.objects.filter(name="compute-kvm1").update(ram_allocation_ratio=0.05)
    rows = _rows(ivy_client)
    assert rows["compute-kvm1"]["over"] == {**NOT_OVER, "memory_mb": True}
    assert (rows["compute-kvm1"]["memory_mb_used"], rows["compute-kvm1"]["limits"]["memory_mb"]) == (2560, 1638.4)
    assert all(rows[name]["over"] == NOT_OVER for name in rows if name != "compute-kvm1")


@pytest.mark.books_unbalanced  # the usage is set by hand, at the limit and one MB past it
def test_the_placement_era_marks_by_placements_rule(ivy_client, demo_cloud):
    # compute-vbox: (8192 − 512) × 1.0 = 7680 MB for instances, so 512 + 7680 used is at the limit.
    demo_cloud.era = "placement"
    demo_cloud.save(update_fields=["era"])
    Host.objects.filter(name="compute-vbox").update(ram_allocation_ratio=1.0, memory_mb_used=512 + 7680)
    assert _rows(ivy_client)["compute-vbox"]["over"]["memory_mb"] is False
    Host.objects.filter(name="compute-vbox").update(memory_mb_used=512 + 7681)
    assert _rows(ivy_client)["compute-vbox"]["over"] == {**NOT_OVER, "memory_mb": True}
