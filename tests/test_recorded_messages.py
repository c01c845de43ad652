"""The sentences the database keeps in English as they were recorded (Nova's faults and event
details, the scheduler's NoValidHost explanation) read in Chinese on a Chinese page: every one
the engine and the compute layer record is matched by a template of dashboard/words.py, whose
translation keeps the message's fields (the instance's UUID, the host, the filter)."""

import re

import pytest
from django.utils import translation

from cloudlab.compute.effects import NO_FIXED_IP
from cloudlab.dashboard import words
from cloudlab.engine import launch, lifecycle
from cloudlab.engine.i18n import render
from cloudlab.engine.scheduler import trace
from cloudlab.engine.scheduler.config import SchedulerConfig
from cloudlab.engine.scheduler.drivers import _explain, max_retries_exceeded
from cloudlab.engine.scheduler.trace import Renderer

UUID = "6d2d1c7e-0000-4000-8000-000000000001"
CJK = re.compile(r"[\u3400-\u9fff]")
NOT_ENOUGH = trace.no_valid_host(trace.NOT_ENOUGH_HOSTS, 0)["message"]

RECORDED = [
    NOT_ENOUGH,
    trace.no_valid_host(trace.NO_CANDIDATES, 0)["message"],
    max_retries_exceeded(SchedulerConfig.for_era("classic"), UUID)["message"],
    max_retries_exceeded(SchedulerConfig.for_era("classic"), UUID, NOT_ENOUGH)["message"],
    max_retries_exceeded(SchedulerConfig.for_era("placement"), UUID)["message"],
    NO_FIXED_IP,
    launch.LIBVIRT_RESIZE_DOWN,
    launch.VMWARE_RESIZE_DOWN,
    render(lifecycle.COMPUTE_SERVICE_UNAVAILABLE, {"host": "compute-kvm1"}),
    f"Instance {UUID} has no host to move from.",
    f"No move in progress for instance {UUID}.",
    *(rule.outcome for rule in lifecycle.SETTLE_ON_RESTART),
    _explain([], Renderer()),
    _explain([{"filter": "RamFilter", "hosts": ["compute-kvm1", "compute-lxc"]}], Renderer()),
]


@pytest.mark.parametrize("message", RECORDED)
def test_every_recorded_sentence_reads_in_chinese_with_its_fields(message):
    with translation.override("zh-hans"):
        translated = words.translate_recorded(message)
    assert translated is not None, f"no template matches {message!r}"
    assert CJK.search(translated), f"{message!r} is not translated: {translated!r}"
    for field in (UUID, "compute-kvm1", "RamFilter", "compute-lxc"):
        if field in message:
            assert field in translated
    assert "{" not in translated and "%(" not in translated


def test_the_reason_of_a_no_valid_host_is_translated_too():
    with translation.override("zh-hans"):
        translated = words.translate_recorded(NOT_ENOUGH)
        assert translated == translation.gettext(trace.NO_VALID_HOST) + translation.gettext(trace.NOT_ENOUGH_HOSTS)


def test_in_english_a_sentence_reads_as_recorded():
    with translation.override("en"):
        assert [words.translate_recorded(m) for m in RECORDED] == RECORDED


def test_an_unknown_message_is_left_alone():
    assert words.translate_recorded("Something only libvirt says.") is None
