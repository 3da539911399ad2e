"""Resolution and ``handle`` latency as the trips table grows (10k, 100k, 1M trips).

    python benchmarks/scale.py [--trips 10000 100000 1000000] [--backend sqlite|postgres]
                               [--samples N]

For each size: build a fresh demo database, then time, on trips of today,
  - resolve by id ("trip 123"), by label ("Path-2 - 08:00"), by name and time ("path 2 8am")
    and by a misspelt name ("paht 2 8am", fuzzy);
  - ``handle`` of a read that resolves a trip ("show details of trip …" / by label).
Prints p50/p95 in milliseconds per kind. The date narrowing in SQL (indexes on trip_date and
(trip_date, lower(display_name))) is what should keep these flat as the table grows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from movi.engine import Movi
from movi.resolve import resolve_trip
from movi.store import create_schema, drop_schema, make_engine, read_only
from movi.store.demo import DemoSpec, build_demo
from movi.store.schema import DailyTrip

TODAY = date(2026, 11, 28)


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _misspell(name: str, rng: random.Random) -> str:
    letters = [i for i, ch in enumerate(name) if ch.isalpha()]
    if len(letters) < 2:
        return name
    i = rng.choice(letters[:-1])
    chars = list(name)
    chars[i], chars[i + 1] = chars[i + 1], chars[i]
    return "".join(chars)


async def measure(url: str, trips: int, samples: int, rng: random.Random) -> dict[str, Any]:
    engine = make_engine(url)
    await drop_schema(engine)
    await create_schema(engine)
    started = time.perf_counter()
    await build_demo(engine, DemoSpec(today=TODAY, trips=trips))
    built = time.perf_counter() - started
    async with read_only(engine) as session:
        rows = list(
            (
                await session.execute(
                    select(DailyTrip.trip_id, DailyTrip.display_name)
                    .where(DailyTrip.trip_date == TODAY)
                    .limit(5000)
                )
            ).all()
        )
    picks = [rows[rng.randrange(len(rows))] for _ in range(samples)]
    timings: dict[str, list[float]] = {k: [] for k in ("id", "label", "name+time", "fuzzy")}
    for trip_id, label in picks:
        name, hhmm = label.rsplit(" - ", 1)
        cases = {
            "id": {"trip_id": trip_id},
            "label": {"trip_name": name, "trip_time": hhmm},
            "name+time": {"trip_name": name.lower().replace("-", " "), "trip_time": hhmm},
            "fuzzy": {"trip_name": _misspell(name, rng), "trip_time": hhmm},
        }
        for kind, slots in cases.items():
            async with read_only(engine) as session:
                t0 = time.perf_counter()
                await resolve_trip(session, slots, today=TODAY, selected_trip_id=None)
                timings[kind].append((time.perf_counter() - t0) * 1000)
    await engine.dispose()
    handle_ms: list[float] = []
    movi = await Movi.open(url, today=TODAY, role="admin", llm=False)
    try:
        for i, (trip_id, label) in enumerate(picks):
            text = f"show details of trip {trip_id}" if i % 2 else f"show details of {label}"
            t0 = time.perf_counter()
            await movi.handle(text, page="busDashboard", session_id=f"scale-{i}", user_id="bench")
            handle_ms.append((time.perf_counter() - t0) * 1000)
    finally:
        await movi.close()
    return {"trips": trips, "build_s": built, "resolve": timings, "handle": handle_ms}


async def main(sizes: list[int], backend: str, samples: int) -> None:
    rng = random.Random(7)
    print(f"backend {backend}; {samples} samples per kind; p50 / p95 in ms")
    print(
        f"{'trips':>9} {'build s':>8} "
        + " ".join(f"{k:>15}" for k in ("id", "label", "name+time", "fuzzy", "handle"))
    )
    for trips in sizes:
        if backend == "sqlite":
            folder = tempfile.mkdtemp(prefix="movi_scale_")
            url = f"sqlite+aiosqlite:///{Path(folder) / 'movi.db'}"
        else:
            dsn = os.environ.get("MOVI_TEST_PG_DSN", "postgresql+asyncpg://postgres@127.0.0.1/test")
            url = f"{dsn}?schema=movi_scale_{uuid.uuid4().hex[:8]}"
        result = await measure(url, trips, samples, rng)
        cells = [
            f"{statistics.median(v):6.2f} / {_p(v, 95):6.2f}"
            for v in (*result["resolve"].values(), result["handle"])
        ]
        print(f"{trips:>9} {result['build_s']:>8.1f} " + " ".join(f"{c:>15}" for c in cells))
        if backend == "postgres":
            cleanup = make_engine(url)
            await drop_schema(cleanup)
            await cleanup.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trips", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--samples", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main(args.trips, args.backend, args.samples))
