"""A request carrying a character no input of CloudLab may hold is answered 400 before any view.

A URL path with a control character (``/admin/hypervisors/a%00b/action/``) and a form or query
value with NUL reach the views as text; the first lookup (``Host.objects.filter(name=...)``) then
makes PostgreSQL raise "text fields cannot contain NUL (0x00) bytes" and the request answers
500. No name, reason or id of the course contains NUL (and no path a control character), so
refusing them here, naming where the character is, is clearer than a 404 and safe for every
view at once. The views' own checks (``compute/limits.text_problem``) refuse the other control
characters in what they store, with their own words.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from cloudlab.engine.scheduler.checks import control_character


class RefuseControlCharactersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        message = self.problem(request)
        if message is not None:
            return JsonResponse({"ok": False, "message": message}, status=400)
        return self.get_response(request)

    @staticmethod
    def problem(request: HttpRequest) -> str | None:
        found = control_character(request.path)
        if found is not None:
            return _("The address contains the control character U+%(code)04X.") % {"code": ord(found[1])}
        for where in (request.GET, request.POST) if request.method == "POST" else (request.GET,):
            for key, items in where.lists():
                if any("\x00" in v for v in (key, *items) if isinstance(v, str)):
                    return _("The field %(field)s contains NUL (U+0000), which no value may hold.") % {
                        "field": repr(key.replace("\x00", "\\0"))
                    }
        return None
