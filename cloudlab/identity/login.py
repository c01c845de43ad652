"""The login page: Django's LoginView, with the throttle's lockout said in words and a warning
when the session cookie cannot come back (Secure cookies over plain HTTP)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.middleware.csrf import REASON_NO_CSRF_COOKIE
from django.shortcuts import render
from django.views.csrf import csrf_failure as django_csrf_failure

from .login_throttle import Lockout, lockout


class ThrottledAuthenticationForm(AuthenticationForm):
    """AuthenticationForm that says when a lock is in force and until when (the backend refuses
    the attempt either way; without this the page would say only "incorrect password")."""

    lock: Lockout | None = None

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        self.lock = lockout(self.request, username)
        if self.lock is not None:
            raise ValidationError(self.lock.message(), code="locked")
        try:
            return super().clean()
        except ValidationError:
            # This failure may be the one that reached the limit: say so now, not next time.
            self.lock = lockout(self.request, username)
            if self.lock is not None:
                raise ValidationError(self.lock.message(), code="locked") from None
            raise


class LoginView(auth_views.LoginView):
    """A locked attempt answers 429 Too Many Requests with Retry-After, and the page says when."""

    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        lock = getattr(form, "lock", None)
        if lock is not None:
            response.status_code = 429
            response.headers["Retry-After"] = str(lock.seconds_left())
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # A Secure cookie set over plain HTTP is never sent back: the login would seem to do
        # nothing (or fail CSRF). Say why on the page instead.
        context["cookies_need_https"] = settings.SESSION_COOKIE_SECURE and not self.request.is_secure()
        return context


def csrf_failure(request: Any, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: Django's own 403 page, except when the CSRF cookie is missing because it
    is Secure and the request came over plain HTTP; then the page says so and what to do."""
    if reason == REASON_NO_CSRF_COOKIE and settings.CSRF_COOKIE_SECURE and not request.is_secure():
        return render(request, "registration/cookies_need_https.html", status=403)
    return django_csrf_failure(request, reason)
