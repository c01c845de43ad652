"""A sentence for a student: an English template (marked with ``N_``) and the values that fill it,
kept apart so that the page can translate the template and the tests can read the values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..i18n import Translate, identity, render


@dataclass(frozen=True)
class Note:
    """``code`` says what happened (``copy_up``, ``whiteout``, ``EXDEV`` …) for code and tests."""

    code: str
    template: str
    numbers: dict[str, Any] = field(default_factory=dict)
    #: The values that are words (a field's label), translated like the template.
    words: tuple[str, ...] = ()

    def text(self, translate: Translate = identity) -> str:
        numbers = {k: translate(v) if k in self.words else v for k, v in self.numbers.items()}
        return render(self.template, numbers, translate)

    def as_dict(self, translate: Translate = identity) -> dict[str, Any]:
        return {"code": self.code, "text": self.text(translate), **{f"n_{k}": v for k, v in self.numbers.items()}}


class Refused(ValueError):
    """Bad input or an operation the kernel refuses: ``errno`` names it (``EINVAL``, ``EXDEV`` …)
    and ``note`` says why in the student's words."""

    def __init__(self, errno: str, template: str, *, words: tuple[str, ...] = (), **numbers: Any) -> None:
        self.errno = errno
        self.note = Note(errno, template, numbers, words)
        super().__init__(self.note.text())
