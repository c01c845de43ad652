"""Services: ClusterIP and NodePort allocation, kube-proxy's iptables rules, DNS names (§4).

Read: ``pkg/registry/core/service/ipallocator`` (random allocation, upper band first, the lower
band ``min(max(16, size/16), 256)`` kept for requested IPs, KEP-3070) and ``portallocator``
(30000-32767, KEP-3668), their error texts; ``pkg/proxy/iptables/proxier.go``
(``servicePortChainName`` / ``servicePortEndpointChainName``: the first 16 characters of
base32(SHA-256(servicePortName + protocol [+ endpoint])), ``computeProbability`` ``1/(n−i)``
printed ``%0.10f`` with the last endpoint unconditional, the KUBE-SERVICES / KUBE-SVC / KUBE-SEP /
KUBE-EXT / KUBE-NODEPORTS / KUBE-MARK-MASQ chains and the comments) and the DNS specification of
``kubernetes/dns`` (``<svc>.<ns>.svc.cluster.local``, SRV, pod A records, resolv.conf).
The rules are data (one dict per line) a page can show; nothing is applied anywhere.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import random
from dataclasses import dataclass, field
from typing import Any

from .objects import Endpoints, Service, ServicePort
from .validation import FieldError, invalid

DEFAULT_SERVICE_CIDR = "10.96.0.0/12"
DEFAULT_CLUSTER_CIDR = "10.244.0.0/16"
NODE_PORT_RANGE = (30000, 32767)
CLUSTER_DOMAIN = "cluster.local"
KUBE_DNS_IP_OFFSET = 10


class AllocationError(ValueError):
    """An address or port that cannot be had; ``str()`` is the apiserver's text."""


def lower_band_size(size: int) -> int:
    """KEP-3070: the static band at the bottom of the range."""
    return min(max(16, size // 16), 256)


@dataclass
class ClusterIPAllocator:
    """The ClusterIP bitmap of one service CIDR (network and broadcast addresses excluded)."""

    cidr: str = DEFAULT_SERVICE_CIDR
    allocated: set[str] = field(default_factory=set)
    rng: random.Random = field(default_factory=lambda: random.Random(0))  # noqa: S311

    def __post_init__(self) -> None:
        self.network = ipaddress.ip_network(self.cidr)
        self.size = self.network.num_addresses - 2

    def address(self, offset: int) -> str:
        """The ``offset``-th usable address (1 = the first, ``10.96.0.1``)."""
        return str(self.network.network_address + offset)

    def allocate(self, requested: str | None = None) -> str:
        if requested:
            try:
                ip = ipaddress.ip_address(requested)
            except ValueError:
                raise AllocationError(f"failed to allocate IP {requested}: not a valid IP address") from None
            if ip not in self.network or ip in (self.network.network_address, self.network.broadcast_address):
                raise AllocationError(
                    f"failed to allocate IP {requested}: provided IP ({requested}) is not in the valid range. "
                    f"The range of valid IPs is {self.cidr}"
                )
            if requested in self.allocated:
                raise AllocationError(f"failed to allocate IP {requested}: provided IP is already allocated")
            self.allocated.add(requested)
            return requested
        band = min(lower_band_size(self.size), self.size)
        for low, high in ((band + 1, self.size), (1, band)):
            free = high - low + 1 - sum(1 for a in self.allocated if low <= self._offset(a) <= high)
            if free <= 0:
                continue
            while True:
                candidate = self.address(self.rng.randint(low, high))
                if candidate not in self.allocated:
                    self.allocated.add(candidate)
                    return candidate
        raise AllocationError("failed to allocate a serviceIP: range is full")

    def _offset(self, ip: str) -> int:
        return int(ipaddress.ip_address(ip)) - int(self.network.network_address)

    def release(self, ip: str) -> None:
        self.allocated.discard(ip)

    def reserve_defaults(self) -> tuple[str, str]:
        """``default/kubernetes`` takes the first address, kube-dns the tenth (kubeadm)."""
        return self.allocate(self.address(1)), self.allocate(self.address(KUBE_DNS_IP_OFFSET))


def cluster_ip_field_error(ip: str, err: AllocationError) -> FieldError:
    return invalid("spec.clusterIPs", [ip], str(err))


@dataclass
class NodePortAllocator:
    low: int = NODE_PORT_RANGE[0]
    high: int = NODE_PORT_RANGE[1]
    allocated: set[int] = field(default_factory=set)
    rng: random.Random = field(default_factory=lambda: random.Random(0))  # noqa: S311

    def allocate(self, requested: int = 0) -> int:
        if requested:
            if not self.low <= requested <= self.high:
                raise AllocationError(
                    f"provided port is not in the valid range. The range of valid ports is {self.low}-{self.high}"
                )
            if requested in self.allocated:
                raise AllocationError("provided port is already allocated")
            self.allocated.add(requested)
            return requested
        size = self.high - self.low + 1
        band = min(max(16, size // 32), 128)
        for lo, hi in ((self.low + band, self.high), (self.low, self.low + band - 1)):
            if all(p in self.allocated for p in range(lo, hi + 1)):
                continue
            while True:
                port = self.rng.randint(lo, hi)
                if port not in self.allocated:
                    self.allocated.add(port)
                    return port
        raise AllocationError("range is full")


def node_port_field_error(index: int, port: int, err: AllocationError) -> FieldError:
    return invalid(f"spec.ports[{index}].nodePort", port, str(err))


# -- kube-proxy, iptables mode ------------------------------------------------------------------


def port_proto_hash(service_port_name: str, protocol: str, endpoint: str = "") -> str:
    digest = hashlib.sha256((service_port_name + protocol.lower() + endpoint).encode()).digest()
    return base64.b32encode(digest).decode()[:16]


def service_port_name(svc: Service, port: ServicePort) -> str:
    base = f"{svc.metadata.namespace}/{svc.metadata.name}"
    return f"{base}:{port.name}" if port.name else base


def svc_chain(name: str, protocol: str) -> str:
    return "KUBE-SVC-" + port_proto_hash(name, protocol)


def ext_chain(name: str, protocol: str) -> str:
    return "KUBE-EXT-" + port_proto_hash(name, protocol)


def sep_chain(name: str, protocol: str, endpoint: str) -> str:
    return "KUBE-SEP-" + port_proto_hash(name, protocol, endpoint)


def compute_probability(n: int) -> str:
    return f"{1.0 / n:0.10f}"


def ready_endpoints(ep: Endpoints | None, port: ServicePort) -> list[str]:
    """The ``ip:port`` pairs of the ready addresses serving ``port``, sorted as kube-proxy does."""
    if ep is None:
        return []
    out: list[str] = []
    for subset in ep.subsets:
        for p in subset.ports:
            if (p.name or "") == (port.name or "") and p.protocol == port.protocol:
                out.extend(f"{a.ip}:{p.port}" for a in subset.addresses)
    return sorted(set(out))


def _rule(table: str, chain: str, text: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {"table": table, "chain": chain, "rule": f"-A {chain} {text}", "kind": kind, **extra}


def iptables_rules(
    svc: Service, ep: Endpoints | None, cluster_cidr: str = DEFAULT_CLUSTER_CIDR
) -> list[dict[str, Any]]:
    """The lines kube-proxy writes for ``svc`` (nat table, plus the filter REJECT with no endpoints)."""
    rules: list[dict[str, Any]] = []
    if not svc.cluster_ip or svc.cluster_ip == "None" or svc.type == "ExternalName":
        return rules
    for port in svc.ports:
        name = service_port_name(svc, port)
        proto = port.protocol.lower()
        svc_c, ext_c = svc_chain(name, proto), ext_chain(name, proto)
        eps = ready_endpoints(ep, port)
        dst = f"-d {svc.cluster_ip}/32 -p {proto}"
        if not eps:
            rules.append(
                _rule(
                    "filter",
                    "KUBE-SERVICES",
                    f'{dst} -m comment --comment "{name} has no endpoints" -m {proto} --dport {port.port} -j REJECT',
                    "reject",
                )
            )
            if port.node_port:
                rules.append(
                    _rule(
                        "filter",
                        "KUBE-EXTERNAL-SERVICES",
                        f'-p {proto} -m comment --comment "{name} has no endpoints" -m addrtype --dst-type LOCAL '
                        f"-m {proto} --dport {port.node_port} -j REJECT",
                        "reject",
                    )
                )
            continue
        rules.append(
            _rule(
                "nat",
                "KUBE-SERVICES",
                f'{dst} -m comment --comment "{name} cluster IP" -m {proto} --dport {port.port} -j {svc_c}',
                "service",
                target=svc_c,
            )
        )
        rules.append(
            _rule(
                "nat",
                svc_c,
                f'! -s {cluster_cidr} {dst} -m comment --comment "{name} cluster IP" -m {proto} --dport {port.port} '
                "-j KUBE-MARK-MASQ",
                "masquerade",
            )
        )
        if port.node_port:
            rules.append(
                _rule(
                    "nat",
                    "KUBE-NODEPORTS",
                    f'-p {proto} -m comment --comment "{name}" -m {proto} --dport {port.node_port} -j {ext_c}',
                    "nodeport",
                    target=ext_c,
                )
            )
            rules.append(
                _rule(
                    "nat",
                    ext_c,
                    f'-m comment --comment "masquerade traffic for {name} external destinations" -j KUBE-MARK-MASQ',
                    "masquerade",
                )
            )
            rules.append(_rule("nat", ext_c, f"-j {svc_c}", "jump", target=svc_c))
        seps = [(e, sep_chain(name, proto, e)) for e in eps]
        if svc.session_affinity == "ClientIP":
            for e, sep in seps:
                rules.append(
                    _rule(
                        "nat",
                        svc_c,
                        f'-m comment --comment "{name} -> {e}" -m recent --name {sep} --rcheck '
                        f"--seconds {svc.session_affinity_timeout} --reap -j {sep}",
                        "affinity",
                        target=sep,
                    )
                )
        n = len(seps)
        for i, (e, sep) in enumerate(seps):
            if i < n - 1:
                prob = compute_probability(n - i)
                text = f'-m comment --comment "{name} -> {e}" -m statistic --mode random --probability {prob} -j {sep}'
                rules.append(_rule("nat", svc_c, text, "endpoint", target=sep, probability=prob, endpoint=e))
            else:
                rules.append(
                    _rule(
                        "nat",
                        svc_c,
                        f'-m comment --comment "{name} -> {e}" -j {sep}',
                        "endpoint",
                        target=sep,
                        probability=None,
                        endpoint=e,
                    )
                )
        for e, sep in seps:
            ip = e.rsplit(":", 1)[0]
            rules.append(_rule("nat", sep, f'-s {ip}/32 -m comment --comment "{name}" -j KUBE-MARK-MASQ', "masquerade"))
            recent = f" -m recent --name {sep} --set" if svc.session_affinity == "ClientIP" else ""
            rules.append(
                _rule(
                    "nat",
                    sep,
                    f'-p {proto} -m comment --comment "{name}"{recent} -m {proto} -j DNAT --to-destination {e}',
                    "dnat",
                    endpoint=e,
                )
            )
    return rules


#: The fixed rules every node has (the jumps into KUBE-SERVICES and the masquerade mark).
BASE_RULES = [
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; '
    'NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
    "-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000",
    "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN",
    "-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000",
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
]


def route(svc: Service, ep: Endpoints | None, port_index: int, rng: random.Random) -> list[dict[str, Any]]:
    """One packet to the ClusterIP walked through the chains (a page animates the hops)."""
    port = svc.ports[port_index]
    name = service_port_name(svc, port)
    proto = port.protocol.lower()
    eps = ready_endpoints(ep, port)
    hops: list[dict[str, Any]] = [{"chain": "KUBE-SERVICES", "to": f"{svc.cluster_ip}:{port.port}"}]
    if not eps:
        hops.append({"chain": "KUBE-SERVICES", "verdict": "REJECT"})
        return hops
    hops.append({"chain": svc_chain(name, proto)})
    for i, e in enumerate(eps):
        last = i == len(eps) - 1
        draw = rng.random()
        if last or draw < 1.0 / (len(eps) - i):
            hops.append({"chain": sep_chain(name, proto, e), "draw": None if last else round(draw, 4)})
            hops.append({"verdict": "DNAT", "to": e})
            return hops
    return hops


# -- DNS and environment --------------------------------------------------------------------------


def service_dns(svc: Service, domain: str = CLUSTER_DOMAIN) -> dict[str, Any]:
    fqdn = f"{svc.metadata.name}.{svc.metadata.namespace}.svc.{domain}"
    srv = [f"_{p.name}._{p.protocol.lower()}.{fqdn}" for p in svc.ports if p.name]
    record = "CNAME" if svc.type == "ExternalName" else "A"
    return {"name": fqdn, "type": record, "srv": srv}


def pod_dns(ip: str, namespace: str, domain: str = CLUSTER_DOMAIN) -> str:
    return f"{ip.replace('.', '-')}.{namespace}.pod.{domain}"


def resolv_conf(namespace: str, dns_ip: str = "10.96.0.10", domain: str = CLUSTER_DOMAIN) -> str:
    return f"search {namespace}.svc.{domain} svc.{domain} {domain}\nnameserver {dns_ip}\noptions ndots:5\n"


def service_env(svc: Service) -> dict[str, str]:
    """The Docker-links style variables a pod started after ``svc`` gets (enableServiceLinks)."""
    if not svc.cluster_ip or svc.cluster_ip == "None" or not svc.ports:
        return {}
    prefix = svc.metadata.name.upper().replace("-", "_")
    ip, first = svc.cluster_ip, svc.ports[0]
    env = {f"{prefix}_SERVICE_HOST": ip, f"{prefix}_SERVICE_PORT": str(first.port)}
    for p in svc.ports:
        if p.name:
            env[f"{prefix}_SERVICE_PORT_{p.name.upper().replace('-', '_')}"] = str(p.port)
    env[f"{prefix}_PORT"] = f"{first.protocol.lower()}://{ip}:{first.port}"
    for p in svc.ports:
        base = f"{prefix}_PORT_{p.port}_{p.protocol.upper()}"
        env[base] = f"{p.protocol.lower()}://{ip}:{p.port}"
        env[base + "_PROTO"] = p.protocol.lower()
        env[base + "_PORT"] = str(p.port)
        env[base + "_ADDR"] = ip
    return env
