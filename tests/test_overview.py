"""Project → Overview: the Limit Summary counts what the quota counts."""

from django.test import Client
from django.urls import reverse


def test_the_limit_summary_counts_the_projects_instances(alice, launch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        launch(alice, name="a", flavor="m1.small", count=2)
    client = Client()
    client.force_login(alice)
    limits = {item["key"]: item for item in client.get(reverse("dashboard:overview-data")).json()["limits"]}
    assert (limits["instances"]["used"], limits["instances"]["limit"]) == (2, 10)
    assert (limits["cores"]["used"], limits["ram"]["used"]) == (2, 4096)
    page = client.get(reverse("dashboard:overview"))
    assert page.status_code == 200 and b"chart-ram" in page.content
