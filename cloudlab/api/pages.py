"""Project → API Access, as Horizon has it: the endpoints of the catalog, the student's
clouds.yaml and openrc for the project they are working in, the commands to try, and a form to
set (or remove) an API password. The login password works for the API too; an API password is
one a student can write into a file without giving away their login. Setting or removing it
revokes the student's tokens, as Keystone does on a password change; the form's check of the
login password counts in the sign-in throttle.

Both downloads carry the project's id (``OS_PROJECT_ID`` / ``project_id``) as well as its name:
project names repeat across clouds, the id never does (cloudlab/api/identity.py, Scoping)."""

from __future__ import annotations

import json
import shlex
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import password_validators_help_text_html, validate_password
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from cloudlab.dashboard.access import project_or_404
from cloudlab.identity.login_throttle import lockout, record_failure
from cloudlab.identity.models import Project

from . import auth, identity
from .models import ApiPassword, Token

CLOUD_NAME = "cloudlab"  # the entry's name in clouds.yaml: `openstack --os-cloud cloudlab ...`
SERVICE_TITLES = {
    "compute": gettext_lazy("Compute"),
    "identity": gettext_lazy("Identity"),
    "image": gettext_lazy("Image"),
}


class ApiPasswordForm(forms.Form):
    """Set the API password: the current login password first (a borrowed session must not be
    enough to mint a credential), then the new one twice."""

    current_password = forms.CharField(
        label=gettext_lazy("Your login password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=gettext_lazy("New API password"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password_again = forms.CharField(
        label=gettext_lazy("New API password, again"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.user = request.user
        self.fields["new_password"].help_text = password_validators_help_text_html()
        if not self.user.has_usable_password():
            # A guest of a live session has no login password to confirm: the session is all
            # they have, and an API password is their only way onto the command line.
            del self.fields["current_password"]

    def clean_current_password(self) -> str:
        """The login password, checked under the sign-in throttle: this form must not become a
        way around the login page's limit on guesses."""
        value = str(self.cleaned_data["current_password"])
        username = self.user.get_username()
        locked = lockout(self.request, username)
        if locked is not None:
            raise forms.ValidationError(locked.message(), code="locked")
        if not self.user.check_password(value):
            record_failure(self.request, username)
            raise forms.ValidationError(_("That is not your login password."), code="wrong_password")
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        new, again = cleaned.get("new_password"), cleaned.get("new_password_again")
        if new is not None and again is not None:
            if new != again:
                self.add_error("new_password_again", _("The two API passwords differ."))
            else:
                try:
                    validate_password(new, self.user)
                except forms.ValidationError as problems:
                    self.add_error("new_password", problems)
        return cleaned


def _endpoints(request: HttpRequest) -> list[dict[str, str]]:
    """One row per service of the catalog (the public interface), as Horizon's table."""
    rows = []
    for entry in identity.catalog(request):
        public = next(e for e in entry["endpoints"] if e["interface"] == "public")
        rows.append(
            {
                "type": entry["type"],
                "title": str(SERVICE_TITLES.get(entry["type"], entry["type"])),
                "url": public["url"],
            }
        )
    return sorted(rows, key=lambda row: row["title"])


def _credentials(request: HttpRequest, project: Project) -> dict[str, str]:
    return {
        "auth_url": auth.identity_url(request),
        "username": request.user.get_username(),
        "project_name": project.name,
        "project_id": auth.project_id(project),
        "user_domain_name": identity.DOMAIN["name"],
        "project_domain_id": identity.DOMAIN["id"],
        "region": identity.REGION,
        "cloud_name": CLOUD_NAME,
        "cloud": project.cloud.name,
    }


@login_required
@require_http_methods(["GET", "POST"])
def api_access(request: HttpRequest) -> HttpResponse:
    project = project_or_404(request)
    form = ApiPasswordForm(request.POST or None, request=request)
    if request.method == "POST":
        if request.POST.get("remove") == "1":
            ApiPassword.objects.filter(user=request.user).delete()
            Token.objects.filter(user=request.user).delete()  # Keystone revokes on a password change
            messages.success(request, _("Your API password is removed; your login password still works."))
            return redirect("api-access")
        if form.is_valid():
            ApiPassword.objects.update_or_create(
                user=request.user, defaults={"password": make_password(form.cleaned_data["new_password"])}
            )
            Token.objects.filter(user=request.user).delete()  # Keystone revokes on a password change
            messages.success(request, _("Your API password is set. It works beside your login password."))
            return redirect("api-access")
    api_password = ApiPassword.objects.filter(user=request.user).first()
    return render(
        request,
        "api/api_access.html",
        {
            "project": project,
            "endpoints": _endpoints(request),
            "credentials": _credentials(request, project),
            "form": form,
            "api_password": api_password,
            "has_login_password": request.user.has_usable_password(),
            "token_minutes": max(1, round(auth.token_lifetime().total_seconds() / 60)),
        },
        status=400 if request.method == "POST" else 200,
    )


def _download(request: HttpRequest, template: str, filename: str, content_type: str) -> HttpResponse:
    project = project_or_404(request)
    values = _credentials(request, project)
    context = {
        "sh": {key: shlex.quote(value) for key, value in values.items()},  # safe in a shell line
        "yaml": {key: json.dumps(value) for key, value in values.items()},  # a YAML quoted string
    }
    text = render_to_string(template, context, request=request)
    response = HttpResponse(text, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def clouds_yaml(request: HttpRequest) -> HttpResponse:
    """clouds.yaml for the current project (no password in it: the CLI asks, or add one)."""
    return _download(request, "api/clouds.yaml", "clouds.yaml", "application/x-yaml; charset=utf-8")


@login_required
@require_GET
def openrc(request: HttpRequest) -> HttpResponse:
    """<project>-openrc.sh, Horizon's v3 RC file: it asks for the password when sourced."""
    project = project_or_404(request)
    return _download(request, "api/openrc.sh", f"{project.name}-openrc.sh", "text/x-shellscript; charset=utf-8")
