"""What the login throttle costs: POSTs to the login page through Django's test client, with the
throttle's backend and with Django's plain ModelBackend, against a real Redis.

    REDIS_URL=redis://127.0.0.1:6379/0 python bench/login_throttle.py [--attempts 100] [--rounds 5]

Prints milliseconds per failed and per successful login for both backends (SQLite in a temporary
directory, MD5 hashing so the password hash does not drown the difference), and the Redis round
trips one failed attempt makes. Counters use addresses of their own and are deleted afterwards.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attempts", type=int, default=100, help="logins per round and backend")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("set REDIS_URL (e.g. redis://127.0.0.1:6379/0): the throttle's counters live in Redis")
    data_dir = tempfile.mkdtemp(prefix="cloudlab-bench-login-")
    os.environ["CLOUDLAB_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cloudlab.settings")
    os.environ["CLOUDLAB_LOGIN_FAILURE_LIMIT"] = str(args.attempts * 10)  # measure counting, never a lock
    os.environ["CLOUDLAB_LOGIN_ADDRESS_FAILURE_LIMIT"] = str(args.attempts * 10)

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.cache import caches
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import override_settings, setup_test_environment

    setup_test_environment()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", "--no-input", "-v", "0")
    password = secrets.token_urlsafe(12)
    get_user_model().objects.create_user("bench", password=password)
    cache = caches["login-throttle"]
    client_redis = cache._cache.get_client(None, write=True)  # the backend's redis-py client

    addresses = iter(range(1, 250))

    def per_login(attempt: str, backend: str) -> float:
        address = f"198.51.100.{next(addresses)}"
        with override_settings(AUTHENTICATION_BACKENDS=[backend]):
            client = Client(REMOTE_ADDR=address)
            client.post("/auth/login/", {"username": "bench", "password": attempt})  # warm up
            client.logout()
            start = time.perf_counter()
            for _ in range(args.attempts):
                client.post("/auth/login/", {"username": "bench", "password": attempt})
                if attempt == password:
                    client.logout()
            return (time.perf_counter() - start) / args.attempts * 1000

    plain = "django.contrib.auth.backends.ModelBackend"
    throttled = "cloudlab.identity.login_throttle.ThrottledModelBackend"
    print(f"{args.attempts} logins each, Redis {settings.CACHES['login-throttle']['LOCATION']}")
    print(f"{'':24} {'ModelBackend':>14} {'throttled':>14} {'difference':>12}")
    for label, attempt in (("failed login (ms)", "wrong"), ("successful login (ms)", password)):
        # Rounds alternate the two backends; the median of each resists a busy machine's noise.
        rounds = [(per_login(attempt, plain), per_login(attempt, throttled)) for _ in range(args.rounds)]
        a, b = statistics.median(r[0] for r in rounds), statistics.median(r[1] for r in rounds)
        print(f"{label:24} {a:14.2f} {b:14.2f} {b - a:+12.2f}")

    before = client_redis.info("commandstats")
    Client(REMOTE_ADDR="198.51.100.251").post("/auth/login/", {"username": "bench", "password": "wrong"})
    after = client_redis.info("commandstats")
    calls = sum(v["calls"] for v in after.values()) - sum(v["calls"] for v in before.values()) - 1  # minus INFO
    print(f"Redis commands for one failed login: {calls}")
    for key in client_redis.scan_iter(match="*login:*"):
        client_redis.delete(key)


if __name__ == "__main__":
    main()
