"""The kube namespace's routes for a pod's scheduling decisions (included by cloudlab/kube/urls.py)."""

from django.urls import URLPattern, path

from . import decisions

urlpatterns: list[URLPattern] = [
    path(
        "project/kubernetes/<int:cluster_id>/pods/<str:namespace>/<str:name>/decision/",
        decisions.pod_decision_latest,
        name="pod-decision-latest",
    ),
    path("project/kubernetes/<int:cluster_id>/decisions/", decisions.pod_decisions, name="pod-decisions"),
    path(
        "project/kubernetes/<int:cluster_id>/decisions/<int:decision_id>/",
        decisions.pod_decision,
        name="pod-decision",
    ),
    path(
        "project/kubernetes/<int:cluster_id>/decisions/<int:decision_id>/data.json",
        decisions.pod_decision_json,
        name="pod-decision-data",
    ),
]
