"""How many Celery worker processes ``python -m cloudlab run`` starts (``worker_processes``)."""

from __future__ import annotations

import pytest

from cloudlab.__main__ import worker_command, worker_processes
from cloudlab.env import ConfigError


@pytest.fixture
def two_cpus(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv("CLOUDLAB_WORKER_PROCESSES", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    return monkeypatch


def test_postgresql_on_two_cpus_gets_two_and_sqlite_one(two_cpus: pytest.MonkeyPatch) -> None:
    two_cpus.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/cloudlab")
    assert worker_processes(8) == 2
    two_cpus.delenv("DATABASE_URL")  # the embedded default: SQLite takes one writer at a time
    assert worker_processes(8) == 1
    two_cpus.setattr("os.cpu_count", lambda: 1)
    two_cpus.setenv("DATABASE_URL", "postgres://db/cloudlab")
    assert worker_processes(8) == 1


def test_the_setting_wins_but_never_more_processes_than_threads(two_cpus: pytest.MonkeyPatch) -> None:
    two_cpus.setenv("CLOUDLAB_WORKER_PROCESSES", "3")
    assert worker_processes(8) == 3
    assert worker_processes(2) == 2
    two_cpus.setenv("CLOUDLAB_WORKER_PROCESSES", "0")
    with pytest.raises(ConfigError, match="CLOUDLAB_WORKER_PROCESSES"):
        worker_processes(8)


def test_a_named_worker_has_its_own_node_name_and_only_a_data_dir_gives_a_beat(tmp_path) -> None:
    first = worker_command(4, tmp_path, name="worker1")
    second = worker_command(4, None, name="worker2")
    assert "--beat" in first and "--beat" not in second
    assert first[first.index("--hostname") + 1] == "worker1@%h"
    assert second[second.index("--hostname") + 1] == "worker2@%h"
    assert "--hostname" not in worker_command(8, tmp_path)  # one worker keeps Celery's default name
