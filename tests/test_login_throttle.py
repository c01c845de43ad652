"""Repeated failed logins are throttled per user name from one address and, more loosely, per
address (cloudlab/identity/login_throttle.py): the page says until when, in the reader's language,
and a classroom behind one NAT address is not locked out by one student."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.utils import timezone

from cloudlab.identity import login_throttle

pytestmark = pytest.mark.django_db

LOGIN = "/auth/login/"
_addresses = itertools.count(1)


@pytest.fixture
def address() -> str:
    """An address of its own for each test: the counters live in Redis, shared by the run."""
    n = next(_addresses)
    return f"10.{n // 250 % 250}.{n % 250}.{(id(object()) >> 4) % 250}"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The throttle's clock, moved by hand: ``clock[0] += 901`` is the cool-off passing."""
    now = [datetime(2025, 3, 3, 6, 0, tzinfo=UTC).timestamp()]
    monkeypatch.setattr(login_throttle, "now", lambda: now[0])
    return now


def sign_in(address: str, username: str, password: str, **headers: str):  # -> HttpResponse
    client = Client(REMOTE_ADDR=address, **headers)
    return client.post(LOGIN, {"username": username, "password": password})


def logged_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.client.session


def error_text(response) -> str:
    match = re.search(r'<div class="alert alert-danger"[^>]*>(.*?)</div>', response.content.decode(), re.S)
    return match.group(1).strip() if match else ""


def test_five_wrong_passwords_lock_that_user_from_that_address_and_say_until_when(alice, address, clock):
    for _ in range(4):
        response = sign_in(address, "alice", "wrong")
        assert response.status_code == 200
        assert "correct" in error_text(response)  # Django's "Please enter a correct …"
    fifth = sign_in(address, "alice", "wrong")
    assert fifth.status_code == 429
    assert fifth.headers["Retry-After"] == "900"
    # 06:00 UTC + 15 minutes, in the course's time zone (Asia/Shanghai): 14:15.
    assert error_text(fifth) == (
        "Too many failed sign-ins as alice from this address. Try again after 14:15 (in 15 minutes)."
    )
    assert "data-locked" in fifth.content.decode()
    # Now even the right password is refused, with the same words and a shorter wait.
    clock[0] += 5 * 60
    right = sign_in(address, "alice", "cloudlab-demo")
    assert not logged_in(right)
    assert right.status_code == 429
    assert right.headers["Retry-After"] == "600"
    assert "Try again after 14:15 (in 10 minutes)." in error_text(right)


def test_the_lock_binds_only_that_user_from_that_address(alice, bob, address, clock):
    for _ in range(5):
        sign_in(address, "alice", "wrong")
    assert sign_in(address, "alice", "cloudlab-demo").status_code == 429
    # bob, behind the same classroom address, signs in; alice from home does too.
    assert logged_in(sign_in(address, "bob", "cloudlab-demo"))
    assert logged_in(sign_in(address + "9", "alice", "cloudlab-demo"))


@override_settings(CLOUDLAB_LOGIN_ADDRESS_FAILURE_LIMIT=6)
def test_many_user_names_from_one_address_lock_the_address(bob, address, clock):
    # Spraying one password over the class list: 6 names, one try each, none reaches 5 alone.
    for name in ["ann", "ben", "cai", "dan", "eva"]:
        assert sign_in(address, name, "123456").status_code == 200
    sixth = sign_in(address, "fay", "123456")
    assert sixth.status_code == 429
    assert error_text(sixth) == (
        "Too many failed sign-ins from this network address. Try again after 14:15 (in 15 minutes)."
    )
    refused = sign_in(address, "bob", "cloudlab-demo")
    assert not logged_in(refused)
    assert "from this network address" in error_text(refused)
    assert logged_in(sign_in(address + "9", "bob", "cloudlab-demo"))  # another address is untouched


def test_a_success_clears_the_count_of_that_user(alice, address, clock):
    for _ in range(4):
        sign_in(address, "alice", "wrong")
    assert logged_in(sign_in(address, "alice", "cloudlab-demo"))
    for _ in range(4):
        assert sign_in(address, "alice", "wrong").status_code == 200
    assert logged_in(sign_in(address, "alice", "cloudlab-demo"))


def test_after_the_cool_off_the_user_signs_in_and_has_the_full_allowance_again(alice, address, clock):
    for _ in range(5):
        sign_in(address, "alice", "wrong")
    clock[0] += 899
    assert sign_in(address, "alice", "cloudlab-demo").status_code == 429
    clock[0] += 2
    for _ in range(4):
        assert sign_in(address, "alice", "wrong").status_code == 200
    assert logged_in(sign_in(address, "alice", "cloudlab-demo"))


@override_settings(CLOUDLAB_LOGIN_FAILURE_LIMIT=2, CLOUDLAB_LOGIN_LOCKOUT=60)
def test_the_limits_come_from_settings(alice, address, clock):
    sign_in(address, "alice", "wrong")
    locked = sign_in(address, "alice", "wrong")
    assert locked.status_code == 429
    assert locked.headers["Retry-After"] == "60"
    assert "(in 1 minute)." in error_text(locked)


def test_the_lockout_is_said_in_chinese(alice, address, clock):
    for _ in range(5):
        response = sign_in(address, "alice", "wrong", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response.status_code == 429
    assert error_text(response) == "以 alice 身份从此地址登录失败的次数过多。请在 14:15 之后再试（15 分钟后）。"


def test_a_user_name_in_another_case_counts_as_the_same_user(alice, address, clock):
    for name in ["alice", "Alice", "ALICE", "alicE", "aLice"]:
        sign_in(address, name, "wrong")
    assert sign_in(address, "alice", "cloudlab-demo").status_code == 429


def test_the_admin_login_is_throttled_too(ivy, address, clock):
    get_user_model().objects.filter(username="ivy").update(is_staff=True)
    client = Client(REMOTE_ADDR=address)
    for _ in range(5):
        response = client.post("/django-admin/login/", {"username": "ivy", "password": "wrong"})
        assert response.status_code == 200
    client.post("/django-admin/login/", {"username": "ivy", "password": "cloudlab-demo"})
    assert "_auth_user_id" not in client.session
    # … and the same lock shows on CloudLab's own login page.
    assert sign_in(address, "ivy", "cloudlab-demo").status_code == 429


def test_the_time_shown_is_the_course_clock(alice, address, clock):
    for _ in range(5):
        response = sign_in(address, "alice", "wrong")
    until = timezone.localtime(datetime.fromtimestamp(clock[0] + 900, tz=UTC))
    assert f"after {until:%H:%M} " in error_text(response)
