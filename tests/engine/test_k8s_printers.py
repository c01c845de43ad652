"""How a pod's STATUS reads at a glance (printers.status_kind), the one table the pages use."""

from __future__ import annotations

from cloudlab.engine.kubernetes.printers import status_kind


def test_status_kinds() -> None:
    assert [status_kind(s) for s in ("Running", "Completed", "Succeeded")] == ["ok"] * 3
    errors = (
        "CrashLoopBackOff",
        "ImagePullBackOff",
        "ErrImagePull",
        "OOMKilled",
        "Error",
        "Init:ExitCode:1",
        "Unknown",
    )
    assert {status_kind(s) for s in errors} == {"error"}
    assert {status_kind(s) for s in ("Pending", "ContainerCreating", "Terminating", "Init:0/1")} == {"transitional"}
