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

    def text(self, translate: Translate = identity) -> str:
        return render(self.template, self.numbers, translate)

    def as_dict(self, translate: Translate = identity) -> dict[str, Any]:
        return {"code": self.code, "text": self.text(translate), **{f"n_{k}": v for k, v in self.numbers.items()}}


class Refused(ValueError):
    """Bad input or an operation the kernel refuses: ``errno`` names it (``EINVAL``, ``EXDEV`` …)
    and ``note`` says why in the student's words."""

    def __init__(self, errno: str, template: str, **numbers: Any) -> None:
        self.errno = errno
        self.note = Note(errno, template, numbers)
        super().__init__(self.note.text())
