"""How fast open WebSockets lose access, and what the timed re-check costs.

Steps:
1. A fresh data directory: SQLite, an embedded Redis (the run command's), migrations, the demo
   cloud and classroom (alice, bob, ivy).
2. Open S sockets of alice on her project's stream, each with a session of its own (S laptops),
   through the real consumer and the real Redis channel layer, in this process.
3. Logging out: log one session out through Django's ``logout`` (as the Sign Out form does) and
   time until its socket has closed with 4401; repeated R times, median and worst printed.
4. A lost membership: delete alice's membership and time until all S sockets have received their
   close (4403; one notice to her user group reaches every socket), then how many consumers end
   within 5 s once told the socket is gone (a consumer of this process blocked in channels_redis's
   shared receive can take longer to be cancelled; the page's socket is closed either way).
5. The timed re-check (``CLOUDLAB_LIVE_RECHECK``, for sessions that expire without a signal):
   the median time one socket's re-check takes (session read, user, access rule), and what it
   adds up to for C sockets re-checked every 30 s.

Nothing is asserted: the numbers are printed.

    .venv/bin/python bench/live_revocation.py [--sockets 50] [--logouts 20] [--class-size 300]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sockets", type=int, default=50, help="alice's open sockets (default 50)")
    parser.add_argument("--logouts", type=int, default=20, help="logouts timed (default 20)")
    parser.add_argument("--class-size", type=int, default=300, help="sockets re-checked every 30 s (default 300)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="cl-bench-") as data_dir:
        os.environ.update({"CLOUDLAB_DATA_DIR": data_dir, "DJANGO_SETTINGS_MODULE": "cloudlab.settings"})
        os.environ.pop("DATABASE_URL", None)
        os.environ.pop("REDIS_URL", None)
        from cloudlab.embedded import EmbeddedRedis

        with EmbeddedRedis(Path(data_dir)):
            run(args)


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from asgiref.sync import sync_to_async
    from django.conf import settings
    from django.contrib.auth import get_user_model, logout
    from django.core.management import call_command
    from django.test import Client, RequestFactory

    from cloudlab.compute.scenarios import create_cloud, enrol, load_yaml, parse_classroom
    from cloudlab.engine.scheduler import load_scenario_file
    from cloudlab.identity.models import Membership, Project
    from cloudlab.live.consumers import LiveConsumer
    from cloudlab.live.events import project_stream
    from tests.live_sockets import closed_with, communicator_factory, open_socket

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)
    demo = ROOT / "fixtures" / "demo"
    cloud = create_cloud(load_scenario_file(demo / "cloud.yaml"), pace=0)
    enrol(cloud, parse_classroom(load_yaml(demo / "classroom.yaml")))
    alice = get_user_model().objects.get(username="alice")
    stream = project_stream(Project.objects.for_user(alice).get().pk)
    path = f"/ws/live/?streams={stream}"

    def new_session() -> str:
        client = Client()
        client.force_login(alice)
        return client.cookies["sessionid"].value

    def log_out(key: str) -> None:
        from importlib import import_module

        request = RequestFactory().post("/auth/logout/")
        request.session = import_module(settings.SESSION_ENGINE).SessionStore(key)
        request.user = alice
        logout(request)

    async def logouts() -> list[float]:
        took = []
        for _ in range(args.logouts):
            key = await sync_to_async(new_session)()
            communicator = communicator_factory(path, session=key)()
            hello, _ = await open_socket(communicator)
            assert hello is not None
            start = time.perf_counter()
            await sync_to_async(log_out)(key)
            assert await closed_with(communicator) == 4401
            took.append((time.perf_counter() - start) * 1000)
        return took

    async def membership() -> tuple[float, int]:
        keys = [await sync_to_async(new_session)() for _ in range(args.sockets)]
        sockets = [communicator_factory(path, session=key)() for key in keys]
        for communicator in sockets:
            hello, _ = await open_socket(communicator)
            assert hello is not None
        start = time.perf_counter()
        await sync_to_async(lambda: Membership.objects.filter(user=alice, project__cloud=cloud).delete())()
        closes = await asyncio.gather(*(c.receive_output(30) for c in sockets))
        took = (time.perf_counter() - start) * 1000
        for communicator, close in zip(sockets, closes, strict=True):
            await communicator.send_input({"type": "websocket.disconnect", "code": close.get("code")})
        # Each consumer ends once told the socket is gone; wait() cancels one still running at 5 s.
        ended = await asyncio.gather(*(_ends_within(c, 5) for c in sockets))
        print(f"  then {sum(ended)} of {len(sockets)} consumers ended within 5 s of the disconnect")
        return took, sum(close.get("code") == 4403 for close in closes)

    async def _ends_within(communicator, seconds: float) -> bool:
        await communicator.wait(seconds)
        return not communicator.future.cancelled()

    def recheck_cost() -> float:
        consumer = LiveConsumer()
        consumer.session_key, consumer.user_id, consumer.streams = new_session(), alice.pk, [stream]
        took = []
        for _ in range(200):
            start = time.perf_counter()
            assert consumer.access_now() is None
            took.append((time.perf_counter() - start) * 1000)
        return statistics.median(took)

    per_check = recheck_cost()
    logout_ms = asyncio.run(logouts())
    membership_ms, closed = asyncio.run(membership())
    print(f"logout → its socket closed (4401), {len(logout_ms)} logouts: "
          f"median {statistics.median(logout_ms):.1f} ms, worst {max(logout_ms):.1f} ms")
    print(f"membership deleted → {closed} of {args.sockets} sockets closed (4403) in {membership_ms:.1f} ms")
    print(f"timed re-check: {per_check:.2f} ms per socket (SQLite, in process); {args.class_size} sockets "
          f"every {settings.CLOUDLAB_LIVE_RECHECK:g} s = {args.class_size / settings.CLOUDLAB_LIVE_RECHECK:.0f} "
          f"re-checks/s, {args.class_size * per_check / settings.CLOUDLAB_LIVE_RECHECK:.1f} ms of work per second")


if __name__ == "__main__":
    main()
