"""Publishing and grading an assignment for a class: how long sandboxes and grading take.

Steps:
1. A scratch database (SQLite in a temporary data directory unless ``--database-url``), migrated;
   a course cloud from fixtures/demo/cloud.yaml with S students (``bench-001`` …); the example
   assignment (fixtures/assignments/example.yaml) loaded and published to it.
2. Every student opens the assignment: a Submission and a sandbox cloud each (timed).
3. In every sandbox, three m1.small launches and a stop of the first, through the same writers
   the dashboard calls, each action's steps applied in this process (``runner.run_step``) as the
   worker would; the work queued for a worker on ``--redis-url`` is purged at the end.
4. "Check my work" once per student, then ``grading.grade_due`` past the due date: every
   submission graded once, hidden tasks included (each timed). Then the CSV export.

Nothing is asserted; the numbers are printed.

    .venv/bin/python bench/assignments_grading.py --students 30 --redis-url redis://127.0.0.1:6379/9
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    args = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="cloudlab-bench-grading-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cloudlab.settings")
    os.environ["CLOUDLAB_DATA_DIR"] = scratch
    os.environ["REDIS_URL"] = args.redis_url
    os.environ["CLOUDLAB_PACE"] = "0"
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.utils import timezone

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from cloudlab.assignments import grading, work
    from cloudlab.assignments.loader import load_assignment
    from cloudlab.celery import app
    from cloudlab.compute import runner
    from cloudlab.compute.actions import launch as launching
    from cloudlab.compute.actions.instance import do_instance_action
    from cloudlab.compute.models import Flavor, Image, Instance
    from cloudlab.compute.scenarios import Person, create_cloud, enrol
    from cloudlab.engine.scheduler import load_scenario_file

    call_command("migrate", verbosity=0)
    course = create_cloud(load_scenario_file(ROOT / "fixtures" / "demo" / "cloud.yaml"), pace=0, replace=True)
    people = [Person(f"bench-{i:03d}", "bench-pass-1", "student", ("demo",)) for i in range(1, args.students + 1)]
    enrol(course, [*people, Person("bench-ivy", "bench-pass-1", "instructor", ("demo",))])
    User = get_user_model()
    ivy = User.objects.get(username="bench-ivy")
    assignment = work.do_publish(ivy, load_assignment(ROOT / "fixtures" / "assignments" / "example.yaml"), course)
    students = [User.objects.get(username=p.username) for p in people]

    def run_all(instance: Instance, action: str) -> None:
        record = instance.actions.filter(action=action).order_by("-start_time", "-id").first()
        steps = len(runner.plan_of(record).steps)
        while True:
            record.refresh_from_db()
            if record.finish_time is not None or record.context.get("step", 0) >= steps:
                return
            runner.run_step(instance.pk, record.pk, record.context.get("step", 0))

    opened, checks, grades = [], [], []
    for student in students:
        t = time.perf_counter()
        submission = work.open_submission(student, assignment)
        opened.append(time.perf_counter() - t)
        project = work.sandbox_project(submission)
        image = Image.objects.get(cloud=project.cloud, name="cirros")
        flavor = Flavor.objects.get(cloud=project.cloud, name="m1.small")
        first = None
        for name in ("web-1", "web-2", "web-3"):
            request = launching.check_launch(
                student, project, name=name, count=1, image_id=str(image.uuid), flavor_id=flavor.flavorid
            )
            [instance] = launching.do_launch(student, request)
            run_all(instance, "create")
            first = first or instance
        do_instance_action(student, Instance.objects.get(pk=first.pk), "stop", {})
        run_all(Instance.objects.get(pk=first.pk), "stop")
        t = time.perf_counter()
        work.do_check(student, submission)
        checks.append(time.perf_counter() - t)

    after_due = max(assignment.due_at, timezone.now()) + timezone.timedelta(days=1)
    t = time.perf_counter()
    graded = grading.grade_due(after_due)
    total_grading = time.perf_counter() - t
    for submission in assignment.submissions.select_related("assignment"):
        t = time.perf_counter()
        grading.grade(submission)
        grades.append(time.perf_counter() - t)
    t = time.perf_counter()
    body = grading.csv_export(assignment)
    csv_time = time.perf_counter() - t
    app.control.purge()

    def ms(values: list[float]) -> str:
        values = sorted(values)
        p95 = values[max(0, round(0.95 * len(values)) - 1)]
        return (
            f"median {statistics.median(values) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, max {values[-1] * 1000:.1f} ms"
        )

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"students: {len(students)} ({engine}); each sandbox: 3 hosts, 3 launches and a stop")
    print(f"open (submission + sandbox cloud): {ms(opened)}")
    print(f"check my work (5 visible tasks):  {ms(checks)}")
    print(f"grade_due: {graded} submissions in {total_grading:.2f} s")
    print(f"grade one (7 tasks, hidden included): {ms(grades)}")
    print(f"CSV export: {len(body.splitlines()) - 1} rows in {csv_time * 1000:.1f} ms")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
