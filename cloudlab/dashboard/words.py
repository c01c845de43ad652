"""The words every page's scripts share, in the reader's language: the eras' names, and the
sentences the database keeps in English as they were recorded: Nova's own messages (an
instance's fault, an action's event details) and the scheduler's explanation of a NoValidHost.

A page keeps Nova's original message beside the translation (a student meets the English one in
real logs); ``common.js`` (``CloudLab.recorded``) matches a sentence against these templates and
fills the translation with the same fields. The templates are the engine's and the compute
layer's own texts wherever they are constants; ``tests/test_recorded_messages.py`` checks that
every message they record is matched.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from cloudlab.compute.models import Cloud
from cloudlab.engine import launch, lifecycle
from cloudlab.engine.scheduler import trace

#: Nova's messages, most specific first. Fields are ``{name}`` (the engine's str.format) or
#: ``%(name)s`` (Django's); a field named ``reason`` is itself one of these messages.
NOVA_MESSAGES: tuple[str, ...] = (
    # nova/exception.py NoValidHost, "No valid host was found. %(reason)s"
    trace.NO_VALID_HOST,
    N_("No valid host was found. {reason}"),
    trace.NOT_ENOUGH_HOSTS,
    # nova/conductor (classic era): the retry filter's attempts are used up
    N_("Exceeded max scheduling attempts {attempts} for instance {instance}. Last exception: {reason}"),
    N_("Exceeded max scheduling attempts {attempts} for instance {instance}."),
    # nova/exception.py MaxRetriesExceeded (placement era): the alternates are used up
    N_(
        "Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures "
        "for instance {instance}."
    ),
    # nova/network: the fixed-IP pool is empty (compute/effects.py NO_FIXED_IP)
    N_("Zero fixed IPs available."),
    launch.LIBVIRT_RESIZE_DOWN,
    launch.VMWARE_RESIZE_DOWN,
    lifecycle.COMPUTE_SERVICE_UNAVAILABLE,
    # compute/effects.py: a move's step without its migration
    N_("Instance %(id)s has no host to move from."),
    N_("No move in progress for instance %(id)s."),
    # the start-up rules' outcomes (the reaper's fault and action log message)
    *dict.fromkeys(rule.outcome for rule in lifecycle.SETTLE_ON_RESTART),
)

#: The scheduler's explanation of a NoValidHost, recorded in English with the trace
#: (engine/scheduler/drivers.py ``_explain`` and the Placement claim's).
SCHEDULER_EXPLANATIONS: tuple[str, ...] = (
    N_("{filter} removed the last hosts: {hosts}"),
    N_("there are no hosts to choose from"),
    N_("no host left whose Placement claim fits"),
)

_FIELD = re.compile(r"\{(\w+)\}|%\((\w+)\)s")
#: Characters a pattern must escape, in the syntax that JavaScript and Python share.
_SPECIAL = re.compile(r"[.*+?^${}()|[\]\\/]")


def _pattern(template: str) -> tuple[str, list[str]]:
    """The template as a whole-message regular expression (one group per field) and its fields."""
    fields: list[str] = []
    parts: list[str] = []
    position = 0
    for match in _FIELD.finditer(template):
        parts.append(_SPECIAL.sub(lambda m: "\\" + m.group(0), template[position : match.start()]))
        parts.append("(.*)" if (match.group(1) or match.group(2)) == "reason" else "(.*?)")
        fields.append(match.group(1) or match.group(2))
        position = match.end()
    parts.append(_SPECIAL.sub(lambda m: "\\" + m.group(0), template[position:]))
    return "^" + "".join(parts) + "$", fields


def recorded_messages() -> list[dict[str, Any]]:
    """Each recorded sentence as the scripts match it: its pattern, its fields, its translation."""
    out = []
    for template in (*NOVA_MESSAGES, *SCHEDULER_EXPLANATIONS):
        pattern, fields = _pattern(template)
        out.append({"pattern": pattern, "fields": fields, "translation": _(template)})
    return out


def translate_recorded(message: str) -> str | None:
    """``message`` in the reader's language, or None when it is none of the known sentences
    (``CloudLab.recorded`` does the same in the browser)."""
    for entry in recorded_messages():
        match = re.fullmatch(entry["pattern"][1:-1], message)
        if match is None:
            continue
        text = entry["translation"]
        for name, value in zip(entry["fields"], match.groups(), strict=True):
            if name == "reason":
                value = translate_recorded(value) or value if value else value
            text = text.replace("{" + name + "}", value).replace("%(" + name + ")s", value)
        return text
    return None


def era_labels() -> dict[str, str]:
    return {code: str(label) for code, label in Cloud.Era.choices}


def page_words() -> dict[str, Any]:
    """What ``base.html`` hands every page's scripts (``CloudLab.words``)."""
    return {"eras": era_labels(), "recorded_messages": recorded_messages()}
