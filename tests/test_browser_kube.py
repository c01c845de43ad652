"""The cluster pages in Chromium.

The flow of issue 17, through a real worker: build a cluster from three instances, create a
Deployment of 3 replicas from YAML, watch the pods scheduled and Running, delete one and see it
replaced, scale to 5 and see one Pending with the FailedScheduling reason, all without a reload.
And every section in both languages at 1024, 1366 and 1920 px: nothing off-screen, no English
prose on a Chinese page (Kubernetes' own names and messages are kept, marked as its output), no
console error. ``CLOUDLAB_SCREENSHOTS=<dir>`` saves each section's picture (docs/kubernetes.md).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cloudlab.compute.models import Instance
from cloudlab.engine.kubernetes.cluster import RESOURCES
from cloudlab.kube import clusters
from cloudlab.kube.models import Cluster
from cloudlab.kube.nav import SECTIONS
from tests.helpers import log_in, wait_for
from tests.kube_fixtures import advance, deployment, make_cluster, running_instances
from tests.test_browser_chinese import _allowed_words, chinese_text_problems
from tests.test_browser_fit import PROBLEMS_JS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1024, 1366, 1920)

#: Kubernetes' names a Chinese page keeps (the glossary keeps Pod, Service, Label … in English).
KUBERNETES_WORDS = {
    "Kubernetes", "kubectl", "kube-apiserver", "etcd", "kube-scheduler", "kube-controller-manager", "kubelet",
    "kube-proxy", "containerd", "Pod", "Pods", "Service", "Services", "Node", "Nodes", "Label", "Labels",
    "Namespace", "Namespaces", "Deployment", "Deployments", "ReplicaSet", "ReplicaSets", "Replication",
    "Controller", "Controllers", "ReplicationController", "YAML", "JSON", "Master", "ClusterIP", "NodePort",
    "iptables", "DNS", "resourceVersion", "NoSchedule", "VM", "Borg", "lab", "web",
}  # fmt: skip


SERVICE = """apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80}]
"""

#: True once exactly ``n`` pods of the Pods table read Running.
RUNNING_JS = """(n) => [...document.querySelectorAll('#pods-table [data-status]')]
  .filter(s => s.dataset.status === 'Running').length === n"""


def _pods(page):
    return page.eval_on_selector_all(
        "#pods-table tbody tr[data-name]",
        "rows => rows.map(r => [r.dataset.name, r.querySelector('[data-status]').dataset.status])",
    )


def test_a_cluster_from_three_instances_runs_heals_and_scales(browser, live_server_url, celery_worker, alice, launch):
    launched = launch(alice, name="k8s", count=3, flavor="m1.small")
    wait_for(
        lambda: (
            all(
                i.vm_state == "active" and i.task_state is None for i in Instance.objects.filter(name__startswith="k8s")
            )
            and len(launched) == 3
        ),
        timeout=40,
    )
    context = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, live_server_url, "alice")
    page.goto(f"{live_server_url}/project/kubernetes/")
    page.fill("#cluster-name-input", "lab")
    page.click("#cluster-create")
    page.wait_for_selector("#kube-diagram .cl-kube-node[data-node]")
    assert page.locator("#kube-diagram .cl-kube-node").count() == 3
    assert page.locator(".cl-kube-master [data-component=kube-scheduler][data-healthy=true]").count() == 1
    cluster = Cluster.objects.get(name="lab")

    # 400m pods on two 1-CPU workers: four fit, the fifth cannot.
    page.click("#cluster-tabs a[data-section=create]")
    page.fill("#apply-manifest", deployment(3, "400m"))
    page.click("#apply-button")
    page.wait_for_selector("#apply-ok")
    assert "deployment.apps/web created" in page.inner_text("#apply-ok")

    page.click("#cluster-tabs a[data-section=workloads]")
    page.wait_for_function(
        RUNNING_JS,
        arg=3,
        timeout=30_000,
    )
    first = sorted(_pods(page))[0][0]
    page.click(f"#pods-table tr[data-name='{first}'] button[data-verb=delete]")
    page.click("#kube-modal-confirm")
    page.wait_for_function(
        """(gone) => { const rows = [...document.querySelectorAll('#pods-table tbody tr[data-name]')];
           return !rows.some(r => r.dataset.name === gone) && rows.length === 3 &&
                  rows.every(r => r.querySelector('[data-status]').dataset.status === 'Running'); }""",
        arg=first,
        timeout=40_000,
    )

    overview = context.new_page()  # the controllers' feed, live on the Overview
    overview.on("pageerror", lambda e: errors.append(str(e)))
    overview.goto(f"{live_server_url}/project/kubernetes/{cluster.pk}/")
    overview.wait_for_selector("#live-indicator[data-state=live]")
    page.click("#deployments-table tr[data-name=web] button[data-verb=scale]")
    page.fill("#kube-replicas", "5")
    page.click("#kube-modal-confirm")
    page.wait_for_selector("#pods-table [data-failed-scheduling]", timeout=30_000)
    page.wait_for_function(
        RUNNING_JS,
        arg=4,
        timeout=30_000,
    )
    statuses = sorted(status for _name, status in _pods(page))
    assert statuses == ["Pending", "Running", "Running", "Running", "Running"]
    why = page.inner_text("#pods-table [data-failed-scheduling] samp")
    assert why.startswith("0/3 nodes are available: ") and "2 Insufficient cpu" in why
    assert "1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }" in why
    page.wait_for_function(  # the Deployment's status follows in the controller's next round
        "() => document.querySelector('#deployments-table tr[data-name=web] [data-column=READY]').innerText === '4/5'"
    )
    assert cluster.kube_objects.filter(resource="pods").count() == 5
    feed = overview.inner_text("#kube-activity")
    assert "desired 5, actual 4: create web-" in feed and "new ReplicaSet web-" in feed
    assert errors == []
    context.close()


#: The refusal the Create section is shown with: the browser logs its 422, which is no fault.
EXPECTED_422 = "Failed to load resource: the server responded with a status of 422"


def _problems(page, locale, allowed):
    problems = [f"fit: {p}" for p in page.evaluate(PROBLEMS_JS)]
    if locale == "zh-CN":
        # The YAML editor holds a manifest: Kubernetes' own language, in any page's language.
        problems += [p for p in chinese_text_problems(page, allowed) if "textarea#apply-manifest" not in p]
    return problems


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_every_section_fits_and_speaks_the_pages_language(browser, live_server_url, alice, launch, project_of, locale):
    instances = running_instances(launch, alice)
    cluster = make_cluster(alice, project_of(alice), instances)
    clusters.apply_manifest(cluster, deployment(5, "400m"))
    clusters.apply_manifest(cluster, SERVICE)
    advance(cluster)
    # The cluster's objects are named by the student (namespaces, pods …), as instances are.
    # Resource names are the API's identifiers (kubectl get pods), as Nova's filter names are.
    allowed = _allowed_words() | KUBERNETES_WORDS | set(RESOURCES) | {"events"}
    allowed |= set(cluster.kube_objects.values_list("name", flat=True))
    context = browser.new_context(locale=locale, viewport={"width": WIDTHS[0], "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, live_server_url, "alice")
    shots = os.environ.get("CLOUDLAB_SCREENSHOTS")
    found: list[str] = []  # every problem of every section, so one run shows them all
    for key, _label in [("clusters", ""), *SECTIONS]:
        url = "/project/kubernetes/" if key == "clusters" else f"/project/kubernetes/{cluster.pk}/{key}/"
        page.set_viewport_size({"width": WIDTHS[0], "height": 800})
        page.goto(live_server_url + url)
        page.wait_for_load_state("load")
        if key != "clusters":
            page.wait_for_selector("#live-indicator[data-state=live]")
        if key == "create":  # the refusal's causes table must fit too
            page.fill("#apply-manifest", deployment(-1, "400m").replace("name: web\nspec", "name: Web\nspec", 1))
            page.click("#apply-button")
            page.wait_for_selector("#apply-error .cl-kube-causes")
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            page.wait_for_timeout(120)
            if shots:
                Path(shots).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=f"{shots}/kube-{key}-{locale}-{width}.png", full_page=True)
            found += [f"{key} at {width}: {p}" for p in _problems(page, locale, allowed)]
    assert found == [], "\n".join(found)
    assert [e for e in errors if not e.startswith(EXPECTED_422)] == []
    context.close()
