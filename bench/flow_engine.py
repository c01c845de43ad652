"""How long the flow engine takes to derive what the worker publishes at each step.

The worker derives a step's messages again at every step (nothing stored but the choices), so
this is the engine's share of a step's cost. Prints microseconds per call.

    PYTHONPATH=. .venv/bin/python bench/flow_engine.py
"""

from __future__ import annotations

import time

from cloudlab.engine import flow, lifecycle


def per_call(fn, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1e6


def main() -> None:
    n = 2000
    for era in flow.ERAS:
        boot = per_call(lambda era=era: flow.flow(lifecycle.BUILD, era), n)
        boot10 = per_call(lambda era=era: flow.flow(lifecycle.BUILD, era, count=10), n // 10)
        step = per_call(lambda era=era: flow.messages_for_step(lifecycle.BUILD, era, "compute_spawn"), n)
        every = per_call(lambda era=era: [flow.flow(op, era) for op in flow.OPERATIONS], n // 20)
        print(f"{era:9} boot {boot:7.1f} µs   boot×10 {boot10:7.1f} µs   one step {step:7.1f} µs   "
              f"all {len(flow.OPERATIONS)} operations {every:8.1f} µs")


if __name__ == "__main__":
    main()
