"""The official ``kubernetes`` Python client against CloudLab's Daphne (plain http: the client
sends its bearer token there too, §7.1) with a real Celery worker running the cluster's loop:
the kubeconfig a student gets, ``/version/``, nodes (every field its models require), a pod
created and seen Running through a watch, its log, a Deployment scaled with a strategic merge
patch on ``/scale``, a JSON patch, errors as ``ApiException`` with the Status body, and another
project's token refused."""

from __future__ import annotations

import json

import pytest
import yaml

from cloudlab.compute.models import Instance
from cloudlab.kubeapi.auth import issue_token
from tests.helpers import wait_for
from tests.kube_fixtures import make_cluster

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client, config, watch  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True)


def _active(instances):
    def check():
        fresh = list(Instance.objects.filter(pk__in=[i.pk for i in instances]))
        return all(i.vm_state == "active" and i.task_state is None for i in fresh) and fresh

    return sorted(wait_for(check, timeout=30), key=lambda i: i.name)


def _kubeconfig(tmp_path, server, token, name="kubeconfig"):
    path = tmp_path / name
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "cloudlab", "cluster": {"server": server}}],
                "users": [{"name": "student", "user": {"token": token}}],
                "contexts": [
                    {"name": "cloudlab", "context": {"cluster": "cloudlab", "user": "student", "namespace": "default"}}
                ],
                "current-context": "cloudlab",
            }
        )
    )
    return str(path)


@pytest.fixture
def cluster(celery_worker, alice, project_of, launch):
    return make_cluster(alice, project_of(alice), _active(launch(alice, name="k8s", count=3, flavor="m1.small")))


def _api_client(tmp_path, live_server_url, cluster, token, name="kubeconfig"):
    return config.new_client_from_config(
        config_file=_kubeconfig(tmp_path, f"{live_server_url}/kubernetes/{cluster.pk}", token, name)
    )


def test_the_python_client_drives_the_cluster(tmp_path, live_server_url, cluster, alice, bob, project_of):
    api_client = _api_client(tmp_path, live_server_url, cluster, issue_token(alice, project_of(alice)))
    core, apps = client.CoreV1Api(api_client), client.AppsV1Api(api_client)

    version = client.VersionApi(api_client).get_code()
    assert (version.major, version.minor, version.git_version) == ("1", "32", "v1.32.5")

    nodes = core.list_node().items
    assert len(nodes) == 3
    info = nodes[0].status.node_info
    assert info.kubelet_version == "v1.32.5" and info.machine_id and info.boot_id and info.os_image

    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name="demo", labels={"app": "demo"}),
        spec=client.V1PodSpec(containers=[client.V1Container(name="nginx", image="nginx:1.27")]),
    )
    created = core.create_namespaced_pod("default", pod)
    assert created.metadata.uid and created.spec.containers[0].image_pull_policy == "IfNotPresent"

    phases = []
    w = watch.Watch()
    for event in w.stream(core.list_namespaced_pod, "default", field_selector="metadata.name=demo", timeout_seconds=30):
        phases.append((event["type"], event["object"].status.phase))
        if event["object"].status.phase == "Running":
            w.stop()
    assert phases[0][0] == "ADDED" and phases[-1] == ("MODIFIED", "Running"), phases

    log = core.read_namespaced_pod_log("demo", "default")
    assert "Configuration complete; ready for start up" in log

    labelled = core.patch_namespaced_pod(
        "demo", "default", [{"op": "add", "path": "/metadata/labels/tier", "value": "web"}]
    )
    assert labelled.metadata.labels == {"app": "demo", "tier": "web"}

    deployment = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="web"),
        spec=client.V1DeploymentSpec(
            replicas=1,
            selector=client.V1LabelSelector(match_labels={"app": "web"}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": "web"}),
                spec=client.V1PodSpec(containers=[client.V1Container(name="nginx", image="nginx:1.27")]),
            ),
        ),
    )
    apps.create_namespaced_deployment("default", deployment)
    scale = apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": 2}})
    assert scale.spec.replicas == 2
    wait_for(lambda: (apps.read_namespaced_deployment("web", "default").status.ready_replicas or 0) == 2, timeout=30)
    assert len(core.list_namespaced_pod("default", label_selector="app=web").items) == 2

    with pytest.raises(ApiException) as missing:
        core.read_namespaced_pod("nosuch", "default")
    assert missing.value.status == 404
    assert json.loads(missing.value.body)["message"] == 'pods "nosuch" not found'
    with pytest.raises(ApiException) as exists:
        core.create_namespaced_pod("default", pod)
    assert exists.value.status == 409 and json.loads(exists.value.body)["reason"] == "AlreadyExists"

    core.delete_namespaced_pod("demo", "default")

    def gone():
        try:
            core.read_namespaced_pod("demo", "default")
        except ApiException as error:
            return error.status == 404
        return False

    wait_for(gone, timeout=30)

    bobs = client.CoreV1Api(_api_client(tmp_path, live_server_url, cluster, issue_token(bob, project_of(bob)), "bob"))
    with pytest.raises(ApiException) as refused:
        bobs.list_namespaced_pod("default")
    assert refused.value.status == 404
