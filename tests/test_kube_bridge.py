"""The bridge page: one workload through Nova's FilterScheduler and the kube-scheduler on the
demo cloud's hosts, read-only; a flavor too big for every host, a zone, a server group, the
names of other projects' instances, bad input."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from cloudlab.compute.models import Aggregate, Flavor, Host, Instance, SchedulingRecord
from cloudlab.kube.models import Cluster, KubeObject

URL = reverse("kube:bridge")


def _page(client: Any, user: Any, **query: str) -> Any:
    client.force_login(user)
    return client.get(URL, query)


def _row(replica: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    rows = replica["filter_rows"] if kind == "filter" else replica["score_rows"]
    return next(r for r in rows if any(s["name"] == name for s in r["nova"] + r["kube"]))


def _stage(row: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in row["nova"] + row["kube"] if s["name"] == name)


def _removed(stage: dict[str, Any]) -> set[str]:
    return {v["host"] for v in stage["removed"]}


def test_a_flavor_too_big_for_every_host_is_no_valid_host_and_failed_scheduling(client, alice, demo_cloud):
    Flavor.objects.create(cloud=demo_cloud, flavorid="huge", name="x1.huge", vcpus=64, memory_mb=65536, root_gb=10)
    hosts = Host.objects.filter(cloud=demo_cloud)
    assert all(h.vcpus < 64 and h.memory_mb * 1.5 < 65536 for h in hosts)
    response = _page(client, alice, flavor="huge")
    assert response.status_code == 200
    result = response.context["result"]
    assert result["nova_error"]["type"] == "NoValidHost"
    n = hosts.count()
    # every host lacks both: all reasons of NodeResourcesFit are counted, in sorted order
    expected = f"0/{n} nodes are available: {n} Insufficient cpu, {n} Insufficient memory."
    kube = result["replicas"][0]["outcome"]["kube"]
    assert kube["selected"] is None and kube["event"] == "FailedScheduling"
    assert kube["message"].startswith(expected)
    body = response.content.decode()
    assert "No valid host was found. There are not enough hosts available." in body
    assert expected in body
    fit = _row(result["replicas"][0], "filter", "RamFilter")
    assert _removed(_stage(fit, "RamFilter")) == set(hosts.values_list("name", flat=True))
    assert _removed(_stage(fit, "NodeResourcesFit")) == set(hosts.values_list("name", flat=True))


def test_memory_only_short_says_insufficient_memory_only(client, alice, demo_cloud):
    # 8 GB on 8 GB hosts: Nova's RamFilter (× 1.5) takes them, allocatable (− reserved − 100Mi) does not
    response = _page(client, alice, flavor=Flavor.objects.get(cloud=demo_cloud, name="m1.large").flavorid)
    replica = response.context["result"]["replicas"][0]
    fit = _row(replica, "filter", "RamFilter")
    assert _removed(_stage(fit, "RamFilter")) == set()
    kube_out = {v["host"]: v["reason"] for v in _stage(fit, "NodeResourcesFit")["removed"]}
    assert kube_out == {"compute-vbox": "Insufficient memory", "compute-lxc": "Insufficient memory"}
    assert any("allocatable" in note["difference"] for note in fit["notes"])


def test_a_zone_is_removed_by_the_same_hosts_on_both_sides(client, alice, demo_cloud):
    east = Aggregate.objects.create(cloud=demo_cloud, name="east", availability_zone="east")
    for host in Host.objects.filter(cloud=demo_cloud, name__in=["compute-kvm2", "compute-lxc"]):
        host.aggregates.add(east)
        host.availability_zone = "east"
        host.save(update_fields=["availability_zone"])
    response = _page(client, alice, zone="east")
    assert response.status_code == 200
    replica = response.context["result"]["replicas"][0]
    row = _row(replica, "filter", "AvailabilityZoneFilter")
    nova = _removed(_stage(row, "AvailabilityZoneFilter"))
    kube = _removed(_stage(row, "NodeAffinity"))
    assert nova == kube == {"compute-kvm1", "compute-vbox"}
    assert {v["reason"] for v in _stage(row, "NodeAffinity")["removed"]} == {
        "node(s) didn't match Pod's node affinity/selector"
    }
    assert replica["outcome"]["nova"]["selected"] in {"compute-kvm2", "compute-lxc"}
    assert replica["outcome"]["kube"]["selected"] in {"compute-kvm2", "compute-lxc"}


def test_an_anti_affinity_group_is_n_replicas_on_different_nodes(client, alice, demo_cloud):
    small = Flavor.objects.get(cloud=demo_cloud, name="m1.small").flavorid
    response = _page(client, alice, flavor=small, anti_affinity="on", members="4")
    result = response.context["result"]
    assert len(result["replicas"]) == 4
    assert len(set(result["nova_selected"])) == 4
    assert len(set(result["kube_selected"])) == 4
    # the fourth replica: the three nodes already holding one are refused by the anti-affinity
    last = result["replicas"][3]
    row = _row(last, "filter", "InterPodAffinity")
    reasons = {v["reason"] for v in _stage(row, "InterPodAffinity")["removed"]}
    assert reasons and reasons <= {
        "node(s) didn't match pod anti-affinity rules",
        "node(s) didn't satisfy existing pods anti-affinity rules",
    }
    assert _removed(_stage(row, "InterPodAffinity")) == set(result["kube_selected"][:3])
    # Nova goes on from the previous instance's filtered hosts (classic): it removes those of them
    # that hold a member already
    nova_removed = _removed(_stage(row, "ServerGroupAntiAffinityFilter"))
    assert nova_removed and nova_removed <= set(result["nova_selected"][:3])


def test_five_members_on_four_hosts_fail_nova_whole_and_leave_one_pod_pending(client, alice, demo_cloud):
    tiny = Flavor.objects.get(cloud=demo_cloud, name="m1.tiny").flavorid
    result = _page(client, alice, flavor=tiny, anti_affinity="on", members="5").context["result"]
    assert result["nova_error"]["type"] == "NoValidHost"
    assert result["nova_selected"] == []
    assert result["kube_selected"][:4] and None not in result["kube_selected"][:4]
    assert result["kube_selected"][4] is None
    assert result["replicas"][4]["outcome"]["kube"]["message"].startswith("0/4 nodes are available:")


def test_the_live_cloud_is_unchanged_after_the_page_ran(client, alice, demo_cloud):
    def rows() -> tuple[Any, ...]:
        return (
            list(Host.objects.order_by("pk").values()),
            list(Instance.objects.order_by("pk").values()),
            SchedulingRecord.objects.count(),
            Cluster.objects.count(),
            KubeObject.objects.count(),
            list(Flavor.objects.order_by("pk").values()),
        )

    before = rows()
    small = Flavor.objects.get(cloud=demo_cloud, name="m1.small").flavorid
    assert _page(client, alice, flavor=small, anti_affinity="on", members="3").status_code == 200
    assert _page(client, alice).status_code == 200
    assert rows() == before


def test_a_student_sees_their_cloud_and_not_other_projects_names(client, alice, demo_cloud):
    response = _page(client, alice)
    result = response.context["result"]
    assert {h["host"] for h in result["hosts"]} == set(
        Host.objects.filter(cloud=demo_cloud).values_list("name", flat=True)
    )
    other = Instance.objects.get(name="course-web")
    assert other.project != response.context["project"]
    body = response.content.decode()
    assert "course-web" not in body
    kvm1 = next(h for h in result["hosts"] if h["host"] == "compute-kvm1")
    # the instance still holds its flavor on the node, under an anonymous name
    assert kvm1["kube"]["pods"] == 1 and kvm1["kube"]["cpu_requested"] == other.flavor.vcpus * 1000


def test_members_without_the_group_are_one_instance(client, alice, demo_cloud):
    response = _page(client, alice, members="abc")
    assert response.status_code == 200
    assert len(response.context["result"]["replicas"]) == 1


def test_the_page_needs_a_login(client, demo_cloud):
    response = client.get(URL)
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ({"flavor": "no-such"}, "flavor", "There is no flavor no-such"),
        ({"zone": "mars"}, "zone", "There is no availability zone mars"),
        ({"anti_affinity": "on", "members": "99"}, "members", "2 to 10 members, not 99"),
        ({"anti_affinity": "on", "members": "1"}, "members", "not 1"),
        ({"anti_affinity": "on", "members": "three"}, "members", "not three"),
        ({"anti_affinity": "on", "members": "-4"}, "members", "not -4"),
    ],
)
def test_bad_input_answers_400_with_the_message(client, alice, query, field, words):
    response = _page(client, alice, **query)
    assert response.status_code == 400
    assert response.context["error"].field == field
    assert words in response.content.decode()
    assert response.context["result"] is None


def test_a_disabled_host_is_cordoned_and_a_down_host_unreachable(client, alice, demo_cloud):
    Host.objects.filter(cloud=demo_cloud, name="compute-kvm1").update(enabled=False, disabled_reason="maintenance")
    Host.objects.filter(cloud=demo_cloud, name="compute-kvm2").update(up=False)
    replica = _page(client, alice).context["result"]["replicas"][0]
    row = _row(replica, "filter", "ComputeFilter")
    assert _removed(_stage(row, "ComputeFilter")) == {"compute-kvm1", "compute-kvm2"}
    cordon = {v["host"]: v["reason"] for v in _stage(row, "NodeUnschedulable")["removed"]}
    assert cordon == {"compute-kvm1": "node(s) were unschedulable"}
    taint = {v["host"]: v["reason"] for v in _stage(row, "TaintToleration")["removed"]}
    assert taint == {"compute-kvm2": "node(s) had untolerated taint {node.kubernetes.io/unreachable: }"}
    assert replica["outcome"]["kube"]["selected"] not in {"compute-kvm1", "compute-kvm2"}
