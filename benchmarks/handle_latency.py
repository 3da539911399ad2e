"""How long ``Movi.handle`` takes on the demo database, for reads and for writes.

    python benchmarks/handle_latency.py [--backend sqlite|postgres] [--trips N] [--rounds R]

Builds a fresh demo database (SQLite in a temporary directory, or a throwaway schema on
``MOVI_TEST_PG_DSN``), then times each command ``--rounds`` times end to end through
``handle()`` (parse, policy, resolution, consequences, execution, audit, interaction row).
Writes are timed on their confirmed path where they ask (the "yes" is timed as the write).
Prints p50/p95 per kind; no assertion, no threshold.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

from movi.engine import Movi
from movi.store import create_schema, drop_schema, make_engine
from movi.store.demo import DemoSpec, build_demo

TODAY = date(2026, 11, 28)
READS = [
    "show details of trip {trip}",
    "what is the status of trip {trip}",
    "how many seats are free on trip {trip}",
    "list all vehicles",
    "which vehicles are free tomorrow",
    "who are the passengers on trip {trip}",
]
WRITES = [
    "delay trip {trip} by 5 minutes",
    "mark trip {trip} in progress",
    "add 1 booking to trip {trip}",
]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def main(backend: str, trips: int | None, rounds: int) -> None:
    schema = None
    if backend == "sqlite":
        folder = tempfile.mkdtemp(prefix="movi_latency_")
        url = f"sqlite+aiosqlite:///{Path(folder) / 'movi.db'}"
    else:
        dsn = os.environ.get("MOVI_TEST_PG_DSN", "postgresql+asyncpg://postgres@127.0.0.1/test")
        schema = f"movi_latency_{uuid.uuid4().hex[:8]}"
        url = f"{dsn}?schema={schema}"
    engine = make_engine(url)
    await create_schema(engine)
    summary = await build_demo(engine, DemoSpec(today=TODAY, trips=trips))
    await engine.dispose()
    trip_ids = [t for t in summary.hard_cases.get("no_vehicle", [])] or [1]
    busy = summary.hard_cases["same_time_several_paths"]
    movi = await Movi.open(url, today=TODAY, role="admin")
    timings: dict[str, list[float]] = {"read": [], "write": []}
    try:
        for i in range(rounds):
            for kind, commands in (("read", READS), ("write", WRITES)):
                for command in commands:
                    trip = busy[i % len(busy)] if kind == "read" else trip_ids[0]
                    session = f"bench-{kind}-{i}"
                    started = time.perf_counter()
                    reply = await movi.handle(
                        command.format(trip=trip),
                        page="busDashboard",
                        session_id=session,
                        user_id=f"bench-{i}",
                    )
                    if reply.status == "needs_confirmation":
                        started = time.perf_counter()
                        reply = await movi.handle(
                            "yes", page="busDashboard", session_id=session, user_id=f"bench-{i}"
                        )
                    timings[kind].append((time.perf_counter() - started) * 1000)
    finally:
        await movi.close()
        if schema is not None:
            cleanup = make_engine(url)
            await drop_schema(cleanup)
            await cleanup.dispose()
    print(f"backend {backend}, {summary.counts.get('daily_trips', '?')} trips, {rounds} rounds")
    for kind, values in timings.items():
        print(
            f"  {kind:5}: n={len(values)} p50 {statistics.median(values):.1f} ms, "
            f"p95 {_percentile(values, 95):.1f} ms"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--trips", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.backend, args.trips, args.rounds))
