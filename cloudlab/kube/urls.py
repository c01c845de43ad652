from django.urls import path

from . import pages, urls_bridge, urls_decision, urls_service

app_name = "kube"

urlpatterns = [
    *urls_bridge.urlpatterns,
    *urls_decision.urlpatterns,
    *urls_service.urlpatterns,
    path("project/kubernetes/", pages.clusters, name="clusters"),
    path("project/kubernetes/<int:cluster_id>/delete/", pages.delete_cluster, name="cluster-delete"),
    path("project/kubernetes/<int:cluster_id>/", pages.section, {"section": "overview"}, name="cluster"),
    path("project/kubernetes/<int:cluster_id>/data.json", pages.cluster_json, name="cluster-data"),
    path("project/kubernetes/<int:cluster_id>/apply/", pages.apply, name="apply"),
    path("project/kubernetes/<int:cluster_id>/objects/<str:resource>/delete/", pages.delete, name="object-delete"),
    path("project/kubernetes/<int:cluster_id>/objects/<str:resource>/scale/", pages.scale, name="object-scale"),
    path("project/kubernetes/<int:cluster_id>/objects/<str:resource>/labels/", pages.labels, name="object-labels"),
    path("project/kubernetes/<int:cluster_id>/objects/<str:resource>/image/", pages.image, name="object-image"),
    path("project/kubernetes/<int:cluster_id>/objects/<str:resource>/undo/", pages.undo, name="object-undo"),
    path("project/kubernetes/<int:cluster_id>/<slug:section>/", pages.section, name="section"),
]
