"""What the clients need in an object that the engine leaves out (§7.8): the Python client's
models refuse a response without a field the real API marks required, so the fields a real
kubelet or controller always writes are filled in on the way out (never stored)."""

from __future__ import annotations

import copy
import hashlib
import uuid
from typing import Any

from cloudlab.engine.kubernetes.kubelet import normalise_image
from cloudlab.engine.kubernetes.objects import ObjectMeta

_NODE_NAMESPACE = uuid.UUID("2f0b8d3e-4c1a-4e55-9a63-1b8f0c2d7e41")


def node_info(meta: ObjectMeta | dict[str, Any], info: dict[str, Any]) -> dict[str, Any]:
    """``status.nodeInfo`` with every field a kubelet reports (ids derived from the node's uid,
    so they stay the same across requests)."""
    uid = meta.uid if isinstance(meta, ObjectMeta) else str(meta.get("uid", ""))
    ident = uuid.uuid5(_NODE_NAMESPACE, uid or "node")
    out = {
        "machineID": ident.hex,
        "systemUUID": str(uuid.uuid5(ident, "system")),
        "bootID": str(uuid.uuid5(ident, "boot")),
        "kernelVersion": "6.8.0-49-generic",
        "osImage": "Ubuntu 24.04.1 LTS",
        "containerRuntimeVersion": "containerd://1.7.24",
        "kubeletVersion": "v1.32.5",
        "kubeProxyVersion": "v1.32.5",
        "operatingSystem": "linux",
        "architecture": "amd64",
    }
    out.update({k: v for k, v in info.items() if v})
    return out


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _runtime_ids(pod_uid: str, cs: dict[str, Any]) -> None:
    """A started container's ``containerID`` (``containerd://…``) and its image's ``imageID``
    (the repository's digest), as the kubelet reports them once the runtime has made the
    container; the same on every request (derived from the pod, the container, the restart)."""
    started = any(s in (cs.get("state") or {}) for s in ("running", "terminated"))
    if not started:
        return
    if not cs.get("containerID"):
        cs["containerID"] = "containerd://" + _digest(f"{pod_uid}/{cs.get('name')}/{cs.get('restartCount', 0)}")
    if not cs.get("imageID") and cs.get("image"):
        ref = normalise_image(str(cs["image"]))
        repository = ref.rsplit(":", 1)[0] if "@" not in ref else ref.split("@", 1)[0]
        cs["imageID"] = f"{repository}@sha256:{_digest(ref)}"


def for_client(resource: str, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` (an object's stored JSON) with the always-present fields a client requires."""
    body = copy.deepcopy(body)
    status = body.get("status")
    if resource == "nodes":
        status = body.setdefault("status", {})
        status["nodeInfo"] = node_info(body.get("metadata", {}), status.get("nodeInfo") or {})
        status.setdefault("daemonEndpoints", {"kubeletEndpoint": {"Port": 10250}})
    elif resource in ("replicasets", "replicationcontrollers", "deployments"):
        status = body.setdefault("status", {})
        status.setdefault("replicas", 0)
    elif resource == "pods" and isinstance(status, dict):
        uid = str((body.get("metadata") or {}).get("uid", ""))
        for key in ("containerStatuses", "initContainerStatuses"):
            for cs in status.get(key) or []:
                cs.setdefault("imageID", "")
                cs.setdefault("image", "")
                cs.setdefault("ready", False)
                cs.setdefault("restartCount", 0)
                _runtime_ids(uid, cs)
    return body
