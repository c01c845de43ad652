"""The manifest codec: parsing, defaulting (defaults.go), validation texts (validation.go), the
422/400 Status shapes, and the encode / decode_stored round trip for every kind."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudlab.engine.kubernetes.manifest import (
    KINDS,
    ManifestError,
    decode,
    decode_stored,
    encode,
    kind_for_resource,
    parse_documents,
)
from cloudlab.engine.kubernetes.objects import (
    Container,
    ContainerPort,
    ContainerState,
    ContainerStatus,
    Deployment,
    DeploymentCondition,
    DeploymentStatus,
    EndpointAddress,
    EndpointPort,
    Endpoints,
    EndpointSubset,
    EnvVar,
    Event,
    Namespace,
    Node,
    NodeCondition,
    ObjectMeta,
    ObjectReference,
    OwnerReference,
    Pod,
    PodCondition,
    PodSpec,
    PodStatus,
    PodTemplate,
    ReplicaSet,
    ReplicaStatus,
    ReplicationController,
    Service,
    ServicePort,
    Taint,
    Toleration,
)
from cloudlab.engine.kubernetes.selectors import LabelSelector, LabelSelectorRequirement

DEPLOY = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports:
        - containerPort: 80
"""


def _deploy(**spec: object) -> dict:
    body = parse_documents(DEPLOY)[0]
    body["spec"].update(spec)
    return body


def _invalid(body: dict) -> ManifestError:
    with pytest.raises(ManifestError) as info:
        decode(body)
    assert info.value.code == 422
    return info.value


def test_kinds_table() -> None:
    assert KINDS["Pod"].short_names == ("po",) and KINDS["Pod"].singular == "pod"
    assert kind_for_resource("deployments").api_version == "apps/v1"
    assert not kind_for_resource("nodes").namespaced
    assert set(KINDS) == {
        "Namespace",
        "Node",
        "Pod",
        "ReplicationController",
        "ReplicaSet",
        "Deployment",
        "Service",
        "Endpoints",
        "Event",
    }
    with pytest.raises(KeyError):
        kind_for_resource("widgets")


def test_deployment_defaults_from_apps_v1_defaults_go() -> None:
    d = decode(parse_documents(DEPLOY)[0])
    assert isinstance(d, Deployment)
    assert d.metadata.namespace == "default"
    assert (d.replicas, d.revision_history_limit, d.progress_deadline_seconds) == (1, 10, 600)
    assert (d.strategy.type, d.strategy.max_surge, d.strategy.max_unavailable) == ("RollingUpdate", "25%", "25%")
    spec = d.template.spec
    assert (spec.restart_policy, spec.termination_grace_period_seconds, spec.scheduler_name) == (
        "Always",
        30,
        "default-scheduler",
    )
    assert spec.containers[0].ports[0].protocol == "TCP"
    assert spec.containers[0].image_pull_policy == "IfNotPresent"


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("nginx:1.27", "IfNotPresent"),
        ("registry:5000/app", "Always"),
        ("nginx@sha256:abc", "IfNotPresent"),
    ],
)
def test_image_pull_policy_default(image: str, policy: str) -> None:
    pod = decode(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": image}]},
        }
    )
    assert pod.spec.containers[0].image_pull_policy == policy


def test_pod_requests_default_to_limits() -> None:
    pod = decode(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p"},
            "spec": {
                "containers": [
                    {
                        "name": "c",
                        "image": "i",
                        "resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m"}},
                    }
                ]
            },
        }
    )
    assert pod.spec.containers[0].requests == {"cpu": "500m", "memory": "1Gi"}


def test_service_defaults() -> None:
    svc = decode(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
        }
    )
    assert (svc.type, svc.session_affinity) == ("ClusterIP", "None")
    assert (svc.ports[0].protocol, svc.ports[0].target_port) == ("TCP", 80)


def test_rc_selector_and_labels_default_to_template_labels() -> None:
    rc = decode(
        {
            "apiVersion": "v1",
            "kind": "ReplicationController",
            "metadata": {"name": "web"},
            "spec": {
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "c", "image": "i"}]},
                }
            },
        }
    )
    assert (rc.selector, rc.metadata.labels, rc.replicas) == ({"app": "web"}, {"app": "web"}, 1)


def test_negative_replicas_status_shape() -> None:
    err = _invalid(_deploy(replicas=-1))
    st = err.status()
    assert st["kind"] == "Status" and st["reason"] == "Invalid" and st["code"] == 422
    assert st["message"] == (
        'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0'
    )
    assert st["details"]["kind"] == "Deployment" and st["details"]["group"] == "apps"
    assert st["details"]["causes"] == [
        {
            "reason": "FieldValueInvalid",
            "field": "spec.replicas",
            "message": "Invalid value: -1: must be greater than or equal to 0",
        }
    ]


def test_selector_mismatch_and_all_errors_collected() -> None:
    body = _deploy(selector={"matchLabels": {"app": "other"}}, replicas=-2)
    err = _invalid(body)
    fields = [e.field for e in err.errors]
    assert fields == ["spec.replicas", "spec.template.metadata.labels"]
    assert err.errors[1].detail == "`selector` does not match template `labels`"
    assert err.status()["message"].startswith('Deployment.apps "web" is invalid: [spec.replicas: ')


def test_apps_v1_selector_required() -> None:
    body = _deploy()
    del body["spec"]["selector"]
    err = _invalid(body)
    assert str(err.errors[0]) == "spec.selector: Required value"
    # upstream: a nil selector matches nothing, so the template check also fails
    assert err.errors[1].field == "spec.template.metadata.labels"


def test_container_errors_in_upstream_words() -> None:
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "Bad_Name"},
        "spec": {
            "containers": [
                {"name": "web", "image": "i", "ports": [{"containerPort": 70000}]},
                {"name": "web", "image": "i"},
                {"name": "Web_1"},
            ]
        },
    }
    errs = [str(e) for e in _invalid(body).errors]
    assert errs[0].startswith('metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain')
    assert (
        "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"
        in errs
    )
    assert 'spec.containers[1].name: Duplicate value: "web"' in errs
    assert any(
        e.startswith('spec.containers[2].name: Invalid value: "Web_1": a lowercase RFC 1123 label') for e in errs
    )
    assert "spec.containers[2].image: Required value" in errs


def test_containers_required() -> None:
    errs = [str(e) for e in _invalid({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {}}).errors]
    assert errs == ["spec.containers: Required value"]


def test_requests_above_limits() -> None:
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {
            "containers": [{"name": "c", "image": "i", "resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}}]
        },
    }
    assert [str(e) for e in _invalid(body).errors] == [
        'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1'
    ]


def test_bad_quantity_is_400() -> None:
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "i", "resources": {"requests": {"cpu": "lots"}}}]},
    }
    with pytest.raises(ManifestError) as info:
        decode(body)
    assert info.value.code == 400
    assert info.value.status()["message"] == (
        'Pod in version "v1" cannot be handled as a Pod: quantities must match the regular expression '
        "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    )
    assert info.value.status()["reason"] == "BadRequest"


def test_wrong_type_is_400() -> None:
    with pytest.raises(ManifestError) as info:
        decode({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": "x"}})
    assert info.value.code == 400 and "cannot unmarshal string" in str(info.value)


def test_service_ports_required_and_names() -> None:
    errs = [
        str(e)
        for e in _invalid(
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "1web"}, "spec": {"selector": {"app": "web"}}}
        ).errors
    ]
    assert errs[0].startswith('metadata.name: Invalid value: "1web": a DNS-1035 label must consist')
    assert errs[1] == "spec.ports: Required value"
    errs = [
        str(e)
        for e in _invalid(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "web"},
                "spec": {"ports": [{"port": 80}, {"port": 443, "protocol": "HTTP"}]},
            }
        ).errors
    ]
    assert errs == [
        "spec.ports[0].name: Required value",
        "spec.ports[1].name: Required value",
        'spec.ports[1].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
    ]


def test_unknown_kind_and_missing_kind() -> None:
    with pytest.raises(ManifestError) as info:
        decode({"apiVersion": "v1", "kind": "Widget", "metadata": {"name": "w"}})
    assert info.value.code == 400 and str(info.value) == 'no matches for kind "Widget" in version "v1"'
    with pytest.raises(ManifestError) as info:
        decode({"apiVersion": "v1", "kind": "Deployment"})
    assert str(info.value) == 'no matches for kind "Deployment" in version "v1"'
    with pytest.raises(ManifestError) as info:
        decode({"apiVersion": "v1", "metadata": {"name": "x"}})
    assert str(info.value).startswith("Object 'Kind' is missing in '{")


def test_unknown_fields_ignored() -> None:
    body = _deploy(fancy=True)
    assert decode(body).metadata.name == "web"


def test_yaml_error_is_400_with_line_and_column() -> None:
    with pytest.raises(ManifestError) as info:
        parse_documents("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a: b\n")
    assert info.value.code == 400
    assert info.value.status()["message"] == (
        "error converting YAML to JSON: yaml: line 4, column 10: mapping values are not allowed in this context"
    )


def test_non_mapping_document_is_400() -> None:
    with pytest.raises(ManifestError) as info:
        parse_documents("- a\n- b\n")
    assert info.value.code == 400 and "cannot unmarshal array" in str(info.value)


def test_multi_document_json_and_timestamps_stay_strings() -> None:
    docs = parse_documents(
        DEPLOY + "\n---\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n"
        "  annotations: {when: 2026-12-02T10:00:00Z}\nspec:\n  ports: [{port: 80}]\n"
    )
    assert [d["kind"] for d in docs] == ["Deployment", "Service"]
    assert docs[1]["metadata"]["annotations"]["when"] == "2026-12-02T10:00:00Z"
    assert (
        parse_documents('{"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": "x"}}')[0]["kind"]
        == "Namespace"
    )


def test_encode_metadata_shape() -> None:
    d = decode(parse_documents(DEPLOY)[0])
    d.metadata.uid, d.metadata.resource_version, d.metadata.creation_timestamp = "u-1", 42, 3600.0
    out = encode(d, epoch=1796205600.0)  # 2026-12-02T10:00:00Z
    assert out["apiVersion"] == "apps/v1" and out["kind"] == "Deployment"
    assert out["metadata"]["resourceVersion"] == "42"
    assert out["metadata"]["creationTimestamp"] == "2026-12-02T11:00:00Z"
    assert out["metadata"]["generation"] == 1 and out["metadata"]["namespace"] == "default"
    assert out["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
    }
    node = encode(Node(ObjectMeta("n1", namespace="")))
    assert "namespace" not in node["metadata"] and "generation" not in node["metadata"]


# -- round trips ------------------------------------------------------------------------------------


def _meta(name: str = "web", ns: str = "default") -> ObjectMeta:
    return ObjectMeta(
        name,
        namespace=ns,
        uid="uid-" + name,
        labels={"app": "web"},
        annotations={"a": "b"},
        owner_references=[OwnerReference("apps/v1", "ReplicaSet", "rs", "uid-rs")],
        finalizers=["f"],
        creation_timestamp=10.0,
        deletion_timestamp=20.5,
        deletion_grace_period_seconds=30,
        resource_version=7,
    )


def _template() -> PodTemplate:
    return PodTemplate(
        {"app": "web"},
        PodSpec(
            [
                Container(
                    "c",
                    "nginx:1.27",
                    {"cpu": "100m"},
                    {"cpu": "200m"},
                    [ContainerPort(80, "http")],
                    ["nginx"],
                    args=["-g"],
                    env=[EnvVar("A", "1")],
                    image_pull_policy="IfNotPresent",
                )
            ],
            tolerations=[Toleration("k", "Exists", effect="NoExecute", toleration_seconds=300)],
            node_selector={"disk": "ssd"},
        ),
    )


def _pod() -> Pod:
    status = PodStatus(
        "Running",
        [PodCondition("Ready", "True", last_transition_time=12.0)],
        [
            ContainerStatus(
                "c",
                ContainerState("running", started_at=11.0),
                ContainerState("terminated", "Error", "boom", 1, 0, 5.0, 6.0),
                True,
                True,
                2,
                "nginx:1.27",
            )
        ],
        pod_ip="10.244.1.5",
        host_ip="10.0.0.3",
        start_time=10.0,
        qos_class="Burstable",
    )
    meta = _meta("web-1")
    return Pod(meta, _template().spec, status)


ALL_OBJECTS = [
    _pod(),
    Namespace(_meta("team", ""), "Terminating", ["kubernetes"]),
    Node(
        ObjectMeta("n1", namespace="", uid="n", resource_version=3),
        {"cpu": "4", "memory": "8Gi"},
        {"cpu": "3800m"},
        [Taint("t", "v", "NoSchedule", 4.0)],
        True,
        [NodeCondition("Ready", "True", "KubeletReady", "ok", 1.0, 2.0)],
        [],
        {"InternalIP": "10.0.0.3"},
        "10.244.1.0/24",
        "v1.32.5",
    ),
    ReplicationController(_meta(), 3, {"app": "web"}, _template(), 5, ReplicaStatus(3, 3, 2, 2, 1)),
    ReplicaSet(
        _meta(),
        2,
        LabelSelector({"app": "web"}, [LabelSelectorRequirement("tier", "In", ["a"])]),
        _template(),
        0,
        ReplicaStatus(2, 2, 2, 2, 1),
    ),
    Deployment(
        _meta(),
        4,
        LabelSelector({"app": "web"}),
        _template(),
        status=DeploymentStatus(4, 4, 3, 3, 1, 1, [DeploymentCondition("Available", "True", "R", "m", 9.0)]),
    ),
    Service(
        _meta(), [ServicePort(80, 8080, "TCP", "http", 30080)], {"app": "web"}, "NodePort", "10.96.0.5", "ClientIP", 600
    ),
    Endpoints(
        _meta(),
        [
            EndpointSubset(
                [EndpointAddress("10.244.1.5", "n1", ObjectReference("Pod", "web-1", "default", "u"))],
                [EndpointAddress("10.244.1.6")],
                [EndpointPort(8080, "http")],
            )
        ],
    ),
    Event(
        _meta("web.1"),
        ObjectReference("Pod", "web-1", "default", "u", "v1"),
        "Scheduled",
        "ok",
        "Normal",
        2,
        10.0,
        11.0,
        "default-scheduler",
    ),
]


@pytest.mark.parametrize("obj", ALL_OBJECTS, ids=lambda o: type(o).__name__)
def test_round_trip_every_kind(obj: object) -> None:
    assert decode_stored(encode(obj, epoch=1796205600.0), epoch=1796205600.0) == obj


@given(
    replicas=st.integers(0, 50),
    port=st.integers(1, 65535),
    labels=st.dictionaries(
        st.from_regex(r"[a-z]{1,8}", fullmatch=True), st.from_regex(r"[a-z0-9]{0,8}", fullmatch=True), max_size=3
    ),
    created=st.integers(0, 10**8),
)
def test_round_trip_property(replicas: int, port: int, labels: dict[str, str], created: int) -> None:
    meta = ObjectMeta("web", labels=labels, creation_timestamp=float(created), resource_version=replicas + 1)
    tpl = PodTemplate(dict(labels), PodSpec([Container("c", "img", ports=[ContainerPort(port)])]))
    for obj in (
        Deployment(meta, replicas, LabelSelector(dict(labels)), tpl),
        Service(meta, [ServicePort(port, port)], dict(labels) or None),
        ReplicationController(meta, replicas, dict(labels), tpl),
    ):
        assert decode_stored(encode(obj)) == obj


def test_decode_then_encode_then_decode_stored() -> None:
    d = decode(parse_documents(DEPLOY)[0])
    assert decode_stored(encode(d)) == d
