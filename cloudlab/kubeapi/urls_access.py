"""Routes of the kubeapi access part (spliced into cloudlab/kubeapi/urls.py): a cluster's kubectl
tab, its kubeconfig download and its tokens."""

from django.urls import URLPattern, URLResolver, path

from . import access

_BASE = "project/kubernetes/<int:cluster_id>/kubectl/"

urlpatterns: list[URLPattern | URLResolver] = [
    path(_BASE, access.access, name="access"),
    path(_BASE + "data.json", access.data, name="access-data"),
    path(_BASE + "token/", access.issue, name="access-token"),
    path(_BASE + "kubeconfig/", access.download, name="access-kubeconfig"),
    path(_BASE + "tokens/<int:token_id>/revoke/", access.revoke, name="access-revoke"),
]
