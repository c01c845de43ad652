"""A Service's page: kube-proxy's chains with the probabilities of its ready endpoints (as
iptables-save prints them), the NodePort chain, DNS names and variables, a request walked through
the rules by the server (ending at an endpoint, or at the REJECT rule when there is none), bad
requests answered 400 with a reason, and nobody else's cluster (404).

The clusters are engine states written through ``cloudlab.kube.store.save`` (the loop is not
what these tests are about): pods Running and Ready on their nodes, the Endpoints the endpoints
controller computes from them."""

from __future__ import annotations

import json
import random
import re
import time

import pytest
from django.urls import reverse

from cloudlab.engine.kubernetes import cluster as engine
from cloudlab.engine.kubernetes import manifest, proxy_explain, services
from cloudlab.engine.kubernetes.bridge import node_from_instance
from cloudlab.engine.kubernetes.controllers.endpoints import desired_endpoints
from cloudlab.engine.kubernetes.objects import (
    Container,
    ContainerPort,
    ContainerState,
    ContainerStatus,
    ObjectMeta,
    Pod,
    PodCondition,
    PodSpec,
    PodStatus,
)
from cloudlab.kube import loop, store
from cloudlab.kube.models import Cluster

pytestmark = pytest.mark.django_db

FLAVOR = {"name": "m1.small", "vcpus": 1, "memory_mb": 2048, "root_gb": 20}

WEB = """
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: %(type)s
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: http}
"""


def make_pod(name: str, node: str, ip: str, *, ready: bool = True, labels: dict | None = None, now: float = 0.0) -> Pod:
    status = PodStatus(
        phase="Running",
        pod_ip=ip,
        host_ip="",
        start_time=now,
        conditions=[
            PodCondition("PodScheduled", "True"),
            PodCondition("Initialized", "True"),
            PodCondition("ContainersReady", "True" if ready else "False"),
            PodCondition("Ready", "True" if ready else "False"),
        ],
        container_statuses=[
            ContainerStatus(
                "web", ContainerState("running", started_at=now), ready=ready, started=True, image="nginx:1.27"
            )
        ],
    )
    spec = PodSpec([Container("web", ports=[ContainerPort(8080, name="http")])], node_name=node)
    return Pod(
        ObjectMeta(name, labels=dict(labels or {"app": "web"}), uid=f"uid-{name}", creation_timestamp=now), spec, status
    )


def build(project, *, pods: list[tuple], service_type: str = "ClusterIP", service: str | None = None):
    """A cluster of a control plane and two workers, the pods (name, node, ip, ready[, labels]) and the
    Service ``web`` with the Endpoints the controller would write."""
    cluster = Cluster.objects.create(cloud=project.cloud, project=project, name="lab", epoch=time.time() - 120)
    nodes = [
        node_from_instance("cp", FLAVOR, control_plane=True, internal_ip="192.168.0.10"),
        node_from_instance("node-1", FLAVOR, internal_ip="192.168.0.11"),
        node_from_instance("node-2", FLAVOR, internal_ip="192.168.0.12"),
    ]
    state = engine.new_cluster(nodes, now=0.0, pace=1.0)
    changes = [
        engine.Change("create", resource, engine.namespace_of(resource, obj), obj.metadata.name, obj)
        for resource in engine.RESOURCES
        for obj in state.table(resource).values()
    ]
    state.now = 10.0
    for name, node, ip, ready, *labels in pods:
        pod = make_pod(name, node, ip, ready=ready, now=5.0, labels=labels[0] if labels else None)
        state.revision += 1
        pod.metadata.resource_version = state.revision
        state.pods[("default", name)] = pod
        changes.append(engine.Change("create", "pods", "default", name, pod))
    text = service or WEB % {"type": service_type}
    svc = manifest.decode(manifest.parse_documents(text)[0])
    changes.append(engine.create(state, "services", svc, random.Random(1)))
    changes.extend(_endpoints(state))
    store.save(cluster, state, changes)
    return cluster


def _endpoints(state) -> list[engine.Change]:
    out = []
    for key, svc in state.services.items():
        if svc.selector is None:
            continue
        ep = desired_endpoints(svc, list(state.pods.values()))
        ep.metadata.uid = f"ep-{svc.metadata.name}"
        state.revision += 1
        ep.metadata.resource_version = state.revision
        state.endpoints[key] = ep
        out.append(engine.Change("update", "endpoints", key[0], key[1], ep))
    return out


def add_pod(cluster: Cluster, name: str, node: str, ip: str, *, ready: bool = True) -> None:
    """A pod appears (Running, Ready or not) and the Endpoints follow, published as the loop does."""
    with store.locked(cluster.pk) as locked:
        state = store.load(locked)
        pod = make_pod(name, node, ip, ready=ready, now=state.now)
        state.revision += 1
        pod.metadata.resource_version = state.revision
        state.pods[("default", name)] = pod
        changes = [engine.Change("create", "pods", "default", name, pod), *_endpoints(state)]
        store.save(locked, state, changes)
        loop.publish(locked, changes, [])


THREE = [
    ("web-a", "node-1", "10.244.1.5", True),
    ("web-b", "node-2", "10.244.2.7", True),
    ("web-c", "node-2", "10.244.2.9", True),
]


def _url(cluster, name="web", view="kube:service", namespace="default"):
    return reverse(view, args=[cluster.pk, namespace, name])


def _page_data(response) -> dict:
    match = re.search(r'<script id="page-data" type="application/json">(.*?)</script>', response.content.decode(), re.S)
    assert match, "the page carries its snapshot"
    return json.loads(match.group(1))


def _rules(snapshot, chain_prefix):
    return [r for c in snapshot["chains"] if c["chain"].startswith(chain_prefix) for r in c["rules"]]


def test_the_page_shows_the_chains_with_the_probabilities_of_three_ready_endpoints(client, alice, project_of):
    cluster = build(project_of(alice), pods=[*THREE, ("web-d", "node-1", "10.244.1.8", False)])
    client.force_login(alice)
    response = client.get(_url(cluster))
    assert response.status_code == 200
    data = _page_data(response)["snapshot"]
    svc = data["service"]
    assert svc["type"] == "ClusterIP" and svc["cluster_ip"].startswith("10.")
    assert svc["ports"][0]["target_port"] == "http" and svc["ports"][0]["node_port"] is None

    # the endpoints: three ready with their pods and nodes, the fourth not ready
    ready = [(e["ip"], e["pod"], e["node"]) for e in data["endpoints"] if e["ready"]]
    assert ready == [
        ("10.244.1.5", "web-a", "node-1"),
        ("10.244.2.7", "web-b", "node-2"),
        ("10.244.2.9", "web-c", "node-2"),
    ]
    assert [e["pod"] for e in data["endpoints"] if not e["ready"]] == ["web-d"]

    # KUBE-SERVICES → KUBE-SVC-… → KUBE-SEP-…, in kube-proxy's order and hashes
    name = "default/web:http"
    svc_chain = services.svc_chain(name, "tcp")
    (match,) = _rules(data, "KUBE-SERVICES")
    assert match["text"] == (
        f'-A KUBE-SERVICES -d {svc["cluster_ip"]}/32 -p tcp -m comment --comment "{name} cluster IP" '
        f"-m tcp --dport 80 -j {svc_chain}"
    )
    balancing = [r for r in _rules(data, svc_chain) if r["kind"] == "endpoint"]
    assert [r["endpoint"] for r in balancing] == ["10.244.1.5:8080", "10.244.2.7:8080", "10.244.2.9:8080"]
    assert [r["probability"] for r in balancing] == ["0.33333333349", "0.50000000000", None]
    assert (
        "--probability 0.33333333349 -j " + services.sep_chain(name, "tcp", "10.244.1.5:8080") in balancing[0]["text"]
    )
    assert "--probability 0.3333333333 " in balancing[0]["written"]  # what kube-proxy handed iptables-restore
    assert "statistic" not in balancing[2]["text"]
    dnat = [r["text"] for r in _rules(data, "KUBE-SEP-") if r["kind"] == "dnat"]
    assert sorted(t.rsplit(" ", 1)[1] for t in dnat) == ["10.244.1.5:8080", "10.244.2.7:8080", "10.244.2.9:8080"]
    assert not _rules(data, "KUBE-NODEPORTS")
    # every rule is said in a sentence
    assert "1/3" in balancing[0]["why"] and "1/2" in balancing[1]["why"] and "1/3" in balancing[2]["why"]

    # DNS: the A record, the SRV of the named port, the pods' search line; the variables
    dns = data["dns"]
    assert dns["records"] == [{"name": "web.default.svc.cluster.local", "type": "A", "value": svc["cluster_ip"]}]
    assert dns["srv"] == [
        {"name": "_http._tcp.web.default.svc.cluster.local", "value": "0 100 80 web.default.svc.cluster.local."}
    ]
    assert dns["search"] == "search default.svc.cluster.local svc.cluster.local cluster.local"
    env = dict(data["env"]["vars"])
    assert env["WEB_SERVICE_HOST"] == svc["cluster_ip"] and env["WEB_PORT_80_TCP"] == f"tcp://{svc['cluster_ip']}:80"
    # the drawing's nodes and the clients: every Running pod
    assert [n["name"] for n in data["nodes"]] == ["node-1", "node-2", "cp"]
    assert {c["pod"] for c in data["clients"]} == {"web-a", "web-b", "web-c", "web-d"}
    # the snapshot URL gives the same
    fresh = client.get(_url(cluster, view="kube:service-data")).json()
    assert fresh["chains"] == data["chains"] and "streams" in fresh


def test_the_probabilities_follow_the_number_of_endpoints(client, alice, project_of):
    pods = [(f"web-{i}", "node-1" if i % 2 else "node-2", f"10.244.{1 + i % 2}.{10 + i}", True) for i in range(5)]
    cluster = build(project_of(alice), pods=pods)
    client.force_login(alice)
    data = client.get(_url(cluster, view="kube:service-data")).json()
    chain = services.svc_chain("default/web:http", "tcp")
    balancing = [r["probability"] for r in _rules(data, chain) if r["kind"] == "endpoint"]
    assert balancing == ["0.20000000019", "0.25000000000", "0.33333333349", "0.50000000000", None]


def test_a_nodeport_service_has_its_nodeport_chain(client, alice, project_of):
    cluster = build(project_of(alice), pods=THREE, service_type="NodePort")
    client.force_login(alice)
    data = client.get(_url(cluster, view="kube:service-data")).json()
    node_port = data["service"]["ports"][0]["node_port"]
    assert 30000 <= node_port <= 32767
    ext = services.ext_chain("default/web:http", "tcp")
    (rule,) = _rules(data, "KUBE-NODEPORTS")
    assert rule["text"].endswith(f"-m tcp --dport {node_port} -j {ext}")
    assert str(node_port) in rule["why"]
    ext_rules = [r["text"] for r in _rules(data, ext)]
    assert ext_rules[-1] == f"-A {ext} -j {services.svc_chain('default/web:http', 'tcp')}"
    assert data["service"]["kubectl"]["PORT(S)"] == f"80:{node_port}/TCP"


def test_a_request_ends_at_one_of_the_endpoints(client, alice, project_of):
    cluster = build(project_of(alice), pods=THREE)
    client.force_login(alice)
    endpoints = {"10.244.1.5:8080": "web-a", "10.244.2.7:8080": "web-b", "10.244.2.9:8080": "web-c"}
    seen = set()
    for _ in range(12):
        response = client.post(_url(cluster, view="kube:service-route"), {"client": "default/web-a", "port": "0"})
        assert response.status_code == 200
        walk = response.json()
        assert walk["verdict"] == "DNAT" and walk["endpoint"] in endpoints
        assert walk["pod"] == endpoints[walk["endpoint"]]
        steps = [h["step"] for h in walk["hops"]]
        assert steps[:3] == ["send", "match", "no-masquerade"] and steps[-2:] == ["dnat", "deliver"]
        draws = [h for h in walk["hops"] if h["step"] in ("draw", "last")]
        # every rule before the chosen one drew and missed; the chosen one matched (or was the last)
        assert all(not h["matched"] and h["draw"] >= float(h["probability"]) for h in draws[:-1])
        assert draws[-1]["endpoint"] == walk["endpoint"] and draws[-1]["matched"]
        assert all(h["sentence"] for h in walk["hops"])
        if walk["endpoint"] == "10.244.1.5:8080":  # web-a reached itself through its Service: hairpin
            assert "hairpin" in steps
        seen.add(walk["endpoint"])
    assert len(seen) >= 2  # a fresh draw each time (12 requests all to one of three: 3 × (1/3)¹² apart)


def test_the_walk_takes_the_engines_route():
    """The walk and ``services.route`` make the same choice from the same random numbers."""
    cluster_state = engine.new_cluster([node_from_instance("n", FLAVOR)], now=0.0, pace=1.0)
    pods = [make_pod(f"p{i}", "n", f"10.244.0.{i + 2}") for i in range(4)]
    svc = manifest.decode(manifest.parse_documents(WEB % {"type": "ClusterIP"})[0])
    engine.create(cluster_state, "services", svc, random.Random(0))
    ep = desired_endpoints(svc, pods)
    client = {"pod": "x", "ip": "10.244.9.9", "node": "n"}
    for seed in range(40):
        hops = services.route(svc, ep, 0, random.Random(seed))
        walked = proxy_explain.walk(svc, ep, 0, client, random.Random(seed))
        assert walked["endpoint"] == hops[-1]["to"]


def test_a_service_without_endpoints_rejects(client, alice, project_of):
    cluster = build(
        project_of(alice),
        pods=[("web-a", "node-1", "10.244.1.5", False), ("other", "node-2", "10.244.2.3", True, {"app": "db"})],
    )
    client.force_login(alice)
    data = client.get(_url(cluster, view="kube:service-data")).json()
    (reject,) = _rules(data, "KUBE-SERVICES")
    assert reject["kind"] == "reject"
    assert reject["text"].endswith(
        '"default/web:http has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable'
    )
    response = client.post(_url(cluster, view="kube:service-route"), {"client": "default/other", "port": "0"})
    assert response.status_code == 200
    walk = response.json()
    assert walk["verdict"] == "REJECT" and walk["endpoint"] is None
    assert walk["hops"][-1]["step"] == "reject" and walk["hops"][-1]["rule"] == reject["text"]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"client": "default/web-a", "port": "x"}, "Choose one of the Service's ports"),
        ({"client": "default/web-a", "port": "3"}, "no port number 3"),
        ({"client": "default/web-a", "port": "-1"}, "no port number -1"),
        ({"client": "default/nobody", "port": "0"}, "There is no pod 'default/nobody'"),
        ({"client": "", "port": "0"}, "There is no pod"),
        ({"client": "default/web-b", "port": "0"}, "not Running"),
    ],
)
def test_bad_input_to_the_route_is_a_400_that_says_why(client, alice, project_of, form, message):
    cluster = build(project_of(alice), pods=[("web-a", "node-1", "10.244.1.5", True)])
    with store.locked(cluster.pk) as locked:  # web-b: a pod still Pending
        state = store.load(locked)
        pod = make_pod("web-b", "", "", ready=False)
        pod.status = PodStatus()
        state.revision += 1
        pod.metadata.resource_version = state.revision
        store.save(locked, state, [engine.Change("create", "pods", "default", "web-b", pod)])
    client.force_login(alice)
    response = client.post(_url(cluster, view="kube:service-route"), form)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_the_route_takes_only_posts(client, alice, project_of):
    cluster = build(project_of(alice), pods=THREE)
    client.force_login(alice)
    assert client.get(_url(cluster, view="kube:service-route")).status_code == 405


def test_a_headless_service_has_no_rules_and_no_route(client, alice, project_of):
    headless = WEB % {"type": "ClusterIP"} + "  clusterIP: None\n"
    cluster = build(project_of(alice), pods=THREE, service=headless)
    client.force_login(alice)
    data = client.get(_url(cluster, view="kube:service-data")).json()
    assert data["chains"] == [] and data["service"]["headless"]
    assert [r["value"] for r in data["dns"]["records"]] == ["10.244.1.5", "10.244.2.7", "10.244.2.9"]
    response = client.post(_url(cluster, view="kube:service-route"), {"client": "default/web-a", "port": "0"})
    assert response.status_code == 400 and "no ClusterIP" in response.json()["error"]


def test_a_missing_service_is_a_404_page_that_says_so(client, alice, project_of):
    cluster = build(project_of(alice), pods=THREE)
    client.force_login(alice)
    response = client.get(_url(cluster, name="gone"))
    assert response.status_code == 404
    assert 'There is no Service "gone" in namespace default' in response.content.decode()
    assert client.get(_url(cluster, name="gone", view="kube:service-data")).json()["service"] is None
    assert client.post(_url(cluster, name="gone", view="kube:service-route"), {"port": "0"}).status_code == 404


def test_bob_gets_404_for_alices_service(client, alice, bob, ivy, project_of):
    cluster = build(project_of(alice), pods=THREE)
    client.force_login(bob)
    for view in ("kube:service", "kube:service-data"):
        assert client.get(_url(cluster, view=view)).status_code == 404
    assert (
        client.post(_url(cluster, view="kube:service-route"), {"client": "default/web-a", "port": "0"}).status_code
        == 404
    )
    client.force_login(ivy)  # the instructor of the cloud sees it
    assert client.get(_url(cluster)).status_code == 200


def test_the_page_in_chinese_explains_the_rules_in_chinese(client, alice, project_of):
    cluster = build(project_of(alice), pods=THREE)
    client.force_login(alice)
    client.cookies["django_language"] = "zh-hans"
    data = client.get(_url(cluster, view="kube:service-data")).json()
    sentences = [r["why"] for c in data["chains"] for r in c["rules"]] + [r["why"] for r in data["base_rules"]]
    assert all(re.search(r"[\u4e00-\u9fff]", s) for s in sentences), sentences


TWO_PORTS = """
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  sessionAffinity: ClientIP
  ports:
  - {name: http, port: 80, targetPort: 8080}
  - {name: metrics, port: 9100, protocol: UDP}
"""


def test_a_service_with_two_ports_and_client_ip_affinity(client, alice, project_of):
    cluster = build(project_of(alice), pods=THREE, service=TWO_PORTS)
    client.force_login(alice)
    data = client.get(_url(cluster, view="kube:service-data")).json()
    assert data["service"]["session_affinity"] == "ClientIP"
    http = services.svc_chain("default/web:http", "tcp")
    affinity = [r for r in _rules(data, http) if r["kind"] == "affinity"]
    assert len(affinity) == 3 and all("--rcheck --seconds 10800 --reap" in r["text"] for r in affinity)
    assert "10800" in affinity[0]["why"]
    # the UDP port: targetPort defaults to the port, 9100 is used as it is
    metrics = services.svc_chain("default/web:metrics", "udp")
    assert [r["probability"] for r in _rules(data, metrics) if r["kind"] == "endpoint"] == [
        "0.33333333349",
        "0.50000000000",
        None,
    ]
    assert {s["name"] for s in data["dns"]["srv"]} == {
        "_http._tcp.web.default.svc.cluster.local",
        "_metrics._udp.web.default.svc.cluster.local",
    }
    walk = client.post(_url(cluster, view="kube:service-route"), {"client": "default/web-b", "port": "1"}).json()
    assert walk["verdict"] == "DNAT" and walk["endpoint"].endswith(":9100") and walk["protocol"] == "UDP"


def test_a_nodeport_service_without_endpoints_rejects_its_nodeport_too(client, alice, project_of):
    cluster = build(project_of(alice), pods=[("web-a", "node-1", "10.244.1.5", False)], service_type="NodePort")
    client.force_login(alice)
    data = client.get(_url(cluster, view="kube:service-data")).json()
    node_port = data["service"]["ports"][0]["node_port"]
    (external,) = _rules(data, "KUBE-EXTERNAL-SERVICES")
    assert f"--dport {node_port} -j REJECT" in external["text"] and str(node_port) in external["why"]
    assert not _rules(data, "KUBE-NODEPORTS")


DEPLOYMENT_AND_SERVICE = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{name: http, containerPort: 8080}]
        resources:
          requests: {cpu: 50m, memory: 32Mi}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
"""


@pytest.mark.django_db(transaction=True)
def test_scaling_a_deployment_through_the_loop_redraws_the_chain(client, alice, project_of, launch, celery_worker):
    """The real thing: a cluster on instances, the worker's loop, the endpoints controller; 3 → 5."""
    from cloudlab.compute.models import Instance
    from cloudlab.kube import clusters
    from tests.helpers import wait_for

    instances = launch(alice, name="svc", count=3, flavor="m1.small")

    def active():
        fresh = list(Instance.objects.filter(pk__in=[i.pk for i in instances]).order_by("name"))
        return all(i.vm_state == "active" and i.task_state is None for i in fresh) and fresh

    cp, *workers = wait_for(active, timeout=30)
    cluster = clusters.create_cluster(
        alice, project_of(alice), name="lab", control_plane=str(cp.uuid), workers=[str(w.uuid) for w in workers]
    )
    clusters.apply_manifest(cluster, DEPLOYMENT_AND_SERVICE)
    client.force_login(alice)
    chain = services.svc_chain("default/web:http", "tcp")

    def probabilities(count):
        data = client.get(_url(cluster, view="kube:service-data")).json()
        found = [r["probability"] for r in _rules(data, chain) if r["kind"] == "endpoint"]
        return len(found) == count and found

    assert wait_for(lambda: probabilities(3), timeout=40) == ["0.33333333349", "0.50000000000", None]
    clusters.scale_object(cluster, "deployments", "default", "web", 5)
    assert wait_for(lambda: probabilities(5), timeout=40) == [
        "0.20000000019",
        "0.25000000000",
        "0.33333333349",
        "0.50000000000",
        None,
    ]
    # a request from one of the pods ends at one of the five
    data = client.get(_url(cluster, view="kube:service-data")).json()
    ready = {f"{e['ip']}:8080" for e in data["endpoints"] if e["ready"]}
    walk = client.post(_url(cluster, view="kube:service-route"), {"client": data["clients"][0]["value"], "port": "0"})
    assert walk.json()["endpoint"] in ready
