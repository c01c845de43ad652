"""Pages read the quota; only a launch writes it. A project without a quota row (one made in
Django's admin, say) shows Nova's defaults, and opening its pages creates nothing."""

from django.test import Client
from django.urls import reverse

from cloudlab.compute.actions.launch import quota_limits
from cloudlab.engine.launch import QuotaSet
from cloudlab.identity.models import Quota


def test_reading_the_quota_on_a_page_creates_no_row(alice, project_of):
    project = project_of(alice)
    Quota.objects.filter(project=project).delete()
    client = Client()
    client.force_login(alice)
    for name in ("instances", "launch-choices", "overview", "overview-data", "instances-rows"):
        assert client.get(reverse(f"dashboard:{name}")).status_code == 200, name
    assert not Quota.objects.filter(project=project).exists()
    assert quota_limits(project) == QuotaSet(instances=10, cores=20, ram=51200)  # nova/conf/quota.py


def test_a_launch_still_locks_and_keeps_the_quota(alice, project_of, launch, django_capture_on_commit_callbacks):
    project = project_of(alice)
    Quota.objects.filter(project=project).delete()
    with django_capture_on_commit_callbacks(execute=False):
        launch(alice)
    assert Quota.objects.filter(project=project).exists()
