"""The compute API (Nova v2.1) under ``/compute/``: ``/compute/`` lists the versions,
``/compute/v2.1`` is the version document keystoneauth discovers, and every resource lives
under ``/compute/v2.1/``."""

from __future__ import annotations

from django.urls import path, re_path

from . import (
    flavors,
    hypervisors,
    images,
    instance_actions,
    migrations,
    networks,
    quotas,
    server_actions,
    server_groups,
    servers,
    versions,
)

V = "v2.1/"

urlpatterns = [
    path("", versions.versions),
    path("v2.1", versions.version),
    path(V, versions.version),
    path(V + "flavors", flavors.flavor_list),
    path(V + "flavors/detail", flavors.flavor_list_detail),
    path(V + "flavors/<str:flavor_id>", flavors.flavor_show),
    path(V + "flavors/<str:flavor_id>/os-extra_specs", flavors.flavor_extra_specs),
    path(V + "flavors/<str:flavor_id>/os-extra_specs/<str:key>", flavors.flavor_extra_spec),
    path(V + "servers", servers.server_list),
    path(V + "servers/detail", servers.server_list_detail),
    path(V + "servers/<str:server_id>", servers.server),
    path(V + "servers/<str:server_id>/action", server_actions.server_action),
    path(V + "servers/<str:server_id>/os-instance-actions", instance_actions.action_list),
    path(V + "servers/<str:server_id>/os-instance-actions/<str:request_id>", instance_actions.action_show),
    path(V + "os-hypervisors", hypervisors.hypervisor_list),
    path(V + "os-hypervisors/detail", hypervisors.hypervisor_list_detail),
    path(V + "os-hypervisors/statistics", hypervisors.hypervisor_statistics),
    path(V + "os-hypervisors/<str:hypervisor>", hypervisors.hypervisor_show),
    path(V + "os-hypervisors/<str:hypervisor>/uptime", hypervisors.hypervisor_uptime),
    path(V + "os-services", hypervisors.service_list),
    path(V + "os-services/<str:service>", hypervisors.service),
    path(V + "os-migrations", migrations.migration_list),
    path(V + "os-aggregates", hypervisors.aggregate_list),
    path(V + "os-aggregates/<str:aggregate_id>", hypervisors.aggregate_show),
    path(V + "os-availability-zone", hypervisors.availability_zone_list),
    path(V + "os-availability-zone/detail", hypervisors.availability_zone_detail),
    path(V + "os-quota-sets/<str:tenant>", quotas.quota_set),
    path(V + "os-quota-sets/<str:tenant>/detail", quotas.quota_set_detail),
    path(V + "os-quota-sets/<str:tenant>/defaults", quotas.quota_set_defaults),
    path(V + "limits", quotas.limits),
    path(V + "os-server-groups", server_groups.server_group_list),
    path(V + "os-server-groups/<str:group_id>", server_groups.server_group),
    path(V + "images", images.image_list),
    path(V + "images/detail", images.image_list_detail),
    path(V + "images/<str:image_id>", images.image_show),
    path(V + "os-networks", networks.network_list),
    path(V + "os-networks/<str:network>", networks.network_show),
    # Anything else under /compute/ is Nova's 404, in Nova's shape (not Django's page).
    re_path(r"^.*$", versions.unknown),
]
