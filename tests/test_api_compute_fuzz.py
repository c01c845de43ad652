"""Fuzzed compute API requests (Hypothesis): request bodies of create, the server actions and
rename, and the query strings of the lists, built from JSON values around the valid ones. Never
a 5xx; every refusal is in Nova's error shape with a message; a refused create makes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api_compute_client import CIRROS, COURSE_WEB, nova_for

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
NASTY: list[Any] = [
    None, True, False, 0, -1, 1, 2**63, 1.5, float("inf"), "", " ", "1", "auto", "none", "SOFT", "HARD",
    "a" * 300, "\x00", "\x1b[2J", "web\u202e", "١", CIRROS, COURSE_WEB, "m1.tiny", "nova", "nova:compute-kvm1",
    [], {}, [None], {"uuid": CIRROS}, [{"uuid": "x"}], [{"port": "p"}],
]  # fmt: skip
JSON = st.recursive(
    st.one_of(st.sampled_from(NASTY), st.text(max_size=20), st.integers(), st.floats(allow_nan=False)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=12), inner, max_size=3)),
    max_leaves=8,
)
SERVER_KEYS = ["name", "imageRef", "flavorRef", "networks", "min_count", "max_count", "availability_zone",
               "block_device_mapping_v2", "metadata", "key_name", "description", "security_groups", "config_drive",
               "return_reservation_id", "adminPass", "hostname", "host", "unknown"]  # fmt: skip
ACTION_KEYS = ["os-start", "os-stop", "reboot", "pause", "unpause", "suspend", "resume", "shelve", "unshelve",
               "shelveOffload", "resize", "confirmResize", "revertResize", "migrate", "os-migrateLive", "rebuild",
               "rescue", "unrescue", "lock", "unlock", "createImage", "fly"]  # fmt: skip
VERSIONS = st.sampled_from([None, "2.1", "2.36", "2.37", "2.47", "2.75", "2.100", "latest"])


def _server_bodies() -> st.SearchStrategy[Any]:
    server = st.fixed_dictionaries(
        {"name": st.one_of(st.just("fuzz"), JSON), "imageRef": st.one_of(st.just(CIRROS), JSON)},
        optional={key: JSON for key in SERVER_KEYS if key not in ("name", "imageRef")}
        | {"flavorRef": st.one_of(st.just("1"), JSON)},
    )
    hints = st.dictionaries(st.sampled_from(["same_host", "different_host", "group", "other"]), JSON, max_size=2)
    body = st.fixed_dictionaries({"server": server}, optional={"OS-SCH-HNT:scheduler_hints": st.one_of(hints, JSON)})
    return st.one_of(body, JSON)


def _nova_fault(response: Any) -> None:
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        body = response.json()
        assert len(body) == 1, body
        fault = next(iter(body.values()))
        assert fault["code"] == response.status_code and isinstance(fault["message"], str) and fault["message"]


@FUZZ
@given(body=_server_bodies(), version=VERSIONS)
def test_fuzzed_creates_never_fail_with_a_5xx_and_a_refusal_makes_nothing(alice, client, body, version):
    from cloudlab.compute.models import Instance

    nova = nova_for(alice, client, version=version)
    before = Instance.objects.count()
    response = nova.post("servers", body, version)
    _nova_fault(response)
    if response.status_code != 202:
        assert Instance.objects.count() == before


@FUZZ
@given(key=st.sampled_from(ACTION_KEYS), value=JSON, extra=st.booleans(), version=VERSIONS)
def test_fuzzed_server_actions_never_fail_with_a_5xx(ivy, client, key, value, extra, version):
    nova = nova_for(ivy, client, version=version)
    body: dict[str, Any] = {key: value}
    if extra:
        body["os-start"] = None
    _nova_fault(nova.post(f"servers/{COURSE_WEB}/action", body, version))


@FUZZ
@given(
    body=st.one_of(
        st.fixed_dictionaries(
            {"server": st.dictionaries(st.sampled_from(["name", "description", "hostname", "x"]), JSON)}
        ),
        JSON,
    )
)
def test_fuzzed_renames_never_fail_with_a_5xx(ivy, client, body):
    nova = nova_for(ivy, client)
    _nova_fault(nova.put(f"servers/{COURSE_WEB}", body))


QUERY_KEYS = ["name", "status", "limit", "marker", "flavor", "image", "changes-since", "ip", "all_tenants", "host",
              "minRam", "minDisk", "is_public", "with_servers", "hypervisor_hostname_pattern", "binary"]  # fmt: skip
PATHS = ["servers", "servers/detail", "flavors", "flavors/detail", "os-hypervisors/detail", "os-services",
         f"servers/{COURSE_WEB}/os-instance-actions", "limits"]  # fmt: skip


@FUZZ
@given(
    path=st.sampled_from(PATHS),
    query=st.dictionaries(
        st.sampled_from(QUERY_KEYS),
        st.one_of(
            st.sampled_from(
                [
                    "",
                    "1",
                    "-1",
                    "(",
                    "x" * 300,
                    "None",
                    COURSE_WEB,
                    "2026-13-45T00:00:00",
                    "2026-01-01T00:00:00+99:00",
                    "²",
                    "99999999999",
                ]
            ),
            st.text(max_size=20),
        ),
        max_size=3,
    ),
)
def test_fuzzed_list_queries_never_fail_with_a_5xx(ivy, client, path, query):
    nova = nova_for(ivy, client)
    clean = {k: v.replace("\x00", "") for k, v in query.items()}
    response = client.get("/compute/v2.1/" + path, clean, **nova.headers())
    _nova_fault(response)


def test_a_body_that_is_not_utf8_or_nests_too_deep_is_a_400(alice, client):
    nova = nova_for(alice, client)
    assert nova.post("servers", None, raw=b"\xff\xfe{").status_code == 400
    deep = "[" * 100_000 + "]" * 100_000
    assert nova.post("servers", None, raw=deep).status_code in (400, 413)
    assert nova.post("servers", None, raw=json.dumps({"server": [[[[[]]]]]})).status_code == 400
