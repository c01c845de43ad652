"""Learn → OpenStack → the flow of a past action: who may open it, the messages it replays (the
flow engine's, in order), the scheduler's messages linked to the decision's funnel, the notes in
the reader's language, and the links from the instance page and the scheduling view."""

import pytest
from django.test import Client
from django.urls import reverse

from cloudlab.compute.models import Host, Instance, SchedulingRecord
from cloudlab.engine import flow
from cloudlab.engine.lifecycle import BUILD, VmState
from tests.helpers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _client(user, language="en"):
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    return client


def _launched(alice, launch, vm_state=VmState.ACTIVE):
    [instance] = launch(alice, name="replayed")
    wait_for(lambda: Instance.objects.get(pk=instance.pk).vm_state == vm_state)
    action = instance.actions.get(action="create")
    wait_for(lambda: type(action).objects.get(pk=action.pk).finish_time is not None)
    return instance, type(action).objects.get(pk=action.pk)


def _data(user, instance, action, language="en"):
    response = _client(user, language).get(reverse("motion:flow-data", args=[instance.uuid, action.request_id]))
    assert response.status_code == 200
    return response.json()


def test_a_launchs_flow_replays_in_the_engines_order_with_the_funnel_linked(celery_worker, alice, launch):
    instance, action = _launched(alice, launch)
    data = _data(alice, instance, action)
    assert data["in_progress"] is False
    shown = [(m["src"], m["dst"], m["name"]) for s in data["steps"] for m in s["messages"]]
    era = action.context["flow"]["era"]
    assert shown == [(m.src, m.dst, m.name) for m in flow.flow(BUILD, era).messages]
    record = SchedulingRecord.objects.get(action=action)
    funnel = reverse("dashboard:decision", args=[record.pk])
    scheduler = [m for s in data["steps"] for m in s["messages"] if "nova-scheduler" in (m["src"], m["dst"])]
    assert scheduler and all(m["decision_url"] == funnel for m in scheduler)
    assert not any("decision_url" in m for s in data["steps"] for m in s["messages"] if m not in scheduler)

    page = _client(alice).get(reverse("motion:flow", args=[instance.uuid, action.request_id]))
    assert page.status_code == 200
    assert b"flow_replay_page.js" in page.content and action.request_id.encode() in page.content


def test_members_and_instructors_see_the_flow_others_get_404(celery_worker, alice, bob, ivy, launch):
    instance, action = _launched(alice, launch)
    url = reverse("motion:flow", args=[instance.uuid, action.request_id])
    assert _client(alice).get(url).status_code == 200
    assert _client(ivy).get(url).status_code == 200
    assert _client(bob).get(url).status_code == 404
    assert _client(bob).get(url + "data.json").status_code == 404
    other = reverse("motion:flow", args=[instance.uuid, "req-not-this-one"])
    assert _client(alice).get(other).status_code == 404
    assert Client().get(url).status_code == 302  # anonymous: to the login page


def test_a_failed_steps_note_is_shown_in_chinese(celery_worker, alice, launch):
    Host.objects.update(up=False)
    instance, action = _launched(alice, launch, VmState.ERROR)
    failed = [m for s in _data(alice, instance, action, "zh-hans")["steps"] for m in s["messages"] if m["note"]]
    assert failed and all(m["note"] and m["note"].isascii() is False for m in failed)
    english = [m for s in _data(alice, instance, action)["steps"] for m in s["messages"] if m["note"]]
    assert [m["note"] for m in english] != [m["note"] for m in failed]


def test_the_instance_page_and_the_decision_link_to_the_flow(celery_worker, alice, launch):
    instance, action = _launched(alice, launch)
    url = reverse("motion:flow", args=[instance.uuid, action.request_id])
    detail = _client(alice).get(reverse("dashboard:instance", args=[instance.uuid])).content.decode()
    assert f'id="instance-flow-link" href="{url}"' in detail
    assert reverse("motion:flow", args=[instance.uuid, "REQUEST-ID"]) in detail  # the action log's links
    record = SchedulingRecord.objects.get(action=action)
    decision = _client(alice).get(reverse("dashboard:decision", args=[record.pk])).content.decode()
    assert f'id="decision-flow-link" href="{url}"' in decision
