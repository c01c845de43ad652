"""Keystone v3 over HTTP: version documents without a token, password tokens scoped to a
project, validation and revocation, expiry, and every refusal in Keystone's error shape."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from cloudlab.api import auth
from cloudlab.api.models import Token

TOKENS = "/identity/v3/auth/tokens"
DEMO_PASSWORD = "cloudlab-demo"
pytestmark = pytest.mark.django_db
_addresses = itertools.count(1)


@pytest.fixture
def client() -> Client:
    """A client from an address of its own: the sign-in throttle's counters live in Redis,
    shared by the whole run."""
    n = next(_addresses)
    return Client(REMOTE_ADDR=f"10.16.{n // 250 % 250}.{n % 250}")


def password_body(username: str, password: str = DEMO_PASSWORD, **scope: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {"name": username, "domain": {"name": "Default"}, "password": password}},
            }
        }
    }
    if scope:
        body["auth"]["scope"] = {"project": {**scope}}
    return body


def post(client: Client, body: Any, **headers: str) -> Any:
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(TOKENS, data, content_type="application/json", headers=headers)


def token_for(client: Client, username: str = "alice", project: str = "alice") -> str:
    response = post(client, password_body(username, name=project, domain={"name": "Default"}))
    assert response.status_code == 201, response.content
    return str(response.headers["X-Subject-Token"])


def keystone_error(response: Any, status: int) -> str:
    assert response.status_code == status, response.content
    assert response.headers["x-openstack-request-id"].startswith("req-")
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == status
    return str(body["error"]["message"])


def test_version_documents_need_no_token(client, demo_cloud):
    root = client.get("/identity")
    assert root.status_code == 300
    assert root.json()["versions"]["values"][0]["id"] == "v3.14"
    v3 = client.get("/identity/v3")
    assert v3.status_code == 200
    assert v3.json()["version"]["links"][0]["href"] == "http://testserver/identity/v3/"
    assert v3.headers["x-openstack-request-id"].startswith("req-")


def test_a_password_token_is_scoped_to_the_named_project(client, alice, project_of):
    response = post(client, password_body("alice", name="alice", domain={"name": "Default"}))
    assert response.status_code == 201
    token = response.json()["token"]
    assert token["project"] == {"id": auth.project_id(project_of(alice)), "name": "alice", "domain": auth_domain()}
    assert token["user"]["id"] == auth.user_id(alice)
    assert [role["name"] for role in token["roles"]] == ["member", "reader"]
    assert {entry["type"] for entry in token["catalog"]} == {"identity", "compute", "image"}
    compute = next(entry for entry in token["catalog"] if entry["type"] == "compute")
    assert {e["interface"] for e in compute["endpoints"]} == {"public", "internal", "admin"}
    assert {e["url"] for e in compute["endpoints"]} == {"http://testserver/compute/v2.1"}
    value = response.headers["X-Subject-Token"]
    assert Token.objects.filter(digest=auth.token_digest(value)).exists()
    assert not Token.objects.filter(digest=value).exists()  # never stored in clear


def test_the_instructor_holds_admin(client, ivy):
    response = post(client, password_body("ivy", name="teaching"))
    assert [role["name"] for role in response.json()["token"]["roles"]] == ["admin", "member", "reader"]


def test_a_wrong_password_is_keystones_401_and_says_nothing_more(client, alice):
    message = keystone_error(post(client, password_body("alice", "wrong", name="alice")), 401)
    assert message == "The request you have made requires authentication."
    nobody = keystone_error(post(client, password_body("nobody", "wrong", name="alice")), 401)
    assert nobody == message


def test_a_401_names_the_identity_endpoint(client, demo_cloud):
    response = client.get("/image/v2/images")
    keystone_error(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Keystone uri="http://testserver/identity"'


def test_a_project_of_someone_else_is_not_found(client, alice, bob, project_of):
    assert keystone_error(post(client, password_body("alice", name="bob")), 401) == "Could not find project: bob."
    by_id = auth.project_id(project_of(bob))
    assert keystone_error(post(client, password_body("alice", id=by_id)), 401) == f"Could not find project: {by_id}."


def test_the_project_id_picks_one_of_two_projects_with_the_same_name(client, alice, project_of):
    from cloudlab.compute.models import Cloud
    from cloudlab.identity.models import Membership, Project

    other_cloud = Cloud.objects.create(name="sandbox-1")
    twin = Project.objects.create(cloud=other_cloud, name="alice")
    Membership.objects.create(user=alice, project=twin)
    message = keystone_error(post(client, password_body("alice", name="alice")), 401)
    assert "matches 2 of your projects (in the clouds demo, sandbox-1)" in message
    assert "use the project id" in message
    response = post(client, password_body("alice", id=auth.project_id(twin)))
    assert response.status_code == 201
    assert response.json()["token"]["project"]["id"] == auth.project_id(twin)


def test_no_scope_means_the_users_only_project(client, alice, project_of):
    response = post(client, password_body("alice"))
    assert response.status_code == 201
    assert response.json()["token"]["project"]["id"] == auth.project_id(project_of(alice))


def test_another_domain_is_not_found(client, alice):
    body = password_body("alice", name="alice", domain={"name": "Other"})
    assert keystone_error(post(client, body), 401) == "Could not find domain: Other."


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("{not json", "not valid JSON"),
        ([], "'body'"),
        ({"auth": {"identity": {"methods": "password"}}}, "auth.identity.methods"),
        ({"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": 3, "password": "x"}}}}}, "name"),
        ({"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "alice"}}}}}, "password"),
        ({"auth": {"identity": {"methods": ["password"], "password": {"user": {"password": "x"}}}}}, "'name' or 'id'"),
        (password_body("alice", name=["alice"]), "auth.scope.project.name"),
        (password_body("a" * 300, name="alice"), "longer than 255"),
    ],
)
def test_a_malformed_request_is_a_400_naming_the_field(client, demo_cloud, body, says):
    assert says in keystone_error(post(client, body), 400)


def test_an_unsupported_method_is_refused(client, demo_cloud):
    body = {"auth": {"identity": {"methods": ["totp"], "totp": {}}}}
    assert "unsupported method ('totp')" in keystone_error(post(client, body), 401)


def test_a_huge_body_is_413(client, demo_cloud):
    huge = json.dumps(password_body("alice", "x" * 200000, name="alice"))
    assert keystone_error(post(client, huge), 413) == "Request is too large."
    assert not Token.objects.exists()


def test_validation_returns_the_subject_token_and_revocation_ends_it(client, alice):
    token = token_for(client)
    shown = client.get(TOKENS, headers={"X-Auth-Token": token, "X-Subject-Token": token})
    assert shown.status_code == 200
    assert shown.headers["X-Subject-Token"] == token
    assert shown.json()["token"]["project"]["name"] == "alice"
    assert client.delete(TOKENS, headers={"X-Auth-Token": token, "X-Subject-Token": token}).status_code == 204
    keystone_error(client.get("/image/v2/images", headers={"X-Auth-Token": token}), 401)


def test_a_student_cannot_validate_someone_elses_token(client, alice, bob):
    alices, bobs = token_for(client), token_for(client, "bob", "bob")
    message = keystone_error(client.get(TOKENS, headers={"X-Auth-Token": alices, "X-Subject-Token": bobs}), 404)
    assert "Could not find token" in message


def test_an_expired_token_is_refused_everywhere(client, alice):
    token = token_for(client)
    Token.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    keystone_error(client.get("/image/v2/images", headers={"X-Auth-Token": token}), 401)
    keystone_error(client.get("/identity/v3/auth/catalog", headers={"X-Auth-Token": token}), 401)
    rescope = {"auth": {"identity": {"methods": ["token"], "token": {"id": token}}}}
    assert "Could not find token" in keystone_error(post(client, rescope), 404)


def test_tokens_last_the_configured_lifetime(client, alice, settings):
    settings.CLOUDLAB_API_TOKEN_EXPIRATION = 120
    token = token_for(client)
    row = Token.objects.get(digest=auth.token_digest(token))
    assert row.expires_at - row.issued_at == timedelta(seconds=120)


def test_a_token_rescoped_by_the_token_method_keeps_its_expiry(client, alice, project_of):
    token = token_for(client)
    parent = Token.objects.get(digest=auth.token_digest(token))
    body = {
        "auth": {
            "identity": {"methods": ["token"], "token": {"id": token}},
            "scope": {"project": {"id": auth.project_id(project_of(alice))}},
        }
    }
    response = post(client, body)
    assert response.status_code == 201
    assert response.json()["token"]["methods"] == ["token"]
    child = Token.objects.get(digest=auth.token_digest(response.headers["X-Subject-Token"]))
    assert child.expires_at == parent.expires_at


def test_a_token_stops_working_when_the_membership_is_gone(client, alice):
    from cloudlab.identity.models import Membership

    token = token_for(client)
    Membership.objects.filter(user=alice).delete()
    keystone_error(client.get("/image/v2/images", headers={"X-Auth-Token": token}), 401)


def test_the_session_cookie_is_not_a_token(client, alice):
    client.force_login(alice)
    keystone_error(client.get("/image/v2/images"), 401)


def test_the_login_password_throttle_counts_api_failures_too(client, alice, settings):
    settings.CLOUDLAB_LOGIN_FAILURE_LIMIT = 2
    for _ in range(2):
        keystone_error(post(client, password_body("alice", "wrong", name="alice")), 401)
    locked = keystone_error(post(client, password_body("alice", name="alice")), 401)
    assert "Too many failed sign-ins as alice" in locked


def test_an_unknown_identity_path_is_keystones_404(client, demo_cloud):
    assert keystone_error(client.get("/identity/v3/users"), 404) == "The resource could not be found."


def test_the_auth_catalog_and_projects_of_a_token(client, alice, project_of):
    token = token_for(client)
    catalog = client.get("/identity/v3/auth/catalog", headers={"X-Auth-Token": token}).json()["catalog"]
    assert {entry["type"] for entry in catalog} == {"identity", "compute", "image"}
    projects = client.get("/identity/v3/auth/projects", headers={"X-Auth-Token": token}).json()["projects"]
    assert [project["id"] for project in projects] == [auth.project_id(project_of(alice))]


def auth_domain() -> dict[str, str]:
    return {"id": "default", "name": "Default"}


def test_a_deeply_nested_body_is_a_400_not_a_crash(client, demo_cloud):
    assert "nested too deeply" in keystone_error(post(client, "[" * 100000), 400)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
_field_names = st.sampled_from(
    ["auth", "identity", "methods", "password", "user", "name", "id", "domain", "scope", "project", "token"]
)
_shaped = st.recursive(
    st.none() | st.text(max_size=10) | st.integers() | st.just(["password"]) | st.just("Default"),
    lambda children: st.dictionaries(_field_names, children, max_size=4) | st.lists(children, max_size=3),
    max_leaves=25,
)


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(_json, _shaped, st.builds(lambda inner: {"auth": inner}, _shaped)))
def test_no_token_request_body_is_a_server_error(client, demo_cloud, body):
    response = post(client, body)
    assert response.status_code < 500, response.content
    assert response.status_code in (201, 400, 401, 404, 413)
    if response.status_code != 201:
        assert set(response.json()) == {"error"}
