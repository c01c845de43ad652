"""Pod lifecycle: phase, conditions, QoS, crash-loop back-off and the ``kubectl get`` cells.

Read: ``pkg/kubelet/kubelet_pods.go getPhase`` (v1.28+ form), ``pkg/kubelet/status/generate.go``
(the condition reasons and messages), ``client-go/util/flowcontrol/backoff.go`` (``Next``,
``hasExpired`` at 2 × max) with the kubelet's 10 s / 300 s, ``pkg/printers/internalversion/
printers.go`` (``printPod``, ``printNode``, ``printService``, ``printEndpoints``) and
``apimachinery/pkg/util/duration.HumanDuration``. kubernetes-semantics.md §2 is followed.
"""

from __future__ import annotations

from dataclasses import dataclass

from .objects import ContainerStatus, Endpoints, Node, Pod, PodCondition, Service

BACKOFF_INITIAL = 10
BACKOFF_MAX = 300
NODE_LOST = "NodeLost"

# -- phase (getPhase) -----------------------------------------------------------------------------


def get_phase(pod: Pod, pod_is_terminal: bool = False) -> str:
    """The phase the kubelet computes from the container statuses (§2.1)."""
    spec, status = pod.spec, pod.status
    if not spec.node_name:
        return "Pending"
    init_by_name = {s.name: s for s in status.init_container_statuses}
    pending_init = failed_init = 0
    for ic in spec.init_containers:
        s = init_by_name.get(ic.name)
        if ic.restart_policy == "Always":  # a sidecar: initialized once started
            if not (s and s.started):
                pending_init += 1
            continue
        st = s.state if s else None
        if st and st.kind == "terminated" and st.exit_code == 0:
            continue
        if st and st.kind == "terminated":
            failed_init += 1
        elif (
            s
            and st
            and st.kind == "waiting"
            and s.last_state
            and s.last_state.kind == "terminated"
            and s.last_state.exit_code != 0
        ):
            failed_init += 1
        else:
            pending_init += 1
    if failed_init and spec.restart_policy == "Never":
        return "Failed"
    by_name = {s.name: s for s in status.container_statuses}
    running = stopped = succeeded = waiting = unknown = 0
    for c in spec.containers:
        s = by_name.get(c.name)
        st = s.state if s else None
        if s is None or st is None:
            unknown += 1
        elif st.kind == "running":
            running += 1
        elif st.kind == "terminated":
            stopped += 1
            if st.exit_code == 0:
                succeeded += 1
        elif st.kind == "waiting":
            if s.last_state is not None and s.last_state.kind == "terminated":
                stopped += 1
            else:
                waiting += 1
    if (pending_init or failed_init) and running == 0 and stopped == 0:
        return "Pending"
    if waiting:
        return "Pending"
    if running and not unknown:
        return "Running"
    if running == 0 and stopped and not unknown:
        if pod_is_terminal:
            return "Succeeded" if stopped == succeeded else "Failed"
        if spec.restart_policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        if spec.restart_policy == "Never":
            return "Failed"
        return "Running"
    return "Pending"


# -- conditions (generate.go) ---------------------------------------------------------------------


def _unready(pod: Pod) -> list[str]:
    by_name = {s.name: s for s in pod.status.container_statuses}
    return [c.name for c in pod.spec.containers if not (by_name.get(c.name) and by_name[c.name].ready)]


def pod_conditions(pod: Pod, now: float = 0.0) -> list[PodCondition]:
    """The conditions in their usual order (§2.2); PodScheduled is kept as the scheduler set it."""
    out: list[PodCondition] = []
    bound = bool(pod.spec.node_name)
    if bound:
        # the sandbox exists once a container is past ContainerCreating (or has run before)
        sandbox = any(
            s.restart_count > 0 or (s.state is not None and s.state.reason != "ContainerCreating")
            for s in pod.status.container_statuses
        )
        out.append(PodCondition("PodReadyToStartContainers", "True" if sandbox else "False", last_transition_time=now))
        init_by_name = {s.name: s for s in pod.status.init_container_statuses}
        incomplete = []
        for ic in pod.spec.init_containers:
            s = init_by_name.get(ic.name)
            done = s is not None and (
                (ic.restart_policy == "Always" and s.started)
                or (s.state is not None and s.state.kind == "terminated" and s.state.exit_code == 0)
            )
            if not done:
                incomplete.append(ic.name)
        if incomplete:
            out.append(
                PodCondition(
                    "Initialized",
                    "False",
                    "ContainersNotInitialized",
                    f"containers with incomplete status: [{' '.join(incomplete)}]",
                    now,
                )
            )
        else:
            out.append(PodCondition("Initialized", "True", last_transition_time=now))
        phase = pod.status.phase
        unready = _unready(pod)
        if phase in ("Succeeded", "Failed"):
            out.append(PodCondition("Ready", "False", "PodCompleted", "", now))
            out.append(PodCondition("ContainersReady", "False", "PodCompleted", "", now))
        elif unready:
            msg = f"containers with unready status: [{' '.join(unready)}]"
            out.append(PodCondition("Ready", "False", "ContainersNotReady", msg, now))
            out.append(PodCondition("ContainersReady", "False", "ContainersNotReady", msg, now))
        else:
            out.append(PodCondition("Ready", "True", last_transition_time=now))
            out.append(PodCondition("ContainersReady", "True", last_transition_time=now))
    scheduled = pod.condition("PodScheduled")
    if scheduled is not None:
        out.append(scheduled)
    elif bound:
        out.append(PodCondition("PodScheduled", "True", last_transition_time=now))
    return out


def qos_class(pod: Pod) -> str:
    """Guaranteed, Burstable or BestEffort (§2.2)."""
    containers = pod.spec.containers + pod.spec.init_containers
    if all(not c.requests and not c.limits for c in containers):
        return "BestEffort"
    for c in containers:
        req = c.effective_requests()
        for r in ("cpu", "memory"):
            if r not in c.limits or req.get(r) != c.limits[r]:
                return "Burstable"
    return "Guaranteed"


# -- crash-loop back-off (flowcontrol.Backoff with the kubelet's numbers) -------------------------


def crash_loop_delay(restart: int) -> int:
    """Seconds before restart ``restart`` (1-based): 10, 20, 40, 80, 160, 300, 300 …"""
    if restart < 1:
        return 0
    return int(min(BACKOFF_INITIAL * 2 ** (restart - 1), BACKOFF_MAX))


@dataclass
class Backoff:
    """One container's back-off entry: the current delay and when it was last updated."""

    delay: int = 0
    last_update: float | None = None

    def next(self, now: float) -> int:
        """``Backoff.Next``: start at 10 s, or after an expiry; else double up to 300 s."""
        if self.last_update is None or now - self.last_update > 2 * BACKOFF_MAX:
            self.delay = BACKOFF_INITIAL
        else:
            self.delay = min(self.delay * 2, BACKOFF_MAX)
        self.last_update = now
        return self.delay

    def in_backoff_since(self, event_time: float, now: float) -> bool:
        """``IsInBackOffSince``: true while ``now`` is before the previous event + the delay."""
        if self.last_update is None or now - self.last_update > 2 * BACKOFF_MAX:
            return False
        return now - event_time < self.delay


def go_duration(seconds: int) -> str:
    """Go's ``time.Duration.String`` for whole seconds: 10s, 1m20s, 5m0s, 1h0m0s."""
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h}h{m}m{s}s"
    if m:
        return f"{m}m{s}s"
    return f"{s}s"


def crash_loop_message(delay: int, container: str, pod: Pod) -> str:
    m = pod.metadata
    return f"back-off {go_duration(delay)} restarting failed container={container} pod={m.name}_{m.namespace}({m.uid})"


def image_pull_backoff_message(image: str) -> str:
    return f'Back-off pulling image "{image}"'


# -- kubectl's printers ---------------------------------------------------------------------------


def human_duration(seconds: float) -> str:
    """``duration.HumanDuration``."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        sec = s % 60
        return f"{minutes}m" if sec == 0 else f"{minutes}m{sec}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def _last_finished(s: ContainerStatus, latest: float | None) -> float | None:
    last = s.last_state
    if last is not None and last.kind == "terminated" and last.finished_at is not None:
        if latest is None or last.finished_at > latest:
            return last.finished_at
    return latest


def _terminated_reason(prefix: str, reason: str, signal: int, exit_code: int) -> str:
    if reason:
        return prefix + reason
    return f"{prefix}Signal:{signal}" if signal else f"{prefix}ExitCode:{exit_code}"


def print_pod(pod: Pod, now: float) -> dict[str, str]:
    """``printPod``: NAME, READY, STATUS, RESTARTS, AGE and the wide columns (§2.5)."""
    status, spec = pod.status, pod.spec
    reason = status.reason or status.phase
    if any(c.type == "PodScheduled" and c.reason == "SchedulingGated" for c in status.conditions):
        reason = "SchedulingGated"
    init_specs = {c.name: c for c in spec.init_containers}
    total = len(spec.containers) + sum(1 for c in spec.init_containers if c.restart_policy == "Always")
    ready = restarts = sidecar_restarts = 0
    last: float | None = None
    sidecar_last: float | None = None
    initializing = False
    for i, s in enumerate(status.init_container_statuses):
        restarts += s.restart_count
        last = _last_finished(s, last)
        sidecar = init_specs.get(s.name) is not None and init_specs[s.name].restart_policy == "Always"
        if sidecar:
            sidecar_restarts += s.restart_count
            sidecar_last = _last_finished(s, sidecar_last)
        st = s.state
        if st is not None and st.kind == "terminated" and st.exit_code == 0:
            continue
        if sidecar and s.started:
            ready += 1 if s.ready else 0
            continue
        if st is not None and st.kind == "terminated":
            reason = _terminated_reason("Init:", st.reason, st.signal, st.exit_code)
        elif st is not None and st.kind == "waiting" and st.reason and st.reason != "PodInitializing":
            reason = "Init:" + st.reason
        else:
            reason = f"Init:{i}/{len(spec.init_containers)}"
        initializing = True
        break
    initialized = any(c.type == "Initialized" and c.status == "True" for c in status.conditions)
    if not initializing or initialized:
        restarts, last = sidecar_restarts, sidecar_last
        has_running = False
        for s in reversed(status.container_statuses):
            restarts += s.restart_count
            last = _last_finished(s, last)
            st = s.state
            if st is not None and st.kind == "waiting" and st.reason:
                reason = st.reason
            elif st is not None and st.kind == "terminated":
                reason = _terminated_reason("", st.reason, st.signal, st.exit_code)
            elif s.ready and st is not None and st.kind == "running":
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if pod.is_ready() else "NotReady"
    if pod.metadata.deletion_timestamp is not None and status.reason == NODE_LOST:
        reason = "Unknown"
    elif pod.metadata.deletion_timestamp is not None and status.phase not in ("Succeeded", "Failed"):
        reason = "Terminating"
    shown_restarts = str(restarts)
    if restarts and last is not None:
        shown_restarts = f"{restarts} ({human_duration(now - last)} ago)"
    gates = "<none>"
    if spec.readiness_gates:
        true = sum(
            1 for g in spec.readiness_gates if any(c.type == g and c.status == "True" for c in status.conditions)
        )
        gates = f"{true}/{len(spec.readiness_gates)}"
    return {
        "NAME": pod.metadata.name,
        "READY": f"{ready}/{total}",
        "STATUS": reason,
        "RESTARTS": shown_restarts,
        "AGE": human_duration(now - pod.metadata.creation_timestamp),
        "IP": status.pod_ip or "<none>",
        "NODE": spec.node_name or "<none>",
        "NOMINATED NODE": status.nominated_node_name or "<none>",
        "READINESS GATES": gates,
    }


def print_node(node: Node, now: float) -> dict[str, str]:
    """``printNode``: STATUS Ready / NotReady / Unknown (+ ,SchedulingDisabled), ROLES, AGE, VERSION."""
    ready = node.condition("Ready")
    if ready is None:
        status = "Unknown"
    else:
        status = "Ready" if ready.status == "True" else "NotReady"
    if node.unschedulable:
        status += ",SchedulingDisabled"
    roles = set()
    for k, v in node.metadata.labels.items():
        if k.startswith("node-role.kubernetes.io/") and k[len("node-role.kubernetes.io/") :]:
            roles.add(k[len("node-role.kubernetes.io/") :])
        elif k == "kubernetes.io/role" and v:
            roles.add(v)
    return {
        "NAME": node.metadata.name,
        "STATUS": status,
        "ROLES": ",".join(sorted(roles)) or "<none>",
        "AGE": human_duration(now - node.metadata.creation_timestamp),
        "VERSION": node.kubelet_version,
        "INTERNAL-IP": node.addresses.get("InternalIP", "<none>"),
        "EXTERNAL-IP": node.addresses.get("ExternalIP", "<none>"),
    }


def print_service(svc: Service, now: float) -> dict[str, str]:
    ports = []
    for p in svc.ports:
        ports.append(f"{p.port}:{p.node_port}/{p.protocol}" if p.node_port else f"{p.port}/{p.protocol}")
    if svc.type == "ExternalName":
        external = svc.external_name
    elif svc.type == "LoadBalancer":
        external = "<pending>"
    else:
        external = "<none>"
    selector = ",".join(f"{k}={v}" for k, v in sorted((svc.selector or {}).items())) or "<none>"
    return {
        "NAME": svc.metadata.name,
        "TYPE": svc.type,
        "CLUSTER-IP": svc.cluster_ip or "<none>",
        "EXTERNAL-IP": external,
        "PORT(S)": ",".join(ports) or "<none>",
        "AGE": human_duration(now - svc.metadata.creation_timestamp),
        "SELECTOR": selector,
    }


def print_endpoints(ep: Endpoints, now: float) -> dict[str, str]:
    """ENDPOINTS: ``ip:port`` pairs, at most 3 then " + N more...", ``<none>`` when empty."""
    pairs = [f"{a.ip}:{p.port}" for s in ep.subsets for p in (s.ports or []) for a in s.addresses]
    shown = ",".join(pairs[:3])
    if len(pairs) > 3:
        shown += f" + {len(pairs) - 3} more..."
    return {
        "NAME": ep.metadata.name,
        "ENDPOINTS": shown or "<none>",
        "AGE": human_duration(now - ep.metadata.creation_timestamp),
    }
