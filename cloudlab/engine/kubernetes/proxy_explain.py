"""kube-proxy's rules read aloud, and one request walked through them (the Service page, §4.2).

``services.iptables_rules`` writes the lines kube-proxy hands ``iptables-restore``; this module
says what each line does (an English template and its numbers, ``i18n.render`` translates it)
and how ``iptables-save -t nat`` prints it back on a node. The one visible difference is the
``statistic`` match's probability: libxt_statistic keeps ``lround(p × 2³¹)`` as an integer and
prints ``%.11f`` of it again, so the ``0.3333333333`` kube-proxy wrote reads ``0.33333333349``;
a ``REJECT`` is saved with its default ``--reject-with icmp-port-unreachable``.

``walk`` sends one packet from a client pod to a Service port: the decision is the engine's
``services.route`` (the same draws in the same order), read through a recording random source so
that every statistic rule the packet met is shown with the number it drew, not only the one that
matched. Its steps:

1. the packet leaves the client pod into its node's PREROUTING, which jumps to KUBE-SERVICES;
2. no ready endpoint: the filter table's REJECT answers (connection refused), end;
3. the ClusterIP rule matches and jumps to the port's KUBE-SVC chain, whose first rule marks the
   packet for masquerading only when its source is outside the pod network;
4. each endpoint rule draws (or, the last, takes the packet unconditionally) until one jumps;
5. in the KUBE-SEP chain a pod reaching itself (hairpin) is marked, then DNAT rewrites the
   destination to the endpoint, which the packet reaches on its node.
"""

from __future__ import annotations

import ipaddress
import math
import random
import re
from typing import Any

from ..i18n import N_
from .objects import Endpoints, Service
from .services import (
    BASE_RULES,
    DEFAULT_CLUSTER_CIDR,
    compute_probability,
    iptables_rules,
    ready_endpoints,
    route,
    sep_chain,
    service_port_name,
    svc_chain,
)

#: libxt_statistic's fixed point: the probability is kept as an integer out of 2³¹.
STATISTIC_SCALE = 0x80000000


def saved_probability(written: str) -> str:
    """What ``iptables-save`` prints for ``--probability written``."""
    fixed = math.floor(float(written) * STATISTIC_SCALE + 0.5)
    return f"{fixed / STATISTIC_SCALE:.11f}"


_PROBABILITY = re.compile(r"--probability (\S+)")


def saved_text(rule: str) -> str:
    """A rule as ``iptables-save`` prints it back (probabilities re-read, REJECT's default)."""
    text = _PROBABILITY.sub(lambda m: "--probability " + saved_probability(m.group(1)), rule)
    if text.endswith("-j REJECT"):
        text += " --reject-with icmp-port-unreachable"
    return text


# -- one sentence per rule --------------------------------------------------------------------------

SERVICE = N_(
    "A packet to {ip} port {port}/{proto}, the ClusterIP of {name}, jumps to {target}: the chain of this Service port."
)
MASQ_OUTSIDE = N_(
    "A packet to the ClusterIP whose source is outside the pod network {cidr} (a process on the node itself) "
    "is marked for masquerading, so that its reply comes back through this node."
)
NODEPORT = N_("A packet to port {node_port} of one of the node's own addresses (the NodePort) jumps to {target}.")
MASQ_EXTERNAL = N_(
    "Traffic that came in through the NodePort is marked for masquerading (its source becomes the node's "
    "address), so the reply leaves through the node it arrived on."
)
EXT_JUMP = N_("Then it is balanced like traffic to the ClusterIP: on to {target}.")
AFFINITY = N_(
    "ClientIP affinity: a client that {target} has seen in the last {seconds} s goes back to {endpoint} without a draw."
)
ENDPOINT_DRAW = N_(
    "A random draw: with probability {probability} (1/{remaining} of the packets that reach this rule, which is "
    "1/{total} of them all) the packet goes to {endpoint} through {target}; otherwise it falls through to the next "
    "rule."
)
ENDPOINT_LAST = N_(
    "The last endpoint takes every packet still here, without a draw: 1/{total} of them all go to {endpoint}."
)
ENDPOINT_ONLY = N_("The only ready endpoint: every packet goes to {endpoint}, without a draw.")
SEP_HAIRPIN = N_(
    "A packet whose source is {ip}, the endpoint itself (a pod calling its own Service), is marked for "
    "masquerading, or the pod would answer itself directly and the reply would miss the NAT."
)
DNAT = N_(
    "Rewrites the destination to {endpoint}, the pod's address and port (DNAT); conntrack remembers it and "
    "rewrites the reply's source back to the ClusterIP."
)
REJECT = N_(
    "{name} has no ready endpoint: a packet to {ip} port {port} is refused at once (REJECT: ICMP port unreachable, "
    "the client's connection is refused) instead of waiting for a timeout."
)
REJECT_NODEPORT = N_("The NodePort {node_port} of a Service with no ready endpoint is refused the same way.")

BASE_EXPLAINED = (
    N_("Every packet that reaches the node (from its pods or from outside) goes through KUBE-SERVICES first."),
    N_("So does every packet that a process of the node itself sends."),
    N_(
        "The last rule of KUBE-SERVICES: a packet to one of the node's own addresses that matched no ClusterIP "
        "is looked up among the NodePorts."
    ),
    N_("To mark a packet for masquerading is to set the bit 0x4000 of its firewall mark."),
    N_("On the way out, a packet without the mark is left as it is…"),
    N_("…a marked one has the mark cleared again,"),
    N_("…and its source rewritten to the address of the interface it leaves by (SNAT), with a random source port."),
)

_FIELDS = {
    "ip": re.compile(r"-d (\S+)/32"),
    "source": re.compile(r"-s (\S+)/32"),
    "dport": re.compile(r"--dport (\d+)"),
    "target": re.compile(r"-j (\S+)"),
    "destination": re.compile(r"--to-destination (\S+)"),
    "comment": re.compile(r'--comment "([^"]*)"'),
    "proto": re.compile(r"-p (\w+)"),
}


def _field(rule: str, name: str) -> str:
    match = _FIELDS[name].search(rule)
    return match.group(1) if match else ""


def explain(
    rule: dict[str, Any], svc: Service, total: int, cluster_cidr: str = DEFAULT_CLUSTER_CIDR
) -> tuple[str, dict[str, Any]]:
    """The sentence (template, numbers) that says what one of ``iptables_rules``' lines does;
    ``total`` is the number of ready endpoints of the rule's Service port."""
    text, kind, chain = rule["rule"], rule["kind"], rule["chain"]
    comment = _field(text, "comment")
    name = comment.split(" ")[0] if comment else f"{svc.metadata.namespace}/{svc.metadata.name}"
    if kind == "service":
        return SERVICE, {
            "ip": _field(text, "ip"),
            "port": _field(text, "dport"),
            "proto": _field(text, "proto"),
            "name": name,
            "target": rule["target"],
        }
    if kind == "reject":
        if chain == "KUBE-EXTERNAL-SERVICES":
            return REJECT_NODEPORT, {"node_port": _field(text, "dport")}
        return REJECT, {"name": name, "ip": _field(text, "ip"), "port": _field(text, "dport")}
    if kind == "nodeport":
        return NODEPORT, {"node_port": _field(text, "dport"), "target": rule["target"]}
    if kind == "jump":
        return EXT_JUMP, {"target": rule["target"]}
    if kind == "masquerade":
        if chain.startswith("KUBE-SVC-"):
            return MASQ_OUTSIDE, {"cidr": cluster_cidr}
        if chain.startswith("KUBE-EXT-"):
            return MASQ_EXTERNAL, {}
        return SEP_HAIRPIN, {"ip": _field(text, "source")}
    if kind == "affinity":
        return AFFINITY, {
            "target": rule["target"],
            "seconds": svc.session_affinity_timeout,
            "endpoint": comment.split(" -> ")[-1],
        }
    if kind == "endpoint":
        endpoint = rule["endpoint"]
        if rule.get("probability") is None:
            if total == 1:
                return ENDPOINT_ONLY, {"endpoint": endpoint}
            return ENDPOINT_LAST, {"endpoint": endpoint, "total": total}
        remaining = round(1 / float(rule["probability"]))
        return ENDPOINT_DRAW, {
            "probability": saved_probability(rule["probability"]),
            "remaining": remaining,
            "total": total,
            "endpoint": endpoint,
            "target": rule["target"],
        }
    return DNAT, {"endpoint": _field(text, "destination")}


def explained_rules(
    svc: Service, ep: Endpoints | None, rules: list[dict[str, Any]], cluster_cidr: str = DEFAULT_CLUSTER_CIDR
) -> list[dict[str, Any]]:
    """Each rule with its saved text, its sentence and the Service port it belongs to."""
    totals = {svc_chain(service_port_name(svc, p), p.protocol.lower()): len(ready_endpoints(ep, p)) for p in svc.ports}
    out = []
    for rule in rules:
        total = totals.get(rule.get("chain", ""), 0) or totals.get(rule.get("target", ""), 0)
        if rule["chain"].startswith("KUBE-SEP-"):
            total = 1
        template, numbers = explain(rule, svc, total, cluster_cidr)
        out.append({**rule, "saved": saved_text(rule["rule"]), "why": template, "numbers": numbers})
    return out


def base_rules() -> list[dict[str, Any]]:
    """The fixed rules of every node, each with its sentence."""
    return [{"rule": r, "why": why, "numbers": {}} for r, why in zip(BASE_RULES, BASE_EXPLAINED, strict=True)]


# -- one request ------------------------------------------------------------------------------------


class RecordingRandom(random.Random):
    """A random source that remembers what it gave: the draws ``services.route`` made."""

    def __init__(self, source: random.Random) -> None:
        super().__init__()
        self.source = source
        self.draws: list[float] = []

    def random(self) -> float:
        value = self.source.random()
        self.draws.append(value)
        return value


STEP_SEND = N_(
    "{client} sends a packet to {to}; it leaves the pod into {node}, whose PREROUTING hands it to KUBE-SERVICES."
)
STEP_MATCH = N_("The destination {to} is the ClusterIP and port of {name}: jump to {target}.")
STEP_NO_MASQ = N_("{client} is inside the pod network {cidr}: the packet is not marked for masquerading.")
STEP_MASQ = N_("{client} is outside the pod network {cidr}: the packet is marked for masquerading.")
STEP_MISS = N_("Drew {draw}, not below {probability}: this rule does not match, on to the next one.")
STEP_HIT = N_("Drew {draw}, below {probability}: jump to {target}.")
STEP_LAST = N_("The last rule: no draw, jump to {target}.")
STEP_HAIRPIN = N_("{client} is the endpoint itself: the packet is marked for masquerading (hairpin).")
STEP_DNAT = N_("DNAT: the destination {to} becomes {endpoint}.")
STEP_DELIVER = N_("The packet reaches {pod} on {node} at {endpoint}.")
STEP_REJECT = N_("{name} has no ready endpoint: KUBE-SERVICES rejects the packet; the client gets Connection refused.")


def _in_network(ip: str, cidr: str) -> bool:
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(cidr)
    except ValueError:
        return False


def _find(rules: list[dict[str, Any]], chain: str, kind: str, **match: Any) -> str:
    """The saved text of the one rule of ``chain`` of this ``kind`` (and fields) kube-proxy wrote."""
    for rule in rules:
        if rule["chain"] == chain and rule["kind"] == kind and all(rule.get(k) == v for k, v in match.items()):
            return saved_text(rule["rule"])
    raise LookupError(f"no {kind} rule in {chain}")


def _address(ep: Endpoints | None, ip: str) -> dict[str, str]:
    for subset in ep.subsets if ep else []:
        for a in subset.addresses:
            if a.ip == ip:
                return {"pod": a.target_ref.name if a.target_ref else "", "node": a.node_name}
    return {"pod": "", "node": ""}


def walk(
    svc: Service,
    ep: Endpoints | None,
    port_index: int,
    client: dict[str, str],
    rng: random.Random,
    cluster_cidr: str = DEFAULT_CLUSTER_CIDR,
) -> dict[str, Any]:
    """One request from ``client`` (its ``pod``, ``ip`` and ``node``) to the Service port
    ``port_index``: the hops, each with its chain, the saved text of the rule it met and its
    sentence, and where the request ended (``verdict`` DNAT or REJECT)."""
    port = svc.ports[port_index]
    name = service_port_name(svc, port)
    proto = port.protocol.lower()
    to = f"{svc.cluster_ip}:{port.port}"
    rules = iptables_rules(svc, ep, cluster_cidr)
    recorder = RecordingRandom(rng)
    decided = route(svc, ep, port_index, recorder)
    eps = ready_endpoints(ep, port)
    hops: list[dict[str, Any]] = [
        {
            "step": "send",
            "chain": "PREROUTING",
            "rule": BASE_RULES[0],
            "why": STEP_SEND,
            "numbers": {"client": client["pod"], "to": to, "node": client["node"]},
        }
    ]
    result: dict[str, Any] = {"to": to, "port": port.port, "protocol": port.protocol, "hops": hops}
    if decided[-1].get("verdict") == "REJECT":
        reject = next(
            r
            for r in rules
            if r["kind"] == "reject" and r["chain"] == "KUBE-SERVICES" and f'"{name} has no endpoints"' in r["rule"]
        )
        hops.append(
            {
                "step": "reject",
                "chain": "KUBE-SERVICES",
                "table": "filter",
                "rule": saved_text(reject["rule"]),
                "why": STEP_REJECT,
                "numbers": {"name": name},
            }
        )
        return {**result, "verdict": "REJECT", "endpoint": None}
    svc_c = svc_chain(name, proto)
    hops.append(
        {
            "step": "match",
            "chain": "KUBE-SERVICES",
            "rule": _find(rules, "KUBE-SERVICES", "service", target=svc_c),
            "why": STEP_MATCH,
            "numbers": {"to": to, "name": name, "target": svc_c},
        }
    )
    outside = not _in_network(client["ip"], cluster_cidr)
    hops.append(
        {
            "step": "masquerade" if outside else "no-masquerade",
            "chain": svc_c,
            "rule": _find(rules, svc_c, "masquerade"),
            "why": STEP_MASQ if outside else STEP_NO_MASQ,
            "numbers": {"client": client["ip"], "cidr": cluster_cidr},
        }
    )
    draws = recorder.draws
    chosen = len(draws) - 1
    n = len(eps)
    for i in range(chosen + 1):
        e = eps[i]
        sep = sep_chain(name, proto, e)
        rule = _find(rules, svc_c, "endpoint", endpoint=e)
        step: dict[str, Any] = {"chain": svc_c, "rule": rule, "endpoint": e, "index": i, "of": n, "target": sep}
        if i == n - 1:
            hops.append({**step, "step": "last", "why": STEP_LAST, "numbers": {"target": sep}, "matched": True})
            continue
        prob = saved_probability(compute_probability(n - i))
        hit = i == chosen
        hops.append(
            {
                **step,
                "step": "draw",
                "why": STEP_HIT if hit else STEP_MISS,
                "numbers": {"draw": f"{draws[i]:.4f}", "probability": prob, "target": sep},
                "draw": round(draws[i], 4),
                "probability": prob,
                "matched": hit,
            }
        )
    endpoint = eps[chosen]
    sep = sep_chain(name, proto, endpoint)
    if decided[-1] != {"verdict": "DNAT", "to": endpoint} or decided[-2]["chain"] != sep:
        raise AssertionError(f"the walk left route's decision: {decided[-2:]} vs {sep} {endpoint}")
    ip = endpoint.rsplit(":", 1)[0]
    if client["ip"] == ip:
        hops.append(
            {
                "step": "hairpin",
                "chain": sep,
                "rule": _find(rules, sep, "masquerade"),
                "why": STEP_HAIRPIN,
                "numbers": {"client": client["pod"]},
            }
        )
    hops.append(
        {
            "step": "dnat",
            "chain": sep,
            "rule": _find(rules, sep, "dnat", endpoint=endpoint),
            "why": STEP_DNAT,
            "numbers": {"to": to, "endpoint": endpoint},
            "endpoint": endpoint,
        }
    )
    where = _address(ep, ip)
    hops.append(
        {
            "step": "deliver",
            "chain": "",
            "rule": "",
            "why": STEP_DELIVER,
            "numbers": {"pod": where["pod"] or ip, "node": where["node"], "endpoint": endpoint},
            "endpoint": endpoint,
            **where,
        }
    )
    return {**result, "verdict": "DNAT", "endpoint": endpoint, **where}


__all__ = ["base_rules", "explain", "explained_rules", "saved_probability", "saved_text", "walk"]
