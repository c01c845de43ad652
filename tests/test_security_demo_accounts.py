"""The demo accounts share a public password, so ``load_demo`` creates them in demo mode only
(``DEBUG=1``), never with ``DEBUG=0`` unless asked for (``--with-demo-accounts`` or
``CLOUDLAB_DEMO_ACCOUNTS=1``), and says so when it skips them."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings

from cloudlab.compute.models import Cloud

pytestmark = pytest.mark.django_db

DEMO_USERS = ["alice", "bob", "ivy"]


def load_demo(**options: object) -> str:
    out = StringIO()
    call_command("load_demo", pace=0, stdout=out, **options)
    return out.getvalue()


def users() -> list[str]:
    return sorted(get_user_model().objects.filter(username__in=DEMO_USERS).values_list("username", flat=True))


@override_settings(DEBUG=False, CLOUDLAB_DEMO_ACCOUNTS=False)
def test_production_loads_the_demo_cloud_without_its_accounts_and_says_so():
    output = load_demo()
    assert Cloud.objects.filter(name="demo").exists()
    assert users() == []
    assert "demo accounts skipped (DEBUG=0)" in output
    assert "--with-demo-accounts" in output


@override_settings(DEBUG=False, CLOUDLAB_DEMO_ACCOUNTS=False)
def test_production_creates_them_when_asked_even_on_a_cloud_loaded_without_them():
    load_demo()
    output = load_demo(with_demo_accounts=True)
    assert users() == ["alice", "bob", "ivy"]
    assert get_user_model().objects.get(username="alice").check_password("cloudlab-demo")
    ivy = get_user_model().objects.get(username="ivy")
    assert ivy.memberships.get().role == "instructor"
    assert "demo accounts (public password, for a demo only)" in output


@override_settings(DEBUG=True, CLOUDLAB_DEMO_ACCOUNTS=True)
def test_demo_mode_creates_them():
    load_demo()
    assert users() == ["alice", "bob", "ivy"]


@override_settings(DEBUG=False, CLOUDLAB_DEMO_ACCOUNTS=False)
def test_production_names_a_demo_account_left_with_the_public_password():
    load_demo(with_demo_accounts=True)
    bob = get_user_model().objects.get(username="bob")
    bob.set_password("a-real-password-for-bob")
    bob.save()
    output = load_demo()
    assert "warning: user 'alice' still has the public demo password" in output
    assert "warning: user 'ivy' still has the public demo password" in output
    assert "'bob'" not in output


def _demo_accounts_setting(**environ: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "CLOUDLAB_DEMO_ACCOUNTS"}}
    env.update(environ)
    result = subprocess.run(
        [sys.executable, "-c", "from cloudlab import settings; print(settings.CLOUDLAB_DEMO_ACCOUNTS)"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_environment_decides_with_debug_as_the_default():
    production = {"DEBUG": "0", "SECRET_KEY": "s" * 50}
    assert _demo_accounts_setting() == "True"  # DEBUG=1, the embedded demo
    assert _demo_accounts_setting(**production) == "False"
    assert _demo_accounts_setting(**production, CLOUDLAB_DEMO_ACCOUNTS="1") == "True"
    assert _demo_accounts_setting(CLOUDLAB_DEMO_ACCOUNTS="0") == "False"
