"""The Hypervisors page and the scheduling view's host cards show each host class's start time
and per-instance overhead from the cited model, with the source on hover, in both languages."""

import html

import pytest
from django.test import Client
from django.urls import reverse

from cloudlab.compute.actions.architecture_model import do_set_architecture_model
from cloudlab.compute.models import SchedulingRecord
from cloudlab.dashboard.decisions import decision_data
from tests import steps


@pytest.fixture
def ivy_client(ivy):
    client = Client()
    client.force_login(ivy)
    return client


def test_the_hypervisors_page_lists_each_class_with_its_figures_and_sources(ivy_client):
    page = html.unescape(ivy_client.get(reverse("dashboard:hypervisors")).content.decode())
    assert 'id="architectures-table"' in page
    assert "96.9 s" in page and "cloud launch time (EC2 Linux, 2012), not a local boot" in page
    assert "260.7 s" in page and "illustrative value, not a measurement" in page
    assert "131 MB per instance" in page and "stand-in, no published figure" in page
    assert "Source: Mao & Humphrey 2012 (P: " in page  # on hover
    assert "doi.org/10.1109/CLOUD.2012.103" in page  # … and in full in the list of sources
    assert "<cite lang=\"en\">M. Mao, M. Humphrey," in page
    assert "Counted in claims" in page


def test_the_page_says_it_in_chinese(ivy_client):
    page = html.unescape(
        ivy_client.get(reverse("dashboard:hypervisors"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    )
    assert "架构类别" in page and "96.9 秒" in page and "每个实例 131 MB" in page
    assert "示意值" in page


def test_the_host_cards_carry_the_class_figures_and_what_the_cloud_counts(
    demo_cloud, ivy, alice, launch, django_capture_on_commit_callbacks
):
    do_set_architecture_model(ivy, demo_cloud, model_instance_overhead=True)
    with django_capture_on_commit_callbacks(execute=False):
        [instance] = launch(alice)
        steps.schedule(instance)
    record = SchedulingRecord.objects.filter(instance=instance).latest("pk")
    archs = decision_data(record)["architectures"]
    assert set(archs) == {"bare-metal", "hosted", "container"}
    assert archs["container"]["start_s"] == 0.6 and archs["container"]["start_basis"] == "measured"
    assert "Khan 2026" in archs["container"]["start_source"]
    assert {"khan2026", "quark"} <= set(archs["container"]["sources"])
    assert archs["bare-metal"]["overhead_counted_mb"] == 131
    assert archs["container"]["overhead_counted_mb"] == 0
