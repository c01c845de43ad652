"""The Content-Security-Policy header, until Django 6.0's own middleware can take over.

Django 5.2 has no CSP support (6.0 adds ``django.middleware.csp``), so this small middleware sends
the policy in ``settings.SECURE_CSP``: a dict of directive → list of sources, the same shape and
name Django 6.0 reads, so moving to 6.0 is deleting this module and renaming the middleware.
``SECURE_CSP_REPORT_ONLY = True`` sends it as ``Content-Security-Policy-Report-Only`` instead
(browsers report violations in the console and block nothing: a way to try a stricter policy).

The policy CloudLab's pages satisfy (tests/test_security_csp_browser.py walks every page in
Chromium and fails on any violation):

- scripts only from CloudLab itself: no inline ``<script>``, no ``onclick=``, no ``eval``. Page
  data travels in ``json_script`` blocks (``type="application/json"``, never executed);
- styles from CloudLab itself plus inline styles (``'unsafe-inline'``). Plotly needs it: with
  ``style-src 'self'`` Chromium blocks the ``<style>`` element plotly.min.js inserts when it first
  draws (Hypervisors, a decision's charts), and the inline styles it applies; CloudLab's own
  launch dialog bars, the state diagram's minimum width and Admin → Scheduler's order column also
  set ``style`` attributes. A style cannot run script, so this is the usual concession;
- images from CloudLab and ``data:`` (Bootstrap draws its checkboxes and select arrows as data
  URIs, the favicon is ``data:,``); fonts from CloudLab (Bootstrap Icons);
- connections (fetch, the WebSocket) to CloudLab itself: ``'self'`` covers ``ws:``/``wss:`` to
  the same host in CSP Level 3;
- no plugins, no framing by other sites, forms post only to CloudLab.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from django.conf import settings
from django.http import HttpRequest, HttpResponse

SELF = "'self'"
NONE = "'none'"
UNSAFE_INLINE = "'unsafe-inline'"

#: CloudLab's policy (settings.SECURE_CSP defaults to it).
POLICY: dict[str, list[str]] = {
    "default-src": [SELF],
    "script-src": [SELF],
    "style-src": [SELF, UNSAFE_INLINE],
    "img-src": [SELF, "data:"],
    "font-src": [SELF],
    "connect-src": [SELF],
    "object-src": [NONE],
    "base-uri": [SELF],
    "form-action": [SELF],
    "frame-ancestors": [NONE],
}


def header_value(policy: Mapping[str, Sequence[str] | bool]) -> str:
    """``{"default-src": ["'self'"], "upgrade-insecure-requests": True}`` →
    ``default-src 'self'; upgrade-insecure-requests``. A directive set to False or to no
    sources is left out."""
    parts = []
    for directive, sources in policy.items():
        if sources is True:
            parts.append(directive)
        elif sources:
            parts.append(" ".join([directive, *sources]))  # type: ignore[list-item]
    return "; ".join(parts)


class ContentSecurityPolicyMiddleware:
    """Adds the policy to every response that does not carry one already (a view may set its
    own). Sync and async alike: it only touches the response's headers."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        policy = getattr(settings, "SECURE_CSP", POLICY)
        self.value = header_value(policy) if policy else ""
        report_only = getattr(settings, "SECURE_CSP_REPORT_ONLY", False)
        self.header = "Content-Security-Policy-Report-Only" if report_only else "Content-Security-Policy"

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.value and "Content-Security-Policy" not in response.headers:
            response.headers.setdefault(self.header, self.value)
        return response
