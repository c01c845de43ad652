"""Project → API Access: the endpoints, the student's clouds.yaml and openrc for the project they
work in (with its id), the commands to try, and the API password form; in both languages, and
at the course's three screen widths."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
import yaml
from django.test import Client

from cloudlab.api import auth
from cloudlab.api.models import ApiPassword

PAGE = "/project/api_access/"
_addresses = itertools.count(1)


@pytest.fixture
def client() -> Client:
    n = next(_addresses)
    return Client(REMOTE_ADDR=f"10.18.{n // 250 % 250}.{n % 250}")


@pytest.fixture
def alice_client(client: Client, alice: Any) -> Client:
    client.force_login(alice)
    return client


def token_status(client: Client, username: str, password: str) -> int:
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {"name": username, "domain": {"name": "Default"}, "password": password}},
            },
            "scope": {"project": {"name": username, "domain": {"name": "Default"}}},
        }
    }
    return client.post("/identity/v3/auth/tokens", json.dumps(body), content_type="application/json").status_code


@pytest.mark.django_db
def test_the_page_lists_the_endpoints_and_the_projects_id(alice_client, alice, project_of):
    response = alice_client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 class="h3 mb-0 me-auto">API Access</h1>' in html
    for url in ("http://testserver/compute/v2.1", "http://testserver/image", "http://testserver/identity"):
        assert f'<code class="text-break">{url}</code>' in html
    assert auth.project_id(project_of(alice)) in html
    assert "openstack server create --flavor m1.tiny --image cirros --wait demo" in html
    assert "You have no API password" in html


@pytest.mark.django_db
def test_the_menu_links_to_it(alice_client):
    html = alice_client.get("/project/overview/").content.decode()
    assert f'href="{PAGE}">API Access</a>' in html


@pytest.mark.django_db
def test_it_needs_a_login(client, demo_cloud):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login/")


@pytest.mark.django_db
def test_clouds_yaml_is_for_the_current_project_by_id(alice_client, alice, project_of):
    response = alice_client.get("/project/api_access/clouds.yaml")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="clouds.yaml"'
    config = yaml.safe_load(response.content)
    cloud = config["clouds"]["cloudlab"]
    assert cloud["auth"] == {
        "auth_url": "http://testserver/identity",
        "username": "alice",
        "project_id": auth.project_id(project_of(alice)),
        "project_name": "alice",
        "user_domain_name": "Default",
        "project_domain_id": "default",
    }
    assert cloud["identity_api_version"] == 3
    assert cloud["region_name"] == "RegionOne"
    assert "password" not in cloud["auth"]


@pytest.mark.django_db
def test_openrc_exports_what_the_cli_reads_and_asks_for_the_password(alice_client, alice, project_of):
    response = alice_client.get("/project/api_access/openrc/")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="alice-openrc.sh"'
    text = response.content.decode()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "export OS_AUTH_URL=http://testserver/identity\n" in text
    assert f"export OS_PROJECT_ID={auth.project_id(project_of(alice))}\n" in text
    assert "export OS_USERNAME=alice\n" in text
    assert "export OS_IDENTITY_API_VERSION=3\n" in text
    assert "read -sr OS_PASSWORD_INPUT\n" in text


@pytest.mark.django_db
def test_the_downloads_follow_the_project_picker(alice_client, alice):
    from cloudlab.compute.models import Cloud
    from cloudlab.dashboard.current import SESSION_KEY
    from cloudlab.identity.models import Membership, Project

    twin = Project.objects.create(cloud=Cloud.objects.create(name="sandbox-2"), name="alice")
    Membership.objects.create(user=alice, project=twin)
    session = alice_client.session
    session[SESSION_KEY] = twin.pk
    session.save()
    config = yaml.safe_load(alice_client.get("/project/api_access/clouds.yaml").content)
    assert config["clouds"]["cloudlab"]["auth"]["project_id"] == auth.project_id(twin)


@pytest.mark.django_db
def test_setting_an_api_password_lets_it_authenticate_beside_the_login_password(alice_client, alice, client):
    response = alice_client.post(
        PAGE,
        {"current_password": "cloudlab-demo", "new_password": "my-api-secret", "new_password_again": "my-api-secret"},
    )
    assert response.status_code == 302
    stored = ApiPassword.objects.get(user=alice)
    assert "my-api-secret" not in stored.password  # a hash
    assert token_status(Client(REMOTE_ADDR="10.19.0.1"), "alice", "my-api-secret") == 201
    assert token_status(Client(REMOTE_ADDR="10.19.0.2"), "alice", "cloudlab-demo") == 201
    page = alice_client.get(PAGE).content.decode()
    assert "You have an API password" in page
    assert "my-api-secret" not in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"current_password": "wrong"}, "current_password", "That is not your login password."),
        ({"new_password_again": "something-else"}, "new_password_again", "The two API passwords differ."),
        ({"new_password": "short", "new_password_again": "short"}, "new_password", "too short"),
        ({"new_password": "x" * 200, "new_password_again": "x" * 200}, "new_password", "at most 128 characters"),
        ({"current_password": ""}, "current_password", "This field is required."),
    ],
)
def test_a_bad_api_password_form_says_what_is_wrong_and_sets_nothing(alice_client, alice, fields, field, says):
    data = {"current_password": "cloudlab-demo", "new_password": "my-api-secret", "new_password_again": "my-api-secret"}
    response = alice_client.post(PAGE, {**data, **fields})
    assert response.status_code == 400
    assert says in " ".join(response.context["form"].errors[field])
    assert says.replace("'", "&#x27;") in response.content.decode()
    assert not ApiPassword.objects.filter(user=alice).exists()


@pytest.mark.django_db
def test_removing_the_api_password(alice_client, alice):
    alice_client.post(
        PAGE,
        {"current_password": "cloudlab-demo", "new_password": "my-api-secret", "new_password_again": "my-api-secret"},
    )
    assert alice_client.post(PAGE, {"remove": "1"}).status_code == 302
    assert not ApiPassword.objects.filter(user=alice).exists()
    assert token_status(Client(REMOTE_ADDR="10.19.0.3"), "alice", "my-api-secret") == 401


@pytest.mark.django_db
def test_the_page_and_the_files_speak_chinese(alice_client):
    headers = {"Accept-Language": "zh-hans"}
    html = alice_client.get(PAGE, headers=headers).content.decode()
    assert "API 访问" in html
    assert "服务端点" in html
    assert "要尝试的命令" in html
    text = alice_client.get("/project/api_access/openrc/", headers=headers).content.decode()
    assert "请输入" in text
    assert "export OS_USERNAME=alice" in text


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_page_fits_at_the_courses_widths(browser, live_server_url, demo_cloud, locale):
    from tests.helpers import log_in

    context = browser.new_context(locale=locale)
    page = context.new_page()
    log_in(page, live_server_url, "alice")
    for width in (1024, 1366, 1920):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server_url}{PAGE}")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{overflow}px of horizontal scroll at {width}px in {locale}"
        commands = page.evaluate(
            "(() => { const pre = document.getElementById('api-commands');"
            " return pre.scrollWidth - pre.clientWidth; })()"
        )
        assert commands <= 0, f"the commands to try scroll sideways ({commands}px) at {width}px in {locale}"
        assert page.locator("#api-endpoints tbody tr").count() == 3
        assert page.locator("#download-openrc").is_visible()
    page.fill("#id_current_password", "cloudlab-demo")
    page.fill("#id_new_password", "browser-api-pw")
    page.fill("#id_new_password_again", "browser-api-pw")
    page.click("#api-password-submit")
    page.locator("#api-password-remove").wait_for()
    context.close()


@pytest.mark.django_db
def test_setting_the_api_password_revokes_the_users_tokens(alice_client, alice):
    from cloudlab.api.models import Token

    assert token_status(Client(REMOTE_ADDR="10.19.0.4"), "alice", "cloudlab-demo") == 201
    assert Token.objects.filter(user=alice).exists()
    alice_client.post(
        PAGE,
        {"current_password": "cloudlab-demo", "new_password": "my-api-secret", "new_password_again": "my-api-secret"},
    )
    assert not Token.objects.filter(user=alice).exists()


@pytest.mark.django_db
def test_guessing_the_login_password_in_the_form_is_throttled(alice_client, alice, settings):
    settings.CLOUDLAB_LOGIN_FAILURE_LIMIT = 2
    wrong = {"current_password": "guess", "new_password": "my-api-secret", "new_password_again": "my-api-secret"}
    for _ in range(2):
        alice_client.post(PAGE, wrong)
    right = {**wrong, "current_password": "cloudlab-demo"}
    response = alice_client.post(PAGE, right)
    assert response.status_code == 400
    assert "Too many failed sign-ins as alice" in " ".join(response.context["form"].errors["current_password"])
    assert not ApiPassword.objects.filter(user=alice).exists()


@pytest.mark.django_db
def test_a_guest_without_a_login_password_can_set_an_api_password(client, demo_cloud):
    from django.contrib.auth.models import User

    from cloudlab.identity.models import Membership, Project

    guest = User.objects.create(username="guest-7")
    guest.set_unusable_password()
    guest.save()
    project = Project.objects.create(cloud=demo_cloud, name="guest-7")
    Membership.objects.create(user=guest, project=project)
    client.force_login(guest)
    page = client.get(PAGE).content.decode()
    assert "You joined as a guest and have no login password" in page
    assert 'name="current_password"' not in page
    response = client.post(PAGE, {"new_password": "guest-api-pw", "new_password_again": "guest-api-pw"})
    assert response.status_code == 302
    assert token_status(Client(REMOTE_ADDR="10.19.0.5"), "guest-7", "guest-api-pw") == 201
