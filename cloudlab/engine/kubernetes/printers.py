"""The columns ``kubectl get`` prints for the workloads, namespaces and events (the server's
printers, ``pkg/printers/internalversion/printers.go``; reference §7.4). Pods, nodes, services
and endpoints are printed by ``podlifecycle``; every printer returns kubectl's column names
(upper-case) → the cell text, the wide (priority 1) columns included.
"""

from __future__ import annotations

from .objects import Deployment, Event, Namespace, PodTemplate, ReplicaSet, ReplicationController
from .podlifecycle import human_duration
from .selectors import from_set, label_selector_as_selector


def _template_columns(template: PodTemplate) -> dict[str, str]:
    containers = template.spec.containers
    return {
        "CONTAINERS": ",".join(c.name for c in containers),
        "IMAGES": ",".join(c.image for c in containers),
    }


def print_replicas(obj: ReplicaSet | ReplicationController, now: float) -> dict[str, str]:
    """``printReplicaSet`` / ``printReplicationController``: DESIRED is the spec, CURRENT and READY
    the controller's last status."""
    if isinstance(obj, ReplicationController):
        selector = str(from_set(obj.selector))
    else:
        selector = str(label_selector_as_selector(obj.selector))
    return {
        "NAME": obj.metadata.name,
        "DESIRED": str(obj.replicas),
        "CURRENT": str(obj.status.replicas),
        "READY": str(obj.status.ready_replicas),
        "AGE": human_duration(now - obj.metadata.creation_timestamp),
        **_template_columns(obj.template),
        "SELECTOR": selector or "<none>",
    }


def print_deployment(obj: Deployment, now: float) -> dict[str, str]:
    """``printDeployment``: READY is ready/desired, UP-TO-DATE the pods of the current template."""
    return {
        "NAME": obj.metadata.name,
        "READY": f"{obj.status.ready_replicas}/{obj.replicas}",
        "UP-TO-DATE": str(obj.status.updated_replicas),
        "AVAILABLE": str(obj.status.available_replicas),
        "AGE": human_duration(now - obj.metadata.creation_timestamp),
        **_template_columns(obj.template),
        "SELECTOR": str(label_selector_as_selector(obj.selector)) or "<none>",
    }


def print_namespace(obj: Namespace, now: float) -> dict[str, str]:
    return {
        "NAME": obj.metadata.name,
        "STATUS": obj.phase,
        "AGE": human_duration(now - obj.metadata.creation_timestamp),
    }


def print_event(obj: Event, now: float) -> dict[str, str]:
    """``printEvent``: LAST SEEN reads "5m (x3 over 10m)" once an event has repeated; OBJECT is
    the lower-cased kind and the name."""
    last = human_duration(now - obj.last_timestamp)
    if obj.count > 1:
        last = f"{last} (x{obj.count} over {human_duration(now - obj.first_timestamp)})"
    involved = obj.involved_object
    return {
        "LAST SEEN": last,
        "TYPE": obj.type,
        "REASON": obj.reason,
        "OBJECT": f"{involved.kind.lower()}/{involved.name}",
        "MESSAGE": obj.message,
        "SUBOBJECT": involved.field_path,
        "SOURCE": obj.source,
        "FIRST SEEN": human_duration(now - obj.first_timestamp),
        "COUNT": str(obj.count),
        "NAME": obj.metadata.name,
    }


#: STATUS texts (``print_pod``) that mean the pod is where it should be; every page reads these.
SETTLED_STATUSES = frozenset({"Running", "Completed", "Succeeded"})
#: Words in a STATUS that mean something went wrong (CrashLoopBackOff, ErrImagePull, OOMKilled,
#: Error, Init:ExitCode:1, Signal:9, Unknown, Evicted …).
FAULT_WORDS = (
    "BackOff",
    "Err",
    "OOMKilled",
    "Failed",
    "Unknown",
    "Evicted",
    "Invalid",
    "ExitCode",
    "Signal",
    "NodeLost",
)


def status_kind(status: str) -> str:
    """How a pod's STATUS column reads at a glance: "ok", "error" or "transitional" (Pending,
    ContainerCreating, Terminating …, the ones a page animates)."""
    if status in SETTLED_STATUSES:
        return "ok"
    if any(word in status for word in FAULT_WORDS):
        return "error"
    return "transitional"
