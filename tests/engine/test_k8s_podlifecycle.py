"""Pod phase, conditions, back-off and kubectl's columns (kubernetes-semantics.md §2).

Mirrors upstream ``TestPodPhaseWithRestartAlways`` / ``…Never`` / ``…OnFailure``
(pkg/kubelet/kubelet_pods_test.go), ``TestPrintPod`` and ``TestPrintNodeStatus``
(pkg/printers/internalversion/printers_test.go), ``TestHumanDuration``
(apimachinery/pkg/util/duration) and ``TestSlowBackoff`` / ``TestBackoffGC`` (flowcontrol).
"""

from __future__ import annotations

import pytest
from test_k8s_helpers import node, pod

from cloudlab.engine.kubernetes import podlifecycle as lc
from cloudlab.engine.kubernetes.objects import (
    Container,
    ContainerState,
    ContainerStatus,
    NodeCondition,
    Pod,
    PodCondition,
)

NOW = 10_000.0


def W(reason: str) -> ContainerState:
    return ContainerState("waiting", reason)


def R(started: float = 0.0) -> ContainerState:
    return ContainerState("running", started_at=started)


def T(reason: str = "", exit_code: int = 0, signal: int = 0, finished: float | None = None) -> ContainerState:
    return ContainerState("terminated", reason, exit_code=exit_code, signal=signal, finished_at=finished)


def make(
    phase: str,
    statuses: list[ContainerStatus],
    init: list[ContainerStatus] | None = None,
    init_specs: list[Container] | None = None,
    conditions: list[PodCondition] | None = None,
    node_name: str = "n1",
    deleted: bool = False,
    reason: str = "",
    restart_policy: str = "Always",
) -> Pod:
    p = pod("web-1", node_name=node_name, restart_policy=restart_policy)
    p.spec.containers = [Container(s.name) for s in statuses] or p.spec.containers
    p.spec.init_containers = init_specs or [Container(s.name) for s in (init or [])]
    p.status.phase = phase
    p.status.container_statuses = statuses
    p.status.init_container_statuses = init or []
    p.status.conditions = conditions or []
    p.status.reason = reason
    p.metadata.creation_timestamp = NOW - 300
    if deleted:
        p.metadata.deletion_timestamp = NOW - 5
    return p


READY = [PodCondition("Ready", "True"), PodCondition("Initialized", "True")]
INITIALIZED = [PodCondition("Initialized", "True")]

# situation → (pod, READY, STATUS, RESTARTS): every row of §2.5's table, and printPod's corners.
CASES = {
    "unscheduled": (make("Pending", [], node_name=""), "0/1", "Pending", "0"),
    "pulling": (make("Pending", [ContainerStatus("app", W("ContainerCreating"))]), "0/1", "ContainerCreating", "0"),
    "err-image-pull": (make("Pending", [ContainerStatus("app", W("ErrImagePull"))]), "0/1", "ErrImagePull", "0"),
    "image-pull-backoff": (
        make("Pending", [ContainerStatus("app", W("ImagePullBackOff"))]),
        "0/1",
        "ImagePullBackOff",
        "0",
    ),
    "error": (
        make("Running", [ContainerStatus("app", T("Error", 1), restart_count=0)]),
        "0/1",
        "Error",
        "0",
    ),
    "crash-loop": (
        make(
            "Running",
            [ContainerStatus("app", W("CrashLoopBackOff"), T("Error", 1, finished=NOW - 12), restart_count=3)],
        ),
        "0/1",
        "CrashLoopBackOff",
        "3 (12s ago)",
    ),
    "completed-always": (
        make(
            "Running", [ContainerStatus("app", T("Completed", 0), T("Completed", finished=NOW - 130), restart_count=2)]
        ),
        "0/1",
        "Completed",
        "2 (2m10s ago)",
    ),
    "succeeded-never": (
        make("Succeeded", [ContainerStatus("app", T("Completed", 0))], restart_policy="Never"),
        "0/1",
        "Completed",
        "0",
    ),
    "oom": (
        make(
            "Running",
            [ContainerStatus("app", T("OOMKilled", 137), T("OOMKilled", 137, finished=NOW - 40), restart_count=1)],
        ),
        "0/1",
        "OOMKilled",
        "1 (40s ago)",
    ),
    "signal": (make("Running", [ContainerStatus("app", T("", 137, signal=9))]), "0/1", "Signal:9", "0"),
    "exit-code": (make("Running", [ContainerStatus("app", T("", 2))]), "0/1", "ExitCode:2", "0"),
    "init-running": (
        make("Pending", [ContainerStatus("app", W("PodInitializing"))], init=[ContainerStatus("init", R())]),
        "0/1",
        "Init:0/1",
        "0",
    ),
    "init-crash-loop": (
        make(
            "Pending",
            [ContainerStatus("app", W("PodInitializing"))],
            init=[ContainerStatus("init", W("CrashLoopBackOff"), restart_count=4)],
        ),
        "0/1",
        "Init:CrashLoopBackOff",
        "4",
    ),
    "init-error": (
        make("Pending", [ContainerStatus("app", W("PodInitializing"))], init=[ContainerStatus("init", T("Error", 1))]),
        "0/1",
        "Init:Error",
        "0",
    ),
    "init-exitcode": (
        make(
            "Pending",
            [ContainerStatus("app", W("PodInitializing"))],
            init=[ContainerStatus("a", T("", 0)), ContainerStatus("b", T("", 3))],
        ),
        "0/1",
        "Init:ExitCode:3",
        "0",
    ),
    "second-init": (
        make(
            "Pending",
            [ContainerStatus("app", W("PodInitializing"))],
            init=[ContainerStatus("a", T("Completed", 0)), ContainerStatus("b", R())],
        ),
        "0/1",
        "Init:1/2",
        "0",
    ),
    "healthy": (
        make("Running", [ContainerStatus("app", R(), ready=True, started=True)], conditions=READY),
        "1/1",
        "Running",
        "0",
    ),
    "terminating": (
        make("Running", [ContainerStatus("app", R(), ready=True)], conditions=READY, deleted=True),
        "1/1",
        "Terminating",
        "0",
    ),
    "node-lost": (
        make("Running", [ContainerStatus("app", R(), ready=True)], deleted=True, reason="NodeLost"),
        "1/1",
        "Unknown",
        "0",
    ),
    "evicted": (make("Failed", [], reason="Evicted"), "0/1", "Evicted", "0"),
    "gated": (
        make("Pending", [], node_name="", conditions=[PodCondition("PodScheduled", "False", "SchedulingGated")]),
        "0/1",
        "SchedulingGated",
        "0",
    ),
    "first-container-wins": (
        make("Pending", [ContainerStatus("a", W("ContainerCreating")), ContainerStatus("b", W("ErrImagePull"))]),
        "0/2",
        "ContainerCreating",
        "0",
    ),
    "completed-but-one-running": (
        make(
            "Running", [ContainerStatus("a", T("Completed")), ContainerStatus("b", R(), ready=True)], conditions=READY
        ),
        "1/2",
        "Running",
        "0",
    ),
    "completed-but-one-running-not-ready": (
        make(
            "Running",
            [ContainerStatus("a", T("Completed")), ContainerStatus("b", R(), ready=True)],
            conditions=INITIALIZED,
        ),
        "1/2",
        "NotReady",
        "0",
    ),
    "sidecar-ready": (
        make(
            "Running",
            [ContainerStatus("app", R(), ready=True)],
            init=[ContainerStatus("proxy", R(), ready=True, started=True, restart_count=1)],
            init_specs=[Container("proxy", restart_policy="Always")],
            conditions=READY,
        ),
        "2/2",
        "Running",
        "1",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_print_pod_columns(case: str) -> None:
    p, ready, status, restarts = CASES[case]
    cells = lc.print_pod(p, NOW)
    assert (cells["READY"], cells["STATUS"], cells["RESTARTS"]) == (ready, status, restarts)
    assert cells["AGE"] == "5m"


def test_print_pod_wide_columns() -> None:
    p = make("Running", [ContainerStatus("app", R(), ready=True)], conditions=READY)
    p.status.pod_ip = "10.244.1.5"
    cells = lc.print_pod(p, NOW)
    assert (cells["IP"], cells["NODE"], cells["NOMINATED NODE"], cells["READINESS GATES"]) == (
        "10.244.1.5",
        "n1",
        "<none>",
        "<none>",
    )


@pytest.mark.parametrize(
    ("statuses", "policy", "phase"),
    [
        ([ContainerStatus("app", R())], "Always", "Running"),
        ([ContainerStatus("app", W("ContainerCreating"))], "Always", "Pending"),
        ([ContainerStatus("a", R()), ContainerStatus("b", W("ContainerCreating"))], "Always", "Pending"),
        ([ContainerStatus("app", W("CrashLoopBackOff"), T("Error", 1), restart_count=2)], "Always", "Running"),
        ([ContainerStatus("app", T("Completed", 0))], "Always", "Running"),
        ([ContainerStatus("app", T("Completed", 0))], "Never", "Succeeded"),
        ([ContainerStatus("app", T("Error", 1))], "Never", "Failed"),
        ([ContainerStatus("app", T("Error", 1))], "OnFailure", "Running"),
        ([ContainerStatus("app", T("Completed", 0))], "OnFailure", "Succeeded"),
        ([ContainerStatus("app", None)], "Always", "Pending"),
    ],
)
def test_get_phase(statuses: list[ContainerStatus], policy: str, phase: str) -> None:
    assert lc.get_phase(make("", statuses, restart_policy=policy)) == phase


def test_phase_unbound_and_init() -> None:
    assert lc.get_phase(make("", [], node_name="")) == "Pending"
    failed_init = make(
        "",
        [ContainerStatus("app", W("PodInitializing"))],
        init=[ContainerStatus("i", T("Error", 1))],
        restart_policy="Never",
    )
    assert lc.get_phase(failed_init) == "Failed"
    pending_init = make("", [ContainerStatus("app", W("PodInitializing"))], init=[ContainerStatus("i", R())])
    assert lc.get_phase(pending_init) == "Pending"


def test_conditions() -> None:
    p = make("Running", [ContainerStatus("app", R(), ready=False)])
    conds = {c.type: c for c in lc.pod_conditions(p)}
    assert [c.type for c in lc.pod_conditions(p)] == [
        "PodReadyToStartContainers",
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
    ]
    assert (
        conds["Ready"].reason == "ContainersNotReady"
        and conds["Ready"].message == "containers with unready status: [app]"
    )
    p2 = make("Pending", [ContainerStatus("app", W("PodInitializing"))], init=[ContainerStatus("init-a", R())])
    init = next(c for c in lc.pod_conditions(p2) if c.type == "Initialized")
    assert (init.status, init.reason, init.message) == (
        "False",
        "ContainersNotInitialized",
        "containers with incomplete status: [init-a]",
    )
    done = make("Succeeded", [ContainerStatus("app", T("Completed"))], restart_policy="Never")
    assert next(c for c in lc.pod_conditions(done) if c.type == "Ready").reason == "PodCompleted"


def test_qos() -> None:
    assert lc.qos_class(pod("a")) == "BestEffort"
    assert lc.qos_class(pod("b", "100m", "64Mi")) == "Burstable"
    g = pod("g")
    g.spec.containers[0].limits = {"cpu": "1", "memory": "1Gi"}
    assert lc.qos_class(g) == "Guaranteed"  # requests default to the limits


def test_crash_loop_backoff_schedule_and_reset() -> None:
    assert [lc.crash_loop_delay(k) for k in range(1, 9)] == [10, 20, 40, 80, 160, 300, 300, 300]
    b = lc.Backoff()
    t, delays = 0.0, []
    for _ in range(7):
        delays.append(b.next(t))
        t += delays[-1] + 1
    assert delays == [10, 20, 40, 80, 160, 300, 300]
    assert b.next(t + 601) == 10  # ran more than 2 × 300 s: starts again at 10 s
    assert b.in_backoff_since(t + 601, t + 605) and not b.in_backoff_since(t + 601, t + 612)


def test_crash_loop_message() -> None:
    p = pod("web-1")
    assert (
        lc.crash_loop_message(80, "app", p)
        == "back-off 1m20s restarting failed container=app pod=web-1_default(uid-web-1)"
    )
    assert lc.go_duration(300) == "5m0s" and lc.go_duration(10) == "10s"
    assert lc.image_pull_backoff_message("nginx:nope") == 'Back-off pulling image "nginx:nope"'


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (-2, "<invalid>"),
        (-1, "0s"),
        (0, "0s"),
        (59, "59s"),
        (119, "119s"),
        (120, "2m"),
        (150, "2m30s"),
        (599, "9m59s"),
        (600, "10m"),
        (179 * 60, "179m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 60, "3h1m"),
        (8 * 3600, "8h"),
        (47 * 3600, "47h"),
        (48 * 3600, "2d"),
        (49 * 3600, "2d1h"),
        (8 * 86400, "8d"),
        (729 * 86400, "729d"),
        (730 * 86400, "2y"),
        (731 * 86400, "2y1d"),
        (8 * 365 * 86400, "8y"),
    ],
)
def test_human_duration(seconds: int, shown: str) -> None:
    assert lc.human_duration(seconds) == shown


def test_print_node_status_and_roles() -> None:
    n = node("cp", labels={"node-role.kubernetes.io/control-plane": ""})
    assert lc.print_node(n, NOW)["STATUS"] == "Unknown"
    n.conditions = [NodeCondition("Ready", "True")]
    assert lc.print_node(n, NOW)["STATUS"] == "Ready" and lc.print_node(n, NOW)["ROLES"] == "control-plane"
    n.conditions = [NodeCondition("Ready", "Unknown")]
    n.unschedulable = True
    assert lc.print_node(n, NOW)["STATUS"] == "NotReady,SchedulingDisabled"
    assert lc.print_node(node("w"), NOW)["ROLES"] == "<none>"
