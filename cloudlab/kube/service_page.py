"""Project → Kubernetes → a cluster → one Service: what kube-proxy and the DNS make of it.

The page shows the Service (type, ClusterIP, ports, selector), its Endpoints with their pods and
nodes, the DNS names and resolv.conf a pod gets, the variables a pod started after the Service
gets, and the iptables rules kube-proxy writes on every node for it, each said in one sentence
in the reader's language (``engine.kubernetes.proxy_explain``). "Send a request" POSTs a client
pod and a port; the server walks one packet through the chains with a fresh random draw
(``proxy_explain.walk`` on the engine's ``services.route``) and the page animates the hops.

The page follows ``kube.changed`` on the project's stream: a change to this Service, its
Endpoints, a pod or a node refetches ``data.json`` (the snapshot with the stream's seq).
"""

from __future__ import annotations

import random
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from cloudlab.engine.i18n import render as render_sentence
from cloudlab.engine.kubernetes import manifest, proxy_explain
from cloudlab.engine.kubernetes.objects import Endpoints, Node, Pod, Service
from cloudlab.engine.kubernetes.podlifecycle import print_endpoints, print_pod, print_service
from cloudlab.engine.kubernetes.services import (
    iptables_rules,
    pod_dns,
    resolv_conf,
    service_dns,
    service_env,
    service_port_name,
)
from cloudlab.live.events import current_seqs, project_stream

from .access import cluster_or_404
from .models import Cluster, KubeObject
from .nav import nav_context
from .store import cluster_now

CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"
#: Pods drawn per node at most (the rest are counted): a Deployment of 100 stays readable.
PODS_DRAWN = 12


class _Objects:
    """The rows this page reads: the Service and its Endpoints, every pod and node."""

    def __init__(self, cluster: Cluster, namespace: str, name: str) -> None:
        self.service: Service | None = None
        self.endpoints: Endpoints | None = None
        self.pods: list[Pod] = []
        self.nodes: list[Node] = []
        rows = KubeObject.objects.filter(cluster=cluster).filter(
            Q(resource__in=("pods", "nodes"))
            | Q(resource__in=("services", "endpoints"), namespace=namespace, name=name)
        )
        for row in rows.order_by("resource", "namespace", "name"):
            obj = manifest.decode_stored(row.body, epoch=cluster.epoch)
            if row.resource == "services":
                self.service = obj
            elif row.resource == "endpoints":
                self.endpoints = obj
            elif row.resource == "pods":
                self.pods.append(obj)
            else:
                self.nodes.append(obj)
        self.now = cluster_now(cluster)


def _sentence(item: dict[str, Any]) -> str:
    return render_sentence(item["why"], item["numbers"], gettext)


def _is_client(pod: Pod) -> bool:
    """A pod that can send a request: Running, not terminating, with an address."""
    return pod.status.phase == "Running" and pod.metadata.deletion_timestamp is None and bool(pod.status.pod_ip)


def _ports(svc: Service) -> list[dict[str, Any]]:
    out = []
    for index, p in enumerate(svc.ports):
        target = p.target_port or p.port
        label = f"{p.port}/{p.protocol}" + (f" ({p.name})" if p.name else "")
        out.append(
            {
                "index": index,
                "name": p.name,
                "port": p.port,
                "target_port": target,
                "node_port": p.node_port or None,
                "protocol": p.protocol,
                "service_port_name": service_port_name(svc, p),
                "label": label,
            }
        )
    return out


def _endpoints(ep: Endpoints | None, pods: dict[str, Pod]) -> list[dict[str, Any]]:
    """Every address of the Endpoints, ready ones first, with its pod, node and ports."""
    out = []
    for subset in ep.subsets if ep else []:
        ports = [{"name": p.name, "port": p.port, "protocol": p.protocol} for p in subset.ports]
        for ready, addresses in ((True, subset.addresses), (False, subset.not_ready_addresses)):
            for a in addresses:
                pod_name = a.target_ref.name if a.target_ref else ""
                pod = pods.get(pod_name)
                out.append(
                    {
                        "ip": a.ip,
                        "ready": ready,
                        "pod": pod_name,
                        "node": a.node_name,
                        "ports": ports,
                        "status": print_pod(pod, 0.0)["STATUS"] if pod else "",
                    }
                )
    out.sort(key=lambda e: (not e["ready"], e["ip"]))
    return out


def _chain_rank(chain: dict[str, Any]) -> int:
    """The chains in the order a packet meets them: the portals, the NodePorts, the Service's
    chains, the endpoints'; the filter table's REJECT rules with the portals."""
    name = chain["chain"]
    for rank, prefix in enumerate(
        ("KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES", "KUBE-NODEPORTS", "KUBE-EXT-", "KUBE-SVC-")
    ):
        if name.startswith(prefix):
            return rank
    return 5


def _chains(svc: Service, ep: Endpoints | None) -> list[dict[str, Any]]:
    """kube-proxy's rules for the Service grouped by table and chain, in the order a packet meets them."""
    chains: list[dict[str, Any]] = []
    by_key: dict[tuple[str, str], dict[str, Any]] = {}
    for rule in proxy_explain.explained_rules(svc, ep, iptables_rules(svc, ep)):
        key = (rule["table"], rule["chain"])
        if key not in by_key:
            by_key[key] = {"table": rule["table"], "chain": rule["chain"], "rules": []}
            chains.append(by_key[key])
        by_key[key]["rules"].append(
            {
                "kind": rule["kind"],
                "text": rule["saved"],
                "written": rule["rule"],
                "why": _sentence(rule),
                "target": rule.get("target", ""),
                "endpoint": rule.get("endpoint", ""),
                "probability": proxy_explain.saved_probability(rule["probability"])
                if rule.get("probability")
                else None,
            }
        )
    return sorted(chains, key=_chain_rank)


def _dns(svc: Service, endpoints: list[dict[str, Any]]) -> dict[str, Any]:
    names = service_dns(svc)
    fqdn, ns = names["name"], svc.metadata.namespace
    headless = svc.cluster_ip == "None"
    if svc.type == "ExternalName":
        records = [{"name": fqdn, "type": "CNAME", "value": svc.external_name + "."}]
    elif headless:
        records = [{"name": fqdn, "type": "A", "value": e["ip"]} for e in endpoints if e["ready"]]
    else:
        records = [{"name": fqdn, "type": "A", "value": svc.cluster_ip}]
    srv = []
    for p in svc.ports:
        if not p.name:
            continue
        owner = f"_{p.name}._{p.protocol.lower()}.{fqdn}"
        if headless:
            ready = [e for e in endpoints if e["ready"]]
            weight = 100 // max(len(ready), 1)
            srv.extend(
                {"name": owner, "value": f"0 {weight} {p.port} {e['ip'].replace('.', '-')}.{fqdn}."} for e in ready
            )
        else:
            srv.append({"name": owner, "value": f"0 100 {p.port} {fqdn}."})
    conf = resolv_conf(ns)
    return {
        "fqdn": fqdn,
        "records": records,
        "srv": srv,
        "short": [svc.metadata.name, f"{svc.metadata.name}.{ns}", f"{svc.metadata.name}.{ns}.svc"],
        "resolv_conf": conf,
        "search": conf.splitlines()[0],
        "pods": [{"pod": e["pod"], "name": pod_dns(e["ip"], ns), "ip": e["ip"]} for e in endpoints if e["ready"]],
    }


def _env(svc: Service, pods: list[Pod]) -> dict[str, Any]:
    """The variables, and the Running pods of the namespace that started before the Service (they
    do not have them: the kubelet writes a container's environment when it starts it)."""
    before = []
    for pod in pods:
        started = pod.status.start_time if pod.status.start_time is not None else pod.metadata.creation_timestamp
        if pod.metadata.namespace == svc.metadata.namespace and _is_client(pod):
            if started < svc.metadata.creation_timestamp:
                before.append(pod.metadata.name)
    return {"vars": sorted(service_env(svc).items()), "started_before": sorted(before)}


def _nodes(nodes: list[Node], pods: list[Pod], endpoints: list[dict[str, Any]], namespace: str) -> list[dict[str, Any]]:
    """Each node with its pods (the Service's endpoints first), as the request's drawing shows them."""
    roles = {(namespace, e["pod"]): ("ready" if e["ready"] else "not-ready") for e in endpoints}
    out = []
    for node in sorted(nodes, key=lambda n: (CONTROL_PLANE_LABEL in n.labels, n.name)):
        ready = node.condition("Ready")
        here = sorted(
            (p for p in pods if p.spec.node_name == node.name and p.metadata.deletion_timestamp is None),
            key=lambda p: ((p.metadata.namespace, p.metadata.name) not in roles, p.metadata.namespace, p.metadata.name),
        )
        out.append(
            {
                "name": node.name,
                "control_plane": CONTROL_PLANE_LABEL in node.labels,
                "ready": ready is not None and ready.status == "True",
                "ip": node.addresses.get("InternalIP", ""),
                "pods": [
                    {
                        "name": p.metadata.name,
                        "namespace": p.metadata.namespace,
                        "ip": p.status.pod_ip,
                        "status": print_pod(p, 0.0)["STATUS"],
                        "endpoint": roles.get((p.metadata.namespace, p.metadata.name)),
                        "client": _is_client(p),
                    }
                    for p in here[:PODS_DRAWN]
                ],
                "more": max(len(here) - PODS_DRAWN, 0),
            }
        )
    return out


def _streams(cluster: Cluster) -> list[str]:
    return [project_stream(cluster.project_id)]


def snapshot(cluster: Cluster, namespace: str, name: str) -> dict[str, Any] | None:
    """Everything the page draws, or None when the Service does not exist."""
    seqs = current_seqs(_streams(cluster))  # read first: what follows is at least this fresh
    objs = _Objects(cluster, namespace, name)
    svc = objs.service
    if svc is None:
        return None
    pods_here = {p.metadata.name: p for p in objs.pods if p.metadata.namespace == namespace}
    endpoints = _endpoints(objs.endpoints, pods_here)
    kubectl = print_service(svc, objs.now)
    clients = [
        {
            "value": f"{p.metadata.namespace}/{p.metadata.name}",
            "pod": p.metadata.name,
            "ip": p.status.pod_ip,
            "node": p.spec.node_name,
        }
        for p in sorted(objs.pods, key=lambda p: (p.metadata.namespace, p.metadata.name))
        if _is_client(p)
    ]
    return {
        "streams": seqs,
        "cluster": cluster.pk,
        "service": {
            "namespace": namespace,
            "name": name,
            "type": svc.type,
            "cluster_ip": svc.cluster_ip or None,
            "headless": svc.cluster_ip == "None",
            "external_name": svc.external_name,
            "session_affinity": svc.session_affinity,
            "session_affinity_timeout": svc.session_affinity_timeout,
            "selector": sorted((svc.selector or {}).items()) if svc.selector is not None else None,
            "ports": _ports(svc),
            "kubectl": kubectl,
            "resource_version": svc.metadata.resource_version,
        },
        "endpoints": endpoints,
        "endpoints_kubectl": print_endpoints(objs.endpoints, objs.now) if objs.endpoints else None,
        "dns": _dns(svc, endpoints),
        "env": _env(svc, objs.pods),
        "chains": _chains(svc, objs.endpoints),
        "base_rules": [{"text": r["rule"], "why": _sentence(r)} for r in proxy_explain.base_rules()],
        "nodes": _nodes(objs.nodes, objs.pods, endpoints, namespace),
        "clients": clients,
    }


@login_required
@require_GET
def service(request: HttpRequest, cluster_id: int, namespace: str, name: str) -> HttpResponse:
    cluster = cluster_or_404(request, cluster_id)
    data = snapshot(cluster, namespace, name)
    context: dict[str, Any] = {
        **nav_context(cluster, "services"),
        "namespace": namespace,
        "name": name,
        "missing": data is None,
        "services_url": reverse("kube:section", args=[cluster.pk, "services"]),
    }
    page: dict[str, Any] = {
        "streams": _streams(cluster),
        "cluster": cluster.pk,
        "namespace": namespace,
        "name": name,
        "snapshot_url": reverse("kube:service-data", args=[cluster.pk, namespace, name]),
        "route_url": reverse("kube:service-route", args=[cluster.pk, namespace, name]),
        "pace": float(cluster.cloud.pace),
    }
    context["page"] = page
    if data is None:  # the page still follows the stream: a Service created under this name loads it
        page.update(missing=True, snapshot={"streams": current_seqs(_streams(cluster)), "service": None})
        return render(request, "kube/service.html", context, status=404)
    page["snapshot"] = data
    context["service"] = data["service"]
    return render(request, "kube/service.html", context)


@login_required
@require_GET
def service_data(request: HttpRequest, cluster_id: int, namespace: str, name: str) -> JsonResponse:
    cluster = cluster_or_404(request, cluster_id)
    data = snapshot(cluster, namespace, name)
    if data is None:  # the page's live snapshot: "gone" is a state it shows, not an error to retry
        return JsonResponse(
            {"streams": current_seqs(_streams(cluster)), "service": None, "missing": _missing(namespace, name)}
        )
    return JsonResponse(data)


def _missing(namespace: str, name: str) -> str:
    return gettext('There is no Service "%(name)s" in namespace %(namespace)s: it may have been deleted already.') % {
        "name": name,
        "namespace": namespace,
    }


def _bad(message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=400)


@login_required
@require_POST
def service_route(request: HttpRequest, cluster_id: int, namespace: str, name: str) -> JsonResponse:
    """One request from a client pod to a port of the Service, walked through kube-proxy's rules."""
    cluster = cluster_or_404(request, cluster_id)
    objs = _Objects(cluster, namespace, name)
    svc = objs.service
    if svc is None:
        return JsonResponse({"error": _missing(namespace, name)}, status=404)
    if svc.type == "ExternalName" or svc.cluster_ip in ("", "None"):
        return _bad(
            gettext(
                "This Service has no ClusterIP (it is headless or an ExternalName), so kube-proxy writes no rule for"
                " it: a client connects to the addresses the DNS gives."
            )
        )
    raw_port = request.POST.get("port", "")
    try:
        port_index = int(raw_port)
    except ValueError:
        return _bad(gettext("Choose one of the Service's ports (got %(port)r).") % {"port": raw_port})
    if not 0 <= port_index < len(svc.ports):
        return _bad(gettext("The Service has no port number %(index)d.") % {"index": port_index})
    client_key = request.POST.get("client", "")
    client_ns, _, client_name = client_key.partition("/")
    pod = next((p for p in objs.pods if p.metadata.namespace == client_ns and p.metadata.name == client_name), None)
    if pod is None:
        return _bad(gettext("There is no pod %(pod)r in this cluster: choose a client pod.") % {"pod": client_key})
    if not _is_client(pod):
        return _bad(
            gettext("Pod %(pod)s is %(status)s, not Running: only a Running pod can send a request.")
            % {"pod": client_name, "status": print_pod(pod, objs.now)["STATUS"]}
        )
    client = {"pod": client_name, "namespace": client_ns, "ip": pod.status.pod_ip, "node": pod.spec.node_name}
    walked = proxy_explain.walk(svc, objs.endpoints, port_index, client, random.Random())  # noqa: S311 (a draw, not a secret)
    for hop in walked["hops"]:
        hop["sentence"] = _sentence(hop)
        del hop["why"], hop["numbers"]
    return JsonResponse({**walked, "client": client})
