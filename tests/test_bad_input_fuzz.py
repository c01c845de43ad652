"""Fuzzed forms and JSON endpoints: never a 5xx, a refusal is a 4xx with a message, and a
refused request writes nothing.

Each test draws values from two sources: the inputs a careless operator or a curious student
types (NaN, 1e309, '²', '١', 400 and 5000 digits, NUL and escape characters, names past their
column, path tricks) and Hypothesis's own text. Every endpoint is posted to as the page does:
Launch Instance, a row action, Admin → Scheduler, what-if, a host's Disable Service with its
reason, and the path parameters of the pages that take one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudlab.compute.models import Cloud, Flavor, Host, Image, Instance, InstanceAction, SchedulingRecord
from tests import steps

pytestmark = pytest.mark.books_unbalanced  # the decision fixture fills compute-vbox by hand

NASTY = [
    "", " ", "0", "-1", "1", "2", "1.5", "nan", "NaN", "inf", "-inf", "Infinity", "1e309", "-1e309",
    "²", "١", "١٢", "1_000", "9" * 400, "9" * 5000, "2147483648", "9007199254740993", "1" + "0" * 30,
    "\x00", "a\x00b", "\x1b[2J", "\x7f", "\u0085", "web", "a" * 256, "a" * 300, "true", "false", "on",
    "<script>alert(1)</script>", "'; DROP TABLE x; --", "../..", "%00", "\u202e", "compute-kvm1",
]
FUZZ = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def values(*valid: str) -> st.SearchStrategy[str]:
    """A valid value now and then, else a nasty one or any text."""
    return st.one_of(st.sampled_from(valid or [""]), st.sampled_from(NASTY), st.text(max_size=30))


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _written() -> tuple[Any, ...]:
    """What a refused request must leave as it was."""
    return (
        list(Instance.objects.order_by("pk").values_list("pk", "name", "vm_state", "task_state", "flavor_id")),
        InstanceAction.objects.count(),
        list(Host.objects.order_by("pk").values_list(
            "enabled", "disabled_reason", "up", "cpu_allocation_ratio", "ram_allocation_ratio", "disk_allocation_ratio"
        )),
        list(Cloud.objects.order_by("pk").values_list("era", "scheduler_config")),
        Image.objects.count(),
        SchedulingRecord.objects.count(),
    )


def _answered(response: Any, before: tuple[Any, ...]) -> dict[str, Any]:
    """The response is no 5xx; a 4xx carries a message and changed nothing."""
    assert response.status_code < 500, response.content[:300]
    body = response.json() if response["Content-Type"].startswith("application/json") else {}
    if 400 <= response.status_code < 500:
        assert _written() == before
        if body:
            assert isinstance(body.get("message"), str) and body["message"].strip()
    return body


@pytest.fixture
def decided(alice, launch, django_capture_on_commit_callbacks):
    Host.objects.filter(name="compute-vbox").update(memory_mb_used=12000)
    with django_capture_on_commit_callbacks(execute=False):
        [instance] = launch(alice, name="vm", flavor="m1.small")
        steps.schedule(instance)
    return SchedulingRecord.objects.get(instance=instance)


def test_launch_never_fails_and_refuses_cleanly(alice, django_capture_on_commit_callbacks):
    client = _client(alice)
    image = str(Image.objects.get(cloud__name="demo", name="cirros").uuid)
    flavor = Flavor.objects.get(cloud__name="demo", name="m1.tiny").flavorid

    @FUZZ
    @given(name=values("web"), count=values("1", "2"), image=values(image), flavor=values(flavor))
    def post(name: str, count: str, image: str, flavor: str) -> None:
        before = _written()
        with django_capture_on_commit_callbacks(execute=False):
            data = {"name": name, "count": count, "image": image, "flavor": flavor}
            response = client.post(reverse("dashboard:launch"), data)
        body = _answered(response, before)
        assert response.status_code in (202, 400, 403), body
        if response.status_code == 202:
            assert Instance.objects.count() == len(before[0]) + len(body["rows"])

    post()


def test_row_actions_never_fail_and_refuse_cleanly(alice, launch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        [instance] = launch(alice, name="target")
    client = _client(alice)
    actions = ["create_snapshot", "resize", "rebuild", "stop", "lock", "delete", "live_migrate"]

    @FUZZ
    @given(action=values(*actions), name=values("snap"), flavor=values("2"), image=values(""))
    def post(action: str, name: str, flavor: str, image: str) -> None:
        before = _written()
        with django_capture_on_commit_callbacks(execute=False):
            response = client.post(
                reverse("dashboard:instance-action", args=[instance.uuid]),
                {"action": action, "name": name, "flavor": flavor, "image": image},
            )
        _answered(response, before)
        if response.status_code == 202 and action == "create_snapshot":
            assert Image.objects.filter(name=name.strip()).exists()

    post()


def test_a_batch_action_with_odd_ids_answers_each_row(alice):
    client = _client(alice)

    @FUZZ
    @given(ids=st.lists(values(), min_size=1, max_size=5), action=values("stop", "delete"))
    def post(ids: list[str], action: str) -> None:
        before = _written()
        response = client.post(reverse("dashboard:batch-action"), {"action": action, "ids": ids})
        _answered(response, before)
        assert response.status_code in (200, 400)
        assert _written() == before  # none of these ids is an instance of alice's

    post()


def test_scheduler_settings_never_fail_and_refuse_cleanly(ivy):
    client = _client(ivy)
    page = client.get(reverse("dashboard:scheduler-settings"))
    form = page.context["form"]
    valid = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value not in (None, False):
            valid[name] = value
    fields = ["ram_weight_multiplier", "io_ops_weight_multiplier", "host_subset_size", "seed", "max_attempts",
              "cpu_allocation_ratio", "ram_allocation_ratio", "default_availability_zone", "era",
              "order_RamFilter"]

    @FUZZ
    @given(field=st.sampled_from(fields), value=values())
    def post(field: str, value: str) -> None:
        before = _written()
        response = client.post(reverse("dashboard:scheduler-settings"), {**valid, field: value})
        assert response.status_code in (200, 302, 400)
        if response.status_code == 400:  # NUL, refused before the view
            assert "\x00" in value and response.json()["message"]
            assert _written() == before
        elif response.status_code == 200:  # the form again, with the problem under the field
            errors = response.context["form"].errors
            assert errors, value
            assert _written() == before
        else:
            config = Cloud.objects.get(name="demo").scheduler_config
            assert all(v == v and v not in (float("inf"), float("-inf")) for v in config.values()
                       if isinstance(v, float))

    post()


def test_what_if_never_fails_and_writes_nothing(ivy, decided):
    client = _client(ivy)
    kinds = ["host", "multiplier", "filter", "flavor", "era"]

    @FUZZ
    @given(
        kind=values(*kinds),
        host=values("compute-kvm1"),
        field=values("memory_mb", "memory_mb_used", "ram_allocation_ratio", "enabled", "vcpus"),
        name=values("ram_weight_multiplier", "RamFilter"),
        value=values("2", "1.5", "true"),
        flavor=values("2"),
        era=values("placement"),
        enabled=values("0", "1"),
    )
    def post(**data: str) -> None:
        before = _written()
        response = client.post(reverse("dashboard:decision-whatif", args=[decided.pk]), data)
        body = _answered(response, before)
        assert response.status_code in (200, 400), body
        assert _written() == before  # a what-if never touches the cloud

    post()


def test_a_host_disable_reason_never_fails(ivy):
    client = _client(ivy)

    @FUZZ
    @given(reason=values("maintenance"), action=values("disable", "enable"))
    def post(reason: str, action: str) -> None:
        before = _written()
        response = client.post(
            reverse("dashboard:host-action", args=["compute-kvm1"]), {"action": action, "reason": reason}
        )
        # The page's form: a refusal is a message on the page it returns to; NUL is refused
        # before the view, as a 400 naming the field.
        assert response.status_code in (302, 400)
        if response.status_code == 400:
            assert "\x00" in reason + action and response.json()["message"]
            assert _written() == before
        host = Host.objects.get(name="compute-kvm1")
        if "\x00" in reason or "\x1b" in reason or len(reason.strip()) > 255:
            assert _written() == before
        assert "\x00" not in host.disabled_reason

    post()


@FUZZ
@given(segment=values("compute-kvm1"))
def test_path_parameters_are_404_or_400_never_500(ivy, segment: str) -> None:
    client = _client(ivy)
    before = _written()
    quoted = quote(segment, safe="")
    for url in (
        f"/admin/hypervisors/{quoted}/action/",
        f"/project/instances/{quoted}/",
        f"/project/decisions/{quoted}/",
        f"/project/decisions/{quoted}/data.json",
    ):
        response = client.post(url, {"action": "disable"}) if "action" in url else client.get(url)
        assert response.status_code < 500, (url, response.status_code)
    assert _written() == before or segment == "compute-kvm1"


@pytest.mark.parametrize("record_id", ["9" * 30, "9" * 400, "9" * 5000, "2147483648", "0"])
def test_a_decision_id_past_the_column_is_not_found(ivy, record_id: str) -> None:
    client = _client(ivy)
    for url in (f"/project/decisions/{record_id}/", f"/project/decisions/{record_id}/data.json"):
        assert client.get(url).status_code == 404
