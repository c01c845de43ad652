"""Manifests: YAML/JSON text → the engine's dataclasses (with the API's defaulting and validation),
and the dataclasses → the JSON a GET returns (and back, for objects persisted as that JSON).

Read (Kubernetes v1.32): ``pkg/apis/core/v1/defaults.go`` (``SetDefaults_Pod``/``PodSpec``/
``Container`` — restartPolicy Always, terminationGracePeriodSeconds 30, schedulerName, protocol TCP,
imagePullPolicy Always for ``:latest`` or no tag else IfNotPresent, requests from limits;
``SetDefaults_Service`` — type ClusterIP, sessionAffinity None, targetPort = port;
``SetDefaults_ReplicationController`` — selector and labels from the template, replicas 1),
``pkg/apis/apps/v1/defaults.go`` (``SetDefaults_Deployment``: replicas 1, RollingUpdate 25%/25%,
revisionHistoryLimit 10, progressDeadlineSeconds 600), ``pkg/apis/core/validation/validation.go``
(``ValidateObjectMeta``, ``validateContainerPorts``, ``ValidateResourceRequirements``,
``validateRestartPolicy``, ``ValidatePodTemplateSpecForRC``, ``ValidateService``/``validateServicePort``),
``pkg/apis/apps/validation/validation.go`` (``ValidateReplicaSetSpec``, ``ValidateDeploymentSpec``,
``ValidatePodTemplateSpecForReplicaSet``), apimachinery ``util/validation`` (``IsValidPortNum``,
``IsValidPortName``) and ``api/errors.NewInvalid`` (message ``Deployment.apps "web" is invalid: …``).

Decoding follows the apiserver without strict field validation: unknown fields are ignored, a
wrong JSON type is a 400 ``<Kind> in version "v1" cannot be handled as a <Kind>: json: cannot
unmarshal …``, field problems are all collected into one 422. ``decode`` reads what a client may
send (spec and metadata, no status); ``decode_stored`` reads everything ``encode`` wrote. Times are
RFC 3339, whole seconds as the API prints them (a fractional clock time keeps its fraction so the
round trip stays exact). Known simplifications: bad values that Go prints as structs or maps
(``%#v``) are shown as JSON here; quantities are shown as written, not canonicalised.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn

import yaml

from .etcd import ApiError
from .objects import (
    Affinity,
    Container,
    ContainerImage,
    ContainerPort,
    ContainerState,
    ContainerStatus,
    Deployment,
    DeploymentCondition,
    DeploymentStatus,
    DeploymentStrategy,
    EndpointAddress,
    EndpointPort,
    Endpoints,
    EndpointSubset,
    EnvVar,
    Event,
    Namespace,
    Node,
    NodeAffinity,
    NodeCondition,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    ObjectMeta,
    ObjectReference,
    OwnerReference,
    Pod,
    PodAffinity,
    PodAffinityTerm,
    PodCondition,
    PodSpec,
    PodStatus,
    PodTemplate,
    PreferredSchedulingTerm,
    ReplicaSet,
    ReplicaStatus,
    ReplicationController,
    Service,
    ServicePort,
    Taint,
    Toleration,
    TopologySpreadConstraint,
    WeightedPodAffinityTerm,
)
from .quantity import QuantityError, parse_quantity
from .selectors import LabelSelector, LabelSelectorRequirement, label_selector_as_selector, validate_label_selector
from .validation import (
    FieldError,
    invalid,
    is_dns1035_label,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_qualified_name,
    not_supported,
    required,
    validate_labels,
)
from .validation import invalid_status as _invalid_status


@dataclass(frozen=True)
class Kind:
    kind: str
    api_version: str
    resource: str
    namespaced: bool
    short_names: tuple[str, ...]
    singular: str

    @property
    def group(self) -> str:
        return self.api_version.split("/")[0] if "/" in self.api_version else ""

    @property
    def qualified(self) -> str:
        """``schema.GroupKind.String()``: ``Deployment.apps``, ``Pod``."""
        return f"{self.kind}.{self.group}" if self.group else self.kind


KINDS: dict[str, Kind] = {
    k.kind: k
    for k in (
        Kind("Namespace", "v1", "namespaces", False, ("ns",), "namespace"),
        Kind("Node", "v1", "nodes", False, ("no",), "node"),
        Kind("Pod", "v1", "pods", True, ("po",), "pod"),
        Kind("ReplicationController", "v1", "replicationcontrollers", True, ("rc",), "replicationcontroller"),
        Kind("ReplicaSet", "apps/v1", "replicasets", True, ("rs",), "replicaset"),
        Kind("Deployment", "apps/v1", "deployments", True, ("deploy",), "deployment"),
        Kind("Service", "v1", "services", True, ("svc",), "service"),
        Kind("Endpoints", "v1", "endpoints", True, ("ep",), "endpoints"),
        Kind("Event", "v1", "events", True, ("ev",), "event"),
    )
}
_BY_RESOURCE = {k.resource: k for k in KINDS.values()}


def kind_for_resource(resource: str) -> Kind:
    """``"pods"`` → the Pod kind; ``KeyError`` for a resource the cluster does not serve."""
    return _BY_RESOURCE[resource]


class ManifestError(ValueError):
    """A manifest the apiserver refuses: 422 Invalid (``errors``) or 400 BadRequest (``message``)."""

    def __init__(self, code: int, message: str, kind: str = "", name: str = "", errors: list[FieldError] | None = None):
        self.code = code
        self.kind = kind
        self.name = name
        self.errors = list(errors or [])
        self.message = message
        super().__init__(message)

    def status(self) -> dict[str, Any]:
        if self.code == 422:
            k = KINDS.get(self.kind)
            qualified = k.qualified if k else self.kind
            st = _invalid_status(qualified, self.name, self.errors)
            st["details"]["kind"] = self.kind
            if k and k.group:
                st["details"]["group"] = k.group
            return st
        return ApiError(400, "BadRequest", self.message).status()


def _invalid(kind: Kind, name: str, errors: list[FieldError]) -> ManifestError:
    st = _invalid_status(kind.qualified, name, errors)
    return ManifestError(422, st["message"], kind.kind, name, errors)


# -- text → documents ---------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """YAML as sigs.k8s.io/yaml reads it: timestamps stay strings (no datetime resolution)."""


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _jtype(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


#: PyYAML's problem texts → go-yaml's (what kubectl prints) for the common mistakes.
_GO_YAML_WORDS = {
    "mapping values are not allowed here": "mapping values are not allowed in this context",
    "found character '\\t' that cannot start any token": "found character that cannot start any token",
}


def parse_documents(text: str) -> list[dict[str, Any]]:
    """Every non-empty document of ``text`` (YAML or JSON, ``---`` separated); ``kind: List`` expands."""
    try:
        docs = list(yaml.load_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = _GO_YAML_WORDS.get(str(exc.problem), str(exc.problem or exc))
        raise ManifestError(400, f"error converting YAML to JSON: yaml: {where}{problem}") from exc
    except yaml.YAMLError as exc:
        raise ManifestError(400, f"error converting YAML to JSON: yaml: {exc}") from exc
    out: list[dict[str, Any]] = []
    for doc in docs:
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise ManifestError(
                400,
                f"json: cannot unmarshal {_jtype(doc)} into Go value of type struct "
                '{ APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }',
            )
        if doc.get("kind") == "List" and isinstance(doc.get("items"), list):
            for item in doc["items"]:
                if not isinstance(item, dict):
                    raise ManifestError(
                        400, f"json: cannot unmarshal {_jtype(item)} into Go value of type map[string]interface {{}}"
                    )
                out.append(item)
            continue
        out.append(doc)
    return out


# -- reading with Go's types ----------------------------------------------------------------------


class _R:
    """Reads a JSON body field by field; a wrong type is the apiserver's 400 decode error."""

    def __init__(self, kind: Kind, name: str):
        self.kind = kind
        self.name = name

    def fail(self, detail: str) -> NoReturn:
        k = self.kind.kind
        raise ManifestError(400, f'{k} in version "v1" cannot be handled as a {k}: {detail}', k, self.name)

    def type_error(self, value: Any, path: str, gotype: str) -> NoReturn:
        shown = _jtype(value) + (f" {value}" if _jtype(value) == "number" else "")
        self.fail(f"json: cannot unmarshal {shown} into Go struct field {path} of type {gotype}")

    def obj(self, m: Mapping[str, Any], key: str, path: str, gotype: str = "struct") -> Mapping[str, Any]:
        v = m.get(key)
        if v is None:
            return {}
        if not isinstance(v, dict):
            self.type_error(v, path, gotype)
        return v

    def str_(self, m: Mapping[str, Any], key: str, path: str, default: str = "") -> str:
        v = m.get(key)
        if v is None:
            return default
        if not isinstance(v, str):
            self.type_error(v, path, "string")
        return v

    def int_(self, m: Mapping[str, Any], key: str, path: str, default: int = 0, gotype: str = "int32") -> int:
        v = m.get(key)
        if v is None:
            return default
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (isinstance(v, float) and not v.is_integer()):
            self.type_error(v, path, gotype)
        return int(v)

    def opt_int(self, m: Mapping[str, Any], key: str, path: str) -> int | None:
        return None if m.get(key) is None else self.int_(m, key, path, gotype="int64")

    def bool_(self, m: Mapping[str, Any], key: str, path: str) -> bool:
        v = m.get(key)
        if v is None:
            return False
        if not isinstance(v, bool):
            self.type_error(v, path, "bool")
        return v

    def strs(self, m: Mapping[str, Any], key: str, path: str) -> list[str]:
        v = m.get(key)
        if v is None:
            return []
        if not isinstance(v, list):
            self.type_error(v, path, "[]string")
        for item in v:
            if not isinstance(item, str):
                self.type_error(item, path, "string")
        return list(v)

    def smap(self, m: Mapping[str, Any], key: str, path: str) -> dict[str, str]:
        v = m.get(key)
        if v is None:
            return {}
        if not isinstance(v, dict):
            self.type_error(v, path, "map[string]string")
        for item in v.values():
            if not isinstance(item, str):
                self.type_error(item, path, "string")
        return {str(k): val for k, val in v.items()}

    def items(self, m: Mapping[str, Any], key: str, path: str, gotype: str) -> list[Mapping[str, Any]]:
        v = m.get(key)
        if v is None:
            return []
        if not isinstance(v, list):
            self.type_error(v, path, "[]" + gotype)
        for item in v:
            if not isinstance(item, dict):
                self.type_error(item, path, gotype)
        return v

    def int_or_str(self, m: Mapping[str, Any], key: str, path: str, default: int | str = 0) -> int | str:
        v = m.get(key)
        if v is None:
            return default
        if isinstance(v, str):
            return v
        return self.int_(m, key, path, gotype="intstr.IntOrString")

    def quantities(self, m: Mapping[str, Any], key: str, path: str) -> dict[str, str]:
        v = m.get(key)
        if v is None:
            return {}
        if not isinstance(v, dict):
            self.type_error(v, path, "v1.ResourceList")
        out: dict[str, str] = {}
        for name, q in v.items():
            if isinstance(q, bool) or not isinstance(q, (str, int, float)):
                self.fail("quantities must be a string or a number")
            text = q if isinstance(q, str) else str(q)
            try:
                parse_quantity(text)
            except QuantityError as exc:
                self.fail(str(exc))
            out[str(name)] = text
        return out

    def time(self, m: Mapping[str, Any], key: str, path: str, epoch: float) -> float | None:
        v = m.get(key)
        if v is None:
            return None
        if not isinstance(v, str):
            self.type_error(v, path, "v1.Time")
        try:
            moment = datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            self.fail(f'parsing time "{v}" as "2006-01-02T15:04:05Z07:00": cannot parse')
        return moment.timestamp() - epoch


def _condition_text(r: _R, c: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """A status condition's type, status, reason and message (pods, nodes and workloads share them)."""
    return (
        r.str_(c, "type", "status.conditions.type"),
        r.str_(c, "status", "status.conditions.status"),
        r.str_(c, "reason", "status.conditions.reason"),
        r.str_(c, "message", "status.conditions.message"),
    )


def _time(seconds: float | None, epoch: float) -> str | None:
    if seconds is None:
        return None
    moment = datetime.fromtimestamp(epoch + seconds, tz=UTC)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _prune(d: dict[str, Any]) -> dict[str, Any]:
    """Go's ``omitempty``: drop None, "", empty lists and maps (never 0 or False here)."""
    return {k: v for k, v in d.items() if v is not None and v != "" and v != [] and v != {}}


# -- metadata -------------------------------------------------------------------------------------


def _meta_in(r: _R, body: Mapping[str, Any], kind: Kind, namespace: str, epoch: float, stored: bool) -> ObjectMeta:
    m = r.obj(body, "metadata", "metadata", "v1.ObjectMeta")
    owners = [
        OwnerReference(
            r.str_(o, "apiVersion", "metadata.ownerReferences.apiVersion"),
            r.str_(o, "kind", "metadata.ownerReferences.kind"),
            r.str_(o, "name", "metadata.ownerReferences.name"),
            r.str_(o, "uid", "metadata.ownerReferences.uid"),
            r.bool_(o, "controller", "metadata.ownerReferences.controller"),
            r.bool_(o, "blockOwnerDeletion", "metadata.ownerReferences.blockOwnerDeletion"),
        )
        for o in r.items(m, "ownerReferences", "metadata.ownerReferences", "v1.OwnerReference")
    ]
    rv = r.str_(m, "resourceVersion", "metadata.resourceVersion")
    meta = ObjectMeta(
        name=r.str_(m, "name", "metadata.name"),
        namespace=(r.str_(m, "namespace", "metadata.namespace") or namespace) if kind.namespaced else "",
        uid=r.str_(m, "uid", "metadata.uid"),
        labels=r.smap(m, "labels", "metadata.labels"),
        annotations=r.smap(m, "annotations", "metadata.annotations"),
        owner_references=owners,
        finalizers=r.strs(m, "finalizers", "metadata.finalizers"),
        generate_name=r.str_(m, "generateName", "metadata.generateName"),
        resource_version=int(rv) if rv.isdigit() else 0,
    )
    if stored:
        meta.creation_timestamp = r.time(m, "creationTimestamp", "metadata.creationTimestamp", epoch) or 0.0
        meta.deletion_timestamp = r.time(m, "deletionTimestamp", "metadata.deletionTimestamp", epoch)
        meta.deletion_grace_period_seconds = r.opt_int(
            m, "deletionGracePeriodSeconds", "metadata.deletionGracePeriodSeconds"
        )
        meta.generation = r.int_(m, "generation", "metadata.generation", 1, "int64")
    return meta


def _meta_out(meta: ObjectMeta, kind: Kind, epoch: float) -> dict[str, Any]:
    out = _prune(
        {
            "name": meta.name,
            "generateName": meta.generate_name,
            "namespace": meta.namespace if kind.namespaced else None,
            "uid": meta.uid,
            "resourceVersion": str(meta.resource_version) if meta.resource_version else None,
            "generation": meta.generation if kind.kind in _WORKLOADS else None,
            "creationTimestamp": _time(meta.creation_timestamp, epoch),
            "deletionTimestamp": _time(meta.deletion_timestamp, epoch),
            "deletionGracePeriodSeconds": meta.deletion_grace_period_seconds,
            "labels": dict(meta.labels),
            "annotations": dict(meta.annotations),
            "ownerReferences": [
                {
                    "apiVersion": o.api_version,
                    "kind": o.kind,
                    "name": o.name,
                    "uid": o.uid,
                    "controller": o.controller,
                    "blockOwnerDeletion": o.block_owner_deletion,
                }
                for o in meta.owner_references
            ],
            "finalizers": list(meta.finalizers),
        }
    )
    return out


_WORKLOADS = ("ReplicationController", "ReplicaSet", "Deployment")


def _ref_in(r: _R, m: Mapping[str, Any], path: str) -> ObjectReference:
    return ObjectReference(
        kind=r.str_(m, "kind", f"{path}.kind"),
        name=r.str_(m, "name", f"{path}.name"),
        namespace=r.str_(m, "namespace", f"{path}.namespace"),
        uid=r.str_(m, "uid", f"{path}.uid"),
        api_version=r.str_(m, "apiVersion", f"{path}.apiVersion"),
        field_path=r.str_(m, "fieldPath", f"{path}.fieldPath"),
    )


def _ref_out(ref: ObjectReference) -> dict[str, Any]:
    return _prune(
        {
            "kind": ref.kind,
            "namespace": ref.namespace,
            "name": ref.name,
            "uid": ref.uid,
            "apiVersion": ref.api_version,
            "fieldPath": ref.field_path,
        }
    )


# -- selectors ------------------------------------------------------------------------------------


def _selector_in(r: _R, m: Mapping[str, Any], key: str, path: str) -> LabelSelector | None:
    if m.get(key) is None:
        return None
    s = r.obj(m, key, path, "v1.LabelSelector")
    return LabelSelector(
        r.smap(s, "matchLabels", f"{path}.matchLabels"),
        [
            LabelSelectorRequirement(
                r.str_(e, "key", f"{path}.matchExpressions.key"),
                r.str_(e, "operator", f"{path}.matchExpressions.operator"),
                r.strs(e, "values", f"{path}.matchExpressions.values"),
            )
            for e in r.items(s, "matchExpressions", f"{path}.matchExpressions", "v1.LabelSelectorRequirement")
        ],
    )


def _selector_out(ls: LabelSelector | None) -> dict[str, Any] | None:
    if ls is None:
        return None
    return _prune(
        {
            "matchLabels": dict(ls.match_labels),
            "matchExpressions": [
                _prune({"key": e.key, "operator": e.operator, "values": list(e.values)}) for e in ls.match_expressions
            ],
        }
    )


# -- pods -----------------------------------------------------------------------------------------


def _pull_policy(image: str) -> str:
    """``SetDefaults_Container``: Always for the ``latest`` tag (or none), else IfNotPresent."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else ("" if "@" in image else "latest")
    return "Always" if tag == "latest" else "IfNotPresent"


def _container_in(r: _R, c: Mapping[str, Any], path: str, defaults: bool) -> Container:
    res = r.obj(c, "resources", f"{path}.resources", "v1.ResourceRequirements")
    ctr = Container(
        name=r.str_(c, "name", f"{path}.name"),
        image=r.str_(c, "image", f"{path}.image"),
        requests=r.quantities(res, "requests", f"{path}.resources.requests"),
        limits=r.quantities(res, "limits", f"{path}.resources.limits"),
        ports=[
            ContainerPort(
                container_port=r.int_(p, "containerPort", f"{path}.ports.containerPort"),
                name=r.str_(p, "name", f"{path}.ports.name"),
                protocol=r.str_(p, "protocol", f"{path}.ports.protocol", "TCP" if defaults else ""),
                host_port=r.int_(p, "hostPort", f"{path}.ports.hostPort"),
                host_ip=r.str_(p, "hostIP", f"{path}.ports.hostIP"),
            )
            for p in r.items(c, "ports", f"{path}.ports", "v1.ContainerPort")
        ],
        command=r.strs(c, "command", f"{path}.command"),
        restart_policy=r.str_(c, "restartPolicy", f"{path}.restartPolicy"),
        args=r.strs(c, "args", f"{path}.args"),
        env=[
            EnvVar(r.str_(e, "name", f"{path}.env.name"), r.str_(e, "value", f"{path}.env.value"))
            for e in r.items(c, "env", f"{path}.env", "v1.EnvVar")
        ],
        image_pull_policy=r.str_(c, "imagePullPolicy", f"{path}.imagePullPolicy"),
    )
    if defaults:
        if not ctr.image_pull_policy:
            ctr.image_pull_policy = _pull_policy(ctr.image)
        for name, q in ctr.limits.items():  # SetDefaults_Pod: a missing request is the limit
            ctr.requests.setdefault(name, q)
    return ctr


def _container_out(c: Container) -> dict[str, Any]:
    return _prune(
        {
            "name": c.name,
            "image": c.image,
            "command": list(c.command),
            "args": list(c.args),
            "env": [_prune({"name": e.name, "value": e.value}) for e in c.env],
            "ports": [
                _prune(
                    {
                        "name": p.name,
                        "containerPort": p.container_port,
                        "protocol": p.protocol,
                        "hostPort": p.host_port or None,
                        "hostIP": p.host_ip,
                    }
                )
                for p in c.ports
            ],
            "restartPolicy": c.restart_policy,
            "imagePullPolicy": c.image_pull_policy,
        }
    ) | {"resources": _prune({"requests": dict(c.requests), "limits": dict(c.limits)})}  # `resources: {}` as GET shows


def _podspec_in(r: _R, s: Mapping[str, Any], path: str, defaults: bool) -> PodSpec:
    spec = PodSpec(
        containers=[
            _container_in(r, c, f"{path}.containers", defaults)
            for c in r.items(s, "containers", f"{path}.containers", "v1.Container")
        ],
        init_containers=[
            _container_in(r, c, f"{path}.initContainers", defaults)
            for c in r.items(s, "initContainers", f"{path}.initContainers", "v1.Container")
        ],
        restart_policy=r.str_(s, "restartPolicy", f"{path}.restartPolicy", "Always" if defaults else ""),
        node_selector=r.smap(s, "nodeSelector", f"{path}.nodeSelector"),
        affinity=_affinity_in(r, s, path),
        tolerations=[
            Toleration(
                key=r.str_(t, "key", f"{path}.tolerations.key"),
                operator=r.str_(t, "operator", f"{path}.tolerations.operator", "Equal" if defaults else ""),
                value=r.str_(t, "value", f"{path}.tolerations.value"),
                effect=r.str_(t, "effect", f"{path}.tolerations.effect"),
                toleration_seconds=r.opt_int(t, "tolerationSeconds", f"{path}.tolerations.tolerationSeconds"),
            )
            for t in r.items(s, "tolerations", f"{path}.tolerations", "v1.Toleration")
        ],
        node_name=r.str_(s, "nodeName", f"{path}.nodeName"),
        scheduler_name=r.str_(s, "schedulerName", f"{path}.schedulerName", "default-scheduler" if defaults else ""),
        priority=r.int_(s, "priority", f"{path}.priority"),
        overhead=r.quantities(s, "overhead", f"{path}.overhead"),
        topology_spread_constraints=_spread_in(r, s, path),
        termination_grace_period_seconds=r.int_(
            s, "terminationGracePeriodSeconds", f"{path}.terminationGracePeriodSeconds", 30 if defaults else 0, "int64"
        ),
        readiness_gates=[
            r.str_(g, "conditionType", f"{path}.readinessGates.conditionType")
            for g in r.items(s, "readinessGates", f"{path}.readinessGates", "v1.PodReadinessGate")
        ],
    )
    return spec


def _podspec_out(s: PodSpec) -> dict[str, Any]:
    return _prune(
        {
            "initContainers": [_container_out(c) for c in s.init_containers],
            "containers": [_container_out(c) for c in s.containers],
            "restartPolicy": s.restart_policy,
            "terminationGracePeriodSeconds": s.termination_grace_period_seconds,
            "nodeSelector": dict(s.node_selector),
            "nodeName": s.node_name,
            "schedulerName": s.scheduler_name,
            "affinity": _affinity_out(s.affinity),
            "tolerations": [
                _prune(
                    {
                        "key": t.key,
                        "operator": t.operator,
                        "value": t.value,
                        "effect": t.effect,
                        "tolerationSeconds": t.toleration_seconds,
                    }
                )
                for t in s.tolerations
            ],
            "priority": s.priority,
            "overhead": dict(s.overhead),
            "topologySpreadConstraints": _spread_out(s.topology_spread_constraints),
            "readinessGates": [{"conditionType": g} for g in s.readiness_gates],
        }
    )


_REQ = "requiredDuringSchedulingIgnoredDuringExecution"
_PREF = "preferredDuringSchedulingIgnoredDuringExecution"


def _nst_in(r: _R, t: Mapping[str, Any], path: str) -> NodeSelectorTerm:
    def reqs(key: str) -> list[NodeSelectorRequirement]:
        return [
            NodeSelectorRequirement(r.str_(e, "key", path), r.str_(e, "operator", path), r.strs(e, "values", path))
            for e in r.items(t, key, f"{path}.{key}", "v1.NodeSelectorRequirement")
        ]

    return NodeSelectorTerm(reqs("matchExpressions"), reqs("matchFields"))


def _nst_out(t: NodeSelectorTerm) -> dict[str, Any]:
    def reqs(rs: list[NodeSelectorRequirement]) -> list[dict[str, Any]]:
        return [_prune({"key": e.key, "operator": e.operator, "values": list(e.values)}) for e in rs]

    return _prune({"matchExpressions": reqs(t.match_expressions), "matchFields": reqs(t.match_fields)})


def _pat_in(r: _R, t: Mapping[str, Any], path: str) -> PodAffinityTerm:
    return PodAffinityTerm(
        _selector_in(r, t, "labelSelector", f"{path}.labelSelector"),
        r.str_(t, "topologyKey", f"{path}.topologyKey"),
        r.strs(t, "namespaces", f"{path}.namespaces"),
    )


def _pat_out(t: PodAffinityTerm) -> dict[str, Any]:
    return _prune(
        {
            "labelSelector": _selector_out(t.label_selector),
            "topologyKey": t.topology_key,
            "namespaces": list(t.namespaces),
        }
    )


def _pod_affinity_in(r: _R, a: Mapping[str, Any], key: str, path: str) -> PodAffinity | None:
    if a.get(key) is None:
        return None
    pa = r.obj(a, key, f"{path}.{key}", "v1.PodAffinity")
    return PodAffinity(
        [_pat_in(r, t, f"{path}.{key}") for t in r.items(pa, _REQ, f"{path}.{key}.{_REQ}", "v1.PodAffinityTerm")],
        [
            WeightedPodAffinityTerm(
                r.int_(w, "weight", f"{path}.{key}.weight"),
                _pat_in(r, r.obj(w, "podAffinityTerm", f"{path}.{key}.podAffinityTerm"), f"{path}.{key}"),
            )
            for w in r.items(pa, _PREF, f"{path}.{key}.{_PREF}", "v1.WeightedPodAffinityTerm")
        ],
    )


def _pod_affinity_out(pa: PodAffinity | None) -> dict[str, Any] | None:
    if pa is None:
        return None
    return _prune(
        {
            _REQ: [_pat_out(t) for t in pa.required],
            _PREF: [{"weight": w.weight, "podAffinityTerm": _pat_out(w.term)} for w in pa.preferred],
        }
    )


def _affinity_in(r: _R, s: Mapping[str, Any], path: str) -> Affinity | None:
    if s.get("affinity") is None:
        return None
    path = f"{path}.affinity"
    a = r.obj(s, "affinity", path, "v1.Affinity")
    node: NodeAffinity | None = None
    if a.get("nodeAffinity") is not None:
        na = r.obj(a, "nodeAffinity", f"{path}.nodeAffinity", "v1.NodeAffinity")
        req = None
        if na.get(_REQ) is not None:
            ns = r.obj(na, _REQ, f"{path}.nodeAffinity.{_REQ}", "v1.NodeSelector")
            req = [_nst_in(r, t, path) for t in r.items(ns, "nodeSelectorTerms", path, "v1.NodeSelectorTerm")]
        node = NodeAffinity(
            req,
            [
                PreferredSchedulingTerm(
                    r.int_(p, "weight", f"{path}.weight"), _nst_in(r, r.obj(p, "preference", path), path)
                )
                for p in r.items(na, _PREF, f"{path}.nodeAffinity.{_PREF}", "v1.PreferredSchedulingTerm")
            ],
        )
    return Affinity(node, _pod_affinity_in(r, a, "podAffinity", path), _pod_affinity_in(r, a, "podAntiAffinity", path))


def _affinity_out(a: Affinity | None) -> dict[str, Any] | None:
    if a is None:
        return None
    node = None
    if a.node_affinity is not None:
        na = a.node_affinity
        node = _prune(
            {
                _REQ: None if na.required is None else {"nodeSelectorTerms": [_nst_out(t) for t in na.required]},
                _PREF: [{"weight": p.weight, "preference": _nst_out(p.preference)} for p in na.preferred],
            }
        )
    return {
        k: v
        for k, v in {
            "nodeAffinity": node,
            "podAffinity": _pod_affinity_out(a.pod_affinity),
            "podAntiAffinity": _pod_affinity_out(a.pod_anti_affinity),
        }.items()
        if v is not None
    }


def _spread_in(r: _R, s: Mapping[str, Any], path: str) -> list[TopologySpreadConstraint]:
    path = f"{path}.topologySpreadConstraints"
    return [
        TopologySpreadConstraint(
            r.int_(c, "maxSkew", f"{path}.maxSkew"),
            r.str_(c, "topologyKey", f"{path}.topologyKey"),
            r.str_(c, "whenUnsatisfiable", f"{path}.whenUnsatisfiable"),
            _selector_in(r, c, "labelSelector", f"{path}.labelSelector"),
        )
        for c in r.items(s, "topologySpreadConstraints", path, "v1.TopologySpreadConstraint")
    ]


def _spread_out(cs: list[TopologySpreadConstraint]) -> list[dict[str, Any]]:
    return [
        _prune(
            {
                "maxSkew": c.max_skew,
                "topologyKey": c.topology_key,
                "whenUnsatisfiable": c.when_unsatisfiable,
                "labelSelector": _selector_out(c.label_selector),
            }
        )
        for c in cs
    ]


def _state_in(r: _R, m: Mapping[str, Any], key: str, path: str, epoch: float) -> ContainerState | None:
    st = r.obj(m, key, f"{path}.{key}", "v1.ContainerState")
    for kind in ("waiting", "running", "terminated"):
        if st.get(kind) is not None:
            s = r.obj(st, kind, f"{path}.{key}.{kind}")
            return ContainerState(
                kind,
                reason=r.str_(s, "reason", path),
                message=r.str_(s, "message", path),
                exit_code=r.int_(s, "exitCode", path),
                signal=r.int_(s, "signal", path),
                started_at=r.time(s, "startedAt", path, epoch),
                finished_at=r.time(s, "finishedAt", path, epoch),
            )
    return None


def _state_out(s: ContainerState | None, epoch: float) -> dict[str, Any]:
    if s is None:
        return {}
    if s.kind == "waiting":
        body = _prune({"reason": s.reason, "message": s.message})
    elif s.kind == "running":
        body = _prune({"startedAt": _time(s.started_at, epoch)})
    else:
        body = _prune(
            {
                "exitCode": s.exit_code,
                "signal": s.signal or None,
                "reason": s.reason,
                "message": s.message,
                "startedAt": _time(s.started_at, epoch),
                "finishedAt": _time(s.finished_at, epoch),
            }
        )
    return {s.kind: body}


def _statuses_in(r: _R, m: Mapping[str, Any], key: str, epoch: float) -> list[ContainerStatus]:
    path = f"status.{key}"
    return [
        ContainerStatus(
            name=r.str_(c, "name", path),
            state=_state_in(r, c, "state", path, epoch),
            last_state=_state_in(r, c, "lastState", path, epoch),
            ready=r.bool_(c, "ready", path),
            started=r.bool_(c, "started", path),
            restart_count=r.int_(c, "restartCount", path),
            image=r.str_(c, "image", path),
        )
        for c in r.items(m, key, path, "v1.ContainerStatus")
    ]


def _statuses_out(cs: list[ContainerStatus], epoch: float) -> list[dict[str, Any]]:
    return [
        {
            "name": c.name,
            "state": _state_out(c.state, epoch),
            "lastState": _state_out(c.last_state, epoch),
            "ready": c.ready,
            "restartCount": c.restart_count,
            "image": c.image,
            "imageID": "",
            "started": c.started,
        }
        for c in cs
    ]


def _pod_status_in(r: _R, m: Mapping[str, Any], epoch: float) -> PodStatus:
    return PodStatus(
        phase=r.str_(m, "phase", "status.phase"),
        conditions=[
            PodCondition(
                *_condition_text(r, c),
                r.time(c, "lastTransitionTime", "status.conditions.lastTransitionTime", epoch) or 0.0,
            )
            for c in r.items(m, "conditions", "status.conditions", "v1.PodCondition")
        ],
        container_statuses=_statuses_in(r, m, "containerStatuses", epoch),
        init_container_statuses=_statuses_in(r, m, "initContainerStatuses", epoch),
        reason=r.str_(m, "reason", "status.reason"),
        message=r.str_(m, "message", "status.message"),
        pod_ip=r.str_(m, "podIP", "status.podIP"),
        host_ip=r.str_(m, "hostIP", "status.hostIP"),
        nominated_node_name=r.str_(m, "nominatedNodeName", "status.nominatedNodeName"),
        start_time=r.time(m, "startTime", "status.startTime", epoch),
        qos_class=r.str_(m, "qosClass", "status.qosClass"),
    )


def _pod_status_out(s: PodStatus, epoch: float) -> dict[str, Any]:
    return _prune(
        {
            "phase": s.phase,
            "conditions": [
                _prune(
                    {
                        "type": c.type,
                        "status": c.status,
                        "lastProbeTime": None,
                        "lastTransitionTime": _time(c.last_transition_time, epoch),
                        "reason": c.reason,
                        "message": c.message,
                    }
                )
                | {"lastProbeTime": None}
                for c in s.conditions
            ],
            "message": s.message,
            "reason": s.reason,
            "nominatedNodeName": s.nominated_node_name,
            "hostIP": s.host_ip,
            "hostIPs": [{"ip": s.host_ip}] if s.host_ip else [],
            "podIP": s.pod_ip,
            "podIPs": [{"ip": s.pod_ip}] if s.pod_ip else [],
            "startTime": _time(s.start_time, epoch),
            "initContainerStatuses": _statuses_out(s.init_container_statuses, epoch),
            "containerStatuses": _statuses_out(s.container_statuses, epoch),
            "qosClass": s.qos_class,
        }
    )


def _template_in(r: _R, spec: Mapping[str, Any], defaults: bool) -> PodTemplate:
    t = r.obj(spec, "template", "spec.template", "v1.PodTemplateSpec")
    tm = r.obj(t, "metadata", "spec.template.metadata", "v1.ObjectMeta")
    return PodTemplate(
        labels=r.smap(tm, "labels", "spec.template.metadata.labels"),
        spec=_podspec_in(r, r.obj(t, "spec", "spec.template.spec", "v1.PodSpec"), "spec.template.spec", defaults),
        annotations=r.smap(tm, "annotations", "spec.template.metadata.annotations"),
    )


def _template_out(t: PodTemplate) -> dict[str, Any]:
    return {
        "metadata": _prune({"creationTimestamp": None, "labels": dict(t.labels), "annotations": dict(t.annotations)})
        | {"creationTimestamp": None},
        "spec": _podspec_out(t.spec),
    }


def _replica_status_in(r: _R, m: Mapping[str, Any]) -> ReplicaStatus:
    return ReplicaStatus(
        replicas=r.int_(m, "replicas", "status.replicas"),
        fully_labeled_replicas=r.int_(m, "fullyLabeledReplicas", "status.fullyLabeledReplicas"),
        ready_replicas=r.int_(m, "readyReplicas", "status.readyReplicas"),
        available_replicas=r.int_(m, "availableReplicas", "status.availableReplicas"),
        observed_generation=r.int_(m, "observedGeneration", "status.observedGeneration", gotype="int64"),
    )


def _replica_status_out(s: ReplicaStatus) -> dict[str, Any]:
    out: dict[str, Any] = {"replicas": s.replicas}
    for key, value in (
        ("fullyLabeledReplicas", s.fully_labeled_replicas),
        ("readyReplicas", s.ready_replicas),
        ("availableReplicas", s.available_replicas),
        ("observedGeneration", s.observed_generation),
    ):
        if value:
            out[key] = value
    return out


# -- one kind at a time -----------------------------------------------------------------------------


def _spec_in(
    r: _R, body: Mapping[str, Any], kind: Kind, meta: ObjectMeta, defaults: bool, epoch: float, stored: bool
) -> Any:
    spec = r.obj(body, "spec", "spec")
    status = r.obj(body, "status", "status") if stored else {}
    k = kind.kind
    if k == "Pod":
        pod = Pod(meta, _podspec_in(r, spec, "spec", defaults))
        if stored:
            pod.status = _pod_status_in(r, status, epoch)
        return pod
    if k == "ReplicationController":
        template = _template_in(r, spec, defaults)
        selector = r.smap(spec, "selector", "spec.selector")
        if defaults:
            selector = selector or dict(template.labels)
            meta.labels = meta.labels or dict(template.labels)
        rc = ReplicationController(
            meta,
            r.int_(spec, "replicas", "spec.replicas", 1 if defaults else 0),
            selector,
            template,
            r.int_(spec, "minReadySeconds", "spec.minReadySeconds"),
        )
        if stored:
            rc.status = _replica_status_in(r, status)
        return rc
    if k == "ReplicaSet":
        rs = ReplicaSet(
            meta,
            r.int_(spec, "replicas", "spec.replicas", 1 if defaults else 0),
            _selector_in(r, spec, "selector", "spec.selector"),  # type: ignore[arg-type]  # validated below
            _template_in(r, spec, defaults),
            r.int_(spec, "minReadySeconds", "spec.minReadySeconds"),
        )
        if stored:
            rs.status = _replica_status_in(r, status)
        return rs
    if k == "Deployment":
        st = r.obj(spec, "strategy", "spec.strategy", "v1.DeploymentStrategy")
        stype = r.str_(st, "type", "spec.strategy.type", "RollingUpdate" if defaults else "")
        ru = r.obj(st, "rollingUpdate", "spec.strategy.rollingUpdate", "v1.RollingUpdateDeployment")
        strategy = DeploymentStrategy(
            stype,
            r.int_or_str(ru, "maxSurge", "spec.strategy.rollingUpdate.maxSurge", "25%"),
            r.int_or_str(ru, "maxUnavailable", "spec.strategy.rollingUpdate.maxUnavailable", "25%"),
        )
        d = Deployment(
            meta,
            r.int_(spec, "replicas", "spec.replicas", 1 if defaults else 0),
            _selector_in(r, spec, "selector", "spec.selector"),  # type: ignore[arg-type]  # validated below
            _template_in(r, spec, defaults),
            strategy,
            r.int_(spec, "revisionHistoryLimit", "spec.revisionHistoryLimit", 10),
            r.int_(spec, "progressDeadlineSeconds", "spec.progressDeadlineSeconds", 600),
            r.int_(spec, "minReadySeconds", "spec.minReadySeconds"),
            r.bool_(spec, "paused", "spec.paused"),
        )
        if stored:
            d.status = DeploymentStatus(
                replicas=r.int_(status, "replicas", "status.replicas"),
                updated_replicas=r.int_(status, "updatedReplicas", "status.updatedReplicas"),
                ready_replicas=r.int_(status, "readyReplicas", "status.readyReplicas"),
                available_replicas=r.int_(status, "availableReplicas", "status.availableReplicas"),
                unavailable_replicas=r.int_(status, "unavailableReplicas", "status.unavailableReplicas"),
                observed_generation=r.int_(status, "observedGeneration", "status.observedGeneration", gotype="int64"),
                conditions=[
                    DeploymentCondition(
                        *_condition_text(r, c),
                        r.time(c, "lastUpdateTime", "status.conditions.lastUpdateTime", epoch) or 0.0,
                    )
                    for c in r.items(status, "conditions", "status.conditions", "v1.DeploymentCondition")
                ],
                collision_count=r.int_(status, "collisionCount", "status.collisionCount"),
            )
        return d
    if k == "Service":
        ports = [
            ServicePort(
                port=r.int_(p, "port", "spec.ports.port"),
                target_port=r.int_or_str(p, "targetPort", "spec.ports.targetPort"),
                protocol=r.str_(p, "protocol", "spec.ports.protocol", "TCP" if defaults else ""),
                name=r.str_(p, "name", "spec.ports.name"),
                node_port=r.int_(p, "nodePort", "spec.ports.nodePort"),
            )
            for p in r.items(spec, "ports", "spec.ports", "v1.ServicePort")
        ]
        if defaults:
            for p in ports:
                if p.target_port in (0, ""):
                    p.target_port = p.port
        affinity = r.obj(r.obj(spec, "sessionAffinityConfig", "spec.sessionAffinityConfig"), "clientIP", "spec")
        return Service(
            meta,
            ports,
            r.smap(spec, "selector", "spec.selector") or None,
            r.str_(spec, "type", "spec.type", "ClusterIP" if defaults else ""),
            r.str_(spec, "clusterIP", "spec.clusterIP"),
            r.str_(spec, "sessionAffinity", "spec.sessionAffinity", "None" if defaults else ""),
            r.int_(affinity, "timeoutSeconds", "spec.sessionAffinityConfig.clientIP.timeoutSeconds", 10800),
            r.bool_(spec, "publishNotReadyAddresses", "spec.publishNotReadyAddresses"),
            r.str_(spec, "externalName", "spec.externalName"),
        )
    if k == "Namespace":
        return Namespace(
            meta,
            r.str_(status, "phase", "status.phase", "Active"),
            r.strs(spec, "finalizers", "spec.finalizers") if "finalizers" in spec or stored else ["kubernetes"],
        )
    if k == "Node":
        info = r.obj(status, "nodeInfo", "status.nodeInfo")
        return Node(
            meta,
            capacity=r.quantities(status, "capacity", "status.capacity"),
            allocatable=r.quantities(status, "allocatable", "status.allocatable"),
            taints=[
                Taint(
                    r.str_(t, "key", "spec.taints.key"),
                    r.str_(t, "value", "spec.taints.value"),
                    r.str_(t, "effect", "spec.taints.effect"),
                    r.time(t, "timeAdded", "spec.taints.timeAdded", epoch),
                )
                for t in r.items(spec, "taints", "spec.taints", "v1.Taint")
            ],
            unschedulable=r.bool_(spec, "unschedulable", "spec.unschedulable"),
            conditions=[
                NodeCondition(
                    *_condition_text(r, c),
                    r.time(c, "lastHeartbeatTime", "status.conditions.lastHeartbeatTime", epoch) or 0.0,
                    r.time(c, "lastTransitionTime", "status.conditions.lastTransitionTime", epoch) or 0.0,
                )
                for c in r.items(status, "conditions", "status.conditions", "v1.NodeCondition")
            ],
            images=[
                ContainerImage(
                    r.strs(i, "names", "status.images.names"), r.int_(i, "sizeBytes", "status.images", gotype="int64")
                )
                for i in r.items(status, "images", "status.images", "v1.ContainerImage")
            ],
            addresses={
                r.str_(a, "type", "status.addresses.type"): r.str_(a, "address", "status.addresses.address")
                for a in r.items(status, "addresses", "status.addresses", "v1.NodeAddress")
            },
            pod_cidr=r.str_(spec, "podCIDR", "spec.podCIDR"),
            kubelet_version=r.str_(
                info, "kubeletVersion", "status.nodeInfo.kubeletVersion", "" if stored else "v1.32.5"
            ),
        )
    if k == "Endpoints":

        def addrs(s: Mapping[str, Any], key: str) -> list[EndpointAddress]:
            return [
                EndpointAddress(
                    r.str_(a, "ip", f"subsets.{key}.ip"),
                    r.str_(a, "nodeName", f"subsets.{key}.nodeName"),
                    _ref_in(r, r.obj(a, "targetRef", f"subsets.{key}.targetRef"), f"subsets.{key}.targetRef")
                    if a.get("targetRef") is not None
                    else None,
                )
                for a in r.items(s, key, f"subsets.{key}", "v1.EndpointAddress")
            ]

        return Endpoints(
            meta,
            [
                EndpointSubset(
                    addrs(s, "addresses"),
                    addrs(s, "notReadyAddresses"),
                    [
                        EndpointPort(
                            r.int_(p, "port", "subsets.ports.port"),
                            r.str_(p, "name", "subsets.ports.name"),
                            r.str_(p, "protocol", "subsets.ports.protocol", "TCP" if defaults else ""),
                        )
                        for p in r.items(s, "ports", "subsets.ports", "v1.EndpointPort")
                    ],
                )
                for s in r.items(body, "subsets", "subsets", "v1.EndpointSubset")
            ],
        )
    # Event
    return Event(
        meta,
        _ref_in(r, r.obj(body, "involvedObject", "involvedObject"), "involvedObject"),
        r.str_(body, "reason", "reason"),
        r.str_(body, "message", "message"),
        r.str_(body, "type", "type", "Normal" if defaults else ""),
        r.int_(body, "count", "count"),
        r.time(body, "firstTimestamp", "firstTimestamp", epoch) or 0.0,
        r.time(body, "lastTimestamp", "lastTimestamp", epoch) or 0.0,
        r.str_(r.obj(body, "source", "source"), "component", "source.component"),
    )


def _kind_of(obj: Any) -> Kind:
    name = type(obj).__name__
    if name not in KINDS:
        raise TypeError(f"not a Kubernetes object the engine encodes: {name}")
    return KINDS[name]


def encode(obj: Any, *, epoch: float = 0.0) -> dict[str, Any]:
    """``obj`` as the JSON a GET returns (camelCase, resourceVersion a string, RFC 3339 times)."""
    kind = _kind_of(obj)
    out: dict[str, Any] = {
        "kind": kind.kind,
        "apiVersion": kind.api_version,
        "metadata": _meta_out(obj.metadata, kind, epoch),
    }
    if isinstance(obj, Pod):
        out["spec"] = _podspec_out(obj.spec)
        out["status"] = _pod_status_out(obj.status, epoch)
    elif isinstance(obj, ReplicationController | ReplicaSet):
        # an RC's selector is a plain label map, a ReplicaSet's a LabelSelector
        selector = dict(obj.selector) if isinstance(obj, ReplicationController) else _selector_out(obj.selector)
        out["spec"] = {
            "replicas": obj.replicas,
            "selector": selector,
            "template": _template_out(obj.template),
            "minReadySeconds": obj.min_ready_seconds,
        }
        out["status"] = _replica_status_out(obj.status)
    elif isinstance(obj, Deployment):
        strategy: dict[str, Any] = {"type": obj.strategy.type}
        if obj.strategy.type == "RollingUpdate":
            strategy["rollingUpdate"] = {
                "maxUnavailable": obj.strategy.max_unavailable,
                "maxSurge": obj.strategy.max_surge,
            }
        s = obj.status
        out["spec"] = {
            "replicas": obj.replicas,
            "selector": _selector_out(obj.selector),
            "template": _template_out(obj.template),
            "strategy": strategy,
            "minReadySeconds": obj.min_ready_seconds,
            "revisionHistoryLimit": obj.revision_history_limit,
            "progressDeadlineSeconds": obj.progress_deadline_seconds,
        } | ({"paused": True} if obj.paused else {})
        out["status"] = {
            k: v
            for k, v in {
                "observedGeneration": s.observed_generation,
                "replicas": s.replicas,
                "updatedReplicas": s.updated_replicas,
                "readyReplicas": s.ready_replicas,
                "availableReplicas": s.available_replicas,
                "unavailableReplicas": s.unavailable_replicas,
                "collisionCount": s.collision_count,
            }.items()
            if v
        } | (
            {
                "conditions": [
                    _prune(
                        {
                            "type": c.type,
                            "status": c.status,
                            "lastUpdateTime": _time(c.last_update_time, epoch),
                            "lastTransitionTime": _time(c.last_update_time, epoch),
                            "reason": c.reason,
                            "message": c.message,
                        }
                    )
                    for c in s.conditions
                ]
            }
            if s.conditions
            else {}
        )
    elif isinstance(obj, Service):
        spec: dict[str, Any] = {
            "ports": [
                _prune(
                    {
                        "name": p.name,
                        "protocol": p.protocol,
                        "port": p.port,
                        "targetPort": p.target_port or p.port,
                        "nodePort": p.node_port or None,
                    }
                )
                for p in obj.ports
            ],
        }
        if obj.selector:
            spec["selector"] = dict(obj.selector)
        if obj.cluster_ip:
            spec["clusterIP"] = obj.cluster_ip
            spec["clusterIPs"] = [obj.cluster_ip]
        spec["type"] = obj.type
        spec["sessionAffinity"] = obj.session_affinity
        if obj.session_affinity == "ClientIP" or obj.session_affinity_timeout != 10800:
            spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": obj.session_affinity_timeout}}
        if obj.publish_not_ready_addresses:
            spec["publishNotReadyAddresses"] = True
        if obj.external_name:
            spec["externalName"] = obj.external_name
        if obj.type != "ExternalName":
            spec |= {"ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "internalTrafficPolicy": "Cluster"}
        out["spec"] = spec
        out["status"] = {"loadBalancer": {}}
    elif isinstance(obj, Namespace):
        out["spec"] = {"finalizers": list(obj.finalizers)}
        out["status"] = {"phase": obj.phase}
    elif isinstance(obj, Node):
        out["spec"] = _prune(
            {
                "podCIDR": obj.pod_cidr,
                "podCIDRs": [obj.pod_cidr] if obj.pod_cidr else [],
                "taints": [
                    _prune(
                        {"key": t.key, "value": t.value, "effect": t.effect, "timeAdded": _time(t.time_added, epoch)}
                    )
                    for t in obj.taints
                ],
            }
        ) | ({"unschedulable": True} if obj.unschedulable else {})
        out["status"] = _prune(
            {
                "capacity": dict(obj.capacity),
                "allocatable": dict(obj.allocatable),
                "conditions": [
                    _prune(
                        {
                            "type": c.type,
                            "status": c.status,
                            "lastHeartbeatTime": _time(c.last_heartbeat_time, epoch),
                            "lastTransitionTime": _time(c.last_transition_time, epoch),
                            "reason": c.reason,
                            "message": c.message,
                        }
                    )
                    for c in obj.conditions
                ],
                "addresses": [{"type": t, "address": a} for t, a in obj.addresses.items()],
                "nodeInfo": _prune(
                    {
                        "kubeletVersion": obj.kubelet_version,
                        "kubeProxyVersion": obj.kubelet_version,
                        "operatingSystem": "linux",
                        "architecture": obj.metadata.labels.get("kubernetes.io/arch", "amd64"),
                    }
                ),
                "images": [{"names": list(i.names), "sizeBytes": i.size_bytes} for i in obj.images],
            }
        )
    elif isinstance(obj, Endpoints):

        def addrs(a: list[EndpointAddress]) -> list[dict[str, Any]]:
            return [
                _prune(
                    {"ip": x.ip, "nodeName": x.node_name, "targetRef": _ref_out(x.target_ref) if x.target_ref else None}
                )
                for x in a
            ]

        subsets = [
            _prune(
                {
                    "addresses": addrs(s.addresses),
                    "notReadyAddresses": addrs(s.not_ready_addresses),
                    "ports": [_prune({"name": p.name, "port": p.port, "protocol": p.protocol}) for p in s.ports],
                }
            )
            for s in obj.subsets
        ]
        if subsets:
            out["subsets"] = subsets
    elif isinstance(obj, Event):
        out |= _prune(
            {
                "involvedObject": _ref_out(obj.involved_object),
                "reason": obj.reason,
                "message": obj.message,
                "source": _prune({"component": obj.source}),
                "firstTimestamp": _time(obj.first_timestamp, epoch),
                "lastTimestamp": _time(obj.last_timestamp, epoch),
                "count": obj.count,
                "type": obj.type,
                "reportingComponent": obj.source,
                "reportingInstance": "",
            }
        ) | {"eventTime": None, "reportingInstance": "", "source": _prune({"component": obj.source})}
    return out


def _kind_from_body(body: Mapping[str, Any]) -> Kind:
    raw = json.dumps(body, separators=(",", ":"), default=str)
    kind_name = body.get("kind")
    version = body.get("apiVersion")
    if not kind_name:
        raise ManifestError(400, f"Object 'Kind' is missing in '{raw}'")
    if not version:
        raise ManifestError(400, f"Object 'apiVersion' is missing in '{raw}'")
    kind = KINDS.get(str(kind_name))
    if kind is None or kind.api_version != version:
        raise ManifestError(400, f'no matches for kind "{kind_name}" in version "{version}"')
    return kind


def decode(body: Mapping[str, Any], *, namespace: str = "default") -> Any:
    """A client's body → the object, defaulted (``SetDefaults_*``) and validated (422 with every error)."""
    kind = _kind_from_body(body)
    name = str((body.get("metadata") or {}).get("name", "")) if isinstance(body.get("metadata"), dict) else ""
    r = _R(kind, name)
    meta = _meta_in(r, body, kind, namespace, 0.0, stored=False)
    obj = _spec_in(r, body, kind, meta, True, 0.0, stored=False)
    errors = _validate(obj, kind)
    if errors:
        raise _invalid(kind, meta.name or meta.generate_name, errors)
    return obj


def decode_stored(body: Mapping[str, Any], *, epoch: float = 0.0) -> Any:
    """The inverse of ``encode``: metadata, spec and status as written, no defaulting or validation."""
    kind = _kind_from_body(body)
    meta_body = body.get("metadata")
    name = str(meta_body.get("name", "")) if isinstance(meta_body, dict) else ""
    r = _R(kind, name)
    meta = _meta_in(r, body, kind, "", epoch, stored=True)
    if kind.kind not in _WORKLOADS:
        meta.generation = 1
    return _spec_in(r, body, kind, meta, False, epoch, stored=True)


# -- validation (pkg/apis/core/validation, pkg/apis/apps/validation) ----------------------------------

_NEGATIVE = "must be greater than or equal to 0"
_PORT_RANGE = "must be between 1 and 65535, inclusive"
_PROTOCOLS = ["SCTP", "TCP", "UDP"]
_NAME_RULES = {"Namespace": is_dns1123_label, "Service": is_dns1035_label}


def _nonneg(value: int, path: str) -> list[FieldError]:
    return [invalid(path, value, _NEGATIVE)] if value < 0 else []


def _port_num(value: int, path: str) -> list[FieldError]:
    return [] if 1 <= value <= 65535 else [invalid(path, value, _PORT_RANGE)]


def _port_name_msgs(name: str) -> list[str]:
    """``IsValidPortName`` (an IANA_SVC_NAME)."""
    import re  # noqa: PLC0415

    msgs = []
    if len(name) > 15:
        msgs.append("must be no more than 15 characters")
    if not re.fullmatch("[-a-z0-9]+", name):
        msgs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search("[a-z]", name):
        msgs.append("must contain at least one letter (a-z)")
    if "--" in name:
        msgs.append("must not contain consecutive hyphens")
    if name and (name[0] == "-" or name[-1] == "-"):
        msgs.append("must not begin or end with a hyphen")
    return msgs


def _validate_meta(meta: ObjectMeta, kind: Kind) -> list[FieldError]:
    rule = _NAME_RULES.get(kind.kind, is_dns1123_subdomain)
    errs: list[FieldError] = []
    if meta.generate_name:
        prefix = (
            meta.generate_name[:-1] + "a"
            if len(meta.generate_name) > 1 and meta.generate_name.endswith("-")
            else meta.generate_name
        )
        errs += [invalid("metadata.generateName", meta.generate_name, m) for m in rule(prefix)]
    if meta.name:
        errs += [invalid("metadata.name", meta.name, m) for m in rule(meta.name)]
    elif not meta.generate_name:
        errs.append(required("metadata.name", "name or generateName is required"))
    if kind.namespaced:
        if not meta.namespace:
            errs.append(required("metadata.namespace"))
        else:
            errs += [invalid("metadata.namespace", meta.namespace, m) for m in is_dns1123_label(meta.namespace)]
    errs += validate_labels(meta.labels)
    for key in sorted(meta.annotations):
        errs += [invalid("metadata.annotations", key, m) for m in is_qualified_name(key.lower())]
    return errs


def _validate_resources(c: Container, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for part, values in (("limits", c.limits), ("requests", c.requests)):
        for name in sorted(values):
            at = f"{path}.resources.{part}[{name}]"
            if (
                "/" not in name
                and name not in ("cpu", "memory", "ephemeral-storage")
                and not name.startswith("hugepages-")
            ):
                errs.append(invalid(at, name, "must be a standard resource for containers"))
            if parse_quantity(values[name]).amount < 0:
                errs.append(invalid(at, values[name], _NEGATIVE))
    for name in sorted(c.requests):
        if name in c.limits and parse_quantity(c.requests[name]).amount > parse_quantity(c.limits[name]).amount:
            errs.append(
                invalid(
                    f"{path}.resources.requests",
                    c.requests[name],
                    f"must be less than or equal to {name} limit of {c.limits[name]}",
                )
            )
    return errs


def _validate_container(c: Container, path: str, names: set[str], init: bool) -> list[FieldError]:
    errs: list[FieldError] = []
    if not c.name:
        errs.append(required(f"{path}.name"))
    else:
        errs += [invalid(f"{path}.name", c.name, m) for m in is_dns1123_label(c.name)]
    if c.name in names:
        errs.append(FieldError("Duplicate", f"{path}.name", c.name))
    names.add(c.name)
    if not c.image:
        errs.append(required(f"{path}.image"))
    port_names: set[str] = set()
    for i, p in enumerate(c.ports):
        at = f"{path}.ports[{i}]"
        if p.name:
            msgs = _port_name_msgs(p.name)
            if msgs:
                errs += [invalid(f"{at}.name", p.name, m) for m in msgs]
            elif p.name in port_names:
                errs.append(FieldError("Duplicate", f"{at}.name", p.name))
            port_names.add(p.name)
        if p.container_port == 0:
            errs.append(required(f"{at}.containerPort"))
        else:
            errs += _port_num(p.container_port, f"{at}.containerPort")
        if p.host_port:
            errs += _port_num(p.host_port, f"{at}.hostPort")
        if not p.protocol:
            errs.append(required(f"{at}.protocol"))
        elif p.protocol not in _PROTOCOLS:
            errs.append(not_supported(f"{at}.protocol", p.protocol, _PROTOCOLS))
    for i, e in enumerate(c.env):
        if not e.name:
            errs.append(required(f"{path}.env[{i}].name"))
    errs += _validate_resources(c, path)
    if c.image_pull_policy not in ("Always", "IfNotPresent", "Never"):
        errs.append(not_supported(f"{path}.imagePullPolicy", c.image_pull_policy, ["Always", "IfNotPresent", "Never"]))
    if init and c.restart_policy and c.restart_policy != "Always":
        errs.append(not_supported(f"{path}.restartPolicy", c.restart_policy, ["Always"]))
    if not init and c.restart_policy:
        errs.append(
            FieldError(
                "Forbidden", f"{path}.restartPolicy", None, "may not be set for non-init containers", has_value=False
            )
        )
    return errs


def _validate_podspec(s: PodSpec, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    names: set[str] = set()
    for i, c in enumerate(s.init_containers):
        errs += _validate_container(c, f"{path}.initContainers[{i}]", names, True)
    if not s.containers:
        errs.append(required(f"{path}.containers"))
    for i, c in enumerate(s.containers):
        errs += _validate_container(c, f"{path}.containers[{i}]", names, False)
    if s.restart_policy not in ("Always", "OnFailure", "Never"):
        errs.append(not_supported(f"{path}.restartPolicy", s.restart_policy, ["Always", "OnFailure", "Never"]))
    errs += validate_labels(s.node_selector, f"{path}.nodeSelector")
    for i, t in enumerate(s.tolerations):
        at = f"{path}.tolerations[{i}]"
        if t.operator not in ("Equal", "Exists"):
            errs.append(not_supported(f"{at}.operator", t.operator, ["Equal", "Exists"]))
        elif t.operator == "Exists" and t.value:
            errs.append(invalid(f"{at}.operator", t.value, "value must be empty when `operator` is 'Exists'"))
        if t.effect and t.effect not in ("NoExecute", "NoSchedule", "PreferNoSchedule"):
            errs.append(not_supported(f"{at}.effect", t.effect, ["NoExecute", "NoSchedule", "PreferNoSchedule"]))
    return errs


def _validate_template(t: PodTemplate, matches: bool | None, path: str = "spec.template") -> list[FieldError]:
    """``ValidatePodTemplateSpecFor{RC,ReplicaSet}``; ``matches`` None when the selector is empty."""
    errs: list[FieldError] = []
    if matches is False:
        errs.append(invalid(f"{path}.metadata.labels", dict(t.labels), "`selector` does not match template `labels`"))
    errs += validate_labels(t.labels, f"{path}.labels")
    errs += _validate_podspec(t.spec, f"{path}.spec")
    if t.spec.restart_policy != "Always" and t.spec.restart_policy in ("OnFailure", "Never"):
        errs.append(not_supported(f"{path}.spec.restartPolicy", t.spec.restart_policy, ["Always"]))
    return errs


def _intstr_errors(value: int | str, path: str) -> list[FieldError]:
    import re  # noqa: PLC0415

    if isinstance(value, int):
        return _nonneg(value, path)
    if not re.fullmatch("[0-9]+%", value):
        msg = (
            "a valid percent string must be a numeric string followed by an ending '%' "
            "(e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"
        )
        return [invalid(path, value, msg)]
    return []


def _intstr_value(value: int | str) -> int:
    if isinstance(value, int):
        return value
    return int(value[:-1]) if value[:-1].isdigit() else -1


def _validate_replicated(obj: ReplicaSet | Deployment) -> list[FieldError]:
    errs = _nonneg(obj.replicas, "spec.replicas")
    if isinstance(obj, ReplicaSet):
        errs += _nonneg(obj.min_ready_seconds, "spec.minReadySeconds")
    sel = obj.selector
    if sel is None:
        errs.append(required("spec.selector"))
    else:
        errs += validate_label_selector(sel, "spec.selector")
        if not sel.match_labels and not sel.match_expressions:
            errs.append(
                invalid("spec.selector", json.dumps(_selector_out(sel)), "empty selector is invalid for deployment")
            )
    try:
        selector = label_selector_as_selector(sel)
    except ValueError:
        errs.append(invalid("spec.selector", json.dumps(_selector_out(sel)), "invalid label selector"))
    else:
        errs += _validate_template(obj.template, None if selector.empty() else selector.matches(obj.template.labels))
    if isinstance(obj, Deployment):
        st = obj.strategy
        if st.type == "RollingUpdate":
            errs += _intstr_errors(st.max_unavailable, "spec.strategy.rollingUpdate.maxUnavailable")
            errs += _intstr_errors(st.max_surge, "spec.strategy.rollingUpdate.maxSurge")
            if _intstr_value(st.max_unavailable) == 0 and _intstr_value(st.max_surge) == 0:
                errs.append(
                    invalid(
                        "spec.strategy.rollingUpdate.maxUnavailable",
                        st.max_unavailable,
                        "may not be 0 when `maxSurge` is 0",
                    )
                )
            if isinstance(st.max_unavailable, str) and _intstr_value(st.max_unavailable) > 100:
                errs.append(
                    invalid(
                        "spec.strategy.rollingUpdate.maxUnavailable",
                        st.max_unavailable,
                        "must not be greater than 100%",
                    )
                )
        elif st.type != "Recreate":
            errs.append(not_supported("spec.strategy.type", st.type, ["Recreate", "RollingUpdate"]))
        errs += _nonneg(obj.min_ready_seconds, "spec.minReadySeconds")
        errs += _nonneg(obj.revision_history_limit, "spec.revisionHistoryLimit")
        errs += _nonneg(obj.progress_deadline_seconds, "spec.progressDeadlineSeconds")
        if obj.progress_deadline_seconds <= obj.min_ready_seconds:
            errs.append(
                invalid(
                    "spec.progressDeadlineSeconds",
                    obj.progress_deadline_seconds,
                    "must be greater than minReadySeconds",
                )
            )
    return errs


def _validate_service(svc: Service) -> list[FieldError]:
    errs: list[FieldError] = []
    headless = svc.cluster_ip == "None"
    if not svc.ports and not headless and svc.type != "ExternalName":
        errs.append(required("spec.ports"))
    names: set[str] = set()
    for i, p in enumerate(svc.ports):
        at = f"spec.ports[{i}]"
        if len(svc.ports) > 1 and not p.name:
            errs.append(required(f"{at}.name"))
        elif p.name:
            errs += [invalid(f"{at}.name", p.name, m) for m in is_dns1123_label(p.name)]
            if p.name in names:
                errs.append(FieldError("Duplicate", f"{at}.name", p.name))
            names.add(p.name)
        errs += _port_num(p.port, f"{at}.port")
        if not p.protocol:
            errs.append(required(f"{at}.protocol"))
        elif p.protocol not in _PROTOCOLS:
            errs.append(not_supported(f"{at}.protocol", p.protocol, _PROTOCOLS))
        if isinstance(p.target_port, int):
            errs += _port_num(p.target_port, f"{at}.targetPort")
        else:
            errs += [invalid(f"{at}.targetPort", p.target_port, m) for m in _port_name_msgs(p.target_port)]
        if p.node_port:
            if svc.type == "ClusterIP":
                errs.append(
                    FieldError(
                        "Forbidden",
                        f"{at}.nodePort",
                        None,
                        "may not be used when `type` is 'ClusterIP'",
                        has_value=False,
                    )
                )
            errs += _port_num(p.node_port, f"{at}.nodePort")
    errs += validate_labels(svc.selector or {}, "spec.selector")
    if svc.session_affinity not in ("ClientIP", "None"):
        errs.append(not_supported("spec.sessionAffinity", svc.session_affinity, ["ClientIP", "None"]))
    if svc.type not in ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort"):
        errs.append(not_supported("spec.type", svc.type, ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]))
    return errs


def _validate(obj: Any, kind: Kind) -> list[FieldError]:
    errs = _validate_meta(obj.metadata, kind)
    if isinstance(obj, Pod):
        errs += _validate_podspec(obj.spec, "spec")
    elif isinstance(obj, ReplicationController):
        errs += _nonneg(obj.min_ready_seconds, "spec.minReadySeconds")
        if not obj.selector:
            errs.append(required("spec.selector"))
        errs += validate_labels(obj.selector, "spec.selector")
        errs += _nonneg(obj.replicas, "spec.replicas")
        matches = None if not obj.selector else all(obj.template.labels.get(k) == v for k, v in obj.selector.items())
        errs += _validate_template(obj.template, matches)
    elif isinstance(obj, (ReplicaSet, Deployment)):
        errs += _validate_replicated(obj)
    elif isinstance(obj, Service):
        errs += _validate_service(obj)
    return errs
