"""A worker thread's events go through the worker's one event loop (``compute.tasks``): not a new
thread, loop and Redis connection per event, which is what made a class's burst of launches slow
(bench/launch_burst_profile.py). The events still arrive, in the order they were sent."""

import asyncio
import json
import threading

import pytest
from asgiref.sync import async_to_sync

from cloudlab.compute.tasks import events_loop, send_events_on_the_worker_loop
from cloudlab.live.events import project_stream, send_now
from tests.helpers import EventRecorder, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


async def _running_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


def _in_a_task_thread(work):
    """Run ``work`` in a fresh thread as the worker runs a task: after the task_prerun hook."""
    result = {}

    def run() -> None:
        send_events_on_the_worker_loop()
        result["value"] = work()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(10)
    return result["value"]


def test_every_task_thread_sends_on_the_workers_one_loop():
    first = _in_a_task_thread(lambda: [async_to_sync(_running_loop)() for _ in range(3)])
    second = _in_a_task_thread(lambda: async_to_sync(_running_loop)())
    assert first == [events_loop()] * 3
    assert second is events_loop()
    assert events_loop().is_running()


def test_events_sent_from_a_task_thread_arrive_in_order():
    stream = project_stream(515151)
    with EventRecorder(stream) as recorder:

        def send_three() -> list[int]:
            return [
                send_now(stream, "scheduler.stage", {"record": n, "instance": "loop-test", "index": 0})
                for n in (1, 2, 3)
            ]

        seqs = _in_a_task_thread(send_three)
        wait_for(lambda: len(recorder.messages) >= 3, timeout=5)
    # The layer carries the frame encoded once (``text``); ``data`` only when encoding per socket.
    frames = [m.get("data") or json.loads(m["text"])["data"] for m in recorder.messages]
    assert [f["record"] for f in frames] == [1, 2, 3]
    assert [m["seq"] for m in recorder.messages] == seqs
