"""How long one scheduling decision takes, full trace included, as the cloud grows.

Schedules one m1.small with the era's default filters and four weighers (RAM, CPU, Disk,
IoOps) over 10, 100, 1,000 and 10,000 hosts and prints the median milliseconds per decision,
the time per host and the size of the JSON trace. Run: ``python bench/scheduler.py [--era placement]``.
Target (issue 3): 1,000 hosts < 20 ms, 10,000 hosts < 200 ms, linear in hosts.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cloudlab.engine.scheduler import (
    DEFAULT_FLAVORS,
    DEFAULT_IMAGES,
    Aggregate,
    HostState,
    SchedulerConfig,
    ScheduleRequest,
    host_resources,
    schedule,
)

WEIGHERS = ("RAMWeigher", "CPUWeigher", "DiskWeigher", "IoOpsWeigher")


def make_hosts(count: int, era: str, rng: random.Random) -> list[HostState]:
    zones = [Aggregate("az1", "az1"), Aggregate("az2", "az2")]
    hosts = []
    for i in range(count):
        memory_mb = rng.choice([16384, 32768, 65536])
        vcpus = rng.choice([8, 16, 32])
        resources = host_resources(
            era,  # type: ignore[arg-type]
            vcpus=vcpus,
            memory_mb=memory_mb,
            local_gb=rng.choice([200, 500, 1000]),
            memory_mb_used=512 + rng.randrange(0, memory_mb, 512),
            vcpus_used=rng.randrange(0, vcpus * 4),
            local_gb_used=rng.randrange(0, 200),
        )
        hosts.append(
            HostState(
                name=f"compute{i:05d}",
                resources=resources,
                aggregates=(zones[i % 2],),
                host_ip=f"10.{i // 65536}.{i // 256 % 256}.{i % 256}",
                hypervisor_type=rng.choice(["QEMU", "KVM"]),
                enabled=rng.random() > 0.02,
                num_instances=rng.randrange(0, 40),
                num_io_ops=rng.randrange(0, 6),
            )
        )
    return hosts


def bench(count: int, era: str, repeat: int) -> tuple[float, int, int]:
    rng = random.Random(count)
    hosts = make_hosts(count, era, rng)
    config = SchedulerConfig.for_era(era, weight_classes=WEIGHERS)  # type: ignore[arg-type]
    request = ScheduleRequest(flavor=DEFAULT_FLAVORS[1], image=DEFAULT_IMAGES[0], instance_uuids=("bench-0",))
    times = []
    trace: dict = {}  # type: ignore[type-arg]
    for _ in range(repeat):
        start = time.perf_counter()
        trace = schedule(hosts, request, config)
        times.append((time.perf_counter() - start) * 1000)
    size = len(json.dumps(trace, ensure_ascii=False).encode())
    verdicts = sum(len(f["verdicts"]) for f in trace["instances"][0]["filters"])
    return statistics.median(times), size, verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--era", choices=["classic", "placement"], default="classic")
    args = parser.parse_args()
    print(f"era {args.era}: default filters + {', '.join(WEIGHERS)}; one m1.small; full trace")
    print(f"{'hosts':>7} {'median ms':>10} {'µs/host':>8} {'verdicts':>9} {'trace KB':>9}")
    for count, repeat in ((10, 200), (100, 100), (1000, 30), (10000, 7)):
        ms, size, verdicts = bench(count, args.era, repeat)
        print(f"{count:>7} {ms:>10.2f} {ms * 1000 / count:>8.1f} {verdicts:>9} {size / 1024:>9.0f}")


if __name__ == "__main__":
    main()
