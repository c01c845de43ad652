from django.urls import path

from . import decisions, hypervisors, overview, scheduler_settings, views

app_name = "dashboard"

urlpatterns = [
    path("project/overview/", overview.overview, name="overview"),
    path("project/overview/data.json", overview.overview_data, name="overview-data"),
    path("project/instances/", views.instances, name="instances"),
    path("project/instances/rows/", views.instances_rows, name="instances-rows"),
    path("project/instances/launch/", views.launch, name="launch"),
    path("project/instances/launch/choices/", views.launch_choices, name="launch-choices"),
    path("project/instances/<uuid:instance_id>/", views.instance_detail, name="instance"),
    path("project/instances/<uuid:instance_id>/detail.json", views.instance_json, name="instance-json"),
    path("project/instances/<uuid:instance_id>/action/", views.instance_action, name="instance-action"),
    path("project/instances/batch/", views.batch_action, name="batch-action"),
    path("project/instances/<uuid:instance_id>/decision/", decisions.instance_decision, name="instance-decision"),
    path("project/decisions/", decisions.project_decisions, name="decisions"),
    path("project/decisions/<int:record_id>/", decisions.decision, name="decision"),
    path("project/decisions/<int:record_id>/data.json", decisions.decision_json, name="decision-data"),
    path("project/decisions/<int:record_id>/what-if/", decisions.decision_what_if, name="decision-whatif"),
    path("admin/decisions/", decisions.cloud_decisions, name="cloud-decisions"),
    path("project/switch/", views.switch_project, name="switch-project"),
    path("admin/instances/", views.admin_instances, name="admin-instances"),
    path("admin/instances/rows/", views.admin_instances_rows, name="admin-instances-rows"),
    path("admin/hypervisors/", hypervisors.hypervisors, name="hypervisors"),
    path("admin/hypervisors/rows/", hypervisors.hypervisors_rows, name="hypervisors-rows"),
    path("admin/hypervisors/<str:host_name>/action/", hypervisors.host_action, name="host-action"),
    path("admin/scheduler/", scheduler_settings.scheduler_settings, name="scheduler-settings"),
]
