"""The one error a writer raises for a request it refuses."""

from __future__ import annotations


class ActionError(Exception):
    """A request that cannot go ahead; ``field`` names the form field at fault, if any, and
    ``status`` the HTTP status it answers with (400 bad input, 403 quota or policy, 404 not
    yours, 409 Nova's state conflict)."""

    def __init__(self, message: str, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status
