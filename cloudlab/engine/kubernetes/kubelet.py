"""The kubelet as a simulated container runtime on one node (kubernetes-semantics.md §2).

Read: ``pkg/kubelet/kuberuntime/kuberuntime_manager.go doBackOff`` (a crashed container restarts
at once the first time; afterwards it waits while ``IsInBackOffSince(finishedAt)``, then
``Backoff.Next``), ``pkg/kubelet/images/image_manager.go`` (Pulling / Pulled / "already present on
machine", ErrImagePull then ImagePullBackOff), ``pkg/kubelet/events/event.go`` (reasons) and
``kubelet_pods.go getPhase`` (through ``podlifecycle``).

Times are seconds on the cloud's clock. ``KUBE_TIME_SCALE`` maps Kubernetes' durations onto it:
a duration of d seconds lasts ``d * pace * KUBE_TIME_SCALE`` (pace 1: the 10 s back-off lasts 1 s);
an image pull and a program's run take one step (``pace`` seconds). Messages keep Kubernetes'
real numbers. ``pace`` 0 makes everything instant.

Simulated programs (decided by image + command + args):

* default: keeps running (nginx, redis, busybox with ``sleep`` …).
* a command/args ending in a shell ``exit N`` (``sh -c "sleep 5; exit 1"``), or ``true`` / ``false``:
  terminates with exit code N after ``sleep S`` (scaled) or one step: ``Completed`` (0) / ``Error``.
* ``polinux/stress`` with ``--vm-bytes X`` above the container's memory limit: ``OOMKilled``
  (exit 137) one step after start (the Kubernetes docs' memory-limit example).
* an image whose name contains ``doesnotexist`` or whose registry is unknown: ``ErrImagePull``,
  then ``ImagePullBackOff`` (retries after 10 s doubling to 300 s, scaled).

Restarts follow restartPolicy (Always; OnFailure when exit ≠ 0; Never) with the crash-loop back-off
(``podlifecycle.Backoff``), shown as waiting ``CrashLoopBackOff`` with the kubelet's message.
A pod with a deletionTimestamp gets ``Killing`` and is removed when its grace period (scaled) ends.
"""

from __future__ import annotations

import copy
import ipaddress
import re
from dataclasses import dataclass, field

from .objects import Container, ContainerImage, ContainerState, ContainerStatus, Node, Pod, PodCondition
from .podlifecycle import Backoff, crash_loop_message, get_phase, image_pull_backoff_message, pod_conditions, qos_class
from .quantity import int_value

KUBE_TIME_SCALE = 0.1
KNOWN_REGISTRIES = ("docker.io", "registry.k8s.io", "quay.io", "gcr.io", "ghcr.io", "k8s.gcr.io", "mcr.microsoft.com")
EXIT_RE = re.compile(r"(?:^|[;&|\s])exit\s+(\d+)\s*$")
SLEEP_RE = re.compile(r"(?:^|[;&|\s])sleep\s+(\d+)")


@dataclass(frozen=True)
class KubeletEvent:
    type: str
    reason: str
    message: str
    source: str = "kubelet"
    field_path: str = ""


@dataclass
class KubeletResult:
    pod: Pod | None  # the updated copy, or None when the pod was removed
    events: list[KubeletEvent] = field(default_factory=list)
    wake_at: float | None = None
    pulled_images: list[str] = field(default_factory=list)


@dataclass
class ContainerRuntime:
    """What the kubelet remembers about one container between syncs (not in the API)."""

    pull_started: float | None = None
    pull_backoff: Backoff = field(default_factory=Backoff)
    crash_backoff: Backoff = field(default_factory=Backoff)


def scale(pace: float) -> float:
    return pace * KUBE_TIME_SCALE


def normalise_image(image: str) -> str:
    """``nginx:1.27`` → ``docker.io/library/nginx:1.27`` (a missing tag is ``latest``)."""
    ref = image
    first = ref.split("/", 1)[0]
    if "/" not in ref:
        ref = "docker.io/library/" + ref
    elif "." not in first and ":" not in first and first != "localhost":
        ref = "docker.io/" + ref
    last = ref.rsplit("/", 1)[-1]
    if ":" not in last and "@" not in last:
        ref += ":latest"
    return ref


def pull_error(image: str) -> str | None:
    """The runtime's error for an image that cannot be pulled, or None."""
    ref = normalise_image(image)
    registry = ref.split("/", 1)[0]
    if registry not in KNOWN_REGISTRIES and registry != "localhost":
        path = ref.split("/", 1)[1]
        repo, _, tag = path.rpartition(":")
        return (
            f'rpc error: code = Unknown desc = failed to pull and unpack image "{ref}": failed to resolve reference '
            f'"{ref}": failed to do request: Head "https://{registry}/v2/{repo}/manifests/{tag}": dial tcp: '
            f"lookup {registry}: no such host"
        )
    if "doesnotexist" in ref:
        return (
            f'rpc error: code = Unknown desc = failed to pull and unpack image "{ref}": failed to resolve reference '
            f'"{ref}": pull access denied, repository does not exist or may require authorization: server message: '
            "insufficient_scope: authorization failed"
        )
    return None


_STRESS_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def program(c: Container) -> tuple[int, float] | None:
    """(exit code, Kubernetes seconds it runs; 0 = one step) when the program ends; None: runs on."""
    argv = [*c.command, *getattr(c, "args", [])]
    if "polinux/stress" in c.image and "memory" in c.limits and "--vm-bytes" in argv:
        i = argv.index("--vm-bytes")
        m = re.fullmatch(r"(\d+)([bBkKmMgG]?)", argv[i + 1]) if i + 1 < len(argv) else None
        if m and int(m.group(1)) * _STRESS_UNITS[m.group(2).lower()] > int_value(c.limits["memory"]):
            return 137, 0.0
        return None
    if not argv:
        return None
    if argv[-1] in ("true", "/bin/true"):
        return 0, 0.0
    if argv[-1] in ("false", "/bin/false"):
        return 1, 0.0
    m = EXIT_RE.search(argv[-1])
    if m is None:
        return None
    sleep = SLEEP_RE.search(argv[-1])
    return int(m.group(1)), float(sleep.group(1)) if sleep else 0.0


def next_pod_ip(cidr: str, used: set[str]) -> str:
    """The next free address of the node's pod CIDR (the bridge's gateway .1 is skipped)."""
    if not cidr:
        return ""
    net = ipaddress.ip_network(cidr)
    for host in list(net.hosts())[1:]:
        if str(host) not in used:
            return str(host)
    return ""


def _merge_conditions(old: list[PodCondition], new: list[PodCondition]) -> list[PodCondition]:
    by_type = {c.type: c for c in old}
    out = []
    for c in new:
        prev = by_type.get(c.type)
        if prev is not None and prev.status == c.status and prev.reason == c.reason:
            out.append(prev)
        else:
            out.append(c)
    return out


def _node_ready(node: Node) -> bool:
    ready = node.condition("Ready")
    return ready is not None and ready.status == "True"


def sync_pod(
    pod: Pod,
    node: Node,
    now: float,
    pace: float,
    runtime: dict[str, ContainerRuntime] | None = None,
    used_ips: set[str] | None = None,
) -> KubeletResult:
    """One ``syncPod`` of a pod bound to ``node``; ``runtime`` keeps the kubelet's memory across calls.

    Steps: (1) a stopped node (Ready not True) does nothing; (2) a deleted pod is killed and removed
    at the end of its grace period; (3) the sandbox gets its IP; (4) each container advances one
    state (pull, create+start, run to its end, restart or back off); (5) phase and conditions.
    """
    mem = runtime if runtime is not None else {}
    if not _node_ready(node) or (pod.is_terminal() and pod.metadata.deletion_timestamp is None):
        return KubeletResult(pod)
    p = copy.deepcopy(pod)
    f = scale(pace)
    events: list[KubeletEvent] = []
    wakes: list[float] = []
    pulled: list[str] = []
    st = p.status
    if p.metadata.deletion_timestamp is not None:
        grace = p.metadata.deletion_grace_period_seconds
        grace = p.spec.termination_grace_period_seconds if grace is None else grace
        end = p.metadata.deletion_timestamp + grace * f
        running = [s for s in st.container_statuses if s.state is not None and s.state.kind == "running"]
        if now >= end or not running:
            return KubeletResult(None, events)
        for cs in running:
            if cs.ready:
                events.append(KubeletEvent("Normal", "Killing", f"Stopping container {cs.name}"))
                cs.ready = False
        st.conditions = _merge_conditions(st.conditions, pod_conditions(p, now))
        return KubeletResult(p, events, end)
    if st.start_time is None:
        st.start_time = now
        st.host_ip = node.addresses.get("InternalIP", "")
        st.qos_class = qos_class(p)
    if not st.pod_ip:
        st.pod_ip = next_pod_ip(node.pod_cidr, used_ips or set())
    have_images = {n for img in node.images for n in img.names}
    by_name = {s.name: s for s in st.container_statuses}
    statuses = []
    for c in p.spec.containers:
        s = by_name.get(c.name) or ContainerStatus(
            c.name, ContainerState("waiting", "ContainerCreating"), image=c.image
        )
        rt = mem.setdefault(f"{p.metadata.uid or p.metadata.name}/{c.name}", ContainerRuntime())
        wake = _advance(p, c, s, rt, now, pace, f, have_images, events, pulled)
        if wake is not None:
            wakes.append(wake)
        statuses.append(s)
    st.container_statuses = statuses
    st.phase = get_phase(p)
    st.conditions = _merge_conditions(st.conditions, pod_conditions(p, now))
    return KubeletResult(p, events, min(wakes) if wakes else None, pulled)


def _start(c: Container, s: ContainerStatus, now: float, events: list[KubeletEvent]) -> None:
    events.append(KubeletEvent("Normal", "Created", f"Created container: {c.name}"))
    events.append(KubeletEvent("Normal", "Started", f"Started container {c.name}"))
    s.state = ContainerState("running", started_at=now)
    s.ready = s.started = True


def _advance(
    p: Pod,
    c: Container,
    s: ContainerStatus,
    rt: ContainerRuntime,
    now: float,
    pace: float,
    f: float,
    have_images: set[str],
    events: list[KubeletEvent],
    pulled: list[str],
) -> float | None:
    """Move one container on; returns when it next changes by itself (None: not by itself)."""
    state = s.state or ContainerState("waiting", "ContainerCreating")
    ref = normalise_image(c.image)
    if state.kind == "waiting" and state.reason in ("ContainerCreating", "ErrImagePull", "ImagePullBackOff"):
        if c.image in have_images or ref in have_images:
            events.append(KubeletEvent("Normal", "Pulled", f'Container image "{c.image}" already present on machine'))
            _start(c, s, now, events)
            return _run_end(c, now, pace, f)
        if rt.pull_started is None and state.reason == "ErrImagePull":
            s.state = ContainerState("waiting", "ImagePullBackOff", image_pull_backoff_message(c.image))
            events.append(KubeletEvent("Normal", "BackOff", image_pull_backoff_message(c.image)))
            events.append(KubeletEvent("Warning", "Failed", "Error: ImagePullBackOff"))
            return (rt.pull_backoff.last_update or now) + rt.pull_backoff.delay * f
        if rt.pull_started is None and state.reason == "ImagePullBackOff":
            retry = (rt.pull_backoff.last_update or now) + rt.pull_backoff.delay * f
            if now < retry:
                return retry
        if rt.pull_started is None:
            rt.pull_started = now
            events.append(KubeletEvent("Normal", "Pulling", f'Pulling image "{c.image}"'))
            s.state = state
            return now + pace
        if now < rt.pull_started + pace:
            return rt.pull_started + pace
        rt.pull_started = None
        error = pull_error(c.image)
        if error is not None:
            events.append(KubeletEvent("Warning", "Failed", f'Failed to pull image "{c.image}": {error}'))
            events.append(KubeletEvent("Warning", "Failed", "Error: ErrImagePull"))
            s.state = ContainerState("waiting", "ErrImagePull", error)
            rt.pull_backoff.next(now / f if f else now)
            rt.pull_backoff.last_update = now
            return now + pace
        took = pace / f if f else 0.0
        events.append(
            KubeletEvent(
                "Normal",
                "Pulled",
                f'Successfully pulled image "{c.image}" in {took:g}s ({took:g}s including waiting). '
                f"Image size: {_image_size(ref)} bytes.",
            )
        )
        pulled.append(c.image)
        _start(c, s, now, events)
        return _run_end(c, now, pace, f)
    if state.kind == "running":
        end = _run_end(c, state.started_at or now, pace, f)
        if end is None or now < end:
            return end
        code = program(c)
        exit_code = code[0] if code else 0
        reason = "OOMKilled" if exit_code == 137 else ("Completed" if exit_code == 0 else "Error")
        s.state = ContainerState(
            "terminated", reason, exit_code=exit_code, started_at=state.started_at, finished_at=now
        )
        s.ready = s.started = False
        return _restart(p, c, s, rt, now, f, events)
    if state.kind == "terminated" or (state.kind == "waiting" and state.reason == "CrashLoopBackOff"):
        return _restart(p, c, s, rt, now, f, events)
    return None


def _run_end(c: Container, started: float, pace: float, f: float) -> float | None:
    code = program(c)
    if code is None:
        return None
    return started + (code[1] * f if code[1] else pace)


def _restart(
    p: Pod, c: Container, s: ContainerStatus, rt: ContainerRuntime, now: float, f: float, events: list[KubeletEvent]
) -> float | None:
    """restartPolicy and ``doBackOff``: restart now, wait in CrashLoopBackOff, or stay terminated."""
    last = s.state if s.state is not None and s.state.kind == "terminated" else s.last_state
    if last is None or last.kind != "terminated":
        return None
    policy = p.spec.restart_policy
    if policy == "Never" or (policy == "OnFailure" and last.exit_code == 0):
        s.state = last
        return None
    finished = last.finished_at or now
    # the Backoff works in Kubernetes seconds: map the cloud clock onto them
    k_now = now / f if f else now
    k_finished = finished / f if f else finished
    if rt.crash_backoff.in_backoff_since(k_finished, k_now):
        delay = rt.crash_backoff.delay
        was_waiting = s.state is not None and s.state.kind == "waiting"
        s.last_state = last
        s.state = ContainerState("waiting", "CrashLoopBackOff", crash_loop_message(delay, c.name, p))
        if not was_waiting:
            m = p.metadata
            events.append(
                KubeletEvent(
                    "Warning",
                    "BackOff",
                    f"Back-off restarting failed container {c.name} in pod {m.name}_{m.namespace}({m.uid})",
                )
            )
        return finished + delay * f
    rt.crash_backoff.next(k_finished)
    s.last_state = last
    s.restart_count += 1
    events.append(KubeletEvent("Normal", "Pulled", f'Container image "{c.image}" already present on machine'))
    _start(c, s, now, events)
    return _run_end(c, now, f / KUBE_TIME_SCALE if f else 0.0, f)


def _image_size(ref: str) -> int:
    return 20_000_000 + sum(ord(ch) * 104_729 for ch in ref) % 80_000_000


def add_image(node: Node, image: str) -> bool:
    """Record a pulled image in the node's status (``node.status.images``); False if it was there."""
    ref = normalise_image(image)
    if any(image in img.names or ref in img.names for img in node.images):
        return False
    node.images.append(ContainerImage([ref, image], _image_size(ref)))
    return True
