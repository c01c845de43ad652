"""An openstacksdk 4.22 script, as a student writes one, creates a server on CloudLab and waits
for it, lists, stops it twice (the second is Nova's 409, ``ConflictException``), and deletes it;
without ``networks=`` the SDK's request is Nova's 400 at 2.37+ (reference §7 pitfall 10)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.api_cli import CLI_PASSWORD, CLI_USER

pytest.importorskip("openstack", reason="openstacksdk is not installed: pip install -r requirements-dev.txt")

pytestmark = pytest.mark.django_db(transaction=True)

SCRIPT = """
import json, sys
import openstack
from openstack import exceptions

conn = openstack.connect(
    auth_url=sys.argv[1], username=sys.argv[2], password=sys.argv[3], project_name=sys.argv[2],
    user_domain_name="Default", project_domain_name="Default", region_name="RegionOne",
)
out = {}
image = conn.image.find_image("cirros")
out["proxied_image"] = conn.compute.find_image("cirros").id  # Nova's image proxy, below 2.36
flavor = conn.compute.find_flavor("m1.tiny")
try:
    conn.compute.create_server(name="no-networks", image_id=image.id, flavor_id=flavor.id)
except exceptions.BadRequestException as error:
    out["no_networks"] = str(error)
server = conn.compute.create_server(name="sdk", image_id=image.id, flavor_id=flavor.id, networks="auto")
server = conn.compute.wait_for_server(server, interval=1, wait=60)
out["status"] = server.status
out["listed"] = [s.name for s in conn.compute.servers()]
conn.compute.stop_server(server)
conn.compute.wait_for_server(server, status="SHUTOFF", interval=1, wait=60)
try:
    conn.compute.stop_server(server)
except exceptions.ConflictException as error:
    out["conflict"] = str(error)
conn.compute.delete_server(server)
conn.compute.wait_for_delete(server, interval=1, wait=60)
out["after_delete"] = conn.compute.find_server("sdk")
print(json.dumps(out))
"""



def test_an_sdk_script_creates_waits_for_stops_and_deletes_a_server(lab):
    env = lab.env()
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, lab.url + "/identity", CLI_USER, CLI_PASSWORD],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert "'networks' is a required property" in out["no_networks"]
    assert out["status"] == "ACTIVE"
    assert out["proxied_image"] == "0b7f5c3e-8d6a-4c1f-9e2b-3a4d5e6f7a01"
    assert out["listed"] == ["sdk"]
    assert "Cannot 'stop' instance" in out["conflict"] and "while it is in vm_state stopped" in out["conflict"]
    assert out["after_delete"] is None

    from cloudlab.compute.models import Instance

    # Nothing was half-made by the refused request; the server went through the real pipeline.
    assert not Instance.objects.filter(name="no-networks").exists()
    assert Instance.objects.get(name="sdk").vm_state == "deleted"
