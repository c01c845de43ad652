"""The tabs every page of one cluster shows (``templates/kube/_cluster_nav.html``)."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .models import Cluster

#: (section, tab label), in the tabs' order; each is a page of ``pages.section``.
SECTIONS: list[tuple[str, Any]] = [
    ("overview", _("Overview")),
    ("workloads", _("Workloads")),
    ("services", _("Services")),
    ("nodes", _("Nodes")),
    ("namespaces", _("Namespaces")),
    ("events", _("Events")),
    ("etcd", _("etcd")),
    ("create", _("Create from YAML")),
]

#: Tabs whose page lives in another app: (section, label, URL name taking the cluster's id).
OTHER_PAGES: list[tuple[str, Any, str]] = [("kubectl", _("kubectl"), "kubeapi:access")]


def section_url(cluster: Cluster, section: str) -> str:
    if section == "overview":
        return reverse("kube:cluster", args=[cluster.pk])
    return reverse("kube:section", args=[cluster.pk, section])


def nav_context(cluster: Cluster, section: str) -> dict[str, Any]:
    """What ``_cluster_nav.html`` needs; a page of its own (a Service, a pod's decision) passes the
    section its tab belongs to."""
    tabs = [{"key": key, "label": label, "url": section_url(cluster, key)} for key, label in SECTIONS]
    for key, label, name in OTHER_PAGES:
        try:
            tabs.append({"key": key, "label": label, "url": reverse(name, args=[cluster.pk])})
        except NoReverseMatch:  # that page is not routed (yet): no tab
            continue
    return {"cluster": cluster, "section": section, "cluster_tabs": tabs}
