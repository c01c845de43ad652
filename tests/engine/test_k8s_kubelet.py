"""The simulated kubelet: pulls, programs, restarts with the crash-loop back-off, deletion."""

from __future__ import annotations

from cloudlab.engine.kubernetes.bridge import node_from_instance
from cloudlab.engine.kubernetes.kubelet import ContainerRuntime, KubeletResult, program, sync_pod
from cloudlab.engine.kubernetes.objects import Container, ContainerImage, Node, ObjectMeta, Pod, PodSpec
from cloudlab.engine.kubernetes.podlifecycle import print_pod

FLAVOR = {"name": "m1.small", "vcpus": 2, "memory_mb": 4096, "disk": 20}


def _node() -> Node:
    n = node_from_instance("n1", FLAVOR, internal_ip="192.168.0.11")
    n.pod_cidr = "10.244.1.0/24"
    return n


def _pod(c: Container, policy: str = "Always") -> Pod:
    return Pod(ObjectMeta("web", uid="u1"), PodSpec([c], restart_policy=policy, node_name="n1"))


def _run(pod: Pod, node: Node, until: float, pace: float = 1.0) -> tuple[Pod, list[tuple[float, str, str]]]:
    """Call sync_pod at each wake_at (or every second) until ``until``; the events with their times."""
    mem: dict[str, ContainerRuntime] = {}
    now, log = 0.0, []
    while now <= until:
        r: KubeletResult = sync_pod(pod, node, now, pace, mem)
        assert r.pod is not None
        pod = r.pod
        log += [(now, e.reason, e.message) for e in r.events]
        now = r.wake_at if r.wake_at is not None and r.wake_at > now else now + 1.0
    return pod, log


def test_a_pod_pulls_then_runs_ready_with_an_ip_from_the_node_cidr() -> None:
    node = _node()
    pod = _pod(Container("web", "nginx:1.27"))
    r = sync_pod(pod, node, 0.0, 1.0, {})
    assert r.pod is not None
    assert print_pod(r.pod, 0.0)["STATUS"] == "ContainerCreating"
    assert [e.message for e in r.events] == ['Pulling image "nginx:1.27"']
    assert r.pod.status.pod_ip == "10.244.1.2"
    assert r.wake_at == 1.0
    pod, log = _run(pod, node, 3.0)
    assert pod.status.phase == "Running" and pod.is_ready()
    reasons = [e[1] for e in log]
    assert reasons == ["Pulling", "Pulled", "Created", "Started"]
    assert log[1][2].startswith('Successfully pulled image "nginx:1.27" in 10s')
    assert log[2][2] == "Created container: web" and log[3][2] == "Started container web"


def test_an_image_already_on_the_node_is_not_pulled() -> None:
    node = _node()
    node.images.append(ContainerImage(["nginx:1.27"], 1))
    r = sync_pod(_pod(Container("web", "nginx:1.27")), node, 0.0, 1.0, {})
    assert r.events[0].message == 'Container image "nginx:1.27" already present on machine'
    assert r.pod is not None and r.pod.is_ready()


def test_exit_1_crash_loops_with_upstreams_back_off() -> None:
    # doBackOff: the first restart is immediate, then 10 s, 20 s, 40 s (× pace × 0.1 = 1 s, 2 s, 4 s)
    c = Container("app", "busybox:1.36", command=["sh", "-c", "exit 1"])
    assert program(c) == (1, 0.0)
    pod, log = _run(_pod(c), _node(), 20.0)
    starts = [t for t, reason, _ in log if reason == "Started"]
    # pulled at 1, runs one step each; crash at 2 → restart at 2; crash 3 → back-off 1 s → 4; crash 5 → 2 s → 7
    assert starts[:4] == [1.0, 2.0, 4.0, 7.0]
    assert pod.status.container_statuses[0].last_state.exit_code == 1  # type: ignore[union-attr]
    back = [m for _, r, m in log if r == "BackOff"]
    assert back[0] == "Back-off restarting failed container app in pod web_default(u1)"


def test_crash_loop_status_text_and_phase() -> None:
    c = Container("app", "busybox:1.36", command=["sh", "-c", "exit 1"])
    mem: dict[str, ContainerRuntime] = {}
    node, pod = _node(), _pod(c)
    for now in (0.0, 1.0, 2.0, 3.0):
        r = sync_pod(pod, node, now, 1.0, mem)
        assert r.pod is not None
        pod = r.pod
    row = print_pod(pod, 3.0)
    assert row["STATUS"] == "CrashLoopBackOff"
    assert pod.status.phase == "Running"  # restartPolicy Always: CrashLoopBackOff is phase Running
    assert pod.status.container_statuses[0].state.message == (  # type: ignore[union-attr]
        "back-off 10s restarting failed container=app pod=web_default(u1)"
    )


def test_never_with_exit_0_is_completed_and_succeeded() -> None:
    pod, _ = _run(_pod(Container("job", "busybox:1.36", command=["sh", "-c", "sleep 10; exit 0"]), "Never"), _node(), 5)
    assert pod.status.phase == "Succeeded"
    assert print_pod(pod, 5.0)["STATUS"] == "Completed"


def test_stress_over_its_memory_limit_is_oomkilled() -> None:
    # the Kubernetes docs' example: limit 100Mi, stress --vm-bytes 250M
    c = Container("memory-demo", "polinux/stress", limits={"memory": "100Mi"},
                  command=["stress"])  # fmt: skip
    c.args = ["--vm", "1", "--vm-bytes", "250M", "--vm-hang", "1"]
    pod, _ = _run(_pod(c, "Never"), _node(), 4.0)
    s = pod.status.container_statuses[0]
    assert s.state is not None and s.state.reason == "OOMKilled" and s.state.exit_code == 137
    assert print_pod(pod, 4.0)["STATUS"] == "OOMKilled"
    ok = Container("m", "polinux/stress", limits={"memory": "200Mi"}, command=["stress", "--vm-bytes", "150M"])
    assert program(ok) is None


def test_an_unknown_image_gives_errimagepull_then_imagepullbackoff() -> None:
    node, pod = _node(), _pod(Container("web", "doesnotexist:1"))
    mem: dict[str, ContainerRuntime] = {}
    seen = []
    for now in (0.0, 1.0, 2.0):
        r = sync_pod(pod, node, now, 1.0, mem)
        assert r.pod is not None
        pod = r.pod
        seen.append(print_pod(pod, now)["STATUS"])
    assert seen == ["ContainerCreating", "ErrImagePull", "ImagePullBackOff"]
    assert pod.status.container_statuses[0].state.message == 'Back-off pulling image "doesnotexist:1"'  # type: ignore[union-attr]


def test_a_deleted_pod_is_killed_then_removed_after_its_scaled_grace() -> None:
    pod, _ = _run(_pod(Container("web", "nginx:1.27")), _node(), 3.0)
    pod.metadata.deletion_timestamp = 10.0
    r = sync_pod(pod, _node(), 10.0, 1.0, {})
    assert r.pod is not None and [e.reason for e in r.events] == ["Killing"]
    assert r.wake_at == 13.0  # 30 s grace × pace 1 × 0.1
    assert sync_pod(r.pod, _node(), 13.0, 1.0, {}).pod is None


def test_a_node_that_is_not_ready_does_nothing() -> None:
    node = _node()
    node.condition("Ready").status = "Unknown"  # type: ignore[union-attr]
    pod = _pod(Container("web"))
    r = sync_pod(pod, node, 0.0, 1.0, {})
    assert r.pod is pod and r.events == [] and r.wake_at is None
