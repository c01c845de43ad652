"""Routes of the kubeapi api part (spliced into cloudlab/kubeapi/urls.py): the apiserver subset
under the kubeconfig's server ``…/kubernetes/<cluster>``; ``views.kubernetes`` parses the rest of
the path as kube-apiserver does (discovery, OpenAPI, resources, subresources)."""

from django.urls import URLPattern, URLResolver, path

from . import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("kubernetes/<int:cluster_id>", views.kubernetes, name="api-root"),
    path("kubernetes/<int:cluster_id>/", views.kubernetes, name="api-root-slash"),
    path("kubernetes/<int:cluster_id>/<path:rest>", views.kubernetes, name="api"),
]
