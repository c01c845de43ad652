"""A Kubernetes cluster on a project's instances, through a real Celery worker: the loop runs
paced by the worker, pods are scheduled and Running, a deleted pod is replaced, a node follows
its VM (stop → Unknown → pods evicted and Running elsewhere), and the Nova half's audit stays clean
(the demo_cloud fixture runs it after each test)."""

import pytest

from cloudlab.compute.actions.errors import ActionError
from cloudlab.compute.actions.instance import do_instance_action
from cloudlab.compute.models import Instance
from cloudlab.engine.kubernetes import manifest
from cloudlab.engine.kubernetes.podlifecycle import print_pod
from cloudlab.kube import clusters, store
from cloudlab.kube.models import Cluster, KubeObject
from tests.helpers import wait_for
from tests.kube_fixtures import deployment

pytestmark = pytest.mark.django_db(transaction=True)

WEB = deployment()


def _active(instances):
    def check():
        fresh = list(Instance.objects.filter(pk__in=[i.pk for i in instances]))
        return all(i.vm_state == "active" and i.task_state is None for i in fresh) and fresh

    return wait_for(check, timeout=30)


@pytest.fixture
def three(celery_worker, alice, launch):
    return sorted(_active(launch(alice, name="k8s", count=3, flavor="m1.small")), key=lambda i: i.name)


def _state(cluster):
    return store.load(Cluster.objects.select_related("cloud").get(pk=cluster.pk))


def _running(cluster, count):
    def check():
        state = _state(cluster)
        live = [p for p in state.pods.values() if p.metadata.deletion_timestamp is None]
        ok = len(live) == count and all(print_pod(p, state.now)["STATUS"] == "Running" for p in live)
        return ok and state

    return wait_for(check, timeout=30)


def test_a_cluster_runs_a_deployment_heals_and_follows_its_vms(alice, project_of, three):
    project = project_of(alice)
    cp, *workers = three
    cluster = clusters.create_cluster(
        alice, project, name="lab", control_plane=str(cp.uuid), workers=[str(w.uuid) for w in workers]
    )
    state = _state(cluster)
    assert set(state.nodes) == {m.node_name for m in cluster.members.all()}
    assert KubeObject.objects.filter(cluster=cluster, resource="namespaces").count() == 4

    clusters.apply_manifest(cluster, WEB)
    state = _running(cluster, 3)
    cp_node = cluster.members.get(role="control-plane").node_name
    assert all(p.spec.node_name != cp_node for p in state.pods.values())  # the control plane is tainted

    def ready_replicas():
        return KubeObject.objects.get(cluster=cluster, resource="deployments", name="web").body["status"]

    wait_for(lambda: ready_replicas().get("readyReplicas") == 3, timeout=20)

    # a deleted pod is replaced by the ReplicaSet
    victim = sorted(state.pods)[0]
    clusters.delete_object(cluster, "pods", *victim)
    wait_for(lambda: victim not in _state(cluster).pods, timeout=30)
    state = _running(cluster, 3)

    # the VM under a worker node stops: the node goes Unknown, its pods move to the other worker
    member = cluster.members.get(instance=workers[0])
    assert any(p.spec.node_name == member.node_name for p in state.pods.values())
    do_instance_action(alice, Instance.objects.get(pk=workers[0].pk), "stop", {})

    def moved():
        state = _state(cluster)
        node = state.nodes[member.node_name]
        live = [p for p in state.pods.values() if p.metadata.deletion_timestamp is None]
        return (
            node.condition("Ready").status == "Unknown"
            and len(live) == 3
            and all(p.spec.node_name not in (member.node_name, "") for p in live)
            and all(print_pod(p, state.now)["STATUS"] == "Running" for p in live)
        )

    wait_for(moved, timeout=40)
    # the events say why, in Kubernetes' words
    reasons = {o.body["reason"] for o in KubeObject.objects.filter(cluster=cluster, resource="events")}
    assert {"Scheduled", "SuccessfulCreate", "ScalingReplicaSet", "NodeNotReady", "TaintManagerEviction"} <= reasons


def test_a_cluster_needs_running_instances_of_the_project(alice, bob, project_of, three):
    project = project_of(alice)
    cp, *workers = three
    with pytest.raises(ActionError, match="at least one worker"):
        clusters.create_cluster(alice, project, name="lab", control_plane=str(cp.uuid), workers=[])
    with pytest.raises(ActionError, match="not valid"):
        clusters.create_cluster(
            alice, project, name="Lab_1", control_plane=str(cp.uuid), workers=[str(workers[0].uuid)]
        )
    with pytest.raises(ActionError, match="No instance") as err:
        clusters.create_cluster(
            bob, project_of(bob), name="lab", control_plane=str(cp.uuid), workers=[str(workers[0].uuid)]
        )
    assert err.value.status == 404
    assert not Cluster.objects.exists()


def test_a_bad_manifest_writes_nothing(alice, project_of, three):
    cp, *workers = three
    cluster = clusters.create_cluster(
        alice, project_of(alice), name="lab", control_plane=str(cp.uuid), workers=[str(w.uuid) for w in workers]
    )
    before = KubeObject.objects.filter(cluster=cluster).count()
    bad = (
        WEB + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: Bad_Name}\nspec: {containers: [{name: c, image: x}]}\n"
    )
    with pytest.raises(manifest.ManifestError) as err:
        clusters.apply_manifest(cluster, bad)
    assert err.value.code == 422
    assert 'Pod "Bad_Name" is invalid' in err.value.status()["message"]
    assert KubeObject.objects.filter(cluster=cluster).count() == before


def _ready(body):
    conditions = body.get("status", {}).get("conditions", [])
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def test_a_rolling_update_through_the_worker_stays_within_surge_and_unavailable(alice, project_of, three):
    """Every revision the worker wrote during the rollout, replayed from the watch history: the
    pods never exceed replicas + maxSurge, the ready ones never drop below replicas −
    maxUnavailable."""
    from cloudlab.kube.models import KubeWatchEvent

    project = project_of(alice)
    cp, *workers = three
    cluster = clusters.create_cluster(
        alice, project, name="lab", control_plane=str(cp.uuid), workers=[str(w.uuid) for w in workers]
    )
    clusters.apply_manifest(cluster, deployment(4, strategy="{rollingUpdate: {maxSurge: 1, maxUnavailable: 1}}"))
    _running(cluster, 4)
    start = Cluster.objects.get(pk=cluster.pk).revision
    clusters.set_image(cluster, "default", "web", {"web": "nginx:1.28"})

    def rolled_out():
        state = _state(cluster)
        live = [p for p in state.pods.values() if p.metadata.deletion_timestamp is None]
        images = {c.image for p in live for c in p.spec.containers}
        done = len(live) == 4 and images == {"nginx:1.28"}
        return done and all(print_pod(p, state.now)["STATUS"] == "Running" for p in live)

    wait_for(rolled_out, timeout=40)
    pods, checked = {}, {"ADDED": 0, "MODIFIED": 0, "DELETED": 0}
    for event in KubeWatchEvent.objects.filter(cluster=cluster, resource="pods").order_by("revision", "id"):
        if event.revision <= start:  # the pods as they stood when the rollout began
            pods[event.name] = event.body
            if event.type == "DELETED":
                del pods[event.name]
            continue
        checked[event.type] += 1
        if event.type == "DELETED":
            pods.pop(event.name, None)
        else:
            pods[event.name] = event.body
        live = [b for b in pods.values() if not b["metadata"].get("deletionTimestamp")]
        ready = [b for b in live if _ready(b)]
        assert len(live) <= 4 + 1, (event.revision, sorted(pods))  # terminating pods are no longer counted
        assert len(ready) >= 4 - 1, (event.revision, len(ready))
    assert checked["ADDED"] >= 4 and checked["DELETED"] >= 4  # every pod replaced, each write replayed
    assert {b["spec"]["containers"][0]["image"] for b in pods.values()} == {"nginx:1.28"}
