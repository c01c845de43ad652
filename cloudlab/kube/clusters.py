"""Making a cluster out of a project's instances, and the writes the pages and kubectl make.

``create_cluster`` turns ACTIVE instances of one project into a cluster: the first becomes the
control plane (kube-apiserver, etcd, kube-scheduler, kube-controller-manager; labelled and tainted
as kubeadm does, so workloads go to the workers), the others worker nodes (kubelet, kube-proxy,
containerd), each node's capacity and allocatable from its instance's flavor (``bridge``). Every
write goes through the engine's apiserver functions under the cluster's row lock, and wakes the
reconcile loop after commit.
"""

from __future__ import annotations

import copy
import random
import time
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils.translation import gettext as _

from cloudlab.compute.actions.errors import ActionError
from cloudlab.compute.models import Instance
from cloudlab.engine.kubernetes import cluster as engine
from cloudlab.engine.kubernetes import manifest
from cloudlab.engine.kubernetes.bridge import node_from_instance
from cloudlab.engine.kubernetes.controllers.deployment import RollbackError, rollback_template
from cloudlab.engine.kubernetes.etcd import ApiError, not_found
from cloudlab.engine.kubernetes.validation import invalid_status, is_dns1123_label, validate_labels
from cloudlab.identity.models import Project
from cloudlab.live.events import project_stream, publish_on_commit

from . import loop, store
from .health import vm_runs
from .models import Cluster, ClusterMember
from .queue import enqueue_reconcile

#: A project's clusters at most (each node is a VM of its own quota already).
CLUSTERS_PER_PROJECT = 3


def _flavor(instance: Instance) -> dict[str, Any]:
    f = instance.flavor
    return {
        "name": f.name,
        "vcpus": f.vcpus,
        "memory_mb": f.memory_mb,
        "root_gb": f.root_gb,
        "ephemeral_gb": f.ephemeral_gb,
    }


def eligible_instances(project: Project) -> list[Instance]:
    """The project's instances a new cluster may use (the create form offers these): running,
    and in no cluster yet; ``create_cluster`` refuses any other, saying why."""
    taken = set(ClusterMember.objects.filter(instance__project=project).values_list("instance_id", flat=True))
    instances = Instance.objects.filter(project=project, deleted_at__isnull=True).select_related("flavor", "host")
    return [i for i in instances.order_by("name", "created_at") if i.pk not in taken and vm_runs(i)[0]]


def create_cluster(
    user: AbstractBaseUser | AnonymousUser,
    project: Project,
    *,
    name: str,
    control_plane: str,
    workers: list[str],
) -> Cluster:
    """A cluster named ``name`` on the instances with these UUIDs; ``ActionError`` says what is wrong."""
    problems = is_dns1123_label(name)
    if problems:
        raise ActionError(
            _("The cluster name %(name)r is not valid: %(why)s") % {"name": name, "why": problems[0]}, "name"
        )
    uuids = [control_plane, *workers]
    if not workers:
        raise ActionError(_("Choose at least one worker node besides the control plane."), "workers")
    if len(set(uuids)) != len(uuids):
        raise ActionError(_("An instance can be only one node of the cluster."), "workers")
    with transaction.atomic():
        Project.objects.select_for_update().get(pk=project.pk)
        if Cluster.objects.filter(project=project, name=name).exists():
            raise ActionError(_("This project already has a cluster named %(name)s.") % {"name": name}, "name")
        if Cluster.objects.filter(project=project).count() >= CLUSTERS_PER_PROJECT:
            raise ActionError(
                _("This project already has %(max)d clusters, its quota.") % {"max": CLUSTERS_PER_PROJECT}, status=403
            )
        found = {
            str(i.uuid): i
            for i in Instance.objects.filter(project=project, uuid__in=uuids, deleted_at__isnull=True).select_related(
                "flavor", "host"
            )
        }
        instances = []
        for uuid_ in uuids:
            instance = found.get(uuid_)
            if instance is None:
                raise ActionError(_("No instance %(id)s in this project.") % {"id": uuid_}, "workers", status=404)
            runs, _why = vm_runs(instance)
            if not runs:
                raise ActionError(
                    _("Instance %(name)s is not ACTIVE and running: a node needs a running VM.")
                    % {"name": instance.name},
                    "workers",
                    status=409,
                )
            if ClusterMember.objects.filter(instance=instance).exists():
                raise ActionError(
                    _("Instance %(name)s is already a node of a cluster.") % {"name": instance.name},
                    "workers",
                    status=409,
                )
            instances.append(instance)
        cluster = Cluster.objects.create(
            cloud=project.cloud,
            project=project,
            name=name,
            created_by=user if user.is_authenticated else None,
            epoch=time.time(),
        )
        nodes = []
        for index, instance in enumerate(instances):
            node_name = instance.name.lower()
            if is_dns1123_label(node_name) or node_name in {n.metadata.name for n in nodes}:
                node_name = f"node-{index}"
            node = node_from_instance(
                node_name,
                _flavor(instance),
                zone=instance.availability_zone or "nova",
                control_plane=index == 0,
                internal_ip=instance.fixed_ip or "",
            )
            node.pod_cidr = f"10.244.{index}.0/24"
            nodes.append(node)
            ClusterMember.objects.create(
                cluster=cluster,
                instance=instance,
                node_name=node_name,
                role=ClusterMember.Role.CONTROL_PLANE if index == 0 else ClusterMember.Role.WORKER,
            )
        state = engine.new_cluster(nodes, now=0.0, pace=float(project.cloud.pace))
        changes = [
            engine.Change("create", resource, engine.namespace_of(resource, obj), obj.metadata.name, obj)
            for resource in engine.RESOURCES
            for obj in state.table(resource).values()
        ]
        store.save(cluster, state, changes)
        loop.publish(cluster, changes, [])
        enqueue_reconcile(cluster.pk)
    return cluster


def write(cluster_id: int, do: Any) -> list[engine.Change]:
    """Run ``do(state, rng) -> list[Change]`` under the lock, save, publish, wake the loop."""
    with store.locked(cluster_id) as cluster:
        state = store.load(cluster)
        rng = random.Random(f"{cluster.pk}:{cluster.revision}:write")  # noqa: S311 (names, not secrets)
        changes = do(state, rng)
        store.save(cluster, state, changes)
        loop.publish(cluster, changes, [])
        enqueue_reconcile(cluster.pk)
    return changes


def apply_manifest(cluster: Cluster, text: str, namespace: str = "default") -> list[engine.Change]:
    """Create every object of a YAML/JSON manifest, all or none: ``ManifestError`` (400 / 422) or
    ``etcd.ApiError`` (404 namespace, 409 AlreadyExists) before anything is written."""
    objects = []
    for body in manifest.parse_documents(text):
        obj = manifest.decode(body, namespace=namespace)
        kind = type(obj).__name__
        objects.append((manifest.KINDS[kind].resource, obj))
    if not objects:
        raise manifest.ManifestError(400, "no objects passed to create")  # kubectl's words

    def do(state: engine.ClusterState, rng: random.Random) -> list[engine.Change]:
        trial = copy.deepcopy(state)
        for resource, obj in objects:  # a dry run on a copy: a refusal leaves nothing half-created
            engine.create(trial, resource, copy.deepcopy(obj), random.Random(0))  # noqa: S311
        return [engine.create(state, resource, obj, rng) for resource, obj in objects]

    return write(cluster.pk, do)


def delete_object(cluster: Cluster, resource: str, namespace: str, name: str) -> list[engine.Change]:
    return write(cluster.pk, lambda state, rng: engine.delete(state, resource, namespace, name))


def scale_object(cluster: Cluster, resource: str, namespace: str, name: str, replicas: int) -> list[engine.Change]:
    return write(cluster.pk, lambda state, rng: [engine.scale(state, resource, namespace, name, replicas)])


def label_object(cluster: Cluster, resource: str, namespace: str, name: str, labels: dict[str, str]) -> engine.Change:
    """Replace an object's labels (``kubectl label --overwrite``, keys left out removed): a 422
    ``etcd.ApiError`` with Kubernetes' causes for a bad key or value, before anything is written.
    A pod whose labels stop matching its ReplicaSet's selector is released and replaced."""
    errors = validate_labels(labels)
    if errors:
        status = invalid_status(engine.RESOURCES[resource][1], name, errors)
        raise ApiError(422, "Invalid", status["message"], status["details"])

    def do(state: engine.ClusterState, rng: random.Random) -> list[engine.Change]:
        obj = copy.deepcopy(state.table(resource).get(engine.key_of(resource, namespace, name)))
        if obj is None:
            raise not_found(resource, name)
        obj.metadata.labels = dict(labels)
        return [engine.update(state, resource, obj)]

    return write(cluster.pk, do)[0]


def delete_cluster(cluster: Cluster) -> None:
    """The cluster and its objects go; its instances stay, free for another cluster (a reconcile
    round already queued finds no cluster and does nothing)."""
    project_id, cluster_id = cluster.project_id, cluster.pk
    with transaction.atomic():
        Cluster.objects.filter(pk=cluster_id).delete()
        publish_on_commit(
            project_stream(project_id),
            "kube.changed",
            {"cluster": cluster_id, "revision": 0, "changes": [], "actions": []},
        )


def set_image(cluster: Cluster, namespace: str, name: str, images: dict[str, str]) -> engine.Change:
    """``kubectl set image deployment/<name> <container>=<image>``: a new pod template, so the
    Deployment controller rolls it out (a new ReplicaSet, the old one scaled down step by step)."""

    def do(state: engine.ClusterState, rng: random.Random) -> list[engine.Change]:
        obj = copy.deepcopy(state.deployments.get(engine.key_of("deployments", namespace, name)))
        if obj is None:
            raise not_found("deployments", name)
        containers = {c.name: c for c in obj.template.spec.containers}
        for container, image in images.items():
            if container not in containers:
                raise ApiError(400, "BadRequest", f'unable to find container named "{container}"')
            if not image.strip():
                raise ApiError(
                    422,
                    "Invalid",
                    f'Deployment.apps "{name}" is invalid: spec.template.spec.containers[0].image: Required value',
                )
            containers[container].image = image.strip()
        obj.metadata.resource_version = 0
        return [engine.update(state, "deployments", obj)]

    return write(cluster.pk, do)[0]


def undo_rollout(cluster: Cluster, namespace: str, name: str, to_revision: int = 0) -> engine.Change:
    """``kubectl rollout undo deployment/<name> [--to-revision=N]``: the template of that revision
    (0: the previous one) becomes the Deployment's again; its old ReplicaSet is scaled back up and
    takes the next revision number."""

    def do(state: engine.ClusterState, rng: random.Random) -> list[engine.Change]:
        obj = copy.deepcopy(state.deployments.get(engine.key_of("deployments", namespace, name)))
        if obj is None:
            raise not_found("deployments", name)
        try:
            obj.template = rollback_template(obj, list(state.replica_sets.values()), to_revision)
        except RollbackError as error:
            raise ApiError(400, "BadRequest", str(error)) from error
        obj.metadata.resource_version = 0
        return [engine.update(state, "deployments", obj)]

    return write(cluster.pk, do)[0]
