"""The real OpenStack clients against a running CloudLab: the test harness of the API tests.

Two halves, for a module-scoped and a function-scoped fixture (copy these into a test module;
its tests carry ``pytest.mark.django_db(transaction=True)``, which also makes pytest-django
create the test database)::

    pytestmark = pytest.mark.django_db(transaction=True)

    def test_something(lab):  # the fixtures below (tests/conftest.py loads this file as a plugin)
        ...

``serving_cloudlab`` (once per module):

1. forks Daphne on a free loopback port serving the test database (tests/helpers.py
   daphne_server, as the browser tests' live_server_url), before any thread starts;
2. starts a real Celery worker (threads, in this process, consuming from the real broker), so
   ``server create --wait`` really sees the build task take the instance to ACTIVE;
3. yields a ``CloudLabServer``: its URL and a private HOME for the CLI.

``api_cloud`` (once per test):

1. loads the demo cloud (fixtures/demo, pace 0 unless told otherwise: every step instant, but
   each still runs through the real build task) with its classroom (alice, bob, ivy; password
   ``DEMO_PASSWORD``), and adds the student ``cli`` (password ``CLI_PASSWORD``, project
   ``cli``);
2. yields an ``ApiCloud``: the URL, the projects' Keystone ids, and ``openstack`` as any of them;
3. afterwards waits until no instance is in a transitional state (the worker has finished what
   the test started) and checks the books balance (``manage.py audit``); the transactional
   test then flushes the database.

``run_openstack(*args, env=...)`` runs the real CLI, the ``openstack`` executable next to this
Python (``pip install -r requirements-dev.txt`` puts python-openstackclient 10.5.0 there), with
a private HOME (no clouds.yaml of the machine's can leak in) and no proxy for loopback. A test
module that needs the CLI calls ``needs_openstack_cli()`` first: it is skipped, saying why, when
the CLI is not installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest

DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "demo"
OPENSTACK = Path(sys.executable).parent / "openstack"
CLI_POLL = Path(__file__).resolve().parent / "cli_poll"
CLI_USER = "cli"
CLI_PASSWORD = "cli-student-password"  # a test persona's
DEMO_PASSWORD = "cloudlab-demo"  # fixtures/demo/classroom.yaml's
# Every OS_* variable the CLI reads from the environment that a test did not set is removed.
_OS_PREFIXES = ("OS_",)


def needs_openstack_cli() -> None:
    """Skip the calling module when python-openstackclient is not installed in this venv."""
    if not OPENSTACK.exists():
        pytest.skip(
            f"the openstack CLI is not installed at {OPENSTACK}: pip install -r requirements-dev.txt",
            allow_module_level=True,
        )


def cli_env(
    url: str,
    username: str,
    password: str,
    *,
    project_name: str | None = None,
    project_id: str | None = None,
    auth_path: str = "/identity",
    home: str | None = None,
) -> dict[str, str]:
    """The environment an openrc gives: OS_AUTH_URL and friends for ``username``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(_OS_PREFIXES)}
    for proxy in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        env.pop(proxy, None)
    env.update(
        {
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "OS_AUTH_URL": url + auth_path,
            "OS_USERNAME": username,
            "OS_PASSWORD": password,
            "OS_USER_DOMAIN_NAME": "Default",
            "OS_PROJECT_DOMAIN_NAME": "Default",
            "OS_IDENTITY_API_VERSION": "3",
            "OS_INTERFACE": "public",
            "OS_REGION_NAME": "RegionOne",
            "PYTHONWARNINGS": "ignore",
            # --wait polls every 0.1 s instead of 5 (cli_poll/sitecustomize.py says why)
            "PYTHONPATH": str(CLI_POLL),
        }
    )
    if project_id is not None:
        env["OS_PROJECT_ID"] = project_id
    if project_name is not None:
        env["OS_PROJECT_NAME"] = project_name
    if home is not None:
        env["HOME"] = home
    return env


def run_openstack(*args: str, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """``openstack *args`` as a student runs it; never raises on a non-zero exit."""
    return subprocess.run(
        [str(OPENSTACK), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=env.get("HOME") or None,
    )


def openstack_json(*args: str, env: dict[str, str], timeout: float = 180) -> Any:
    """``openstack *args -f json``, which must succeed; its output parsed."""
    result = run_openstack(*args, "-f", "json", env=env, timeout=timeout)
    assert result.returncode == 0, f"openstack {' '.join(args)} failed ({result.returncode}):\n{result.stderr}"
    return json.loads(result.stdout)


@dataclass(frozen=True)
class CloudLabServer:
    url: str
    home: str


@dataclass
class ApiCloud:
    """A running CloudLab with the demo cloud loaded, that the tests drive with the real clients."""

    url: str
    cloud_id: int
    home: str
    projects: dict[str, str] = field(default_factory=dict)  # project name → Keystone id

    def env(self, username: str = CLI_USER, password: str | None = None, **overrides: Any) -> dict[str, str]:
        """The environment of ``username`` (by default scoped to the project of the same name;
        ivy's is ``teaching``)."""
        if password is None:
            password = CLI_PASSWORD if username == CLI_USER else DEMO_PASSWORD
        if "project_id" not in overrides and "project_name" not in overrides:
            overrides["project_name"] = {"ivy": "teaching"}.get(username, username)
        return cli_env(self.url, username, password, home=self.home, **overrides)

    def openstack(self, *args: str, username: str = CLI_USER, **env: Any) -> subprocess.CompletedProcess[str]:
        return run_openstack(*args, env=self.env(username, **env))

    def openstack_json(self, *args: str, username: str = CLI_USER, **env: Any) -> Any:
        return openstack_json(*args, env=self.env(username, **env))


@contextmanager
def serving_cloudlab(django_db_blocker: Any) -> Iterator[CloudLabServer]:
    """Daphne on loopback and a real worker, for a module (steps in the module's docstring)."""
    from celery.contrib.testing.worker import start_worker
    from channels.testing.live import make_application
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    from cloudlab.celery import app
    from tests.helpers import daphne_server

    with (
        django_db_blocker.unblock(),
        tempfile.TemporaryDirectory(prefix="cloudlab-cli-home-") as home,
        daphne_server(partial(make_application, static_wrapper=ASGIStaticFilesHandler)) as url,
        start_worker(app, pool="threads", concurrency=4, perform_ping_check=False, shutdown_timeout=10),
    ):
        yield CloudLabServer(url=url, home=home)


def _settled() -> bool:
    from cloudlab.compute.models import Instance

    return not Instance.objects.filter(task_state__isnull=False).exists()


@contextmanager
def api_cloud(server: CloudLabServer, *, pace: float = 0.0, settle_timeout: float = 30.0) -> Iterator[ApiCloud]:
    """The demo cloud and its people, for one test (steps in the module's docstring)."""
    from cloudlab.api.auth import project_id
    from cloudlab.compute.audit import audit
    from cloudlab.compute.scenarios import create_cloud, enrol, load_yaml, parse_classroom
    from cloudlab.engine.scheduler import load_scenario_file
    from cloudlab.identity.models import Project
    from tests.helpers import wait_for

    cloud = create_cloud(load_scenario_file(DEMO / "cloud.yaml"), pace=pace)
    people = load_yaml(DEMO / "classroom.yaml")
    people["people"].append({"username": CLI_USER, "password": CLI_PASSWORD, "role": "student", "projects": [CLI_USER]})
    enrol(cloud, parse_classroom(people))
    projects = {project.name: project_id(project) for project in Project.objects.filter(cloud=cloud)}
    yield ApiCloud(url=server.url, cloud_id=cloud.pk, home=server.home, projects=projects)
    wait_for(_settled, timeout=settle_timeout, interval=0.2)
    problems = audit()
    assert not problems, "the books do not balance: " + "; ".join(map(str, problems))


@pytest.fixture(scope="module")
def cli_server(django_db_setup: None, django_db_blocker: Any) -> Iterator[CloudLabServer]:
    """CloudLab on loopback, once per test module that asks for it (``serving_cloudlab``)."""
    with serving_cloudlab(django_db_blocker) as running:
        yield running


@pytest.fixture
def lab(cli_server: CloudLabServer, transactional_db: None) -> Iterator[ApiCloud]:
    """The demo cloud and the student ``cli`` for one test, settled and audited after it."""
    with api_cloud(cli_server) as cloud:
        yield cloud
