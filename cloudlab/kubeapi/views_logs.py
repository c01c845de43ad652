"""``GET …/pods/<name>/log``: what the simulated container printed, as ``text/plain``.

The kubelet's programs (``engine/kubernetes/kubelet.program``) run nginx, redis, httpd, shells
with ``echo`` and ``sleep``, and ``polinux/stress``; each writes what the real image writes when it
starts (nginx's docker-entrypoint lines and its notices, one worker per CPU of the node), stamped
with the container's start time. The refusals are the kubelet's own: a pod with no node yet, a
container still waiting, no ``container`` named for a pod of several, no previous instance."""

from __future__ import annotations

import re
import shlex
from datetime import UTC, datetime
from typing import Any

from django.http import HttpResponse

from cloudlab.kube.models import KubeObject

from .errors import bad_request
from .views_common import Call, Target, bool_param, int_param, stored

_ECHO = re.compile(r"(?:^|[;&|]\s*)echo\s+((?:\"[^\"]*\"|'[^']*'|[^;&|])*)")


def _moment(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)


def _cpus(cluster: Any, node_name: str) -> int:
    row = KubeObject.objects.filter(cluster=cluster, resource="nodes", name=node_name).first()
    raw = str(((row.body if row else {}).get("status") or {}).get("capacity", {}).get("cpu", "1"))
    try:
        return max(int(float(raw.rstrip("m")) / (1000 if raw.endswith("m") else 1)), 1)
    except ValueError:
        return 1


def _nginx(version: str, at: datetime, workers: int) -> list[str]:
    stamp = at.strftime("%Y/%m/%d %H:%M:%S")
    shown = (
        version
        if re.fullmatch(r"\d+\.\d+\.\d+", version)
        else {"": "1.27.3", "latest": "1.27.3"}.get(
            version, f"{version}.0" if re.fullmatch(r"\d+\.\d+", version) else "1.27.3"
        )
    )
    lines = [
        "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
        "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
        "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
        "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf",
        "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf",
        "/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh",
        "/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh",
        "/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh",
        "/docker-entrypoint.sh: Configuration complete; ready for start up",
        f'{stamp} [notice] 1#1: using the "epoll" event method',
        f"{stamp} [notice] 1#1: nginx/{shown}",
        f"{stamp} [notice] 1#1: built by gcc 12.2.0 (Debian 12.2.0-14)",
        f"{stamp} [notice] 1#1: OS: Linux 6.8.0-49-generic",
        f"{stamp} [notice] 1#1: getrlimit(RLIMIT_NOFILE): 1048576:1048576",
        f"{stamp} [notice] 1#1: start worker processes",
    ]
    lines += [f"{stamp} [notice] 1#1: start worker process {29 + n}" for n in range(workers)]
    return lines


def _redis(at: datetime) -> list[str]:
    stamp = at.strftime("%d %b %Y %H:%M:%S.") + f"{at.microsecond // 1000:03d}"
    return [
        f"1:C {stamp} # WARNING Memory overcommit must be enabled! Without it, a background save or replication "
        "may fail under low memory condition.",
        f"1:C {stamp} * oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo",
        f"1:C {stamp} * Redis version=7.4.1, bits=64, commit=00000000, modified=0, pid=1, just started",
        f"1:C {stamp} # Warning: no config file specified, using the default config. In order to specify a config "
        "file use redis-server /path/to/redis.conf",
        f"1:M {stamp} * monotonic clock: POSIX clock_gettime",
        f"1:M {stamp} * Running mode=standalone, port=6379.",
        f"1:M {stamp} * Server initialized",
        f"1:M {stamp} * Ready to accept connections tcp",
    ]


def _httpd(at: datetime, ip: str) -> list[str]:
    stamp = at.strftime("%a %b %d %H:%M:%S.%f %Y")
    return [
        f"AH00558: httpd: Could not reliably determine the server's fully qualified domain name, using {ip}. "
        "Set the 'ServerName' directive globally to suppress this message",
        f"AH00558: httpd: Could not reliably determine the server's fully qualified domain name, using {ip}. "
        "Set the 'ServerName' directive globally to suppress this message",
        f"[{stamp}] [mpm_event:notice] [pid 1:tid 1] AH00489: Apache/2.4.62 (Unix) configured -- resuming normal "
        "operations",
        f"[{stamp}] [core:notice] [pid 1:tid 1] AH00094: Command line: 'httpd -D FOREGROUND'",
    ]


def _echoes(argv: list[str]) -> list[str]:
    """What the ``echo`` commands of a shell script print."""
    if not argv:
        return []
    script = argv[-1] if len(argv) >= 2 and argv[-2] == "-c" else " ".join(argv)
    out = []
    for m in _ECHO.finditer(script):
        try:
            words = shlex.split(m.group(1))
        except ValueError:
            words = m.group(1).split()
        out.append(" ".join(words))
    return out


def program_output(container: dict[str, Any], started: datetime, pod: dict[str, Any], workers: int) -> list[str]:
    image = str(container.get("image", ""))
    argv = [*(container.get("command") or []), *(container.get("args") or [])]
    repo, _, tag = image.rsplit("/", 1)[-1].partition(":")
    if argv:
        if "stress" in image:
            return ["stress: info: [1] dispatching hogs: 0 cpu, 0 io, 1 vm, 0 hdd"]
        return _echoes([str(a) for a in argv])
    if repo == "nginx":
        return _nginx(tag.split("-")[0], started, workers)
    if repo == "redis":
        return _redis(started)
    if repo == "httpd":
        return _httpd(started, str((pod.get("status") or {}).get("podIP", "127.0.0.1")))
    return []


def pod_log(call: Call, target: Target) -> HttpResponse:
    pod = stored(call.cluster, Target(target.resource, target.namespace, target.name, None))
    containers = [c for c in (pod.get("spec") or {}).get("containers") or [] if isinstance(c, dict)]
    names = [str(c.get("name")) for c in containers]
    wanted = call.request.GET.get("container", "")
    if not wanted:
        if len(names) != 1:
            raise bad_request(
                f"a container name must be specified for pod {target.name}, choose one of: [{' '.join(names)}]"
            )
        wanted = names[0]
    if wanted not in names:
        raise bad_request(f"container {wanted} is not valid for pod {target.name}")
    if not (pod.get("spec") or {}).get("nodeName"):
        raise bad_request(f"pod {target.name} does not have a host assigned")
    statuses = {s.get("name"): s for s in (pod.get("status") or {}).get("containerStatuses") or []}
    status = statuses.get(wanted) or {}
    state = status.get("state") or {}
    previous = bool_param(call.request, "previous")
    if previous:
        last = (status.get("lastState") or {}).get("terminated")
        if not last:
            raise bad_request(f'previous terminated container "{wanted}" in pod "{target.name}" not found')
        run = last
    elif "running" in state:
        run = state["running"]
    elif "terminated" in state:
        run = state["terminated"]
    else:
        reason = (state.get("waiting") or {}).get("reason") or "ContainerCreating"
        raise bad_request(f'container "{wanted}" in pod "{target.name}" is waiting to start: {reason}')
    started = _moment(str(run.get("startedAt") or ""))
    container = containers[names.index(wanted)]
    lines = program_output(container, started, pod, _cpus(call.cluster, str(pod["spec"]["nodeName"])))
    if bool_param(call.request, "timestamps"):
        stamp = started.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"
        lines = [f"{stamp} {line}" for line in lines]
    tail = int_param(call.request, "tailLines", -1)
    if tail >= 0:
        lines = lines[len(lines) - tail :] if tail else []
    text = "".join(f"{line}\n" for line in lines)
    limit = int_param(call.request, "limitBytes", 0)
    if limit > 0:
        text = text.encode()[:limit].decode(errors="ignore")
    return HttpResponse(text, content_type="text/plain")
