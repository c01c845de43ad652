"""Keystone's tokens and a student's API password.

A token is stored only as its sha256 digest: the value itself goes to the client once, in
``X-Subject-Token``, and a copy of the database leaks no usable token."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TokenQuerySet(models.QuerySet["Token"]):
    def expired(self, now: datetime) -> TokenQuerySet:
        return self.filter(expires_at__lte=now)


class Token(models.Model):
    """A project-scoped Keystone token (password method)."""

    digest = models.CharField(_("sha256 of the token"), max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    project = models.ForeignKey("identity.Project", on_delete=models.CASCADE, related_name="api_tokens")
    audit_id = models.CharField(_("audit ID"), max_length=32)
    issued_at = models.DateTimeField(_("issued at"))
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    objects = TokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"token {self.audit_id} of {self.user} for {self.project}"


class ApiPassword(models.Model):
    """A second password, for the command line only: a student can put it in clouds.yaml without
    writing down their login password (which works too)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_password")
    password = models.CharField(_("password"), max_length=128)  # a Django password hash
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("API password")
        verbose_name_plural = _("API passwords")

    def __str__(self) -> str:
        return f"API password of {self.user}"
