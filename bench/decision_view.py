"""Benchmark: the scheduling view's data for one decision over 10 / 50 / 200 / 500 hosts.

Measures the server time of `GET /project/decisions/<id>/data.json` (the whole request through
Django, trace translated, replay stages and why-not for every host) and the response size. The
first request computes and caches the decision's data (per language); the others read the cache. Runs on
a throw-away SQLite database and an embedded Redis; prints the median of 20 requests per size.
Target (issue 5): 200 hosts under 150 ms.

    python bench/decision_view.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    tmp = tempfile.mkdtemp(prefix="cloudlab-bench-", dir="/tmp")
    os.environ["CLOUDLAB_DATA_DIR"] = tmp
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cloudlab.settings")
    from cloudlab.embedded import EmbeddedRedis

    with EmbeddedRedis(Path(tmp)) as redis:
        os.environ["REDIS_URL"] = redis.url
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.test import Client
        from django.test.utils import setup_test_environment

        setup_test_environment()
        settings.ALLOWED_HOSTS = ["testserver"]
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        call_command("migrate", verbosity=0)
        print("hosts  first ms (uncached)  median ms  p90 ms  response KB")
        for count in (10, 50, 200, 500):
            record, user = _decision(count)
            client = Client()
            client.force_login(user)
            url = f"/project/decisions/{record.pk}/data.json"
            times, size = [], 0
            for _ in range(20):
                start = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, response.status_code
                size = len(response.content)
            first = times[0]
            times.sort()
            p90 = times[int(len(times) * 0.9) - 1]
            print(f"{count:5d}  {first:19.1f}  {statistics.median(times):9.1f}  {p90:6.1f}  {size / 1024:11.0f}")


def _decision(count: int):  # type: ignore[no-untyped-def]
    from django.contrib.auth import get_user_model

    from cloudlab.compute import runner
    from cloudlab.compute.actions import launch as actions
    from cloudlab.compute.models import Flavor, Image
    from cloudlab.compute.scenarios import create_cloud, enrol, parse_classroom
    from cloudlab.engine.scheduler import parse_scenario

    hosts = [
        {
            "name": f"c{i:04d}",
            "vcpus": 8 + (i % 4) * 8,
            "memory_mb": 16384 * (1 + i % 3),
            "local_gb": 200 + 100 * (i % 5),
            "usage": {"memory_mb_used": 512 + (i * 977) % 20000},
        }
        for i in range(count)
    ]
    cloud = create_cloud(parse_scenario({"name": f"bench-{count}", "hosts": hosts}), pace=0)
    enrol(
        cloud, parse_classroom({"people": [{"username": f"u{count}", "password": "bench-password", "projects": ["p"]}]})
    )
    user = get_user_model().objects.get(username=f"u{count}")
    project = cloud.projects.get(name="p")
    request = actions.check_launch(
        user,
        project,
        name="vm",
        count=1,
        image_id=str(Image.objects.get(cloud=cloud, name="cirros").uuid),
        flavor_id=Flavor.objects.get(cloud=cloud, name="m1.small").flavorid,
    )
    [instance] = actions.do_launch(user, request)  # its build task is queued for no worker: we build here
    runner.run_step(instance.pk, instance.actions.get().pk, 0)
    return instance.scheduling_records.get(), user


if __name__ == "__main__":
    main()
