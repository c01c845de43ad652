"""Decisions: history, replay data, why-not, what-if on a frozen copy, and who may see them."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cloudlab.compute.models import Host, SchedulingRecord
from cloudlab.engine.pacing import funnel_stage_seconds
from cloudlab.engine.resources import ERAS
from cloudlab.engine.scheduler import WHAT_IF_KINDS, replay_stages
from cloudlab.engine.scheduler.whatif import HOST_FIELDS, HOST_RATIO_FIELDS, HOST_SERVICE_FIELDS
from cloudlab.live.events import project_stream
from tests import steps
from tests.helpers import EventRecorder, wait_for


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def decided(alice, launch, django_capture_on_commit_callbacks):
    """alice's instance placed by the scheduler; compute-vbox full, compute-lxc disabled."""
    Host.objects.filter(name="compute-vbox").update(memory_mb_used=12000)
    Host.objects.filter(name="compute-lxc").update(enabled=False)
    with django_capture_on_commit_callbacks(execute=False):
        [instance] = launch(alice, name="vm", flavor="m1.small")
        steps.schedule(instance)
    return SchedulingRecord.objects.get(instance=instance)


pytestmark = pytest.mark.books_unbalanced  # the fixture fills compute-vbox by hand


def test_the_data_shows_the_funnel_with_reasons_and_capacity(alice, decided):
    data = _client(alice).get(reverse("dashboard:decision-data", args=[decided.pk])).json()
    kinds = [s["kind"] for s in data["stages"]]
    assert kinds[-2:] == ["weighing", "selected"]
    ram = next(s for s in data["stages"] if s.get("name") == "RamFilter")
    compute = next(s for s in data["stages"] if s.get("name") == "ComputeFilter")
    assert ram["removed"] == ["compute-vbox"] and compute["removed"] == ["compute-lxc"]
    cards = {h["name"]: h for h in data["hosts"]}
    assert (
        cards["compute-vbox"]["memory_mb_used"] == 12000 and cards["compute-vbox"]["limits"]["memory_mb"] == 8192 * 1.5
    )
    assert data["why"]["compute-vbox"]["outcome"] == "filtered" and data["why"]["compute-vbox"]["filter"] == "RamFilter"
    assert "usable RAM" in data["why"]["compute-vbox"]["reason"]
    assert data["why"]["compute-kvm2"]["outcome"] == "lost" and data["why"]["compute-kvm2"]["margin"] > 0
    assert data["why"][decided.selected_host]["outcome"] == "chosen"


def test_a_replay_reaches_the_same_stages_as_the_live_funnel(alice, decided):
    data = _client(alice).get(reverse("dashboard:decision-data", args=[decided.pk])).json()
    assert data["stages"] == replay_stages(decided.trace)


def test_reasons_follow_the_readers_language(alice, decided):
    url = reverse("dashboard:decision-data", args=[decided.pk])
    zh = _client(alice).get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    reason = zh["trace"]["instances"][0]["filters"][2]["verdicts"]["compute-vbox"]["reason"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in reason)


def test_what_if_without_ramfilter_changes_only_its_hosts_and_not_the_cloud(ivy, decided):
    before = list(Host.objects.order_by("name").values_list("name", "memory_mb_used", "enabled"))
    response = _client(ivy).post(
        reverse("dashboard:decision-whatif", args=[decided.pk]), {"kind": "filter", "name": "RamFilter", "enabled": "0"}
    )
    assert response.status_code == 200, response.content
    result = response.json()
    assert result["ok"] and result["compare"]["changed"] == ["compute-vbox"]
    names = [s.get("name") for s in result["decision"]["stages"]]
    assert "RamFilter" not in names
    assert list(Host.objects.order_by("name").values_list("name", "memory_mb_used", "enabled")) == before
    assert SchedulingRecord.objects.count() == 1


def test_a_bad_what_if_names_the_problem(ivy, decided):
    response = _client(ivy).post(
        reverse("dashboard:decision-whatif", args=[decided.pk]),
        {"kind": "host", "host": "nowhere", "field": "memory_mb", "value": "1"},
    )
    assert response.status_code == 400 and "nowhere" in response.json()["message"]


def test_students_may_replay_but_not_what_if(alice, decided):
    assert _client(alice).get(reverse("dashboard:decision", args=[decided.pk])).status_code == 200
    response = _client(alice).post(
        reverse("dashboard:decision-whatif", args=[decided.pk]), {"kind": "era", "era": "placement"}
    )
    assert response.status_code == 404


def test_another_projects_decisions_are_not_found(bob, decided):
    client = _client(bob)
    assert client.get(reverse("dashboard:decision", args=[decided.pk])).status_code == 404
    assert client.get(reverse("dashboard:decision-data", args=[decided.pk])).status_code == 404
    assert client.get(reverse("dashboard:instance-decision", args=[decided.instance.uuid])).status_code == 404
    assert f'data-record="{decided.pk}"' not in client.get(reverse("dashboard:decisions")).content.decode()


def test_history_lists_the_projects_and_the_clouds_decisions(alice, ivy, decided):
    assert f'data-record="{decided.pk}"' in _client(alice).get(reverse("dashboard:decisions")).content.decode()
    assert f'data-record="{decided.pk}"' in _client(ivy).get(reverse("dashboard:cloud-decisions")).content.decode()
    assert _client(alice).get(reverse("dashboard:cloud-decisions")).status_code == 404


def test_the_instance_link_opens_its_latest_decision(alice, decided):
    response = _client(alice).get(reverse("dashboard:instance-decision", args=[decided.instance.uuid]))
    assert response.status_code == 302 and response["Location"].endswith(f"/project/decisions/{decided.pk}/")


@pytest.mark.django_db(transaction=True)
def test_the_worker_publishes_the_stages_at_the_clouds_pace(demo_cloud, alice, launch, project_of, celery_worker):
    demo_cloud.pace = 0.1
    demo_cloud.save()
    with EventRecorder(project_stream(project_of(alice).pk)) as recorder:
        [instance] = launch(alice, name="watched")
        record = wait_for(lambda: SchedulingRecord.objects.filter(instance=instance).first())
        count = len(replay_stages(record.trace))
        wait_for(lambda: len([m for m in recorder.messages if m["event"] == "scheduler.stage"]) == count, timeout=20)
    stages = [m["data"]["index"] for m in recorder.messages if m["event"] == "scheduler.stage"]
    assert stages == list(range(count))


def test_a_stage_task_publishes_from_its_arguments_without_a_query(
    alice, decided, project_of, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """A class launching together plays dozens of funnels at once: a stage costs no query."""
    from dataclasses import asdict

    from cloudlab.compute import live_replay, tasks

    funnel = live_replay.Funnel.of(decided, len(replay_stages(decided.trace)))
    assert funnel.project == project_of(alice).pk and funnel.instance == str(decided.instance.uuid)
    with EventRecorder(project_stream(funnel.project)) as recorder:
        with django_assert_num_queries(0), django_capture_on_commit_callbacks(execute=False) as hooks:
            tasks.publish_decision_stage(asdict(funnel), 1)
        sends = [hook for hook in hooks if "publish_many_on_commit" in getattr(hook, "__qualname__", "")]
        for send in sends:  # the events; the next stage's task is left unsent
            send()
        wait_for(lambda: recorder.messages)
    [message] = recorder.messages  # the project's (the other is the cloud's)
    assert message["event"] == "scheduler.stage"
    assert message["data"] == {"record": decided.pk, "instance": funnel.instance, "index": 1}
    # one hook sends the project's and the cloud's together; the other is the next stage's task
    assert len(sends) == 1 and len(hooks) - len(sends) == (1 if funnel.stages > 2 else 0)


def test_a_stage_a_busy_worker_ran_late_does_not_delay_the_stages_after_it(decided):
    """Stage N is due N stages after the funnel started, however late the one before it ran;
    a stage task an older worker queued (no start) waits one stage, as before."""
    import time
    from dataclasses import replace

    from cloudlab.compute import live_replay

    funnel = replace(live_replay.Funnel.of(decided, 8), seconds=0.25, started=time.time() - 1.0)
    assert funnel.delay_of(5) == pytest.approx(0.25, abs=0.05)
    assert funnel.delay_of(3) == 0.0  # overdue: at once
    assert replace(funnel, started=0.0).delay_of(5) == 0.25


def test_a_stage_task_an_older_worker_queued_by_record_id_still_publishes(
    alice, decided, project_of, django_capture_on_commit_callbacks
):
    from cloudlab.compute import tasks

    with EventRecorder(project_stream(project_of(alice).pk)) as recorder:
        with django_capture_on_commit_callbacks(execute=False) as hooks:
            tasks.publish_decision_stage(decided.pk, 0)
            tasks.publish_decision_stage(decided.pk + 1000, 0)  # a record gone meanwhile: nothing
        for hook in hooks:
            if "publish_many_on_commit" in getattr(hook, "__qualname__", ""):
                hook()
        wait_for(lambda: recorder.messages)
    assert [m["data"]["index"] for m in recorder.messages] == [0]


# -- the page's names come from the one source ---------------------------------------------------

_SAMPLE_INPUTS = {  # a valid value for each input of the what-if form
    "host": "compute-kvm1",
    "field": "memory_mb_used",
    "value": "0",
    "name": "RamFilter",
    "enabled": "false",
    "flavor": "1",
    "era": "placement",
}


def test_the_what_if_form_offers_the_engines_kinds_and_host_fields(ivy, alice, decided):
    page = _client(ivy).get(reverse("dashboard:decision", args=[decided.pk]))
    form = page.context["page"]["whatif"]
    assert [k["code"] for k in form["kinds"]] == list(WHAT_IF_KINDS)
    assert all(k["label"] != k["code"] for k in form["kinds"]), "a kind of change without words"
    assert sorted(f["code"] for f in form["host_fields"]) == sorted(HOST_FIELDS)
    types = {f["code"]: f["type"] for f in form["host_fields"]}
    assert {code for code, kind in types.items() if kind == "boolean"} == set(HOST_SERVICE_FIELDS)
    assert {code for code, kind in types.items() if kind == "ratio"} == set(HOST_RATIO_FIELDS)
    assert [e["code"] for e in form["eras"]] == list(ERAS)
    html = page.content.decode()
    assert '<option value="memory_mb_used" data-type="count">RAM MB used</option>' in html
    assert '<option value="enabled" data-type="boolean">compute service enabled</option>' in html
    assert '<option value="classic">classic (Icehouse–Newton)</option>' in html  # the model's words, not a copy
    assert _client(alice).get(reverse("dashboard:decision", args=[decided.pk])).context["page"]["whatif"] is None


def test_each_kind_of_change_runs_from_just_the_inputs_the_form_shows_for_it(ivy, decided):
    form = _client(ivy).get(reverse("dashboard:decision", args=[decided.pk])).context["page"]["whatif"]
    for kind in WHAT_IF_KINDS:
        shown = [name for name, kinds in form["inputs"].items() if kind in kinds.split()]
        assert shown, f"the form shows no input for {kind}"
        data = {"kind": kind, **{name: _SAMPLE_INPUTS[name] for name in shown}}
        if kind == "multiplier":
            data["name"] = "ram_weight_multiplier"
        response = _client(ivy).post(reverse("dashboard:decision-whatif", args=[decided.pk]), data)
        assert response.status_code == 200, (kind, response.json())


def test_outcomes_and_verdicts_are_worded_by_the_server_in_the_readers_language(alice, decided):
    page = _client(alice).get(reverse("dashboard:decision", args=[decided.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    labels = page.context["page"]["labels"]
    assert set(labels["outcomes"]) == set(SchedulingRecord.Outcome.values)
    assert labels["outcomes"]["claimed"]["kind"] == "ok" and labels["outcomes"]["NoValidHost"]["kind"] == "error"
    assert labels["outcomes"]["claim_failed"]["kind"] == "transitional"
    words = [labels["outcomes"]["claimed"]["label"], *labels["verdicts"].values()]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in word) for word in words), words
    assert {"filtered", "lost", "chosen", "not_seen"} <= set(labels["verdicts"])
    listed = _client(alice).get(reverse("dashboard:decisions")).content.decode()
    assert 'class="cl-outcome-ok" data-outcome="claimed"' in listed


# -- what-if reads right -------------------------------------------------------------------------


def _what_if(user, record, data, language="en"):
    url = reverse("dashboard:decision-whatif", args=[record.pk])
    response = _client(user).post(url, data, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, response.content
    return response.json()


def test_a_host_what_if_turns_a_disabled_compute_service_back_on(ivy, decided):
    """The question after ComputeFilter removed a host: what if its service were enabled?"""
    result = _what_if(ivy, decided, {"kind": "host", "host": "compute-lxc", "field": "enabled", "value": "true"})
    assert "compute-lxc" in result["compare"]["changed"] and result["change"] == "compute-lxc enabled false → true"
    after = {row["host"]: row["after"]["outcome"] for row in result["compare"]["hosts"]}
    assert after["compute-lxc"] in ("passed", "chosen")
    assert Host.objects.get(name="compute-lxc").enabled is False  # the live cloud is unchanged
    ratio = {"kind": "host", "host": "compute-vbox", "field": "ram_allocation_ratio", "value": "3"}
    assert "compute-vbox" in _what_if(ivy, decided, ratio)["compare"]["changed"]


def _placed_on_kvm1_only(alice, launch, capture):
    """alice's decision with every other host disabled: compute-kvm1 or nothing."""
    Host.objects.exclude(name="compute-kvm1").update(enabled=False)
    with capture(execute=False):
        [instance] = launch(alice, name="only", flavor="m1.small")
        steps.schedule(instance)
    return SchedulingRecord.objects.get(instance=instance)


def test_the_what_if_decision_carries_its_own_outcome(ivy, decided):
    placed = _what_if(ivy, decided, {"kind": "filter", "name": "RamFilter", "enabled": "false"})["decision"]["record"]
    assert placed["outcome"] == "selected" and placed["outcome_kind"] == "ok"
    assert placed["outcome_label"] == f"would be placed on {decided.selected_host}"


def test_a_what_if_that_finds_no_host_says_so_in_its_own_outcome(
    ivy, alice, launch, django_capture_on_commit_callbacks
):
    record = _placed_on_kvm1_only(alice, launch, django_capture_on_commit_callbacks)
    change = {"kind": "host", "host": "compute-kvm1", "field": "enabled", "value": "false"}
    nowhere = _what_if(ivy, record, change)["decision"]["record"]
    assert (nowhere["outcome"], nowhere["outcome_kind"]) == ("NoValidHost", "error")
    assert nowhere["outcome_label"] == "no valid host"
    assert record.outcome == "claimed"  # the real decision's outcome is its own


def test_a_change_that_changes_nothing_changes_no_verdict(ivy, decided):
    """Even for a decision an older engine stored: the what-if compares two runs of today's engine."""
    trace = decided.trace
    trace["instances"][0]["filters"][2]["verdicts"]["compute-kvm2"]["passed"] = False  # as another engine had it
    SchedulingRecord.objects.filter(pk=decided.pk).update(trace=trace)
    current = next(h for h in decided.moment["hosts"] if h["name"] == "compute-kvm1")["resources"]["memory_mb_used"]
    result = _what_if(
        ivy, decided, {"kind": "host", "host": "compute-kvm1", "field": "memory_mb_used", "value": current}
    )
    assert result["compare"]["changed"] == [] and not any(row["changed"] for row in result["compare"]["hosts"])
    assert result["compare"]["summary"] == f"Both decisions choose {decided.selected_host}. No host changed verdict."


def test_the_what_if_summary_counts_instances_from_1(ivy, alice, launch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        first, _second = launch(alice, name="pair", count=2, flavor="m1.small")
        steps.schedule(first)
    record = SchedulingRecord.objects.get(instance=first)
    result = _what_if(ivy, record, {"kind": "multiplier", "name": "ram_weight_multiplier", "value": "-1"})
    summary = result["compare"]["summary"]
    assert "instance 0" not in summary.lower() and "nstance 1 " in summary, summary
    zh = _what_if(ivy, record, {"kind": "multiplier", "name": "ram_weight_multiplier", "value": "-1"}, "zh-hans")
    assert "实例 1" in zh["compare"]["summary"], zh["compare"]["summary"]


# -- live: the page follows the worker until the last stage is out ---------------------------------


def test_a_live_decision_has_ended_once_its_last_stage_is_out(alice, decided, demo_cloud):
    demo_cloud.pace = 1.0
    demo_cloud.save()
    stage = funnel_stage_seconds(demo_cloud.pace)
    count = len(replay_stages(decided.trace))
    url = reverse("dashboard:decision-data", args=[decided.pk])
    for published, finished in ((count - 2, False), (count - 1, True)):
        started = timezone.now() - timedelta(seconds=stage * published + stage / 2)
        SchedulingRecord.objects.filter(pk=decided.pk).update(live_started_at=started)
        assert _client(alice).get(url).json()["live"]["finished"] is finished, published


def test_the_launch_notices_link_opens_the_decision_from_its_first_stage(alice, decided):
    url = reverse("dashboard:instance-decision", args=[decided.instance.uuid]) + "?from=start"
    response = _client(alice).get(url)
    assert response.status_code == 302 and response["Location"].endswith(f"/project/decisions/{decided.pk}/?from=start")
    page = _client(alice).get(response["Location"])
    assert page.context["page"]["from_start"] is True
    assert _client(alice).get(reverse("dashboard:decision", args=[decided.pk])).context["page"]["from_start"] is False
