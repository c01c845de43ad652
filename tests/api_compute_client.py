"""A small client of the compute API for Django-test-client tests: a Keystone token of a
persona's project (``cloudlab.api.auth.issue_token``, as ``POST /v3/auth/tokens`` makes it) and
requests at a chosen microversion, as the real clients send them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.test import Client

CIRROS = "0b7f5c3e-8d6a-4c1f-9e2b-3a4d5e6f7a01"  # fixtures/demo/cloud.yaml's images
UBUNTU = "7c1e2d3f-4a5b-4c6d-8e7f-9a0b1c2d3e02"
COURSE_WEB = "6d2d1c7e-0000-4000-8000-000000000001"  # the teaching project's instance on compute-kvm1


@dataclass
class Nova:
    client: Client
    token: str
    version: str | None = "2.100"

    def headers(self, version: str | None = None, **extra: str) -> dict[str, str]:
        headers = {"HTTP_X_AUTH_TOKEN": self.token} if self.token else {}
        chosen = version or self.version
        if chosen:
            headers["HTTP_OPENSTACK_API_VERSION"] = f"compute {chosen}"
            headers["HTTP_X_OPENSTACK_NOVA_API_VERSION"] = chosen
        headers.update(extra)
        return headers

    def get(self, path: str, version: str | None = None, **extra: str) -> Any:
        return self.client.get("/compute/v2.1/" + path, **self.headers(version, **extra))

    def post(self, path: str, body: Any, version: str | None = None, *, raw: bytes | str | None = None) -> Any:
        data = raw if raw is not None else json.dumps(body)
        return self.client.post("/compute/v2.1/" + path, data, content_type="application/json", **self.headers(version))

    def put(self, path: str, body: Any, version: str | None = None) -> Any:
        return self.client.put(
            "/compute/v2.1/" + path, json.dumps(body), content_type="application/json", **self.headers(version)
        )

    def delete(self, path: str, version: str | None = None) -> Any:
        return self.client.delete("/compute/v2.1/" + path, **self.headers(version))

    def boot(self, name: str = "web", *, version: str | None = None, **server: Any) -> str:
        """Create a server that must be accepted; its id."""
        body = {"server": {"name": name, "imageRef": CIRROS, "flavorRef": "1", "networks": "auto", **server}}
        response = self.post("servers", body, version)
        assert response.status_code == 202, response.content
        return str(response.json()["server"]["id"])


def nova_for(user: Any, client: Client | None = None, version: str | None = "2.100") -> Nova:
    """A compute client with a token of ``user``'s (only) project."""
    from cloudlab.api.auth import issue_token
    from cloudlab.identity.models import Project

    token, _row = issue_token(user, Project.objects.for_user(user).get())
    return Nova(client or Client(), token, version)
