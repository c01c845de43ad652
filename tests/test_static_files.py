"""Static files as production serves them: collectstatic writes hashed, gzipped copies; pages name
the hashed files; WhiteNoise serves them compressed with a ten-year cache; Plotly only where a
page charts. Without a collected manifest pages name the plain files, which the finders serve."""

import gzip

import pytest
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from cloudlab.dashboard.staticfinders import PUBLIC_PATH

TEN_YEARS = "max-age=315360000, public, immutable"


@pytest.fixture
def collected(tmp_path):
    """collectstatic into a fresh STATIC_ROOT, then settings as with DEBUG=0 in production."""
    with override_settings(STATIC_ROOT=tmp_path, WHITENOISE_AUTOREFRESH=False, DEBUG=False):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield tmp_path


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_collectstatic_writes_hashed_gzipped_plotly_and_nothing_plain(collected):
    hashed = staticfiles_storage.stored_name(PUBLIC_PATH)
    assert hashed != PUBLIC_PATH and hashed.startswith("vendor/plotly/plotly.min.")
    assert (collected / hashed).exists() and (collected / f"{hashed}.gz").exists()
    assert not (collected / PUBLIC_PATH).exists()  # the plain name is the finders'
    assert gzip.decompress((collected / f"{hashed}.gz").read_bytes()) == (collected / hashed).read_bytes()


def test_plotly_goes_only_to_the_pages_that_chart(collected, alice, ivy):
    hashed = staticfiles_storage.url(PUBLIC_PATH)
    hypervisors = _client(ivy).get(reverse("dashboard:hypervisors")).content.decode()
    assert f'src="{hashed}"' in hypervisors
    for user, name in (
        (alice, "dashboard:overview"),
        (alice, "dashboard:instances"),
        (ivy, "dashboard:scheduler-settings"),
    ):
        body = _client(user).get(reverse(name)).content.decode()
        assert "plotly" not in body, name
        assert staticfiles_storage.url("cloudlab/common.js") in body  # hashed names, as everywhere


def test_a_hashed_file_is_served_compressed_with_a_ten_year_cache(collected, alice):
    url = staticfiles_storage.url(PUBLIC_PATH)
    response = Client().get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert response["Cache-Control"] == TEN_YEARS
    assert int(response["Content-Length"]) < 1_600_000  # 4.8 MB of JavaScript, about 1.5 MB on the wire
    plain = Client().get("/static/cloudlab/common.js")  # the finders' copy: no long cache
    assert plain.status_code == 200 and "immutable" not in plain.get("Cache-Control", "")


def test_the_finders_find_a_hashed_name_by_its_source(collected):
    """Where only the finders serve (runserver, the browser tests' Daphne), a page's hashed name
    still resolves: to the source file, here Plotly's in the plotly package."""
    hashed = staticfiles_storage.stored_name(PUBLIC_PATH)
    assert finders.find(hashed) == finders.find(PUBLIC_PATH)
    assert finders.find("vendor/plotly/plotly.min.0123456789ab.js") is None


def test_without_a_manifest_pages_name_the_plain_files(alice, tmp_path):
    with override_settings(STATIC_ROOT=tmp_path / "never-collected", DEBUG=False):
        body = _client(alice).get(reverse("dashboard:instances")).content.decode()
    assert 'src="/static/cloudlab/common.js"' in body
