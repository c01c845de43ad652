"""A pod's scheduling decision: one PodDecision per scheduling cycle (with the nodes it saw), the
kube.changed event naming it, the decision page (the Nova scheduling view fed a pod's trace),
"why not node X?" in the Filter plugins' words, the decisions list, and access by project.

The cluster is built with the engine on nodes of its own (no VMs: no member to follow) and its
loop's rounds are run here, one call at a time, so every test is fast and deterministic."""

import time

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from cloudlab.engine.kubernetes import cluster as engine
from cloudlab.engine.kubernetes.bridge import node_from_instance
from cloudlab.engine.kubernetes.explain import why_not
from cloudlab.engine.scheduler import replay_stages
from cloudlab.kube import clusters, loop, store
from cloudlab.kube.models import Cluster, PodDecision
from tests.kube_fixtures import deployment

pytestmark = pytest.mark.django_db

SMALL = {"name": "m1.small", "vcpus": 1, "memory_mb": 2048, "root_gb": 20}


def pod(name, cpu="100m", memory="64Mi", extra=""):
    return f"""
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  labels: {{app: {name}}}
spec:
  containers:
  - name: main
    image: nginx:1.27
    resources:
      requests: {{cpu: {cpu}, memory: {memory}}}
{extra}"""


def make_cluster(project, name="lab", workers=2, flavor=SMALL):
    """A control plane (tainted, as kubeadm does) and ``workers`` worker nodes of ``flavor``."""
    cluster = Cluster.objects.create(cloud=project.cloud, project=project, name=name, epoch=time.time())
    nodes = [
        node_from_instance("cp" if i == 0 else f"worker-{i}", flavor, control_plane=i == 0) for i in range(workers + 1)
    ]
    state = engine.new_cluster(nodes, now=0.0, pace=float(project.cloud.pace))
    changes = [
        engine.Change("create", r, engine.namespace_of(r, o), o.metadata.name, o)
        for r in engine.RESOURCES
        for o in state.table(r).values()
    ]
    store.save(cluster, state, changes)
    return cluster


def rounds(cluster, n=1):
    for _ in range(n):
        loop.run_round(cluster.pk)


@pytest.fixture
def lab(alice, project_of):
    return make_cluster(project_of(alice))


def test_a_decision_is_stored_per_scheduling_cycle_with_the_nodes_it_saw(lab):
    clusters.apply_manifest(lab, pod("alpha") + "---" + pod("beta", cpu="300m"))
    rounds(lab)
    decisions = list(PodDecision.objects.filter(cluster=lab).order_by("id"))
    assert [(d.pod, d.outcome) for d in decisions] == [("alpha", "Scheduled"), ("beta", "Scheduled")]
    alpha, beta = decisions
    assert alpha.node in ("worker-1", "worker-2")
    assert alpha.message == f"Successfully assigned default/alpha to {alpha.node}"
    assert alpha.trace["driver"] == "kube-scheduler" and alpha.trace["selected_hosts"] == [alpha.node]
    assert alpha.pod_uid and alpha.cluster_time >= 0
    cards = {c["name"]: c for c in alpha.nodes}
    assert set(cards) == {"cp", "worker-1", "worker-2"}
    assert cards["worker-1"]["cpu_allocatable"] == 1000 and cards["worker-1"]["memory_allocatable_mi"] == 1948
    assert all(c["cpu_requested"] == 0 and c["pods"] == 0 for c in alpha.nodes)
    assert "node-role.kubernetes.io/control-plane:NoSchedule" in cards["cp"]["taints"]
    # beta, scheduled after alpha in the same round, saw alpha on its node
    seen = {c["name"]: c for c in beta.nodes}
    assert seen[alpha.node]["cpu_requested"] == 100 and seen[alpha.node]["pods"] == 1
    assert seen[alpha.node]["pod_names"] == ["default/alpha"]
    assert beta.node != alpha.node
    # a second round with nothing pending decides nothing
    rounds(lab)
    assert PodDecision.objects.filter(cluster=lab).count() == 2


def test_an_unschedulable_pod_gets_kubernetes_failedscheduling_text_once(lab):
    clusters.apply_manifest(lab, pod("huge", cpu="4"))
    rounds(lab, 3)
    [d] = PodDecision.objects.filter(cluster=lab)
    assert d.outcome == "FailedScheduling" and d.node == ""
    assert d.message == (
        "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
        "2 No preemption victims found for incoming pod."
    )
    stages = replay_stages(d.trace)
    assert stages[-1]["kind"] == "no_valid_host" and stages[-1]["message"] == d.message


def test_why_not_a_rejected_node_names_the_plugin_and_its_numbers(lab):
    clusters.apply_manifest(lab, pod("huge", cpu="4"))
    rounds(lab)
    d = PodDecision.objects.get(cluster=lab)
    why = why_not(d.trace, "worker-1")
    assert why["outcome"] == "filtered" and why["filter"] == "NodeResourcesFit"
    assert why["reason"] == "Insufficient cpu"
    assert why["numbers"]["cpu_req"] == 4000 and why["numbers"]["cpu_alloc"] == 1000
    assert why["explanation"] == "Filter plugin NodeResourcesFit rejected worker-1: Insufficient cpu"
    cp = why_not(d.trace, "cp")
    assert cp["filter"] == "TaintToleration" and "untolerated taint" in cp["reason"]
    with pytest.raises(ValueError):
        why_not(d.trace, "nowhere")


def test_why_the_chosen_node_and_why_not_the_other_worker(lab):
    clusters.apply_manifest(lab, pod("hog", cpu="600m", memory="1Gi"))
    rounds(lab)
    clusters.apply_manifest(lab, pod("web"))
    rounds(lab)
    hog, web = PodDecision.objects.filter(cluster=lab).order_by("id")
    other = "worker-1" if hog.node == "worker-2" else "worker-2"
    assert web.node == other  # LeastAllocated and BalancedAllocation prefer the empty worker
    chosen = why_not(web.trace, other)
    assert chosen["outcome"] == "chosen" and "scored the most" in chosen["explanation"]
    lost = why_not(web.trace, hog.node)
    assert lost["outcome"] == "lost" and lost["winner"] == other and lost["margin"] > 0
    gap = max(lost["per_weigher"], key=lambda p: p["difference"])
    assert gap["name"] in lost["explanation"]


def test_the_event_names_the_rounds_decisions(lab, monkeypatch):
    clusters.apply_manifest(lab, pod("web"))
    sent = []
    monkeypatch.setattr(loop, "publish_on_commit", lambda stream, event, data: sent.append((stream, event, data)))
    rounds(lab)
    stream, event, data = sent[0]
    d = PodDecision.objects.get(cluster=lab)
    assert stream == f"project-{lab.project_id}" and event == "kube.changed"
    assert data["decisions"] == [
        {"id": d.pk, "pod": "web", "namespace": "default", "node": d.node, "outcome": "Scheduled"}
    ]
    from cloudlab.live.schemas import validate_event

    assert validate_event(event, data) == []


def test_a_cluster_keeps_only_its_newest_decisions(lab, monkeypatch):
    monkeypatch.setattr(PodDecision, "KEEP", 3)
    clusters.apply_manifest(lab, "---".join(pod(f"p{i}") for i in range(5)))
    rounds(lab)
    assert list(PodDecision.objects.filter(cluster=lab).order_by("id").values_list("pod", flat=True)) == [
        "p2",
        "p3",
        "p4",
    ]


# -- the pages ------------------------------------------------------------------------------------


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def pending(lab):
    """lab with a pod too big for any worker: its decision is FailedScheduling."""
    clusters.apply_manifest(lab, pod("huge", cpu="4"))
    rounds(lab)
    return PodDecision.objects.get(cluster=lab)


def test_the_pods_latest_decision_opens_in_the_scheduling_view(alice, lab, pending):
    client = _client(alice)
    latest = reverse("kube:pod-decision-latest", args=[lab.pk, "default", "huge"])
    response = client.get(latest)
    assert response.status_code == 302 and response.url == reverse("kube:pod-decision", args=[lab.pk, pending.pk])
    page = client.get(response.url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="cluster-tabs"' in html and 'data-section="workloads"' in html  # the cluster's tabs
    assert "decision_funnel.js" in html and "decision_pods.js" in html
    assert "The pod fits no node: FailedScheduling" in html and "Filter plugins" in html


def test_the_data_of_an_unschedulable_pod_reads_as_kubernetes_prints_it(alice, lab, pending):
    data = _client(alice).get(reverse("kube:pod-decision-data", args=[lab.pk, pending.pk])).json()
    assert data["record"]["kind"] == "pod" and data["record"]["outcome"] == "FailedScheduling"
    assert data["stages"][-1]["kind"] == "no_valid_host"
    assert data["stages"][-1]["message"].startswith("0/3 nodes are available: ")
    assert "2 Insufficient cpu" in data["trace"]["error"]["message"]
    assert [s["name"] for s in data["stages"] if s["kind"] == "filter"][:3] == [
        "NodeUnschedulable",
        "NodeName",
        "TaintToleration",
    ]
    assert data["why"]["worker-2"]["outcome"] == "filtered" and data["why"]["worker-2"]["filter"] == "NodeResourcesFit"
    card = next(h for h in data["hosts"] if h["name"] == "worker-2")
    assert (card["cpu_allocatable"], card["cpu_requested"], card["pods_allocatable"]) == (1000, 0, 110)
    assert data["request"]["pod"]["cpu"] == 4000 and data["live"]["finished"] is True
    assert data["streams"] == {f"project-{lab.project_id}": data["streams"][f"project-{lab.project_id}"]}


def test_a_scheduled_pods_data_has_the_score_plugins_times_their_weights(alice, lab):
    clusters.apply_manifest(lab, pod("web"))
    rounds(lab)
    d = PodDecision.objects.get(cluster=lab)
    data = _client(alice).get(reverse("kube:pod-decision-data", args=[lab.pk, d.pk])).json()
    [weighing] = [s for s in data["stages"] if s["kind"] == "weighing"]
    assert "NodeResourcesFit" in weighing["weighers"] and "NodeResourcesBalancedAllocation" in weighing["weighers"]
    inst = data["trace"]["instances"][0]
    fit = next(w for w in inst["weighers"] if w["name"] == "NodeResourcesFit")
    for values in fit["values"].values():
        assert values["weighted"] == values["normalized"] * values["multiplier"]
    assert data["stages"][-1] == {**data["stages"][-1], "kind": "selected", "host": d.node}


def test_the_reasons_follow_the_readers_language_but_kubernetes_words_stay(alice, lab, pending):
    client = _client(alice)
    client.cookies["django_language"] = "zh-hans"
    data = client.get(reverse("kube:pod-decision-data", args=[lab.pk, pending.pk])).json()
    assert data["trace"]["error"]["message"] == pending.message  # FailedScheduling's text as Kubernetes prints it
    assert data["why"]["worker-1"]["reason"] == "Insufficient cpu"
    passed = data["trace"]["instances"][0]["filters"][0]["verdicts"]["worker-1"]
    with translation.override("zh-hans"):
        assert passed["reason"] == translation.gettext(passed["message"])


def test_the_decisions_list_is_newest_first_and_live(alice, lab, pending):
    clusters.apply_manifest(lab, pod("web"))
    rounds(lab)
    client = _client(alice)
    url = reverse("kube:pod-decisions", args=[lab.pk])
    html = client.get(url).content.decode()
    assert html.index("Successfully assigned default/web") < html.index("0/3 nodes are available")
    rows = client.get(url, HTTP_ACCEPT="application/json").json()["rows"]
    assert [(r["pod"], r["outcome"]) for r in rows] == [("web", "Scheduled"), ("huge", "FailedScheduling")]


def test_a_pod_not_decided_yet_says_so(alice, lab):
    response = _client(alice).get(reverse("kube:pod-decision-latest", args=[lab.pk, "default", "nothing"]))
    assert response.status_code == 404
    assert "has not decided anything for pod default/nothing yet" in response.content.decode()


def test_another_projects_decisions_are_not_found(bob, lab, pending):
    client = _client(bob)
    for url in (
        reverse("kube:pod-decision", args=[lab.pk, pending.pk]),
        reverse("kube:pod-decision-data", args=[lab.pk, pending.pk]),
        reverse("kube:pod-decisions", args=[lab.pk]),
        reverse("kube:pod-decision-latest", args=[lab.pk, "default", "huge"]),
    ):
        assert client.get(url).status_code == 404, url


def test_a_decision_of_another_cluster_is_not_found_under_this_one(alice, project_of, lab, pending):
    other = make_cluster(project_of(alice), name="other")
    assert _client(alice).get(reverse("kube:pod-decision", args=[other.pk, pending.pk])).status_code == 404


def test_the_nova_decision_page_still_renders(alice, launch, django_capture_on_commit_callbacks):
    from cloudlab.compute.models import SchedulingRecord
    from tests import steps

    with django_capture_on_commit_callbacks(execute=False):
        [instance] = launch(alice, name="vm", flavor="m1.small")
        steps.schedule(instance)
    record = SchedulingRecord.objects.get(instance=instance)
    html = _client(alice).get(reverse("dashboard:decision", args=[record.pk])).content.decode()
    assert "No valid host was found" in html and "Weighing" in html and "Compute hosts" in html
    assert 'id="cluster-tabs"' not in html and "decision_pods.js" not in html


def test_the_instructor_of_the_cloud_sees_a_students_decision(ivy, lab, pending):
    response = _client(ivy).get(reverse("kube:pod-decision", args=[lab.pk, pending.pk]))
    assert response.status_code == 200


def test_why_not_a_node_the_sampling_never_examined(demo_cloud):
    """Above 100 nodes the scheduler stops once it has found enough feasible ones (§1.3)."""
    import random

    from cloudlab.engine.kubernetes.bridge import pod_from_flavor
    from cloudlab.engine.kubernetes.scheduler import Scheduler

    nodes = [node_from_instance(f"n{i:03d}", SMALL) for i in range(120)]
    decision = Scheduler(rng=random.Random(1)).schedule(pod_from_flavor("web", {"vcpus": 1, "memory_mb": 64}), nodes)
    skipped = decision.trace["sampling"]["not_examined"]
    assert len(skipped) == 20
    why = why_not(decision.trace, skipped[0])
    assert why["outcome"] == "not_seen"
    assert why["explanation"] == (
        f"The kube-scheduler stopped after it had found 100 feasible nodes (percentageOfNodesToScore) "
        f"and never examined {skipped[0]}."
    )


DEPLOYMENT = deployment(7, "300m", "100Mi")


def test_the_stored_nodes_are_what_each_cycle_of_a_round_saw(lab):
    """Each decision's node cards agree with the numbers NodeResourcesFit printed in its own
    trace, for every node it examined: the cards are the scheduler's view at that cycle."""
    clusters.apply_manifest(lab, DEPLOYMENT)
    rounds(lab, 4)
    decisions = list(PodDecision.objects.filter(cluster=lab).order_by("id"))
    assert len(decisions) >= 7 and {d.outcome for d in decisions} == {"Scheduled", "FailedScheduling"}
    checked = 0
    for d in decisions:
        cards = {c["name"]: c for c in d.nodes}
        [fit] = [s for s in d.trace["instances"][0]["filters"] if s["name"] == "NodeResourcesFit"]
        for node, verdict in fit["verdicts"].items():
            n = verdict["numbers"]
            card = cards[node]
            assert (card["cpu_requested"], card["memory_requested_mi"], card["pods"]) == (
                n["cpu_used"],
                n["mem_used_mi"],
                n["pods"] - 1,
            ), (d.pod, node)
            checked += 1
    assert checked >= 12


@pytest.mark.django_db(transaction=True)
def test_the_worker_stores_a_decision_per_pod_of_a_cluster_on_instances(celery_worker, alice, project_of, launch):
    """Through the real worker, on a cluster of alice's VMs: each replica's cycle is a PodDecision
    bound to a worker node, and the pod's latest decision opens."""
    from cloudlab.compute.models import Instance
    from tests.helpers import wait_for

    def active():
        fresh = list(Instance.objects.filter(project=project_of(alice)))
        return len(fresh) == 3 and all(i.vm_state == "active" and i.task_state is None for i in fresh) and fresh

    launch(alice, name="k8s", count=3, flavor="m1.small")
    cp, *workers = sorted(wait_for(active, timeout=30), key=lambda i: i.name)
    cluster = clusters.create_cluster(
        alice, project_of(alice), name="lab", control_plane=str(cp.uuid), workers=[str(w.uuid) for w in workers]
    )
    clusters.apply_manifest(cluster, deployment(3, "300m", "100Mi"))
    decisions = wait_for(
        lambda: (d := list(PodDecision.objects.filter(cluster=cluster))) and len(d) >= 3 and d, timeout=30
    )
    worker_nodes = set(cluster.members.filter(role="worker").values_list("node_name", flat=True))
    assert {d.outcome for d in decisions} == {"Scheduled"} and {d.node for d in decisions} <= worker_nodes
    response = _client(alice).get(reverse("kube:pod-decision-latest", args=[cluster.pk, "default", decisions[0].pod]))
    assert response.status_code == 302
