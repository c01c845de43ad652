"""The bearer tokens of the Kubernetes API (the kubeconfig's ``users[].user.token``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class KubeToken(models.Model):
    """A bearer token for one user in one project: only its sha256 is kept (the secret is shown
    once, when the kubeconfig is made). A revoked token answers 401, as an unknown one does."""

    digest = models.CharField(_("sha256 of the token"), max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kube_tokens")
    project = models.ForeignKey("identity.Project", on_delete=models.CASCADE, related_name="kube_tokens")
    created = models.DateTimeField(_("created"), auto_now_add=True)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("Kubernetes token")
        verbose_name_plural = _("Kubernetes tokens")
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"kube token {self.pk} of {self.user} for {self.project}"
