"""How the viewers of an instance learn that it changed: its row, after commit, on the project's
stream (members) and the cloud's stream (instructors, with host and project)."""

from __future__ import annotations

from cloudlab.live.events import cloud_stream, project_stream, publish_many_on_commit

from .models import Instance
from .rows import instance_row


def publish_instance(instance: Instance, event: str = "instance.updated") -> None:
    """Tell the project's members and the cloud's instructors, after commit, how the row reads now."""
    publish_many_on_commit([
        (project_stream(instance.project_id), event, instance_row(instance, for_instructor=False)),
        (cloud_stream(instance.cloud_id), event, instance_row(instance, for_instructor=True)),
    ])  # fmt: skip
