"""Each bad value the issue names gets its own message, and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from cloudlab.compute.limits import column_limits, column_problem
from cloudlab.compute.models import Cloud, Flavor, Host, Image, Instance, SchedulingRecord
from cloudlab.dashboard.values import typed
from tests import steps

pytestmark = pytest.mark.books_unbalanced  # the decision fixture fills compute-vbox by hand


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def launch_form(demo_cloud: Any) -> dict[str, str]:
    return {
        "name": "web",
        "count": "1",
        "image": str(Image.objects.get(cloud__name="demo", name="cirros").uuid),
        "flavor": Flavor.objects.get(cloud__name="demo", name="m1.tiny").flavorid,
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("count", "١", "Count must be a whole number."),
        ("count", "²", "Count must be a whole number."),
        ("count", "1_0", "Count must be a whole number."),
        ("count", "9" * 400, "Count must be a whole number."),
        ("count", "2147483648", "Count must be between 1 and"),
        ("name", "web\x1b[2J", "Instance name cannot contain control characters."),
        ("name", "web\x7f", "Instance name cannot contain control characters."),
        ("name", "we\u0085b", "Instance name cannot contain control characters."),
        ("name", "a" * 256, "Instance name is 256 characters long; at most 255 are allowed."),
    ],
)
def test_a_bad_launch_value_is_named_and_nothing_is_created(alice, launch_form, field, value, message) -> None:
    response = _client(alice).post(reverse("dashboard:launch"), {**launch_form, field: value})
    assert response.status_code == 400
    assert message in response.json()["message"] and response.json()["field"] == field
    assert not Instance.objects.filter(project__members=alice, name__startswith="web").exists()


def test_numbered_names_must_fit_the_column(alice, launch_form) -> None:
    """"web-10" is three characters longer than "web": ten instances of a 253-character name
    would not fit Instance.name (255)."""
    fit = column_limits(Instance, "name").max_length
    assert fit == 255
    response = _client(alice).post(reverse("dashboard:launch"), {**launch_form, "name": "w" * 253, "count": "10"})
    assert response.status_code == 400
    assert "shorten the name to 252 characters" in response.json()["message"]
    assert not Instance.objects.filter(name__startswith="www").exists()


@pytest.mark.parametrize("reason", ["down\x1b[31m", "down\x00", "down\x07"])
def test_a_disable_reason_with_a_control_character_is_refused(ivy, reason) -> None:
    response = _client(ivy).post(
        reverse("dashboard:host-action", args=["compute-kvm1"]), {"action": "disable", "reason": reason}, follow=True
    )
    assert response.status_code in (200, 400)
    text = response.json()["message"] if response.status_code == 400 else response.content.decode()
    assert "control character" in text or "NUL" in text
    assert Host.objects.get(name="compute-kvm1").enabled


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/admin/hypervisors/a%00b/action/", 400),
        ("/admin/hypervisors/a%1Bb/action/", 400),
        ("/project/decisions/" + "9" * 400 + "/", 404),
        ("/project/decisions/2147483648/data.json", 404),
        ("/project/instances/%00/", 400),
    ],
)
def test_a_bad_path_parameter_is_a_4xx(ivy, path, status) -> None:
    client = _client(ivy)
    response = client.post(path, {"action": "disable"}) if "action" in path else client.get(path)
    assert response.status_code == status
    assert Host.objects.filter(enabled=False).count() == Host.objects.filter(
        cloud__name="demo", enabled=False
    ).count()


@pytest.fixture
def decided(alice, launch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        [instance] = launch(alice, name="vm", flavor="m1.small")
        steps.schedule(instance)
    return SchedulingRecord.objects.get(instance=instance)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "host", "host": "compute-kvm1", "field": "memory_mb", "value": "9" * 400},
         "memory_mb must be between -9007199254740992 and 9007199254740992 (2**53), not a 400-digit integer"),
        ({"kind": "host", "host": "compute-kvm1", "field": "ram_allocation_ratio", "value": "9" * 400},
         "ram_allocation_ratio must be between"),
        ({"kind": "host", "host": "compute-kvm1", "field": "memory_mb", "value": "9" * 5000},
         "memory_mb must be a positive integer, not '9999"),
        ({"kind": "host", "host": "compute-kvm1", "field": "ram_allocation_ratio", "value": "1e309"},
         "ram_allocation_ratio must be a number, not '1e309'"),
        ({"kind": "multiplier", "name": "ram_weight_multiplier", "value": "nan"},
         "ram_weight_multiplier must be a number, not 'nan'"),
        ({"kind": "multiplier", "name": "ram_weight_multiplier", "value": "-inf"},
         "ram_weight_multiplier must be a number, not '-inf'"),
        ({"kind": "host", "host": "compute-kvm1", "field": "vcpus", "value": "²"},
         "vcpus must be a positive integer, not '²'"),
        ({"kind": "host", "host": "compute-kvm1", "field": "vcpus", "value": "١"},
         "vcpus must be a positive integer, not '١'"),
    ],
)
def test_a_bad_what_if_value_is_named(ivy, decided, change, message) -> None:
    response = _client(ivy).post(reverse("dashboard:decision-whatif", args=[decided.pk]), change)
    assert response.status_code == 400
    assert message in response.json()["message"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ram_allocation_ratio", "١"),
        ("ram_allocation_ratio", "nan"),
        ("cpu_allocation_ratio", "1e309"),
        ("cpu_allocation_ratio", "1e300"),
        ("ram_weight_multiplier", "inf"),
        ("ram_weight_multiplier", "9" * 400),
        ("seed", "9" * 5000),
        ("host_subset_size", "²"),
    ],
)
def test_a_bad_scheduler_setting_is_shown_under_its_field(ivy, field, value) -> None:
    client = _client(ivy)
    page = client.get(reverse("dashboard:scheduler-settings"))
    form = page.context["form"]
    data = {n: form.initial.get(n, f.initial) for n, f in form.fields.items()}
    data = {n: v for n, v in data.items() if v not in (None, False)}
    before = (Cloud.objects.get(name="demo").scheduler_config, list(Host.objects.values_list(field, flat=True))
              if field.endswith("ratio") else None)
    response = client.post(reverse("dashboard:scheduler-settings"), {**data, field: value})
    assert response.status_code == 200
    assert response.context["form"].errors.get(field)
    after = (Cloud.objects.get(name="demo").scheduler_config, list(Host.objects.values_list(field, flat=True))
             if field.endswith("ratio") else None)
    assert after == before


def test_form_numbers_are_ascii() -> None:
    assert typed("2") == 2 and typed("-1.5") == -1.5 and typed("1e3") == 1000.0
    for text in ("١", "²", "nan", "inf", "1e309", "1_0", "9" * 5000):
        assert typed(text) == text


def test_the_limits_are_the_model_fields() -> None:
    assert column_limits(Host, "name").max_length == Host._meta.get_field("name").max_length
    assert column_limits(Host, "vcpus").minimum == 1  # the field's MinValueValidator(1)
    assert column_limits(Host, "vcpus").maximum == 2**31 - 1  # PositiveIntegerField, portable range
    assert column_limits(Host, "vcpus_used").minimum == -(2**31)
    assert column_problem(Host, "vcpus", 2**31) and not column_problem(Host, "vcpus", 2**31 - 1)
    assert column_problem(Host, "ram_allocation_ratio", float("nan"))
    assert column_problem(Cloud, "scheduler_config", {"x": [1.0, float("inf")]})
    assert column_problem(Cloud, "description", {"en": "a\x00"})
    assert settings.CLOUDLAB_MAX_LAUNCH_COUNT >= 1


def test_the_refusals_read_in_chinese(alice, ivy, launch_form) -> None:
    client = _client(alice)
    client.cookies["django_language"] = "zh-hans"
    response = client.post(reverse("dashboard:launch"), {**launch_form, "name": "w" * 253, "count": "10"})
    assert "请将名称缩短到 252 个字符" in response.json()["message"]
    admin = _client(ivy)
    admin.cookies["django_language"] = "zh-hans"
    response = admin.post("/admin/hypervisors/a%00b/action/", {"action": "disable"})
    assert response.status_code == 400 and "控制字符 U+0000" in response.json()["message"]
    response = admin.post(
        reverse("dashboard:host-action", args=["compute-kvm1"]), {"action": "disable", "reason": "x\x1b"}, follow=True
    )
    assert "原因不能包含控制字符。" in response.content.decode()
