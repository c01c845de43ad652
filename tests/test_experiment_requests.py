"""VM vs Container, the requests: bad input is refused with a message and writes nothing, the
JSON the charts read carries every figure with its source and status, an instructor's
illustrative start time is labelled so, and two students' experiments never see each other."""

import pytest
from django.test import Client
from django.urls import reverse

from cloudlab.architectures import experiment_cloud as exp
from cloudlab.compute.actions.architecture_model import do_set_architecture_model
from cloudlab.compute.models import Cloud, Instance
from cloudlab.engine import architectures as model
from cloudlab.live.access import may_follow
from cloudlab.live.events import project_stream

JSON = {"HTTP_ACCEPT": "application/json"}


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _data(client):
    return client.get(reverse("architectures:containers-data")).json()


@pytest.mark.parametrize(
    ("copies", "message"),
    [
        ("", "Enter how many copies of the workload to launch of each kind."),
        ("   ", "Enter how many copies of the workload to launch of each kind."),
        ("abc", "must be a whole number from 1 to 24; “abc” is not one."),
        ("1.5", "“1.5” is not one."),
        ("-3", "“-3” is not one."),
        ("١٢", "“١٢” is not one."),
        ("0", "Launch from 1 to 24 copies of each kind; you asked for 0."),
        ("25", "Launch from 1 to 24 copies of each kind; you asked for 25."),
        ("999999", "you asked for 999999."),
    ],
)
def test_a_bad_count_is_refused_with_its_problem_and_writes_nothing(alice, copies, message):
    answer = _client(alice).post(reverse("architectures:containers-run"), {"copies": copies}, **JSON)
    assert answer.status_code == 400
    body = answer.json()
    assert body["ok"] is False and body["field"] == "copies" and message in body["message"]
    assert not Cloud.objects.filter(name=exp.cloud_name(alice)).exists()


def test_without_script_the_form_redirects_with_the_message(alice):
    client = _client(alice)
    refused = client.post(reverse("architectures:containers-run"), {"copies": "x"}, follow=True)
    assert "“x” is not one." in refused.content.decode()
    done = client.post(reverse("architectures:containers-run"), {"copies": "2"}, follow=True)
    assert "8 launches, 2 of each kind" in done.content.decode()
    assert Instance.objects.filter(cloud__name=exp.cloud_name(alice)).count() == 8


def test_the_charts_json_carries_every_figure_with_its_source_and_status(alice):
    client = _client(alice)
    assert _data(client)["ran"] is False
    answer = client.post(reverse("architectures:containers-run"), {"copies": "5"}, **JSON)
    assert answer.status_code == 202
    data = _data(client)
    assert data["ran"] is True and [k["kind"] for k in data["kinds"]] == list(model.KINDS)
    assert data["streams"] == answer.json()["page"]["snapshot"]["streams"]
    known = {s["short"] for s in data["sources"]}
    for k in data["kinds"]:
        assert (k["asked"], k["building"], k["active"]) == (5, 5, 0)  # no worker here: still building
        host = exp.host_of_kind(Cloud.objects.get(name=exp.cloud_name(alice)), k["kind"])
        assert k["host"]["name"] == host.name and model.kind_of(host.architecture) == k["kind"]
        assert k["density"]["model"] == model.density(k["kind"], 4096 - 512, 256)
        figures = [k["start"]["figure"], k["overhead"]["figure"], *k["factors"].values()]
        for figure in figures:
            assert figure["status"] in model.STATUSES and figure["status_label"]
            assert set(figure["sources"]) <= known
            assert figure["value"] is not None or figure["status"] == "U"
    by_kind = {k["kind"]: k for k in data["kinds"]}
    assert by_kind["container"]["start"]["basis"] == "measured" and by_kind["container"]["start"]["seconds"] == 0.6
    assert by_kind["type1"]["start"]["basis"] == "cloud-launch"
    assert by_kind["type2"]["start"]["basis"] == "illustrative"
    assert all(f["value"] is None and f["status"] == "U" for f in by_kind["type2"]["factors"].values())
    assert by_kind["type2"]["overhead"]["stand_in"]  # the Type I figure stands in, and says so
    assert by_kind["type1"]["factors"]["disk_random_iops"] == {
        **by_kind["type1"]["factors"]["disk_random_iops"],
        "value": 0.53,
        "status": "R",
        "sources": ["Felter 2014"],
    }


def test_an_instructors_illustrative_start_time_is_labelled_as_such(alice, ivy, demo_cloud):
    do_set_architecture_model(ivy, demo_cloud, illustrative_start_seconds={"type2": 120})
    client = _client(alice)
    client.post(reverse("architectures:containers-run"), {"copies": "1"}, **JSON)
    type2 = next(k for k in _data(client)["kinds"] if k["kind"] == "type2")
    assert type2["start"]["seconds"] == 120 and type2["start"]["basis"] == "instructor"
    assert "not a measurement" in type2["start"]["basis_label"]


def test_two_students_experiments_never_see_each_other(alice, bob):
    alice_client, bob_client = _client(alice), _client(bob)
    alice_client.post(reverse("architectures:containers-run"), {"copies": "2"}, **JSON)
    bob_client.post(reverse("architectures:containers-run"), {"copies": "3"}, **JSON)
    alice_project, bob_project = exp.experiment_project(alice), exp.experiment_project(bob)
    assert alice_project.cloud_id != bob_project.cloud_id
    assert all(k["asked"] == 2 for k in _data(alice_client)["kinds"])
    assert all(k["asked"] == 3 for k in _data(bob_client)["kinds"])
    assert not may_follow(bob, project_stream(alice_project.pk))
    assert may_follow(alice, project_stream(alice_project.pk))
    page = bob_client.get(reverse("architectures:containers")).content.decode()
    assert project_stream(bob_project.pk) in page and project_stream(alice_project.pk) not in page
    assert Instance.objects.visible_to(bob).filter(project=alice_project).count() == 0


def test_reset_replaces_the_cloud_with_four_empty_hosts(alice):
    client = _client(alice)
    client.post(reverse("architectures:containers-run"), {"copies": "2"}, **JSON)
    first = exp.experiment_project(alice)
    answer = client.post(reverse("architectures:containers-reset"), **JSON)
    assert answer.status_code == 202
    second = exp.experiment_project(alice)
    assert second.pk != first.pk and not Cloud.objects.filter(pk=first.cloud_id).exists()
    assert second.cloud.model_instance_overhead is True
    data = _data(client)
    assert data["ran"] is False and all(k["asked"] == 0 for k in data["kinds"])


def test_only_this_page_of_the_section_loads_plotly_and_it_needs_a_login(alice):
    assert Client().get(reverse("architectures:containers")).status_code == 302
    page = _client(alice).get(reverse("architectures:containers"))
    html = page.content.decode()
    assert "vendor/plotly/plotly.min.js" in html
    assert page.context["page"]["snapshot"]["ran"] is False
