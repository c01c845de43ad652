"""Building blocks of the trace: rendering sentences, stage entries, Nova's fault texts."""

from __future__ import annotations

from string import Formatter
from typing import Any

from ..i18n import N_, Translate, fmt_number, identity
from .filters import Verdict
from .model import HostState
from .schema import FilterStage, SchedulingError, VerdictEntry

#: nova/exception.py NoValidHost: "No valid host was found. %(reason)s".
NO_VALID_HOST = N_("No valid host was found.")
NOT_ENOUGH_HOSTS = N_("There are not enough hosts available.")
#: The reason when Placement returns no allocation candidate (nova/scheduler/manager.py): none.
NO_CANDIDATES = ""


class Renderer:
    """Renders verdict sentences in one language, translating each template once per call.

    Same result as ``i18n.render``; faster because it formats only the fields a template uses.
    """

    def __init__(self, translate: Translate = identity) -> None:
        self.translate = translate
        self._cache: dict[str, tuple[str, tuple[str, ...]]] = {}

    def __call__(self, template: str, numbers: dict[str, Any]) -> str:
        cached = self._cache.get(template)
        if cached is None:
            translated = self.translate(template)
            fields = tuple(f for _, f, _, _ in Formatter().parse(translated) if f)
            cached = self._cache[template] = (translated, fields)
        translated, fields = cached
        if not fields:
            return translated
        shown = {}
        for name in fields:
            value = numbers[name]
            shown[name] = fmt_number(value) if value.__class__ is float else value
        return translated.format_map(shown)

    def verdict(self, v: Verdict) -> VerdictEntry:
        return {"passed": v.passed, "reason": self(v.message, v.numbers), "message": v.message, "numbers": v.numbers}


def no_valid_host(reason: str, instance_index: int) -> SchedulingError:
    """Nova's NoValidHost for instance ``instance_index``, "No valid host was found. <reason>"."""
    message = f"{NO_VALID_HOST} {reason}".strip()
    return {
        "type": "NoValidHost",
        "message": message,
        "reason": reason,
        "instance_index": instance_index,
    }


def stage_entry(
    name: str,
    hosts_in: int,
    survivors: list[HostState],
    verdicts: list[tuple[HostState, Verdict]],
    render: Renderer,
) -> FilterStage:
    return {
        "name": name,
        "ran": True,
        "hosts_in": hosts_in,
        "hosts_out": len(survivors),
        "verdicts": {h.name: render.verdict(v) for h, v in verdicts},
    }
