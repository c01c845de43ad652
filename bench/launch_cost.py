"""What one launch of a class's burst costs the worker, counted rather than timed: SQL queries and
Celery tasks per launched instance, per kind of step.

Wall-clock numbers on the shared 2-core machine are noisy (other work runs there); these counts
are not. The burst's time is mostly its tasks' threads waiting for the GIL around each query
(docs/live-sessions.md, Capacity), so fewer queries and fewer tasks per instance is the measure
to move while working; ``bench/ws_fanout.py --scenario launch`` is the timed check.

Steps:
1. Prepare (in the given PostgreSQL database): a class session on a fresh copy of the demo
   scenario, N guests joined (``bench/ws_fanout.py``'s ``prepare``).
2. Launch: each guest's ``do_launch`` of one m1.tiny, its queries counted
   (``CaptureQueriesContext``) as the "api" part.
3. Work: the tasks the writers enqueue after commit (``cloudlab.compute.queue``) are not sent to
   a broker but kept here, each with its due time (now plus its countdown on a virtual clock), and
   run in this process in due order, as a worker would run them; each task's queries are counted
   under its kind (a step by the task_state it expects, or a funnel stage). Events are published
   to Redis as in production.
4. Print per kind the tasks and queries, then the totals per launched instance, and the audit.

Nothing is asserted: the numbers are printed (docs/live-sessions.md, Capacity, quotes them).

    createdb -h 127.0.0.1 -U postgres fanout
    .venv/bin/python bench/launch_cost.py --launches 60 \\
        --database-url postgresql://postgres@127.0.0.1:5432/fanout --redis-url redis://127.0.0.1:6379/5
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import os
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


class Worker:
    """The tasks enqueued after commit, kept in due order on a virtual clock instead of a broker."""

    def __init__(self) -> None:
        self.now = 0.0
        self._order = itertools.count()
        self.due: list[tuple[float, int, str, tuple[Any, ...]]] = []
        self.sent = 0

    def enqueue(self, name: str, args: tuple[Any, ...], delay: float) -> None:
        from django.db import transaction

        def send() -> None:
            self.sent += 1
            heapq.heappush(self.due, (self.now + max(delay, 0.0), next(self._order), name, args))

        transaction.on_commit(send)

    def next_task(self) -> tuple[str, tuple[Any, ...]] | None:
        if not self.due:
            return None
        self.now, _, name, args = heapq.heappop(self.due)
        return name, args


def kind_of(name: str, args: tuple[Any, ...]) -> str:
    """A step by the task_state it expects (read before it runs), or the task's name."""
    from cloudlab.compute import queue
    from cloudlab.compute.models import Instance, InstanceAction
    from cloudlab.compute.runner import plan_of

    if name != queue.RUN_STEP:
        return name.removeprefix("compute.")
    instance_id, action_id, index = args[:3]  # and the step's due time, when it has one
    record = InstanceAction.objects.filter(pk=action_id).first()
    if record is None or not Instance.objects.filter(pk=instance_id).exists():
        return f"step {index}"
    steps = plan_of(record).steps
    expects = steps[index].expect_task_state if index < len(steps) else "?"
    return f"step {index} ({expects})"


def run(args: argparse.Namespace) -> int:
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["REDIS_URL"] = args.redis_url
    os.environ.setdefault("CLOUDLAB_CHANNEL_PREFIX", "cloudlab-cost")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cloudlab.settings")
    import django

    django.setup()
    from celery import current_app
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.ws_fanout import prepare
    from cloudlab.compute import queue
    from cloudlab.compute.actions.launch import LaunchRequest, do_launch
    from cloudlab.compute.audit import audit
    from cloudlab.compute.models import Flavor, Image, Instance

    call_command("migrate", verbosity=0)
    worker = Worker()
    queue._send_on_commit = worker.enqueue  # type: ignore[assignment]  # the broker's seam, for this process

    session, participants, _ = prepare(args.launches, args.pace)
    cloud = session.cloud
    flavor = Flavor.objects.get(cloud=cloud, name=args.flavor)
    images = Image.objects.filter(cloud=cloud)
    image = images.filter(name__icontains="cirros").first() or images.first()
    assert image is not None, "the demo scenario has an image"

    queries: Counter[str] = Counter()
    tasks: Counter[str] = Counter()
    with CaptureQueriesContext(connection) as api:
        for i, participant in enumerate(participants):
            do_launch(participant.user, LaunchRequest(participant.project, [f"cost-{i:03d}"], image, flavor))
    queries["api (do_launch)"] = len(api.captured_queries)
    tasks["api (do_launch)"] = 0
    while (task := worker.next_task()) is not None:
        name, task_args = task
        kind = kind_of(name, task_args)
        with CaptureQueriesContext(connection) as ran:
            current_app.tasks[name].run(*task_args)
        queries[kind] += len(ran.captured_queries)
        if args.show_queries and tasks[kind] == 0:
            print(f"-- {kind}:", *(q["sql"][:160] for q in ran.captured_queries), sep="\n   ")
        tasks[kind] += 1

    launched = Instance.objects.filter(cloud=cloud)
    states = Counter(launched.values_list("vm_state", flat=True))
    n = args.launches
    print(f"{n} launches of {flavor.name} on {cloud.name} (pace {args.pace} s), virtual time {worker.now:.1f} s")
    print(f"{'kind':<40} {'tasks':>6} {'queries':>8} {'q/task':>7}")
    per_kind: dict[str, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for kind in queries:
        per_kind[kind] = (tasks[kind], queries[kind])
    for kind, (count, total) in sorted(per_kind.items()):
        print(f"{kind:<40} {count:>6} {total:>8} {total / count if count else float(total):>7.1f}")
    all_queries, all_tasks = sum(queries.values()), sum(tasks.values())
    print(f"per instance: {all_queries / n:.1f} queries, {all_tasks / n:.2f} tasks (sent {worker.sent})")
    print(f"states: {dict(states)}")
    problems = audit([cloud])
    print(f"audit: {'clean' if not problems else problems}")
    return 0 if not problems else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--launches", type=int, default=60)
    parser.add_argument("--pace", type=float, default=0.5)
    parser.add_argument("--flavor", default="m1.tiny")
    parser.add_argument("--show-queries", action="store_true", help="print the SQL of each kind's first task")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", required=True)
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
