"""Kubernetes clusters in a scenario file (docs/scenarios.md, "Clusters"): read, create, export.

A scenario's ``clusters:`` section names, for each cluster, its project, its name, its control
plane and worker instances (by the scenario's instance names) and the manifests to create on it,
in order, as ``kubectl create -f`` would.

Reading (``parse_scenario_with_clusters``), steps:

1. The section is taken out and the rest of the file parsed by the engine (``parse_scenario``).
2. Each cluster is checked against the parsed instances: a DNS-1123 name unique in its project,
   instances that exist, are the project's own, ACTIVE and running on a host that is up, and in
   one cluster only; at most ``CLUSTERS_PER_PROJECT`` per project (the writer's own quota).
3. Each manifest is decoded as the apiserver does and the cluster's manifests are created, in
   order, on a trial cluster as kubeadm leaves it: what Kubernetes would refuse (a 422 Invalid, a
   namespace not found, AlreadyExists, a ClusterIP taken) is a problem quoting its own message.

Every problem of both parts is listed by its path (``clusters[0].workers[1]: …``) and nothing is
returned on error, so ``create_cloud`` writes nothing. Creating (``create_clusters``) goes through
the writer the pages use (``clusters.create_cluster``, ``clusters.apply_manifest``) inside the
loader's transaction. Exporting (``with_clusters``) writes each cluster back: members by instance
name, and the objects a user made as manifests in ``kubectl get -o yaml``'s form without status,
uid, resourceVersion and timestamps, so loading the file gives the same desired state.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AnonymousUser

from cloudlab.compute.actions.errors import ActionError
from cloudlab.engine.kubernetes import cluster as engine
from cloudlab.engine.kubernetes import manifest
from cloudlab.engine.kubernetes.etcd import ApiError
from cloudlab.engine.kubernetes.objects import INITIAL_NAMESPACES
from cloudlab.engine.kubernetes.validation import is_dns1123_label
from cloudlab.engine.lifecycle import VmState
from cloudlab.engine.scheduler import Scenario, ScenarioError, parse_scenario
from cloudlab.engine.scheduler.checks import Checker, join, kind, show
from cloudlab.engine.scheduler.model import Instance as ScenarioInstance
from cloudlab.engine.scheduler.scenario import read_data
from cloudlab.engine.scheduler.sections import SLUG

from .clusters import CLUSTERS_PER_PROJECT, apply_manifest, create_cluster
from .models import Cluster, ClusterMember, KubeObject

SECTION = "clusters"
CLUSTER_KEYS = ("name", "project", "control_plane", "workers", "manifests")
#: The vm_states a node's VM runs in (``health.vm_runs``: the power state is RUNNING in both).
RUNNING = (VmState.ACTIVE, VmState.RESIZED)
#: What a user creates, in the order the export writes it (a namespace before what is in it, a
#: Service before the pods that read its variables).
EXPORTED = ("namespaces", "services", "endpoints", "replicationcontrollers", "replicasets", "deployments", "pods")
#: Metadata the apiserver and the controllers write, not the user (``kubectl get -o yaml`` shows it).
SERVER_METADATA = (
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
)
#: Annotations a controller writes (the Deployment controller's revision counter).
SERVER_ANNOTATIONS = ("deployment.kubernetes.io/",)


@dataclass(frozen=True)
class ClusterSpec:
    """A cluster of a scenario: instances by uuid, manifests as the texts ``apply_manifest`` reads."""

    path: str
    name: str
    project: str
    control_plane: str
    workers: tuple[str, ...]
    manifests: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClusterScenario(Scenario):
    """A scenario with its ``clusters:`` section read."""

    clusters: tuple[ClusterSpec, ...] = ()


def clusters_of(scenario: Scenario) -> tuple[ClusterSpec, ...]:
    return getattr(scenario, "clusters", ())


# -- reading ---------------------------------------------------------------------------------------


def load_scenario_file(path: str | Path) -> Scenario:
    """``engine.scheduler.load_scenario_file`` for a file that may have a ``clusters:`` section."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([f"{p}: cannot read the file ({exc})"]) from exc
    return parse_scenario_with_clusters(read_data(p, text))


def parse_scenario_with_clusters(data: Any) -> Scenario:
    """The scenario and its clusters, or ``ScenarioError`` with every problem of both."""
    if not isinstance(data, Mapping) or SECTION not in data:
        return parse_scenario(data)
    problems: list[str] = []
    scenario: Scenario | None = None
    try:
        scenario = parse_scenario({k: v for k, v in data.items() if k != SECTION})
    except ScenarioError as error:
        problems += error.problems
    c = Checker()
    specs = parse_clusters(c, data[SECTION], scenario.instances if scenario else None, scenario)
    problems += c.problems
    if problems or scenario is None:
        raise ScenarioError(problems)
    values = {f.name: getattr(scenario, f.name) for f in fields(scenario)}
    return ClusterScenario(**values, clusters=tuple(specs))


def parse_clusters(
    c: Checker, raw: Any, instances: tuple[ScenarioInstance, ...] | None, scenario: Scenario | None = None
) -> list[ClusterSpec]:
    """Every cluster of the section; ``instances`` None (the rest of the file is wrong): only each
    cluster's own fields are checked."""
    specs: list[ClusterSpec] = []
    names: dict[tuple[str, str], str] = {}
    member_of: dict[str, str] = {}
    per_project: dict[str, int] = {}
    for path, entry in c.items(SECTION, raw):
        top = c.mapping(path, entry, CLUSTER_KEYS)
        if top is None:
            continue
        name = _cluster_name(c, path, top.get("name"))
        project = c.string(join(path, "project"), top.get("project"))
        if project is not None and not SLUG.match(project):
            c.add(join(path, "project"), f"{project!r} must be a project slug (lower-case letters, digits, '-', '_')")
            project = None
        label = f"cluster {name!r}" if name else "the cluster"
        if name and project:
            if (project, name) in names:
                c.add(
                    join(path, "name"),
                    f"project {project!r} has a cluster named {name!r} already ({names[project, name]})",
                )
            names[project, name] = path
            per_project[project] = per_project.get(project, 0) + 1
            if per_project[project] == CLUSTERS_PER_PROJECT + 1:
                c.add(path, f"project {project!r} may have at most {CLUSTERS_PER_PROJECT} clusters (its quota)")
        refs = [(join(path, "control_plane"), top.get("control_plane"))]
        workers = top.get("workers")
        if not isinstance(workers, list) or not workers:
            c.add(join(path, "workers"), "must be a non-empty list of instance names (a cluster needs a worker node)")
        else:
            refs += c.items(join(path, "workers"), workers)
        uuids = []
        for ref_path, ref in refs:
            found = _instance(c, ref_path, ref, instances)
            if found is None:
                continue
            where = f"{path} ({label})"
            if found.uuid in member_of:
                c.add(ref_path, f"instance {found.name!r} is already a node of {member_of[found.uuid]}")
                continue
            member_of[found.uuid] = where
            if project and found.project != project:
                c.add(
                    ref_path,
                    f"instance {found.name!r} is in project {found.project!r}, not {project!r}: "
                    "a cluster is made of its project's instances",
                )
            _running(c, ref_path, found, scenario)
            uuids.append(found.uuid)
        texts = _manifests(c, join(path, "manifests"), top.get("manifests"))
        if name and project and len(uuids) == len(refs) and not c.problems:
            specs.append(ClusterSpec(path, name, project, uuids[0], tuple(uuids[1:]), tuple(texts)))
    return specs


def _cluster_name(c: Checker, path: str, value: Any) -> str | None:
    name = c.string(join(path, "name"), value)
    if name is None:
        return None
    why = is_dns1123_label(name)
    if why:
        c.add(join(path, "name"), f"{name!r} is not a valid cluster name: {why[0]}")
        return None
    return name


def _instance(
    c: Checker, path: str, ref: Any, instances: tuple[ScenarioInstance, ...] | None
) -> ScenarioInstance | None:
    """The instance ``ref`` names (its name; its uuid where two share a name)."""
    if not isinstance(ref, str) or not ref.strip():
        c.add(path, f"must be an instance's name, not {show(ref) if isinstance(ref, str) else kind(ref)}")
        return None
    if instances is None:
        return None
    by_name = [i for i in instances if i.name == ref]
    if len(by_name) > 1:
        uuids = ", ".join(i.uuid for i in by_name)
        c.add(path, f"{len(by_name)} instances are named {ref!r} ({uuids}): name one by its uuid")
        return None
    found = by_name or [i for i in instances if i.uuid == ref.lower()]
    if not found:
        c.add(path, f"no instance named {ref!r} in the scenario (hosts[].instances[].name)")
        return None
    return found[0]


def _running(c: Checker, path: str, instance: ScenarioInstance, scenario: Scenario | None) -> None:
    """A node needs a VM that runs (``health.vm_runs``, what ``create_cluster`` checks)."""
    if instance.vm_state not in RUNNING:
        c.add(
            path,
            f"instance {instance.name!r} is {instance.vm_state.upper()} (vm_state {instance.vm_state}): "
            "a node needs an ACTIVE, running VM",
        )
    elif scenario is not None and not scenario.host(instance.host).up:
        c.add(path, f"instance {instance.name!r} runs on {instance.host}, whose nova-compute is down (up: false)")


def _manifests(c: Checker, path: str, raw: Any) -> list[str]:
    """Each manifest as text, decoded, then all created in order on a trial cluster."""
    texts: list[str] = []
    trial = engine.new_cluster([], now=0.0, pace=0.0)
    for item_path, item in c.items(path, raw):
        if isinstance(item, Mapping):
            text = json.dumps(item, ensure_ascii=False)
        elif isinstance(item, str) and item.strip():
            text = item
        else:
            c.add(item_path, f"must be a manifest (YAML or JSON text, or an object), not {kind(item)}")
            continue
        texts.append(text)
        try:
            objects = _decode(text)
            for resource, obj in objects:
                engine.create(trial, resource, obj, random.Random(0))  # noqa: S311 (a dry run)
        except manifest.ManifestError as error:
            c.add(item_path, kubectl_error(error))
        except ApiError as error:
            c.add(item_path, kubectl_error(error))
    return texts


def _decode(text: str) -> list[tuple[str, Any]]:
    """The objects of a manifest as ``apply_manifest`` creates them (namespace ``default``)."""
    objects = []
    for body in manifest.parse_documents(text):
        obj = manifest.decode(body, namespace="default")
        objects.append((manifest.KINDS[type(obj).__name__].resource, obj))
    if not objects:
        raise manifest.ManifestError(400, "no objects passed to create")
    return objects


def kubectl_error(error: manifest.ManifestError | ApiError) -> str:
    """What ``kubectl create -f`` prints for the refusal: the apiserver's Status, or its own error."""
    if isinstance(error, ApiError):
        return f"Error from server ({error.reason}): {error.message}"
    if error.code == 422:
        return f"Error from server (Invalid): {error.message}"
    return f"error: {error.message}"


# -- creating --------------------------------------------------------------------------------------


def create_clusters(cloud: Any, scenario: Scenario) -> list[Cluster]:
    """The scenario's clusters on the cloud just written (inside the loader's transaction).

    The checks of ``parse_clusters`` ran on the file; the writer checks again on the rows, and a
    refusal there is a ``ScenarioError`` naming the cluster, so the loader's transaction writes
    nothing."""
    made = []
    for spec in clusters_of(scenario):
        project = cloud.projects.get(name=spec.project)
        try:
            cluster = create_cluster(
                AnonymousUser(), project, name=spec.name, control_plane=spec.control_plane, workers=list(spec.workers)
            )
        except ActionError as error:
            raise ScenarioError([f"{spec.path}: {error.message}"]) from None
        for index, text in enumerate(spec.manifests):
            try:
                apply_manifest(cluster, text)
            except (manifest.ManifestError, ApiError) as error:
                raise ScenarioError([f"{spec.path}.manifests[{index}]: {kubectl_error(error)}"]) from None
        made.append(cluster)
    return made


# -- exporting -------------------------------------------------------------------------------------


def with_clusters(document: dict[str, Any], cloud: Any) -> dict[str, Any]:
    """``document`` (a cloud's scenario) with its ``clusters:`` section, checked as a load would
    check it; ``ScenarioError`` for a cluster the format cannot say (a node whose VM is gone or
    not running: a load could not make that node)."""
    entries, problems = cluster_entries(cloud, document)
    if problems:
        raise ScenarioError(problems)
    if not entries:
        return document
    out = {**document, SECTION: entries}
    parse_scenario_with_clusters(out)
    return out


def cluster_entries(cloud: Any, document: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """Each cluster of the cloud as the section holds it, and what keeps one out of the file."""
    exported = [i for h in document.get("hosts", []) for i in h.get("instances", [])]
    by_uuid = {i["uuid"]: i for i in exported}
    names = [i["name"] for i in exported]
    entries, problems = [], []
    clusters = Cluster.objects.filter(cloud=cloud).select_related("project").prefetch_related("members__instance")
    for index, cluster in enumerate(clusters):
        path = f"{SECTION}[{index}] ({cluster.name})"
        control_plane: list[str] = []
        workers: list[str] = []
        for member in cluster.members.all():  # in the order they were made: the node names follow it
            instance = member.instance
            saved = by_uuid.get(str(instance.uuid)) if instance is not None else None
            if saved is None or saved["vm_state"] not in RUNNING:
                state = "deleted" if instance is None or instance.deleted_at else _state(instance)
                problems.append(
                    f"{path}: node {member.node_name}'s instance is {state}; a scenario's nodes are ACTIVE, "
                    "running instances (start it, or delete the cluster, then save)"
                )
                continue
            ref = saved["name"] if names.count(saved["name"]) == 1 else saved["uuid"]
            (control_plane if member.role == ClusterMember.Role.CONTROL_PLANE else workers).append(ref)
        entry: dict[str, Any] = {
            "name": cluster.name,
            "project": cluster.project.name,
            "control_plane": (control_plane or [""])[0],
            "workers": workers,
        }
        objects = desired_objects(cluster)
        if objects:
            entry["manifests"] = objects
        entries.append(entry)
    return entries, problems


def _state(instance: Any) -> str:
    if instance.task_state:
        return f"{instance.vm_state} and {instance.task_state}"
    return str(instance.vm_state)


def desired_objects(cluster: Cluster) -> list[dict[str, Any]]:
    """The objects a user created, as ``kubectl get -o yaml`` prints them without what the server
    writes: namespaces past kubeadm's four, Services but ``kubernetes``, the Endpoints of a
    Service without a selector (the endpoints controller writes the others), ReplicationControllers,
    ReplicaSets and pods that no controller owns, Deployments; nothing being deleted."""
    rows = list(KubeObject.objects.filter(cluster=cluster, resource__in=EXPORTED))
    selectorless = {
        (r.namespace, r.name) for r in rows if r.resource == "services" and not r.body.get("spec", {}).get("selector")
    }
    out = []
    for row in sorted(rows, key=lambda r: (EXPORTED.index(r.resource), _created(r.body), r.namespace, r.name)):
        meta = row.body.get("metadata", {})
        if meta.get("deletionTimestamp") or meta.get("ownerReferences"):
            continue
        if row.resource == "namespaces" and row.name in INITIAL_NAMESPACES:
            continue
        if row.resource in ("services", "endpoints") and (row.namespace, row.name) == ("default", "kubernetes"):
            continue
        if row.resource == "endpoints" and (row.namespace, row.name) not in selectorless:
            continue
        out.append(as_manifest(row.body))
    return out


def _created(body: Mapping[str, Any]) -> str:
    return str(body.get("metadata", {}).get("creationTimestamp") or "")


def as_manifest(body: Mapping[str, Any]) -> dict[str, Any]:
    """A stored object as a manifest: no status, no server-written metadata; apiVersion, kind,
    metadata and spec in the order ``kubectl get -o yaml`` prints them."""
    order = ("apiVersion", "kind", "metadata")
    out = {k: copy.deepcopy(body[k]) for k in order if k in body}
    out |= {k: copy.deepcopy(v) for k, v in body.items() if k not in (*order, "status")}
    meta = {k: v for k, v in out.get("metadata", {}).items() if k not in SERVER_METADATA}
    annotations = {k: v for k, v in meta.get("annotations", {}).items() if not k.startswith(SERVER_ANNOTATIONS)}
    meta.pop("annotations", None)
    if annotations:
        meta["annotations"] = annotations
    out["metadata"] = meta
    return out


__all__ = [
    "ClusterScenario",
    "ClusterSpec",
    "as_manifest",
    "clusters_of",
    "create_clusters",
    "desired_objects",
    "kubectl_error",
    "load_scenario_file",
    "parse_scenario_with_clusters",
    "with_clusters",
]
