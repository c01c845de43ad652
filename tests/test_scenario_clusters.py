"""Scenarios that declare Kubernetes clusters (cloudlab.kube.scenario): the example file loads a
cluster whose Deployment runs 3 pods; a wrong cluster is refused by its path with nothing of the
scenario written; load → export → load gives the same clusters, members and desired objects."""

import copy
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from cloudlab.compute.models import Cloud, Instance
from cloudlab.compute.scenario_export import export_scenario, scenario_yaml
from cloudlab.compute.scenarios import load_cloud
from cloudlab.engine.kubernetes.podlifecycle import print_pod
from cloudlab.engine.scheduler import ScenarioError
from cloudlab.kube import clusters, store
from cloudlab.kube.models import Cluster, KubeObject
from cloudlab.kube.scenario import ClusterScenario, ClusterSpec, load_scenario_file, parse_scenario_with_clusters
from tests.kube_fixtures import advance

pytestmark = pytest.mark.django_db

EXAMPLE = Path(settings.BASE_DIR) / "fixtures" / "scenarios" / "kubernetes-lab.yaml"


def _example() -> dict:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def _load(data: dict, tmp_path: Path, name: str = "scenario.yaml") -> Cloud:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return load_cloud(load_scenario_file(path), pace=0)


def _state(cluster: Cluster):
    return store.load(Cluster.objects.select_related("cloud").get(pk=cluster.pk))


def _running(state) -> list:
    return [p for p in state.pods.values() if print_pod(p, state.now)["STATUS"] == "Running"]


def test_the_example_scenario_starts_a_deployment_of_three_running_pods_behind_a_nodeport():
    cloud = load_cloud(load_scenario_file(EXAMPLE), pace=0)
    cluster = Cluster.objects.get(cloud=cloud)
    assert (cluster.name, cluster.project.name) == ("lab", "lab")
    members = [(m.instance.name, m.role, m.node_name) for m in cluster.members.select_related("instance")]
    assert members == [
        ("k8s-cp", "control-plane", "k8s-cp"),
        ("k8s-worker-1", "worker", "k8s-worker-1"),
        ("k8s-worker-2", "worker", "k8s-worker-2"),
    ]
    state = _state(advance(cluster))
    running = _running(state)
    assert len(running) == 3, [print_pod(p, state.now) for p in state.pods.values()]
    assert {p.spec.node_name for p in running} <= {"k8s-worker-1", "k8s-worker-2"}  # the control plane is tainted
    service = state.services["default", "web"]
    assert service.type == "NodePort" and [p.node_port for p in service.ports] == [30080]
    assert len(state.endpoints["default", "web"].subsets[0].addresses) == 3


def _with(mutate) -> dict:
    data = _example()
    mutate(data)
    return data


def _instances(data: dict) -> list[dict]:
    return [i for h in data["hosts"] for i in h.get("instances", [])]


def _second_cluster(data: dict) -> None:
    data["clusters"].append({"name": "other", "project": "lab", "control_plane": "k8s-worker-2", "workers": ["k8s-cp"]})


BAD_DEPLOYMENT = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: -1\n" + (
    "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
    "    spec: {containers: [{name: web, image: nginx}]}\n"
)

REFUSED = {
    "unknown instance": (
        lambda d: d["clusters"][0]["workers"].append("k8s-worker-9"),
        "clusters[0].workers[2]: no instance named 'k8s-worker-9' in the scenario",
    ),
    "stopped instance": (
        lambda d: _instances(d)[1].update(vm_state="stopped"),
        "clusters[0].workers[0]: instance 'k8s-worker-1' is STOPPED (vm_state stopped): "
        "a node needs an ACTIVE, running VM",
    ),
    "host down": (
        lambda d: d["hosts"][1].update(up=False),
        "clusters[0].workers[1]: instance 'k8s-worker-2' runs on compute2, whose nova-compute is down (up: false)",
    ),
    "instance in two clusters": (
        _second_cluster,
        "clusters[1].control_plane: instance 'k8s-worker-2' is already a node of clusters[0] (cluster 'lab')",
    ),
    "bad cluster name": (
        lambda d: d["clusters"][0].update(name="Lab_1"),
        "clusters[0].name: 'Lab_1' is not a valid cluster name: a lowercase RFC 1123 label must consist of",
    ),
    "another project's instance": (
        lambda d: _instances(d)[2].update(project="other"),
        "clusters[0].workers[1]: instance 'k8s-worker-2' is in project 'other', not 'lab'",
    ),
    "no worker": (
        lambda d: d["clusters"][0].update(workers=[]),
        "clusters[0].workers: must be a non-empty list of instance names",
    ),
    "unknown field": (
        lambda d: d["clusters"][0].update(worker=["k8s-worker-1"]),
        "clusters[0].worker: unknown key; did you mean 'workers'?",
    ),
    "a manifest Kubernetes refuses": (
        lambda d: d["clusters"][0]["manifests"].insert(0, BAD_DEPLOYMENT),
        'clusters[0].manifests[0]: Error from server (Invalid): Deployment.apps "web" is invalid: '
        "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
    ),
    "the same object twice": (
        lambda d: d["clusters"][0]["manifests"].append(copy.deepcopy(d["clusters"][0]["manifests"][1])),
        'clusters[0].manifests[2]: Error from server (AlreadyExists): services "web" already exists',
    ),
    "a namespace not created": (
        lambda d: d["clusters"][0]["manifests"][1]["metadata"].update(namespace="shop"),
        'clusters[0].manifests[1]: Error from server (NotFound): namespaces "shop" not found',
    ),
    "a manifest that is not YAML": (
        lambda d: d["clusters"][0]["manifests"].append("kind: Pod\n  name: [x"),
        "clusters[0].manifests[2]: error: error converting YAML to JSON: yaml: line 2",
    ),
}


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_a_wrong_cluster_is_refused_by_its_path_and_nothing_is_written(case, tmp_path):
    mutate, expected = REFUSED[case]
    with pytest.raises(ScenarioError) as error:
        _load(_with(mutate), tmp_path)
    assert any(p.startswith(expected) for p in error.value.problems), error.value.problems
    assert not Cloud.objects.filter(name="kubernetes-lab").exists()
    assert not Instance.objects.filter(name__startswith="k8s").exists() and not Cluster.objects.exists()


def test_a_project_has_three_clusters_at_most():
    data = _example()
    data["hosts"][0]["instances"] = [
        {"uuid": f"5a1c0de0-0000-4000-8000-0000000001{k:02d}", "name": f"n{k}", "flavor": "m1.tiny", "project": "lab"}
        for k in range(8)
    ]
    data["clusters"] = [
        {"name": f"c{k}", "project": "lab", "control_plane": f"n{2 * k}", "workers": [f"n{2 * k + 1}"]}
        for k in range(4)
    ]
    with pytest.raises(ScenarioError) as error:
        parse_scenario_with_clusters(data)
    assert error.value.problems == ["clusters[3]: project 'lab' may have at most 3 clusters (its quota)"]


def test_the_rest_of_the_file_and_its_clusters_are_refused_together():
    data = _with(lambda d: d["hosts"][0].update(vcpus=-1))
    data["clusters"][0]["name"] = "-lab"
    with pytest.raises(ScenarioError) as error:
        parse_scenario_with_clusters(data)
    assert "hosts[0].vcpus: must be a positive integer" in error.value.problems
    assert any(p.startswith("clusters[0].name: '-lab' is not a valid cluster name") for p in error.value.problems)


def test_a_refusal_while_the_clusters_are_created_leaves_no_cloud():
    """The writer's own refusal (past the file's checks) rolls back the whole scenario."""
    scenario = load_scenario_file(EXAMPLE)
    assert isinstance(scenario, ClusterScenario)
    spec = scenario.clusters[0]
    # The cluster and the manifests before it are written when the bad one is met.
    bad = ClusterSpec(
        spec.path, spec.name, spec.project, spec.control_plane, spec.workers, (*spec.manifests, BAD_DEPLOYMENT)
    )
    with pytest.raises(ScenarioError) as error:
        load_cloud(ClusterScenario(**{**scenario.__dict__, "clusters": (bad,)}), pace=0)
    assert error.value.problems == [
        'clusters[0].manifests[2]: Error from server (Invalid): Deployment.apps "web" is invalid: '
        "spec.replicas: Invalid value: -1: must be greater than or equal to 0"
    ]
    assert not Cloud.objects.exists() and not Cluster.objects.exists() and not KubeObject.objects.exists()


EXTRA = """
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
---
apiVersion: v1
kind: ReplicationController
metadata: {name: cart, namespace: shop}
spec:
  replicas: 2
  selector: {app: cart}
  template:
    metadata: {labels: {app: cart}}
    spec:
      containers: [{name: cart, image: "redis:7", resources: {requests: {cpu: 50m, memory: 32Mi}}}]
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: cache, namespace: shop}
spec:
  replicas: 1
  selector: {matchLabels: {app: cache}}
  template:
    metadata: {labels: {app: cache}}
    spec:
      containers: [{name: cache, image: "memcached:1.6", resources: {requests: {cpu: 50m, memory: 32Mi}}}]
---
apiVersion: v1
kind: Pod
metadata: {name: debug, labels: {run: debug}}
spec:
  containers: [{name: debug, image: "busybox:1.36", command: [sleep, "3600"]}]
---
apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec:
  selector: {app: cart}
  ports: [{port: 6379}]
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec:
  ports: [{port: 5432}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: db, namespace: shop}
subsets:
- addresses: [{ip: 192.168.20.50}]
  ports: [{port: 5432}]
"""


def _desired(cloud: Cloud) -> dict:
    """What a cluster is meant to be: members, and each user-made object's spec and labels."""
    out = {}
    for cluster in Cluster.objects.filter(cloud=cloud):
        members = [(m.instance.name, m.role, m.node_name) for m in cluster.members.select_related("instance")]
        objects = {}
        for row in KubeObject.objects.filter(cluster=cluster).exclude(resource__in=["events", "nodes"]):
            if row.body["metadata"].get("ownerReferences"):
                continue  # made by a controller: its owner's spec says what it is
            if row.resource == "endpoints":
                if (row.namespace, row.name) == ("shop", "db"):  # a Service without a selector: the user's
                    objects["endpoints", "shop", "db"] = row.body["subsets"]
                continue  # the endpoints controller's
            objects[row.resource, row.namespace, row.name] = (row.body.get("spec"), row.body["metadata"].get("labels"))
        out[cluster.project.name, cluster.name] = (members, objects)
    return out


def test_load_export_load_gives_the_same_clusters_members_and_desired_objects(tmp_path):
    cloud = load_cloud(load_scenario_file(EXAMPLE), pace=0)
    cluster = Cluster.objects.get(cloud=cloud)
    clusters.apply_manifest(cluster, EXTRA)
    clusters.scale_object(cluster, "deployments", "default", "web", 4)
    advance(cluster)
    before = _desired(cloud)

    first = export_scenario(cloud)
    [entry] = first["clusters"]
    assert {k: entry[k] for k in ("name", "project", "control_plane", "workers")} == {
        "name": "lab",
        "project": "lab",
        "control_plane": "k8s-cp",
        "workers": ["k8s-worker-1", "k8s-worker-2"],
    }
    kinds = [(m["kind"], m["metadata"]["name"]) for m in entry["manifests"]]
    assert kinds == [
        ("Namespace", "shop"),
        ("Service", "web"),
        ("Service", "cart"),
        ("Service", "db"),
        ("Endpoints", "db"),
        ("ReplicationController", "cart"),
        ("ReplicaSet", "cache"),
        ("Deployment", "web"),
        ("Pod", "debug"),
    ]
    for m in entry["manifests"]:  # kubectl get -o yaml, less what the server writes
        assert "status" not in m
        assert not {"uid", "resourceVersion", "creationTimestamp", "generation"} & set(m["metadata"])
    deployment = next(m for m in entry["manifests"] if m["kind"] == "Deployment")
    assert deployment["spec"]["replicas"] == 4 and "annotations" not in deployment["metadata"]

    path = tmp_path / "saved.yaml"
    path.write_text(scenario_yaml(first), encoding="utf-8")
    Instance.objects.filter(cloud=cloud).delete()
    cloud.delete()
    again = load_cloud(load_scenario_file(path), pace=0)
    assert _desired(again) == before
    assert export_scenario(again) == first
    state = _state(advance(Cluster.objects.get(cloud=again)))
    assert len(_running(state)) == 4 + 2 + 1 + 1  # web, cart, cache, debug


def test_a_cluster_whose_node_is_stopped_cannot_be_saved():
    cloud = load_cloud(load_scenario_file(EXAMPLE), pace=0)
    Instance.objects.filter(cloud=cloud, name="k8s-worker-2").update(vm_state="stopped", power_state=4)
    with pytest.raises(ScenarioError) as error:
        export_scenario(cloud)
    assert error.value.problems == [
        "clusters[0] (lab): node k8s-worker-2's instance is stopped; a scenario's nodes are ACTIVE, running "
        "instances (start it, or delete the cluster, then save)"
    ]


def test_a_rebuilt_cloud_gets_its_clusters_anew():
    first = Cluster.objects.get(cloud=load_cloud(load_scenario_file(EXAMPLE), pace=0))
    cloud = load_cloud(load_scenario_file(EXAMPLE), pace=0, replace=True)
    [cluster] = Cluster.objects.filter(cloud__name="kubernetes-lab")
    assert cluster.pk != first.pk and cluster.cloud == cloud
    assert cluster.members.filter(instance__isnull=False).count() == 3
    assert len(_running(_state(advance(cluster)))) == 3
