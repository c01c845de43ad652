from django.urls import path

from . import (
    admin_instances,
    decisions,
    hypervisors,
    instance_detail,
    instances,
    overview,
    project_picker,
    scheduler_settings,
    server_groups,
)

app_name = "dashboard"

urlpatterns = [
    path("project/overview/", overview.overview, name="overview"),
    path("project/overview/data.json", overview.overview_data, name="overview-data"),
    path("project/instances/", instances.instances, name="instances"),
    path("project/instances/rows/", instances.instances_rows, name="instances-rows"),
    path("project/instances/launch/", instances.launch, name="launch"),
    path("project/instances/launch/choices/", instances.launch_choices, name="launch-choices"),
    path("project/instances/<uuid:instance_id>/", instance_detail.instance_detail, name="instance"),
    path("project/instances/<uuid:instance_id>/detail.json", instance_detail.instance_json, name="instance-json"),
    path("project/instances/<uuid:instance_id>/action/", instances.instance_action, name="instance-action"),
    path("project/instances/batch/", instances.batch_action, name="batch-action"),
    path("project/instances/<uuid:instance_id>/decision/", decisions.instance_decision, name="instance-decision"),
    path("project/server-groups/", server_groups.server_groups, name="server-groups"),
    path("project/server-groups/<str:group_id>/delete/", server_groups.delete_server_group, name="server-group-delete"),
    path("project/decisions/", decisions.project_decisions, name="decisions"),
    path("project/decisions/<int:record_id>/", decisions.decision, name="decision"),
    path("project/decisions/<int:record_id>/data.json", decisions.decision_json, name="decision-data"),
    path("project/decisions/<int:record_id>/what-if/", decisions.decision_what_if, name="decision-whatif"),
    path("admin/decisions/", decisions.cloud_decisions, name="cloud-decisions"),
    path("project/switch/", project_picker.switch_project, name="switch-project"),
    path("admin/instances/", admin_instances.admin_instances, name="admin-instances"),
    path("admin/instances/rows/", admin_instances.admin_instances_rows, name="admin-instances-rows"),
    path("admin/hypervisors/", hypervisors.hypervisors, name="hypervisors"),
    path("admin/hypervisors/rows/", hypervisors.hypervisors_rows, name="hypervisors-rows"),
    path("admin/hypervisors/<str:host_name>/action/", hypervisors.host_action, name="host-action"),
    path("admin/scheduler/", scheduler_settings.scheduler_settings, name="scheduler-settings"),
]
