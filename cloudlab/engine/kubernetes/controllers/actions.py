"""What a reconcile step asks for: one ``Action`` per write, with its reason and its event."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...i18n import Translate, identity, render


@dataclass(frozen=True)
class EventRecord:
    """The Kubernetes event the action emits (type, reason, message: Kubernetes' English)."""

    type: str
    reason: str
    message: str


@dataclass
class Action:
    """One write: ``verb`` on ``kind``/``name``, why (``reason`` template + ``numbers``)."""

    verb: str  # create, delete, scale, update, adopt, release, taint, untaint, evict, set-condition
    kind: str
    name: str
    reason: str
    numbers: dict[str, Any] = field(default_factory=dict)
    obj: Any = None
    event: EventRecord | None = None
    #: Slow-start batch of a create (1, 2, 3 … for batches of 1, 2, 4 …); 0 when not batched.
    batch: int = 0

    def sentence(self, translate: Translate = identity) -> str:
        return render(self.reason, self.numbers, translate)

    def as_dict(self, translate: Translate = identity) -> dict[str, Any]:
        out: dict[str, Any] = {
            "verb": self.verb,
            "kind": self.kind,
            "name": self.name,
            "reason": self.sentence(translate),
            "message": self.reason,
            "numbers": dict(self.numbers),
        }
        if self.event is not None:
            out["event"] = {"type": self.event.type, "reason": self.event.reason, "message": self.event.message}
        if self.batch:
            out["batch"] = self.batch
        return out
