"""A cluster, the instances it runs on, and its objects as etcd holds them.

``KubeObject`` is one etcd key (``/registry/pods/default/web-7xk2p``): the object's JSON as the
apiserver returns it (``manifest.encode``) and its ``resourceVersion``, which is the cluster's
one revision counter at the object's last write (etcd's ``mod_revision``, §6). The etcd view reads
these rows; the engine's state is decoded from them before every reconcile and the changes it
makes are written back in one transaction under the cluster's row lock.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cloudlab.engine.kubernetes.etcd import registry_key


class Cluster(models.Model):
    cloud = models.ForeignKey("compute.Cloud", on_delete=models.CASCADE, related_name="kube_clusters")
    project = models.ForeignKey("identity.Project", on_delete=models.CASCADE, related_name="kube_clusters")
    #: A DNS-1123 label, unique in the project (the kubeconfig's cluster and context name).
    name = models.CharField(_("name"), max_length=63)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    #: Unix time of the cluster's second 0: the engine counts seconds from here.
    epoch = models.FloatField(_("epoch"))
    #: etcd's revision: every write takes the next number.
    revision = models.BigIntegerField(_("revision"), default=0)
    #: Cluster seconds when the reconcile loop must run next (None: nothing is waiting).
    wake_at = models.FloatField(_("next reconcile"), null=True, blank=True)
    #: The kubelets' memory (pulls in progress, back-offs per container), not part of the API.
    runtime = models.JSONField(_("kubelet runtime"), default=dict, blank=True)

    class Meta:
        verbose_name = _("Kubernetes cluster")
        verbose_name_plural = _("Kubernetes clusters")
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="kube_cluster_name_unique")]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name


class ClusterMember(models.Model):
    """An instance the cluster runs on: the control plane or a worker node."""

    class Role(models.TextChoices):
        CONTROL_PLANE = "control-plane", _("control plane")
        WORKER = "worker", _("worker node")

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="members")
    #: SET_NULL: a deleted instance leaves a node whose kubelet never reports again.
    instance = models.ForeignKey(
        "compute.Instance", on_delete=models.SET_NULL, null=True, blank=True, related_name="kube_memberships"
    )
    node_name = models.CharField(_("node"), max_length=253)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)

    class Meta:
        verbose_name = _("cluster member")
        verbose_name_plural = _("cluster members")
        constraints = [
            models.UniqueConstraint(fields=["cluster", "node_name"], name="kube_member_node_unique"),
            models.UniqueConstraint(
                fields=["instance"], name="kube_member_instance_unique", condition=models.Q(instance__isnull=False)
            ),
        ]
        ordering = ["id"]

    def __str__(self) -> str:
        return self.node_name


class KubeObject(models.Model):
    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="kube_objects")
    resource = models.CharField(_("resource"), max_length=64)  # "pods", "deployments" …
    namespace = models.CharField(_("namespace"), max_length=253, blank=True)  # "" for cluster-scoped
    name = models.CharField(_("name"), max_length=253)
    resource_version = models.BigIntegerField(_("resourceVersion"))
    body = models.JSONField(_("object"))

    class Meta:
        verbose_name = _("Kubernetes object")
        verbose_name_plural = _("Kubernetes objects")
        constraints = [
            models.UniqueConstraint(fields=["cluster", "resource", "namespace", "name"], name="kube_object_key_unique")
        ]
        indexes = [models.Index(fields=["cluster", "resource_version"])]

    def __str__(self) -> str:
        return self.key

    @property
    def key(self) -> str:
        return registry_key(self.resource, self.name, self.namespace)


class PodDecisionQuerySet(models.QuerySet["PodDecision"]):
    def of_pod(self, namespace: str, name: str) -> PodDecisionQuerySet:
        return self.filter(namespace=namespace, pod=name)

    def newest_first(self) -> PodDecisionQuerySet:
        return self.order_by("-id")


class PodDecision(models.Model):
    """One scheduling cycle of the kube-scheduler for one pod: its trace (Nova's shape, so the
    scheduling view draws it) and the nodes as the cycle saw them (the view's node cards)."""

    class Outcome(models.TextChoices):
        # Kubernetes' event reasons, shown as the scheduler writes them
        SCHEDULED = "Scheduled", "Scheduled"
        FAILED = "FailedScheduling", "FailedScheduling"

    #: Decisions kept per cluster (the oldest go first): a crash-looping cluster cannot fill the DB.
    KEEP = 200

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="pod_decisions")
    namespace = models.CharField(_("namespace"), max_length=253)
    pod = models.CharField(_("pod"), max_length=253)
    pod_uid = models.CharField(_("pod UID"), max_length=64, blank=True)
    #: The node the pod was bound to; blank when it fitted none.
    node = models.CharField(_("node"), max_length=253, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    #: The Scheduled event's text, or FailedScheduling's "0/3 nodes are available: …".
    message = models.TextField(_("message"), blank=True)
    trace = models.JSONField(_("trace"))
    #: Every node as the cycle saw it (allocatable, requested, taints …): ``explain.node_card``.
    nodes = models.JSONField(_("nodes"), default=list)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    #: The cluster's clock (seconds since its second 0) at the decision.
    cluster_time = models.FloatField(_("cluster time"))

    objects = PodDecisionQuerySet.as_manager()

    class Meta:
        verbose_name = _("pod scheduling decision")
        verbose_name_plural = _("pod scheduling decisions")
        ordering = ["-id"]
        indexes = [models.Index(fields=["cluster", "namespace", "pod", "id"], name="kube_decision_pod")]

    def __str__(self) -> str:
        return f"{self.namespace}/{self.pod}: {self.outcome}"


class KubeWatchEvent(models.Model):
    """One entry of the apiserver's watch history (etcd's event log, the watch cache): the key a
    write changed, ``ADDED`` / ``MODIFIED`` / ``DELETED``, at which revision, and the object as it
    was then (a deleted object's last state, carrying the deletion's revision). ``store.save``
    writes one per changed key per write; the newest ``KEEP`` per cluster are kept, and a watch from
    an older revision answers 410 Expired (``cloudlab.kubeapi.watch``)."""

    class Type(models.TextChoices):
        # Kubernetes' watch event types, sent as they are
        ADDED = "ADDED", "ADDED"
        MODIFIED = "MODIFIED", "MODIFIED"
        DELETED = "DELETED", "DELETED"

    #: Events kept per cluster: a watch further behind than this re-lists (410, as after compaction).
    KEEP = 2000

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="watch_events")
    revision = models.BigIntegerField(_("revision"))
    type = models.CharField(_("type"), max_length=8, choices=Type.choices)
    resource = models.CharField(_("resource"), max_length=64)
    namespace = models.CharField(_("namespace"), max_length=253, blank=True)
    name = models.CharField(_("name"), max_length=253)
    body = models.JSONField(_("object"))

    class Meta:
        verbose_name = _("watch event")
        verbose_name_plural = _("watch events")
        ordering = ["revision", "id"]
        indexes = [
            models.Index(fields=["cluster", "revision"], name="kube_watch_rev"),
            models.Index(fields=["cluster", "resource", "revision"], name="kube_watch_resource_rev"),
        ]

    def __str__(self) -> str:
        return f"{self.revision} {self.type} {self.resource}/{self.name}"
