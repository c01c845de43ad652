"""The old single-object watch (``GET …/pods/demo?watch=true``) is the list's watch with a
``metadata.name`` field selector, as kube-apiserver serves it: only that object's events."""

from __future__ import annotations

import asyncio
import json

import pytest

from cloudlab.kubeapi.auth import issue_token
from tests.kube_fixtures import make_cluster, running_instances
from tests.test_kubeapi_core import POD, Api

pytestmark = pytest.mark.django_db(transaction=True)

NS = "/api/v1/namespaces/default"


async def _read(response):
    return b"".join([chunk async for chunk in response.streaming_content])


def test_the_single_object_watch_is_the_lists_by_name(alice, project_of, launch):
    lab = make_cluster(alice, project_of(alice), running_instances(launch, alice))
    api = Api(lab, issue_token(alice, project_of(alice)))
    api.json("POST", f"{NS}/pods", POD, status=201)
    api.json("POST", f"{NS}/pods", {**POD, "metadata": {"name": "other"}}, status=201)
    response = api("GET", f"{NS}/pods/demo?watch=true&timeoutSeconds=1")
    assert response.status_code == 200 and response.streaming
    events = [json.loads(line) for line in asyncio.run(_read(response)).splitlines() if line]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "demo")]
