"""Project → Kubernetes: the project's clusters (make one from instances, delete one) and the pages
of one cluster (Overview, Workloads, Services, Nodes, Namespaces, Events, etcd, Create from YAML).

Every section is one template over the cluster's snapshot (``snapshot.snapshot``), rendered by
``kube.js`` and refetched when the cluster's ``kube.changed`` event arrives. The writes (apply,
delete, scale, labels) answer JSON: Kubernetes' own ``Status`` on a refusal (422 with a cause per
field, 404, 409), and go through ``clusters``, the one writer the worker and kubectl use too.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudlab.compute.actions.errors import ActionError
from cloudlab.dashboard.access import project_or_404
from cloudlab.engine.kubernetes import manifest
from cloudlab.engine.kubernetes.etcd import ApiError
from cloudlab.identity.models import is_instructor
from cloudlab.live.events import current_seqs, project_stream

from . import clusters as writer
from .access import cluster_or_404, visible_clusters
from .models import Cluster, ClusterMember
from .nav import SECTIONS, nav_context
from .snapshot import snapshot
from .words import translated_templates

#: A manifest's size at most (characters): kubectl's own limit on a request is 3 MiB; a
#: classroom manifest is a few kilobytes, and this keeps a paste of garbage cheap to refuse.
MAX_MANIFEST = 256 * 1024

#: Which resources each write accepts from the pages.
DELETABLE = ("pods", "deployments", "replicasets", "replicationcontrollers", "services")
SCALABLE = ("deployments", "replicasets", "replicationcontrollers")
ROLLED_OUT = ("deployments",)
LABELLED = ("pods", "deployments", "replicasets", "replicationcontrollers", "services", "nodes", "namespaces")

EXAMPLE_MANIFEST = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 80
        resources:
          requests:
            cpu: 250m
            memory: 128Mi
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: NodePort
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 80
"""


# -- the clusters list and the create form --------------------------------------------------------


def _clusters_page(request: HttpRequest, project: Any, error: ActionError | None, form: dict[str, Any]) -> HttpResponse:
    teaches = is_instructor(request.user, project.cloud_id)
    listed = (
        visible_clusters(request.user).filter(cloud=project.cloud)
        if teaches
        else Cluster.objects.filter(project=project)
    )
    rows = []
    for cluster in listed.select_related("project").prefetch_related("members__instance"):
        members = list(cluster.members.all())
        rows.append(
            {
                "cluster": cluster,
                "control_plane": next((m for m in members if m.role == ClusterMember.Role.CONTROL_PLANE), None),
                "workers": [m for m in members if m.role == ClusterMember.Role.WORKER],
                "may_delete": cluster.project_id == project.pk or teaches,
            }
        )
    context = {
        "rows": rows,
        "show_project": teaches,
        "eligible": [{"instance": i, "flavor": i.flavor} for i in writer.eligible_instances(project)],
        "quota": writer.CLUSTERS_PER_PROJECT,
        "error": error,
        "form": form,
        "bridge_url": _optional_url("kube:bridge"),
    }
    return render(request, "kube/clusters.html", context, status=error.status if error else 200)


def _optional_url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:  # a page not routed (yet): no link
        return None


@login_required
@require_http_methods(["GET", "POST"])
def clusters(request: HttpRequest) -> HttpResponse:
    project = project_or_404(request)
    if request.method == "GET":
        return _clusters_page(request, project, None, {"name": "", "control_plane": "", "workers": []})
    form = {
        "name": request.POST.get("name", "").strip(),
        "control_plane": request.POST.get("control_plane", ""),
        "workers": request.POST.getlist("workers"),
    }
    try:
        if not form["control_plane"]:
            raise ActionError(_("Choose the instance that becomes the control plane."), "control_plane")
        workers = [w for w in form["workers"] if w != form["control_plane"]]
        cluster = writer.create_cluster(
            request.user, project, name=form["name"], control_plane=form["control_plane"], workers=workers
        )
    except ActionError as error:
        return _clusters_page(request, project, error, form)
    return redirect("kube:cluster", cluster.pk)


@login_required
@require_POST
def delete_cluster(request: HttpRequest, cluster_id: int) -> HttpResponse:
    cluster = cluster_or_404(request, cluster_id)
    writer.delete_cluster(cluster)
    return redirect("kube:clusters")


# -- one cluster's sections ----------------------------------------------------------------------


def _labels_for_js() -> dict[str, Any]:
    """The words kube.js shows that come from the server's tables."""
    return {
        "sections": {key: str(label) for key, label in SECTIONS},
        "deletable": list(DELETABLE),
        "scalable": list(SCALABLE),
        "labelled": list(LABELLED),
        "rolled_out": list(ROLLED_OUT),
        "templates": translated_templates(),
    }


@login_required
@require_GET
def section(request: HttpRequest, cluster_id: int, section: str) -> HttpResponse:
    cluster = cluster_or_404(request, cluster_id)
    if section not in dict(SECTIONS):
        raise Http404("No such section of a cluster.")
    stream = project_stream(cluster.project_id)
    data = snapshot(cluster)
    page = {
        "section": section,
        "cluster_id": cluster.pk,
        "streams": [stream],
        "snapshot_seqs": data["streams"],
        "snapshot": data,
        "urls": {
            "data": reverse("kube:cluster-data", args=[cluster.pk]),
            "apply": reverse("kube:apply", args=[cluster.pk]),
            "clusters": reverse("kube:clusters"),
            **{
                f"{verb}_base": reverse(f"kube:object-{verb}", args=[cluster.pk, "RESOURCE"])
                for verb in ("delete", "scale", "labels", "image", "undo")
            },
        },
        "labels": _labels_for_js(),
    }
    context = {
        **nav_context(cluster, section),
        "page": page,
        "example_manifest": EXAMPLE_MANIFEST,
        "max_manifest": MAX_MANIFEST,
    }
    return render(request, "kube/cluster.html", context)


@login_required
@require_GET
def cluster_json(request: HttpRequest, cluster_id: int) -> JsonResponse:
    return JsonResponse(snapshot(cluster_or_404(request, cluster_id)))


# -- writes: Kubernetes' Status on refusal ----------------------------------------------------------


def _status(error: ApiError | manifest.ManifestError) -> JsonResponse:
    body = error.status()
    return JsonResponse({"ok": False, "status": body, "message": body["message"]}, status=body["code"])


def _refuse(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"ok": False, "message": message}, status=status)


def _changed(changes: list[Any], cluster: Cluster) -> JsonResponse:
    rows = [{"verb": c.verb, "resource": c.resource, "namespace": c.namespace, "name": c.name} for c in changes]
    return JsonResponse({"ok": True, "changes": rows, "streams": current_seqs([project_stream(cluster.project_id)])})


@login_required
@require_POST
def apply(request: HttpRequest, cluster_id: int) -> JsonResponse:
    """Create every object of a manifest (``kubectl create -f``), all or none."""
    cluster = cluster_or_404(request, cluster_id)
    text = request.POST.get("manifest", "")
    namespace = request.POST.get("namespace", "").strip() or "default"
    if not text.strip():
        return _refuse(_("Paste or type a manifest first: the editor is empty."))
    if len(text) > MAX_MANIFEST:
        return _refuse(
            _("The manifest is %(size)d characters long; at most %(max)d are accepted.")
            % {"size": len(text), "max": MAX_MANIFEST},
            413,
        )
    try:
        changes = writer.apply_manifest(cluster, text, namespace=namespace)
    except (manifest.ManifestError, ApiError) as error:
        return _status(error)
    return _changed(changes, cluster)


class Refused(Exception):
    """A form value the write cannot take: the sentence that says why (400)."""


def _whole(raw: str, message: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise Refused(message % {"value": raw}) from None


def _pairs(text: str) -> dict[str, str]:
    """``key=value`` pairs, one per line or comma-separated (kubectl label's syntax)."""
    pairs: dict[str, str] = {}
    for part in text.replace("\n", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise Refused(_("%(part)r is not key=value.") % {"part": part})
        key, value = part.split("=", 1)
        pairs[key.strip()] = value.strip()
    return pairs


def _replicas(post: Any) -> tuple[Any, ...]:
    replicas = _whole(post.get("replicas", "").strip(), _("Replicas must be a whole number, not %(value)r."))
    if replicas > 100:
        raise Refused(_("At most 100 replicas on these pages (you asked for %(value)d).") % {"value": replicas})
    return (replicas,)


def _images(post: Any) -> tuple[Any, ...]:
    images = _pairs(post.get("images", ""))
    if not images:
        raise Refused(_("Name a container and its new image: container=image."))
    return (images,)


def _revision(post: Any) -> tuple[Any, ...]:
    message = _("The revision must be a whole number, not %(value)r.")
    raw = post.get("to_revision", "").strip() or "0"
    revision = _whole(raw, message)
    if revision < 0:
        raise Refused(message % {"value": raw})
    return (revision,)


#: Each write of an object: the resources it takes, what it reads from the form, the writer.
WRITES: dict[str, tuple[tuple[str, ...], Any, Any]] = {
    "delete": (DELETABLE, lambda post: (), writer.delete_object),
    "scale": (SCALABLE, _replicas, writer.scale_object),
    "labels": (LABELLED, lambda post: (_pairs(post.get("labels", "")),), writer.label_object),
    # kubectl set image: container=image lines; a new template starts a rolling update.
    "image": (ROLLED_OUT, _images, lambda cluster, resource, *rest: writer.set_image(cluster, *rest)),
    # kubectl rollout undo [--to-revision=N] (empty or 0: the previous revision).
    "undo": (ROLLED_OUT, _revision, lambda cluster, resource, *rest: writer.undo_rollout(cluster, *rest)),
}


def _write_object(request: HttpRequest, cluster_id: int, resource: str, verb: str) -> JsonResponse:
    """One write of the Workloads, Services, Nodes or Namespaces tables: parse, call, answer."""
    cluster = cluster_or_404(request, cluster_id)
    allowed, parse, write = WRITES[verb]
    if resource not in allowed:
        return _refuse(_("The pages cannot do this to %(resource)s.") % {"resource": resource}, 404)
    name = request.POST.get("name", "").strip()
    if not name:
        return _refuse(_("Which object? The request names none."))
    scoped = resource in ("nodes", "namespaces")
    namespace = "" if scoped else (request.POST.get("namespace", "").strip() or "default")
    try:
        changes = write(cluster, resource, namespace, name, *parse(request.POST))
    except Refused as refusal:
        return _refuse(str(refusal))
    except ApiError as error:
        return _status(error)
    return _changed(changes if isinstance(changes, list) else [changes], cluster)


def _object_view(verb: str) -> Any:
    @login_required
    @require_POST
    def view(request: HttpRequest, cluster_id: int, resource: str) -> JsonResponse:
        return _write_object(request, cluster_id, resource, verb)

    view.__name__ = verb
    return view


delete, scale, labels, image, undo = (_object_view(verb) for verb in ("delete", "scale", "labels", "image", "undo"))
