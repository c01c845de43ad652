"""The real kubectl (/usr/bin/kubectl, google-cloud-sdk's dispatcher running its bundled v1.32)
against CloudLab's Kubernetes API over HTTPS on loopback, with a kubeconfig as the access page
makes it, while a real worker runs the cluster: version, api-resources, get nodes, apply -f a
Deployment and a Service, get pods -o wide, a bounded get pods -w that sees a replacement appear
after a delete, describe pod, rollout status, scale --replicas=5 (one Pending with
FailedScheduling), delete, and get of a deleted pod (NotFound).

``TRANSCRIPT`` (an environment variable naming a file) writes the session down as a terminal
shows it; docs/kubectl.md's transcript is one of these."""

from __future__ import annotations

import os
import re
import shutil
import signal
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudlab.compute.models import Instance
from cloudlab.kube import clusters, store
from cloudlab.kube.models import Cluster, KubeObject
from cloudlab.kubeapi import tls
from cloudlab.kubeapi.access import kubeconfig
from cloudlab.kubeapi.auth import issue_token
from tests.helpers import wait_for
from tests.kube_fixtures import deployment
from tests.test_kubeapi_serve_tls import tls_daphne_server

KUBECTL = "/usr/bin/kubectl"
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(KUBECTL).exists(), reason="kubectl is not installed at /usr/bin/kubectl"),
]

SERVICE = """---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 80
"""


class Kubectl:
    """Runs kubectl with its own HOME (discovery cache) and the kubeconfig; keeps a transcript."""

    def __init__(self, home: Path, config: Path) -> None:
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "KUBECONFIG": str(config)}
        self.transcript: list[str] = []
        self.seconds: list[tuple[str, float]] = []  # how long each command took (a failure shows it)

    def __call__(self, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        started = time.monotonic()
        done = subprocess.run(
            [KUBECTL, *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        self.seconds.append((" ".join(args), round(time.monotonic() - started, 1)))
        self.record(args, done.stdout + done.stderr)
        if check and done.returncode != 0:
            pytest.fail(
                f"kubectl {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}\n"
                f"times so far: {self.seconds}"
            )
        return done

    def record(self, args: tuple[str, ...] | list[str], output: str) -> None:
        self.transcript.append(f"$ kubectl {' '.join(args)}\n{output.rstrip()}\n")

    def watch(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [KUBECTL, *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )


def _active(instances: list[Instance]) -> list[Instance]:
    def check() -> Any:
        fresh = list(Instance.objects.filter(pk__in=[i.pk for i in instances]))
        return all(i.vm_state == "active" and i.task_state is None for i in fresh) and fresh

    return sorted(wait_for(check, timeout=30), key=lambda i: i.name)


@pytest.fixture(scope="module")
def https(django_db_setup: None, django_db_blocker: Any, tmp_path_factory) -> Iterator[tuple[str, tls.TlsFiles]]:
    """CloudLab over HTTPS in a child forked before any worker thread runs (a fork taken while
    the worker's threads hold a lock leaves the child stuck on it)."""
    files = tls.ensure_certificates(tmp_path_factory.mktemp("data"))
    with django_db_blocker.unblock(), tls_daphne_server(files) as url:
        _warm_up(url, files)
        yield url, files


@pytest.fixture
def session(https, celery_worker, alice, project_of, launch, tmp_path) -> Iterator[tuple[Kubectl, Any]]:
    url, files = https
    project = project_of(alice)
    cp, *workers = _active(launch(alice, name="k8s", count=3, flavor="m1.small"))
    cluster = clusters.create_cluster(
        alice, project, name="lab", control_plane=str(cp.uuid), workers=[str(w.uuid) for w in workers]
    )
    port = url.rsplit(":", 1)[1]
    os.environ["CLOUDLAB_KUBE_PORT"] = port
    try:
        text = kubeconfig(cluster, issue_token(alice, project), files.ca_data())
    finally:
        os.environ.pop("CLOUDLAB_KUBE_PORT", None)
    config = tmp_path / "lab-kubeconfig.yaml"
    config.write_text(text)
    home = tmp_path / "home"
    home.mkdir()
    kubectl = Kubectl(home, config)
    yield kubectl, cluster
    target = os.environ.get("TRANSCRIPT")
    if target:
        Path(target).write_text("\n".join(kubectl.transcript))


def _warm_up(url: str, files: tls.TlsFiles) -> None:
    """One request before kubectl's: the child's first answer is slow on a busy machine, and the
    dispatcher gives /version only 5 s."""
    context = ssl.create_default_context(cafile=str(files.ca_cert))
    with urllib.request.urlopen(f"{url}/kubernetes/0/version", context=context, timeout=60) as response:  # noqa: S310
        assert response.status == 200


def _pods(cluster: Cluster) -> dict[str, Any]:
    state = store.load(Cluster.objects.select_related("cloud").get(pk=cluster.pk))
    return {name: pod for (_ns, name), pod in state.pods.items()}


def _deployment_status(cluster: Cluster) -> dict[str, Any]:
    row = KubeObject.objects.filter(cluster=cluster, resource="deployments", name="web").first()
    return row.body.get("status", {}) if row is not None else {}


def _names(output: str) -> list[str]:
    return [line.split()[0] for line in output.strip().splitlines()[1:] if line.strip()]


@pytest.mark.timeout(400)
def test_kubectl_drives_the_cluster(session) -> None:
    kubectl, cluster = session

    version = kubectl("version").stdout
    assert "Server Version: v1.32" in version

    resources = kubectl("api-resources").stdout
    for line in ("pods ", "deployments ", "replicasets ", "services "):
        assert line in resources
    assert re.search(r"^deployments\s+deploy\s+apps/v1\s+true\s+Deployment", resources, re.M), resources

    nodes = kubectl("get", "nodes").stdout
    assert _names(nodes) == sorted(m.node_name for m in cluster.members.all())
    assert "Ready" in nodes

    manifest = Path(kubectl.env["HOME"]) / "web.yaml"
    manifest.write_text(deployment(3, "400m") + SERVICE)
    applied = kubectl("apply", "-f", str(manifest)).stdout
    assert "deployment.apps/web created" in applied and "service/web created" in applied

    wait_for(lambda: sum(p.status.phase == "Running" for p in _pods(cluster).values()) == 3, timeout=40)
    wait_for(lambda: _deployment_status(cluster).get("availableReplicas") == 3, timeout=40)
    rollout = kubectl("rollout", "status", "deployment/web", "--timeout=60s", timeout=90).stdout
    assert 'deployment "web" successfully rolled out' in rollout

    wide = kubectl("get", "pods", "-o", "wide").stdout
    header, *rows = wide.strip().splitlines()
    assert header.split()[:7] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE"]
    assert len(rows) == 3 and all(" Running " in row and "10.244." in row for row in rows)

    # a bounded watch sees the deleted pod go and its replacement come
    before = set(_names(wide))
    victim = sorted(before)[0]
    watcher = kubectl.watch("get", "pods", "-w")
    try:
        time.sleep(2)
        deleted = kubectl("delete", "pod", victim, timeout=90).stdout
        assert f'pod "{victim}" deleted' in deleted
        wait_for(lambda: len(set(_pods(cluster)) - before) == 1, timeout=40)
        replacement = (set(_pods(cluster)) - before).pop()
        wait_for(lambda: _pods(cluster)[replacement].status.phase == "Running", timeout=40)
        time.sleep(2)
    finally:
        os.killpg(watcher.pid, signal.SIGINT)
        watched, _ = watcher.communicate(timeout=10)
    kubectl.record(["get", "pods", "-w", "  # stopped with Ctrl-C"], watched)
    assert replacement in watched and victim in watched, watched
    assert re.search(rf"^{replacement}\s+\S+\s+Running", watched, re.M), watched

    described = kubectl("describe", "pod", replacement).stdout
    assert f"Name:             {replacement}" in described or re.search(rf"^Name:\s+{replacement}$", described, re.M)
    assert "Events:" in described and "Scheduled" in described

    scaled = kubectl("scale", "deployment", "web", "--replicas=5").stdout
    assert "deployment.apps/web scaled" in scaled
    wait_for(lambda: len(_pods(cluster)) == 5 and any(p.status.phase == "Pending" for p in _pods(cluster).values()))
    wait_for(lambda: sum(p.status.phase == "Running" for p in _pods(cluster).values()) == 4, timeout=40)
    pods = kubectl("get", "pods").stdout
    pending = [line.split()[0] for line in pods.splitlines() if " Pending " in line]
    assert len(pending) == 1, pods
    why = kubectl("describe", "pod", pending[0]).stdout
    assert "FailedScheduling" in why and "0/3 nodes are available" in why and "Insufficient cpu" in why

    gone = kubectl("delete", "deployment", "web").stdout
    assert 'deployment.apps "web" deleted' in gone
    # every pod that ran is gone (the Pending one stays Terminating: the engine's garbage
    # collector gives an unbound pod a deletion timestamp that no kubelet finishes; see docs)
    wait_for(lambda: all(not p.spec.node_name for p in _pods(cluster).values()), timeout=60)
    missing = kubectl("get", "pod", replacement, check=False)
    assert missing.returncode == 1
    assert f'Error from server (NotFound): pods "{replacement}" not found' in missing.stderr
    kubectl("delete", "service", "web")
    assert shutil.which(KUBECTL)


@pytest.mark.timeout(400)
def test_kubectl_labels_logs_and_rolls_out(session, tmp_path) -> None:
    """The day-two verbs: apply again (configured, then unchanged), label, logs, set image with
    rollout status, rollout history, undo and restart; the dashboard's objects follow."""
    kubectl, cluster = session
    manifest = tmp_path / "web.yaml"
    manifest.write_text(deployment(2, "100m"))
    assert "deployment.apps/web created" in kubectl("apply", "-f", str(manifest)).stdout
    kubectl("rollout", "status", "deployment/web", "--timeout=60s", timeout=90)
    assert "deployment.apps/web unchanged" in kubectl("apply", "-f", str(manifest)).stdout
    manifest.write_text(deployment(3, "100m"))
    assert "deployment.apps/web configured" in kubectl("apply", "-f", str(manifest)).stdout
    kubectl("rollout", "status", "deployment/web", "--timeout=60s", timeout=90)

    pod = _names(kubectl("get", "pods").stdout)[0]
    assert f"pod/{pod} labeled" in kubectl("label", "pod", pod, "tier=front").stdout
    assert (
        KubeObject.objects.get(cluster=cluster, resource="pods", name=pod).body["metadata"]["labels"]["tier"] == "front"
    )
    assert "nginx" in kubectl("logs", pod).stdout

    assert "deployment.apps/web image updated" in kubectl("set", "image", "deployment/web", "web=nginx:1.28").stdout
    kubectl("rollout", "status", "deployment/web", "--timeout=60s", timeout=90)
    history = kubectl("rollout", "history", "deployment/web").stdout
    assert re.search(r"^1\s", history, re.M) and re.search(r"^2\s", history, re.M)
    assert "deployment.apps/web rolled back" in kubectl("rollout", "undo", "deployment/web").stdout
    kubectl("rollout", "status", "deployment/web", "--timeout=60s", timeout=90)
    images = {p.spec.containers[0].image for p in _pods(cluster).values() if p.metadata.deletion_timestamp is None}
    assert images == {"nginx:1.27"}
    assert "deployment.apps/web restarted" in kubectl("rollout", "restart", "deployment/web").stdout
    kubectl("rollout", "status", "deployment/web", "--timeout=60s", timeout=90)
