"""Trip resolution and ``handle`` latency as the trips table grows (10k, 100k, 1M trips).

    python benchmarks/scale.py [--backend sqlite|postgres] [--trips 10000 100000 1000000]
                               [--samples N] [--passes P] [--json FILE] [--reuse URL]

For each size: build a fresh demo database (SQLite in a temporary directory, or a throwaway
schema on ``MOVI_TEST_PG_DSN``, dropped afterwards), draw ``--samples`` trips of today, then time
``resolve_trip`` for each of them referred to
  - by id ("trip 123"),
  - by label: the name and time as displayed ("Path-2", "08:00"),
  - by name and time as typed ("path 2", "08:00"),
  - by a misspelt name and the time ("pth 2", "08:00": one letter dropped, fuzzy; the line
    under the table says how many of them were found),
  - by a name no trip has ("Nowhere Express", "08:00": every name of the day is ranked for
    suggestions, the one read that grows with the size of a day),
and ``Movi.handle`` of "show details of trip N" / "show details of <label>" (alternately), each
in a session of its own, end to end (parse, policy, resolution, the read, audit and interaction
rows). Each of ``--passes`` passes times every sample once; the table shows p50 / p95 in
milliseconds, the median over the passes. ``--reuse URL`` measures a demo built before.

Targets at a million trips (issue 7): resolution p50 ≤ 10 ms, handle p50 ≤ 20 ms. What keeps
resolution flat is the (trip_date, name_key, departure_time) index and narrowing fuzzy names by
the asked time and numbers; see :mod:`movi.resolve.trips`. No assertion, no threshold.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import tempfile
import time
import uuid
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from movi.engine import Movi
from movi.resolve import resolve_trip
from movi.store import create_schema, drop_pg_schema, make_engine, pg_schema_url, read_only
from movi.store.demo import DemoSpec, build_demo
from movi.store.schema import DailyTrip

TODAY = date(2026, 11, 28)
KINDS = ("id", "label", "name+time", "fuzzy", "no match")
UNKNOWN_NAME = "Nowhere Express"
"""A name no demo trip has: the resolver ranks every name of the day for suggestions."""
COLUMNS = (*KINDS, "handle")
WARM_UP = 10
"""Resolutions and messages run before timing, so that the first pass is not the cold one."""


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _misspell(name: str, rng: random.Random) -> str:
    """One letter dropped from a word of four letters or more ("Path-2" → "Pth-2", "Whitefield"
    → "Whitefeld"): a typo the name cutoffs are calibrated to forgive. (Two letters swapped in a
    short name, "paht 2", scores below the cutoff and ends as suggestions.)"""
    letters = [
        i for word in re.finditer(r"[A-Za-z]{4,}", name) for i in range(word.start(), word.end())
    ]
    if not letters:
        return name
    i = rng.choice(letters)
    return name[:i] + name[i + 1 :]


def _slots(kind: str, trip_id: int, label: str, rng: random.Random) -> dict[str, Any]:
    name, hhmm = label.rsplit(" - ", 1)
    if kind == "id":
        return {"trip_id": trip_id}
    if kind == "label":
        return {"trip_name": name, "trip_time": hhmm}
    if kind == "name+time":
        return {"trip_name": name.lower().replace("-", " "), "trip_time": hhmm}
    if kind == "fuzzy":
        return {"trip_name": _misspell(name, rng).lower().replace("-", " "), "trip_time": hhmm}
    return {"trip_name": UNKNOWN_NAME, "trip_time": hhmm}


def _stats(values: list[float]) -> dict[str, float]:
    return {"p50": statistics.median(values), "p95": _p(values, 95)}


async def _build(url: str, trips: int) -> float:
    engine = make_engine(url)
    try:
        await create_schema(engine)
        started = time.perf_counter()
        await build_demo(engine, DemoSpec(today=TODAY, trips=trips))
        return time.perf_counter() - started
    finally:
        await engine.dispose()


async def _picks(url: str, samples: int, rng: random.Random) -> tuple[int, list[Any]]:
    engine = make_engine(url)
    try:
        async with read_only(engine) as session:
            total = int(await session.scalar(select(func.count()).select_from(DailyTrip)) or 0)
            rows = list(
                await session.execute(
                    select(DailyTrip.trip_id, DailyTrip.display_name)
                    .where(DailyTrip.trip_date == TODAY)
                    .order_by(DailyTrip.trip_id)
                )
            )
    finally:
        await engine.dispose()
    return total, [tuple(r) for r in rng.sample(rows, min(samples, len(rows)))]


async def _resolve_pass(
    url: str, picks: list[Any], rng: random.Random, statuses: Counter[str] | None = None
) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {k: [] for k in KINDS}
    engine = make_engine(url)
    try:
        for trip_id, label in picks:
            for kind in KINDS:
                slots = _slots(kind, trip_id, label, rng)
                async with read_only(engine) as session:
                    started = time.perf_counter()
                    res = await resolve_trip(session, slots, today=TODAY, selected_trip_id=None)
                    timings[kind].append((time.perf_counter() - started) * 1000)
                if statuses is not None:
                    statuses[f"{kind} {res.status}"] += 1
    finally:
        await engine.dispose()
    return timings


async def _handle_pass(movi: Movi, picks: list[Any], tag: str) -> list[float]:
    timings = []
    for i, (trip_id, label) in enumerate(picks):
        text = f"show details of trip {trip_id}" if i % 2 else f"show details of {label}"
        started = time.perf_counter()
        await movi.handle(text, page="busDashboard", session_id=f"scale-{tag}-{i}", user_id="bench")
        timings.append((time.perf_counter() - started) * 1000)
    return timings


async def measure(url: str, samples: int, passes: int, seed: int) -> dict[str, Any]:
    """Time every kind ``passes`` times on the demo at ``url``; the raw numbers and a summary."""
    rng = random.Random(seed)
    total, picks = await _picks(url, samples, rng)
    await _resolve_pass(url, picks[:WARM_UP], random.Random(seed))
    movi = await Movi.open(url, today=TODAY, role="admin", llm=False)
    runs: list[dict[str, list[float]]] = []
    statuses: Counter[str] = Counter()
    try:
        await _handle_pass(movi, picks[:WARM_UP], "warm")
        for n in range(passes):
            counted = statuses if n == 0 else None
            timings = await _resolve_pass(url, picks, random.Random(seed + n), counted)
            timings["handle"] = await _handle_pass(movi, picks, str(n))
            runs.append(timings)
    finally:
        await movi.close()
    summary = {
        kind: {
            stat: statistics.median(_stats(run[kind])[stat] for run in runs)
            for stat in ("p50", "p95")
        }
        for kind in COLUMNS
    }
    return {
        "trips": total,
        "samples": len(picks),
        "passes": passes,
        "ms": summary,
        "statuses": dict(sorted(statuses.items())),
        "runs": runs,
    }


def _pg_url(schema: str) -> str:
    dsn = os.environ.get("MOVI_TEST_PG_DSN", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    return pg_schema_url(dsn, schema)


async def run_size(backend: str, trips: int, samples: int, passes: int) -> dict[str, Any]:
    """Build ``trips`` on ``backend``, measure, and remove the database again."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="movi_scale_") as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'movi.db'}"
            built = await _build(url, trips)
            return {"build_s": built, **await measure(url, samples, passes, seed=7)}
    url = _pg_url(f"movi_scale_{uuid.uuid4().hex[:8]}")
    try:
        built = await _build(url, trips)
        return {"build_s": built, **await measure(url, samples, passes, seed=7)}
    finally:
        await drop_pg_schema(url)


def _row(result: dict[str, Any]) -> str:
    cells = [f"{result['ms'][k]['p50']:6.2f} / {result['ms'][k]['p95']:6.2f}" for k in COLUMNS]
    built = f"{result['build_s']:8.1f}" if result.get("build_s") is not None else f"{'-':>8}"
    return f"{result['trips']:>9,} {built} " + " ".join(f"{c:>15}" for c in cells)


def _outcomes(result: dict[str, Any]) -> str:
    """How the misspelt references ended."""
    found = {k: v for k, v in result["statuses"].items() if k.startswith("fuzzy ")}
    return "  fuzzy: " + ", ".join(f"{v} {k.split()[-1]}" for k, v in found.items())


async def main(args: argparse.Namespace) -> list[dict[str, Any]]:
    print(
        f"backend {args.backend}; {args.samples} samples per kind, {args.passes} passes; "
        "p50 / p95 in ms (median over passes)"
    )
    print(f"{'trips':>9} {'build s':>8} " + " ".join(f"{k:>15}" for k in COLUMNS), flush=True)
    results = []
    if args.reuse:
        result = {"build_s": None, **await measure(args.reuse, args.samples, args.passes, 7)}
        results.append(result)
        print(_row(result), _outcomes(result), sep="\n", flush=True)
    else:
        for trips in args.trips:
            result = await run_size(args.backend, trips, args.samples, args.passes)
            results.append(result)
            print(_row(result), _outcomes(result), sep="\n", flush=True)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--trips", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--samples", type=int, default=50, help="trips referred to per pass")
    parser.add_argument("--passes", type=int, default=3, help="timed passes over the samples")
    parser.add_argument("--json", metavar="FILE", help="also write every timing as JSON")
    parser.add_argument("--reuse", metavar="URL", help="measure this demo instead of building")
    arguments = parser.parse_args()
    measured = asyncio.run(main(arguments))
    if arguments.json:
        report = {"backend": arguments.backend, "today": TODAY.isoformat(), "results": measured}
        Path(arguments.json).write_text(json.dumps(report, indent=1) + "\n")
