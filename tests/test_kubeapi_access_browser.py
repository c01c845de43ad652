"""The kubectl tab in Chromium, in English and Chinese at 1024, 1366 and 1920 px: nothing wider
than the window, the tab marked, the kubeconfig downloaded from the button (a kubeconfig with a
token the API takes), a new token shown once, and the live feed showing a change written to the
cluster with no reload and no console error.

Daphne here is the tests' own (``live_server_url``'s, with a data directory for the
certificates). ``CLOUDLAB_SHOTS`` (a directory) keeps a screenshot of each run;
``CLOUDLAB_EXTRA_LOCALE`` (a folder of ``<lang>/LC_MESSAGES/django.mo``) adds a catalogue not
merged yet, to look at its Chinese page."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings

from cloudlab.kube import clusters
from tests.helpers import daphne_server, log_in
from tests.kube_fixtures import advance, deployment, make_cluster, running_instances

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("CLOUDLAB_SHOTS")
TITLES = {"en-US": ("Your kubeconfig", "Commands to try"), "zh-CN": ("kubeconfig", "要尝试的命令")}


@pytest.fixture(scope="module")
def server_url(django_db_setup: None, django_db_blocker: Any, tmp_path_factory) -> Iterator[str]:
    from channels.testing.live import make_application
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    data = tmp_path_factory.mktemp("data")
    extra = [Path(os.environ["CLOUDLAB_EXTRA_LOCALE"])] if os.environ.get("CLOUDLAB_EXTRA_LOCALE") else []
    os.environ["CLOUDLAB_DATA_DIR"] = str(data)  # the child's certificates; it inherits the environment
    try:
        with (
            override_settings(LOCALE_PATHS=[*extra, *settings.LOCALE_PATHS]),
            django_db_blocker.unblock(),
            daphne_server(partial(make_application, static_wrapper=ASGIStaticFilesHandler)) as url,
        ):
            yield url
    finally:
        os.environ.pop("CLOUDLAB_DATA_DIR", None)


def _in_a_thread(call: Any, *args: Any, **kwargs: Any) -> Any:
    """Outside the test's thread (Playwright's event loop runs there; events go after commit)."""

    def run() -> Any:
        try:
            return call(*args, **kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


@pytest.mark.parametrize(
    ("locale", "width"),
    [("en-US", 1024), ("zh-CN", 1024), ("en-US", 1366), ("zh-CN", 1366), ("en-US", 1920), ("zh-CN", 1920)],
)
def test_the_kubectl_tab_downloads_a_kubeconfig_and_follows_the_cluster(
    browser, server_url, alice, project_of, launch, locale, width, tmp_path
):
    cluster = make_cluster(alice, project_of(alice), running_instances(launch, alice))
    context = browser.new_context(locale=locale, viewport={"width": width, "height": 1000}, accept_downloads=True)
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        log_in(page, server_url, "alice")
        page.goto(f"{server_url}/project/kubernetes/{cluster.pk}/kubectl/")
        page.wait_for_selector("#live-indicator[data-state=live]")
        assert page.get_attribute("#cluster-tabs a.active", "data-section") == "kubectl"
        text = page.text_content("main") or page.text_content("body")
        for title in TITLES[locale]:
            assert title in text
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        if SHOTS:
            page.screenshot(path=str(Path(SHOTS) / f"kubectl-{locale}-{width}.png"), full_page=True)

        with page.expect_download() as download_info:
            page.click("#download-kubeconfig")
        download = download_info.value
        assert download.suggested_filename == "lab-kubeconfig.yaml"
        config = yaml.safe_load(Path(download.path()).read_text())
        token = config["users"][0]["user"]["token"]
        api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        assert _in_a_thread(lambda: api.get(f"/kubernetes/{cluster.pk}/api/v1/nodes").status_code) == 200

        # a change to the cluster appears in the live feed
        _in_a_thread(clusters.apply_manifest, cluster, deployment(1))
        page.wait_for_selector("#kubectl-feed li[data-resource=deployments][data-name=web]", timeout=15000)
        _in_a_thread(advance, cluster, rounds=3)
        page.wait_for_selector("#kubectl-feed li[data-resource=pods]", timeout=15000)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        # a new token, once; the list shows it afterwards without the secret
        page.click("#issue-token")
        page.wait_for_selector("#new-token-value")
        secret = page.text_content("#new-token-value").strip()
        assert secret.startswith("cloudlab-kube-")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        if SHOTS:
            page.screenshot(path=str(Path(SHOTS) / f"kubectl-token-{locale}-{width}.png"), full_page=True)
        page.goto(f"{server_url}/project/kubernetes/{cluster.pk}/kubectl/")
        assert secret not in page.content()
        assert page.locator("#kube-tokens-table tbody tr").count() == 2
        assert errors == []
    finally:
        context.close()
