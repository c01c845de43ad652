"""Deployment behind HTTPS: ``check --deploy`` is clean with the production environment the README
gives, every response carries the Content-Security-Policy, no template has an inline script or
event handler, and plain HTTP with Secure cookies says why signing in cannot work."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings

from cloudlab import security

TEMPLATES = Path(settings.BASE_DIR) / "templates"

#: The README's production environment (Production → HTTPS).
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "a-production-secret-of-fifty-characters-0123456789",
    "ALLOWED_HOSTS": "cloudlab.example.edu",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
}


def _manage(tmp_path: Path, *args: str, **environ: str) -> subprocess.CompletedProcess[str]:
    # Not the test session's own switches either: the browser tests' fixture sets
    # DJANGO_ALLOW_ASYNC_UNSAFE in this process, which check --deploy rightly warns about.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION and not k.startswith("SECURE_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update(CLOUDLAB_DATA_DIR=str(tmp_path), **environ)
    return subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_check_deploy_is_clean_in_the_production_environment(tmp_path):
    result = _manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_names_what_is_missing_without_https_settings(tmp_path):
    bare = {k: PRODUCTION[k] for k in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS")}
    result = _manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **bare)
    assert result.returncode != 0
    assert "security.W004" in result.stderr  # HSTS
    assert "security.W008" in result.stderr  # SSL redirect


def test_a_proxy_header_that_is_not_a_header_name_stops_cloudlab(tmp_path):
    result = _manage(tmp_path, "check", SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto: https")
    assert result.returncode != 0
    assert "SECURE_PROXY_SSL_HEADER='X-Forwarded-Proto: https' must be a header name" in result.stderr


@pytest.mark.django_db
def test_every_page_carries_the_policy():
    response = Client().get("/auth/login/")
    policy = response.headers["Content-Security-Policy"]
    directives = dict(d.split(" ", 1) for d in policy.split("; "))
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-eval" not in policy
    assert "Content-Security-Policy-Report-Only" not in response.headers


@pytest.mark.django_db
@override_settings(SECURE_CSP_REPORT_ONLY=True)
def test_report_only_sends_the_policy_without_enforcing_it():
    response = Client().get("/auth/login/")
    assert "Content-Security-Policy" not in response.headers
    assert response.headers["Content-Security-Policy-Report-Only"] == security.header_value(security.POLICY)


def test_the_policy_is_written_as_browsers_read_it():
    policy = {"default-src": ["'self'"], "img-src": ["'self'", "data:"], "upgrade-insecure-requests": True, "x": []}
    assert security.header_value(policy) == "default-src 'self'; img-src 'self' data:; upgrade-insecure-requests"


_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
_EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_has_an_inline_script_or_event_handler(template):
    text = template.read_text(encoding="utf-8")
    assert not _INLINE_SCRIPT.search(text), f"{template.name}: inline <script> (move it to static/)"
    assert not _EVENT_HANDLER.search(text), f"{template.name}: inline event handler (use addEventListener)"
    assert "javascript:" not in text, f"{template.name}: a javascript: URL"


def test_the_template_scan_finds_what_it_looks_for():
    assert _INLINE_SCRIPT.search("<script>\nvar a;</script>")
    assert not _INLINE_SCRIPT.search('<script src="/static/x.js"></script>')
    assert _EVENT_HANDLER.search('<button class="btn" onclick="go()">')
    assert not _EVENT_HANDLER.search('<button data-action="stop">')


@pytest.mark.django_db
@override_settings(SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True)
def test_plain_http_with_secure_cookies_says_why_signing_in_cannot_work():
    page = Client().get("/auth/login/").content.decode()
    assert 'id="cookies-need-https"' in page
    assert "the browser will not send them back" in page
    assert 'id="cookies-need-https"' not in Client().get("/auth/login/", secure=True).content.decode()
    # The form posted anyway: the browser sent no CSRF cookie. The 403 says the same, in Chinese too.
    refused = Client(enforce_csrf_checks=True).post("/auth/login/", {"username": "alice", "password": "x"})
    assert refused.status_code == 403
    assert "SESSION_COOKIE_SECURE=0" in refused.content.decode()
    chinese = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="zh-CN").post("/auth/login/", {})
    assert "此处登录需要 HTTPS。" in chinese.content.decode()


@pytest.mark.django_db
@override_settings(SESSION_COOKIE_SECURE=False, CSRF_COOKIE_SECURE=False)
def test_without_secure_cookies_there_is_no_warning_and_csrf_failures_stay_djangos():
    assert 'id="cookies-need-https"' not in Client().get("/auth/login/").content.decode()
    refused = Client(enforce_csrf_checks=True).post("/auth/login/", {})
    assert refused.status_code == 403
    assert "SESSION_COOKIE_SECURE" not in refused.content.decode()


@pytest.mark.django_db
@override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"), SESSION_COOKIE_SECURE=True)
def test_behind_a_proxy_that_says_https_the_page_needs_no_warning():
    page = Client().get("/auth/login/", HTTP_X_FORWARDED_PROTO="https").content.decode()
    assert 'id="cookies-need-https"' not in page
