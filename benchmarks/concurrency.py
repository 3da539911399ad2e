"""Throughput and conflict rate of several movi processes racing on one database.

    python benchmarks/concurrency.py [--backend sqlite|postgres] [--workers 4] [--ops 10000]
                                     [--runs 1]

Runs the arena of ``tests/reliability/test_processes.py`` (its five scenarios: different vehicles
for one trip, one vehicle for overlapping trips, bookings up to and over capacity, one
confirmation answered "yes" by every process, cancel while assigning) at full size: ``--workers``
spawned processes, each with its own ``Movi``, ``--ops`` racing messages in all, every round
started by all processes at once. SQLite goes to a temporary file, PostgreSQL to a throwaway
schema on ``MOVI_TEST_PG_DSN``. Prints operations per second (every ``handle`` call, including
the "yes" of an override, over the race's wall time) and the conflict rate (the share of racing
messages that did not complete), per scenario and in all, and with ``--runs`` > 1 the median.
No assertion: the invariants are the test's business.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the arena lives with the tests

from tests.reliability.procs_worker import conflict_rate, layout, race, seed, summary

from movi.store import drop_pg_schema, pg_schema_url

DEFAULT_DSN = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def run_once(backend: str, workers: int, ops: int) -> tuple[float, float]:
    """One race on a fresh database; its operations per second and conflict rate."""
    arena = layout(workers, ops)
    with tempfile.TemporaryDirectory(prefix="movi-concurrency-") as folder:
        if backend == "sqlite":
            url = f"sqlite+aiosqlite:///{Path(folder) / 'movi.db'}"
        else:
            dsn = os.environ.get("MOVI_TEST_PG_DSN", DEFAULT_DSN)
            url = pg_schema_url(dsn, f"movi_bench_{uuid.uuid4().hex[:10]}")
        try:
            asyncio.run(seed(url, arena))
            result = race(url, arena)
        finally:
            if backend == "postgres":
                asyncio.run(drop_pg_schema(url))
    print(summary(arena, result, backend), flush=True)
    return result.calls / result.seconds, conflict_rate(result.replies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--ops", type=int, default=10_000, help="racing messages in all")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    runs = [run_once(args.backend, args.workers, args.ops) for _ in range(args.runs)]
    if args.runs > 1:
        speed = statistics.median(r[0] for r in runs)
        conflicts = statistics.median(r[1] for r in runs)
        print(
            f"median of {args.runs} runs on {args.backend}, {args.workers} processes: "
            f"{speed:.0f} ops/s, conflict rate {conflicts:.0%}"
        )


if __name__ == "__main__":
    main()
