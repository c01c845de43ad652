"""Learn → OpenStack → Deployment: the seed's two-node minimal deployment drawn from the cloud
itself (nova-flow.md §1.1): one controller node with its services, and every compute host of the
cloud with nova-compute, the network agent of the cloud's era and the hypervisor of its class,
on the internal (management) and external networks.

Health follows the cloud's own rows: a host marked down is its nova-compute service forced down
(``openstack compute service set --down``, nothing else on the node stops); a disabled service
shows its reason. Every viewer follows it live: a service change is published to every project of
the cloud as its ``PUT /os-services`` flow (``flow_log.publish_service_change``), which makes the
page refetch the snapshot; instructors also follow the cloud stream (``host.updated``, and the
compute nodes' periodic tasks, ``motion/tracker.py``).

Who sees what: the compute nodes are the deployment's architecture, and the course draws them,
so every member of the cloud sees them (names, IPs, hypervisors, health). Which host an instance
is on stays the instructors' (``compute.rows.shown_host`` and the instance rows): this page never
lists instances.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as N_
from django.views.decorators.http import require_GET

from cloudlab.compute.models import Cloud, Host
from cloudlab.dashboard.access import project_or_404
from cloudlab.engine.flow import SERVICES
from cloudlab.engine.flow.tracker import TASKS
from cloudlab.identity.models import Project, is_instructor
from cloudlab.live.events import cloud_stream, current_seqs, project_stream

from . import tracker

#: The controller node's services, in drawing order: (id, Nova's or the project's own name, what it
#: does, the eras it runs in, where it listens). ``database`` and ``rabbitmq`` are the
#: deployment's MariaDB and RabbitMQ. Placement runs only where the scheduler uses it; neutron-server
#: only where Neutron is the network (the classic era's network is nova-network, on the computes).
BOTH = ("classic", "placement")

CONTROLLER_SERVICES: tuple[tuple[str, str, str, tuple[str, ...], str], ...] = (
    ("keystone", "keystone", N_("identity: checks every request's token"), BOTH, "HTTP :5000"),
    ("glance-api", "glance-api", N_("image service"), BOTH, "HTTP :9292"),
    ("nova-api", "nova-api", N_("the compute API: validates, records, casts"), BOTH, "HTTP :8774"),
    ("nova-conductor", "nova-conductor", N_("builds and the database proxy of nova-compute"), BOTH, "RPC conductor"),
    ("nova-scheduler", "nova-scheduler", N_("filters and weighs the hosts"), BOTH, "RPC scheduler"),
    ("placement-api", "placement-api", N_("resource providers and allocations"), ("placement",), "HTTP :8778"),
    ("neutron-server", "neutron-server", N_("networks and ports"), ("placement",), "HTTP :9696"),
    ("database", "MariaDB", N_("the database: nova_api, nova, nova_cell0, placement"), BOTH, ":3306"),
    ("rabbitmq", "RabbitMQ", N_("the message queue: exchange nova"), BOTH, "AMQP :5672"),
)

#: The network agent on each compute node: nova-network (multi_host) in the classic era, the
#: Neutron L2 agent today (nova-flow.md §1.1).
NETWORK_AGENT = {
    "classic": ("nova-network", N_("fixed and floating IPs, bridge, dnsmasq, NAT")),
    "placement": ("neutron-openvswitch-agent", N_("wires the instance's port on Open vSwitch")),
}

#: The virt driver and hypervisor behind each hypervisor type a host reports (nova-flow.md §4.2;
#: Firecracker has no Nova driver: CloudLab's microVM hosts report it so). Unknown types fall back
#: to their own name with the architecture class of the host.
HYPERVISORS: dict[str, tuple[str, str]] = {
    "QEMU": ("libvirt", "QEMU/KVM"),
    "KVM": ("libvirt", "QEMU/KVM"),
    "kvm": ("libvirt", "QEMU/KVM"),
    "qemu": ("libvirt", "QEMU"),
    "LXC": ("libvirt", "LXC"),
    "lxc": ("libvirt", "LXC"),
    "docker": ("Docker", "runc"),
    "VirtualBox": ("VirtualBox", "VirtualBox"),
    "hyperv": ("hyperv", "Hyper-V"),
    "VMware vCenter Server": ("vmwareapi", "VMware ESXi"),
    "vmware": ("vmwareapi", "VMware ESXi"),
    "ironic": ("ironic", N_("bare metal")),
    "firecracker": ("Firecracker", N_("Firecracker microVM")),
}


def hypervisor_of(hypervisor_type: str) -> dict[str, str]:
    """The driver and hypervisor a host of ``hypervisor_type`` runs (its own name if unknown)."""
    driver, hypervisor = HYPERVISORS.get(hypervisor_type, (hypervisor_type, hypervisor_type))
    return {"driver": driver, "name": gettext(hypervisor)}


def _health(*, up: bool, enabled: bool, reason: str) -> dict[str, Any]:
    if not up:
        return {"state": "down", "label": gettext("down"), "reason": ""}
    if not enabled:
        return {"state": "disabled", "label": gettext("disabled"), "reason": reason}
    return {"state": "up", "label": gettext("up"), "reason": ""}


def _service(ident: str, name: str, role: str, listens: str, health: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "id": ident,
        "name": name,
        "role": gettext(role),
        "listens": listens,
        **(health or {"state": "up", "label": gettext("up"), "reason": ""}),
    }


def compute_node(host: Host, era: str) -> dict[str, Any]:
    """One compute node as the deployment draws it."""
    agent, agent_role = NETWORK_AGENT[era]
    hypervisor = hypervisor_of(host.hypervisor_type)
    return {
        "name": host.name,
        "ip": host.host_ip,
        "hypervisor_type": host.hypervisor_type,
        "architecture": host.architecture,
        "architecture_label": str(host.get_architecture_display()),
        "services": [
            _service(
                "nova-compute",
                "nova-compute",
                N_("builds and runs the instances through the virt driver"),
                "RPC compute." + host.name,
                _health(up=host.up, enabled=host.enabled, reason=host.disabled_reason),
            ),
            _service("network-agent", agent, agent_role, "RPC"),
            _service(
                "hypervisor",
                f"{hypervisor['driver']} · {hypervisor['name']}"
                if hypervisor["driver"] != hypervisor["name"]
                else hypervisor["name"],
                N_("the hypervisor of this host's class"),
                "",
            ),
        ],
        "up": host.up,
        "enabled": host.enabled,
        "disabled_reason": host.disabled_reason,
    }


def deployment_of(cloud: Cloud) -> dict[str, Any]:
    """The cloud's deployment: its era, the controller's services, its compute nodes, its networks."""
    era = cloud.era
    hosts = Host.objects.filter(cloud=cloud).order_by("name")
    return {
        "era": era,
        "era_label": str(cloud.get_era_display()),
        "controller": {
            "name": "controller",
            "services": [
                _service(ident, name, role, listens)
                for ident, name, role, eras, listens in CONTROLLER_SERVICES
                if era in eras
            ],
        },
        "computes": [compute_node(host, era) for host in hosts],
        "networks": {
            "internal": {"label": gettext("internal (management) network"), "carries": gettext("HTTP, RPC, SQL")},
            "external": {
                "label": gettext("external network"),
                "carries": gettext("guest traffic through nova-network's NAT")
                if era == "classic"
                else gettext("guest traffic through Neutron's router and floating IPs"),
            },
            "tenant": {"name": cloud.network_name, "cidr": cloud.network_cidr},
        },
    }


def lifelines(era: str) -> list[dict[str, str]]:
    """The sequence diagram's lifelines: the flow engine's services of this era, in its order."""
    shown = [s for s in SERVICES.values() if era in s.eras or s.node == "external"]
    return [{"id": s.key, "label": gettext(s.label)} for s in shown]


def _streams(request: HttpRequest, project: Project) -> list[str]:
    """The instructors follow the cloud's stream (host events); everyone follows the project's."""
    streams = [project_stream(project.pk)]
    if is_instructor(request.user, project.cloud_id):
        streams.append(cloud_stream(project.cloud_id))
    return streams


def _snapshot(request: HttpRequest, project: Project) -> dict[str, Any]:
    streams = _streams(request, project)
    return {"streams": current_seqs(streams), **deployment_of(project.cloud)}


@login_required
@require_GET
def deployment(request: HttpRequest) -> HttpResponse:
    project = project_or_404(request)
    return render(
        request,
        "motion/deployment.html",
        {
            "cloud": project.cloud,
            "tracker": tracker.tracker_context(request, project),
            "page": {
                "streams": _streams(request, project),
                "snapshot_url": reverse("motion:deployment-data"),
                "pace": project.cloud.pace,
                "services": lifelines(project.cloud.era),
                "snapshot": _snapshot(request, project),
                "periodic": {name: nova for name, (nova, _text) in TASKS.items()},
            },
        },
    )


@login_required
@require_GET
def deployment_data(request: HttpRequest) -> JsonResponse:
    return JsonResponse(_snapshot(request, project_or_404(request)))


urlpatterns = [
    path("learn/openstack/deployment/", deployment, name="deployment"),
    path("learn/openstack/deployment/data.json", deployment_data, name="deployment-data"),
]
