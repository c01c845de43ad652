"""Settings come from the environment through helpers that fail loudly."""

import os
import subprocess
import sys

import pytest

from cloudlab import env, redis_urls


def test_envbool_refuses_a_word_it_does_not_know(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(env.ConfigError, match="DEBUG='maybe' is not a boolean"):
        env.envbool("DEBUG", True)


def test_envfloat_names_the_setting_and_the_bound(monkeypatch):
    monkeypatch.setenv("CLOUDLAB_PACE", "-1")
    with pytest.raises(env.ConfigError, match="CLOUDLAB_PACE=-1 must be at least 0"):
        env.envfloat("CLOUDLAB_PACE", 1.0, minimum=0.0)
    monkeypatch.setenv("CLOUDLAB_PACE", "fast")
    with pytest.raises(env.ConfigError, match="is not a number"):
        env.envfloat("CLOUDLAB_PACE", 1.0)


def test_envlist_splits_commas(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", "cloudlab.example.edu, localhost")
    assert env.envlist("ALLOWED_HOSTS", []) == ["cloudlab.example.edu", "localhost"]


@pytest.mark.parametrize("url", ["http://localhost", "redis://", "unix://"])
def test_a_redis_url_that_is_not_one_is_refused(url):
    with pytest.raises(env.ConfigError):
        redis_urls.validate(url)


def test_one_redis_url_serves_three_consumers():
    assert redis_urls.with_db("redis://127.0.0.1:6379/0", 2) == "redis://127.0.0.1:6379/2"
    assert redis_urls.celery_broker("unix:///tmp/r.sock", 1) == "redis+socket:///tmp/r.sock?virtual_host=1"
    assert redis_urls.with_db("unix:///tmp/r.sock", 2) == "unix:///tmp/r.sock?db=2"


def _import_settings(**environ):
    env_vars = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env_vars.update(environ)
    return subprocess.run(
        [sys.executable, "-c", "import cloudlab.settings"], env=env_vars, capture_output=True, text=True, check=False
    )


def test_production_refuses_to_start_without_a_real_secret_key():
    result = _import_settings(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_starts_with_a_real_secret_key():
    result = _import_settings(DEBUG="0", SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr
