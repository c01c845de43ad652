"""A cluster's kubectl tab: the kubeconfig to download (a new bearer token in it), a token shown
once for ``kubectl config set-credentials``, the commands to try, and the user's tokens with
revoke.

The kubeconfig has the shape that worked (semantics §7.7): the server
``https://127.0.0.1:<CLOUDLAB_KUBE_PORT>/kubernetes/<cluster id>``, the CA of
``cloudlab/kubeapi/tls.py`` as ``certificate-authority-data``, the token, namespace ``default``,
cluster, user and context named after the cluster. A token is scoped to a project
(``auth.issue_token``): a member's token to the cluster's project; an instructor who is not a
member gets one for a project they teach in the cluster's cloud, which reaches every cluster of
it. Making a token is a POST (never a link a crawler could follow); its secret is shown once and
only its digest is kept."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cloudlab.identity.models import Membership, Project, Role
from cloudlab.kube.access import cluster_or_404
from cloudlab.kube.models import Cluster
from cloudlab.kube.nav import nav_context
from cloudlab.live.events import current_seqs, project_stream

from . import tls
from .auth import issue_token, revoke_token
from .models import KubeToken

USER_SUFFIX = "-user"  # kubeconfig user entry: "<cluster>-user"


def server_url(cluster: Cluster) -> str:
    return f"https://127.0.0.1:{tls.kube_port()}/kubernetes/{cluster.pk}"


def token_project(user: Any, cluster: Cluster) -> Project:
    """The project a new token of ``user`` for ``cluster`` is scoped to."""
    if Membership.objects.filter(user=user, project=cluster.project).exists():
        return cluster.project
    taught = (
        Membership.objects.filter(user=user, role=Role.INSTRUCTOR, project__cloud=cluster.cloud)
        .select_related("project")
        .order_by("project__name")
        .first()
    )
    if taught is None:
        raise Http404  # cluster_or_404 already refused anyone else
    return taught.project


def kubeconfig(cluster: Cluster, token: str, ca_data: str) -> str:
    """The kubeconfig YAML (every scalar JSON-quoted, which YAML reads as it is)."""
    name, user = json.dumps(cluster.name), json.dumps(cluster.name + USER_SUFFIX)
    return (
        "apiVersion: v1\n"
        "kind: Config\n"
        "clusters:\n"
        f"- name: {name}\n"
        "  cluster:\n"
        f"    server: {json.dumps(server_url(cluster))}\n"
        f"    certificate-authority-data: {ca_data}\n"
        "users:\n"
        f"- name: {user}\n"
        "  user:\n"
        f"    token: {json.dumps(token)}\n"
        "contexts:\n"
        f"- name: {name}\n"
        "  context:\n"
        f"    cluster: {name}\n"
        f"    user: {user}\n"
        "    namespace: default\n"
        f"current-context: {name}\n"
        "preferences: {}\n"
    )


def kubeconfig_filename(cluster: Cluster) -> str:
    return f"{cluster.name}-kubeconfig.yaml"


def _tokens(request: HttpRequest, cluster: Cluster) -> list[KubeToken]:
    """The user's tokens that reach this cluster (its project's, or a taught project's)."""
    taught = Membership.objects.filter(user=request.user, role=Role.INSTRUCTOR, project__cloud=cluster.cloud)
    reaching = KubeToken.objects.filter(user=request.user, revoked__isnull=True).filter(
        Q(project=cluster.project) | Q(project__in=taught.values("project"))
    )
    return list(reaching.select_related("project"))


def _snapshot(request: HttpRequest, cluster: Cluster) -> dict[str, Any]:
    """What the page's live part starts from: the stream's numbers, each token's last use."""
    seqs = current_seqs([project_stream(cluster.project_id)])  # read first: what follows is as fresh
    return {
        "streams": seqs,
        "tokens": [
            {
                "id": t.pk,
                "last_used": formats.date_format(timezone.localtime(t.last_used), "Y-m-d H:i") if t.last_used else None,
            }
            for t in _tokens(request, cluster)
        ],
    }


def _context(request: HttpRequest, cluster: Cluster, **extra: Any) -> dict[str, Any]:
    filename = kubeconfig_filename(cluster)
    page = {
        "cluster": cluster.pk,
        "streams": [project_stream(cluster.project_id)],
        "snapshot": _snapshot(request, cluster),
        "snapshot_url": reverse("kubeapi:access-data", args=[cluster.pk]),
    }
    return {
        **nav_context(cluster, "kubectl"),
        "page": page,
        "server": server_url(cluster),
        "port": tls.kube_port(),
        "filename": filename,
        "tokens": _tokens(request, cluster),
        "token_project": token_project(request.user, cluster),
        **extra,
    }


@login_required
@require_GET
def access(request: HttpRequest, cluster_id: int) -> HttpResponse:
    cluster = cluster_or_404(request, cluster_id)
    return render(request, "kubeapi/access.html", _context(request, cluster))


@login_required
@require_GET
def data(request: HttpRequest, cluster_id: int) -> JsonResponse:
    cluster = cluster_or_404(request, cluster_id)
    return JsonResponse(_snapshot(request, cluster))


@login_required
@require_POST
def issue(request: HttpRequest, cluster_id: int) -> HttpResponse:
    """A new token, shown once on the page that answers this POST (never stored in clear)."""
    cluster = cluster_or_404(request, cluster_id)
    token = issue_token(request.user, token_project(request.user, cluster))
    config = kubeconfig(cluster, token, tls.ensure_certificates().ca_data())
    response = render(
        request, "kubeapi/access.html", _context(request, cluster, new_token=token, new_kubeconfig=config)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def download(request: HttpRequest, cluster_id: int) -> HttpResponse:
    """The kubeconfig file, with a new token in it."""
    cluster = cluster_or_404(request, cluster_id)
    token = issue_token(request.user, token_project(request.user, cluster))
    text = kubeconfig(cluster, token, tls.ensure_certificates().ca_data())
    response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{kubeconfig_filename(cluster)}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def revoke(request: HttpRequest, cluster_id: int, token_id: int) -> HttpResponse:
    """Revoke one of the user's own tokens (another's answers 404): it answers 401 from now on."""
    cluster = cluster_or_404(request, cluster_id)
    token = get_object_or_404(KubeToken, pk=token_id, user=request.user, revoked__isnull=True)
    revoke_token(token.pk)
    messages.success(request, _("Token %(id)s is revoked: kubectl with it gets Unauthorized.") % {"id": token.pk})
    return redirect(reverse("kubeapi:access", args=[cluster.pk]) + "#kube-tokens")
