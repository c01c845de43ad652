"""Services and kube-proxy (kubernetes-semantics.md §4).

Mirrors upstream ``TestAllocate`` / ``TestAllocateReserved`` (ipallocator, portallocator),
``TestOverallIPTablesRules`` / ``TestComputeProbability`` (pkg/proxy/iptables/proxier_test.go)
and the chain hashes of §4.2 (computed from the reference's recipe).
"""

from __future__ import annotations

import random
from collections import Counter

import pytest

from cloudlab.engine.kubernetes import services as sv
from cloudlab.engine.kubernetes.objects import (
    EndpointAddress,
    EndpointPort,
    Endpoints,
    EndpointSubset,
    ObjectMeta,
    Service,
    ServicePort,
)
from cloudlab.engine.kubernetes.podlifecycle import print_service


def web(**kw) -> Service:
    return Service(ObjectMeta("web"), [ServicePort(80, 80)], {"app": "web"}, cluster_ip="10.96.123.45", **kw)


def three() -> Endpoints:
    addrs = [EndpointAddress(ip) for ip in ("10.244.3.9", "10.244.1.5", "10.244.2.7")]
    return Endpoints(ObjectMeta("web"), [EndpointSubset(addrs, [], [EndpointPort(80)])])


def test_the_reference_rules_line_for_line() -> None:
    lines = [r["rule"] for r in sv.iptables_rules(web(), three())]
    assert lines == [
        '-A KUBE-SERVICES -d 10.96.123.45/32 -p tcp -m comment --comment "default/web cluster IP" -m tcp --dport 80 -j KUBE-SVC-LOLE4ISW44XBNF3G',  # noqa: E501
        "-A KUBE-SVC-LOLE4ISW44XBNF3G ! -s 10.244.0.0/16 -d 10.96.123.45/32 -p tcp"
        ' -m comment --comment "default/web cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ',
        '-A KUBE-SVC-LOLE4ISW44XBNF3G -m comment --comment "default/web -> 10.244.1.5:80" -m statistic --mode random --probability 0.3333333333 -j KUBE-SEP-3BXOQLMOWG4452TJ',  # noqa: E501
        '-A KUBE-SVC-LOLE4ISW44XBNF3G -m comment --comment "default/web -> 10.244.2.7:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-4OIMBIYGK4QJUGT7',  # noqa: E501
        '-A KUBE-SVC-LOLE4ISW44XBNF3G -m comment --comment "default/web -> 10.244.3.9:80" -j KUBE-SEP-MFGO3BGRD3ANO6BZ',
        '-A KUBE-SEP-3BXOQLMOWG4452TJ -s 10.244.1.5/32 -m comment --comment "default/web" -j KUBE-MARK-MASQ',
        '-A KUBE-SEP-3BXOQLMOWG4452TJ -p tcp -m comment --comment "default/web" -m tcp -j DNAT --to-destination 10.244.1.5:80',  # noqa: E501
        '-A KUBE-SEP-4OIMBIYGK4QJUGT7 -s 10.244.2.7/32 -m comment --comment "default/web" -j KUBE-MARK-MASQ',
        '-A KUBE-SEP-4OIMBIYGK4QJUGT7 -p tcp -m comment --comment "default/web" -m tcp -j DNAT --to-destination 10.244.2.7:80',  # noqa: E501
        '-A KUBE-SEP-MFGO3BGRD3ANO6BZ -s 10.244.3.9/32 -m comment --comment "default/web" -j KUBE-MARK-MASQ',
        '-A KUBE-SEP-MFGO3BGRD3ANO6BZ -p tcp -m comment --comment "default/web" -m tcp -j DNAT --to-destination 10.244.3.9:80',  # noqa: E501
    ]


@pytest.mark.parametrize(
    ("n", "shown"), [(1, "1.0000000000"), (2, "0.5000000000"), (3, "0.3333333333"), (7, "0.1428571429")]
)
def test_compute_probability(n: int, shown: str) -> None:
    assert sv.compute_probability(n) == shown


def test_no_endpoints_rejects_and_nodeport_and_affinity() -> None:
    (reject,) = sv.iptables_rules(web(), None)
    assert (
        reject["table"] == "filter"
        and '"default/web has no endpoints"' in reject["rule"]
        and reject["rule"].endswith("-j REJECT")
    )
    svc = web(type="NodePort", session_affinity="ClientIP")
    svc.ports[0].node_port = 31234
    rules = sv.iptables_rules(svc, three())
    text = "\n".join(r["rule"] for r in rules)
    assert (
        '-A KUBE-NODEPORTS -p tcp -m comment --comment "default/web" -m tcp --dport 31234 -j KUBE-EXT-LOLE4ISW44XBNF3G'
        in text
    )
    assert "-A KUBE-EXT-LOLE4ISW44XBNF3G -j KUBE-SVC-LOLE4ISW44XBNF3G" in text
    assert "--rcheck --seconds 10800 --reap -j KUBE-SEP-3BXOQLMOWG4452TJ" in text
    assert "-m recent --name KUBE-SEP-3BXOQLMOWG4452TJ --set -m tcp -j DNAT --to-destination 10.244.1.5:80" in text
    assert print_service(svc, 0)["PORT(S)"] == "80:31234/TCP"


def test_route_is_uniform() -> None:
    rng = random.Random(1)
    hits = Counter(sv.route(web(), three(), 0, rng)[-1]["to"] for _ in range(3000))
    assert set(hits) == {"10.244.1.5:80", "10.244.2.7:80", "10.244.3.9:80"}
    assert all(900 < c < 1100 for c in hits.values())


def test_cluster_ip_allocation() -> None:
    alloc = sv.ClusterIPAllocator(rng=random.Random(3))
    assert alloc.reserve_defaults() == ("10.96.0.1", "10.96.0.10")
    ip = alloc.allocate()
    offset = alloc._offset(ip)
    assert offset > sv.lower_band_size(alloc.size)  # random, from the upper band
    with pytest.raises(sv.AllocationError) as info:
        alloc.allocate("10.96.0.10")
    assert str(sv.cluster_ip_field_error("10.96.0.10", info.value)) == (
        'spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: failed to allocate IP 10.96.0.10: provided IP is already allocated'  # noqa: E501
    )
    with pytest.raises(sv.AllocationError, match=r"is not in the valid range. The range of valid IPs is 10.96.0.0/12"):
        alloc.allocate("192.168.1.1")
    small = sv.ClusterIPAllocator("10.0.0.0/29")
    got = {small.allocate() for _ in range(6)}
    assert len(got) == 6
    with pytest.raises(sv.AllocationError, match="range is full"):
        small.allocate()
    assert sv.lower_band_size(2**20 - 2) == 256 and sv.lower_band_size(254) == 16


def test_node_port_allocation() -> None:
    ports = sv.NodePortAllocator(rng=random.Random(5))
    p = ports.allocate()
    assert 30000 + 128 <= p <= 32767
    assert ports.allocate(30080) == 30080
    with pytest.raises(sv.AllocationError) as info:
        ports.allocate(30080)
    assert (
        str(sv.node_port_field_error(0, 30080, info.value))
        == "spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated"
    )
    with pytest.raises(sv.AllocationError, match="The range of valid ports is 30000-32767"):
        ports.allocate(80)


def test_dns_and_env() -> None:
    svc = Service(ObjectMeta("my-web"), [ServicePort(80, name="http")], {"app": "web"}, cluster_ip="10.96.0.42")
    assert sv.service_dns(svc) == {
        "name": "my-web.default.svc.cluster.local",
        "type": "A",
        "srv": ["_http._tcp.my-web.default.svc.cluster.local"],
    }
    assert sv.pod_dns("10.244.1.5", "default") == "10-244-1-5.default.pod.cluster.local"
    assert "options ndots:5" in sv.resolv_conf("default")
    env = sv.service_env(svc)
    assert env["MY_WEB_SERVICE_HOST"] == "10.96.0.42" and env["MY_WEB_SERVICE_PORT_HTTP"] == "80"
    assert env["MY_WEB_PORT_80_TCP"] == "tcp://10.96.0.42:80"
