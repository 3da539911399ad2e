"""How long ``movi db init --demo --trips N`` takes, on fresh SQLite and PostgreSQL databases.

    python benchmarks/demo_build.py                      # 100,000 trips, both backends, 1 run
    python benchmarks/demo_build.py --trips 100000 1000000 --runs 3 --backend postgres

SQLite builds into a file in a temporary directory; PostgreSQL into a throwaway schema
(``?schema=movi_bench_…``) on ``MOVI_TEST_PG_DSN`` (default: the local test server), dropped
afterwards. The figure is the build alone (``DemoSummary.build_seconds``: generation, bulk
writes, foreign keys and sequences, commit), not the schema creation; the median of the runs is
reported with the database size after the build.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import text

from movi.errors import MoviError
from movi.store import create_schema, drop_pg_schema, make_engine, pg_schema_url
from movi.store.demo import DemoSpec, DemoSummary, build_demo, describe

DEFAULT_PG_DSN = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgres")


@dataclass
class Run:
    seconds: float
    size_bytes: int
    rows: int
    summary: DemoSummary


def _pg_dsn() -> str:
    return os.environ.get("MOVI_TEST_PG_DSN") or DEFAULT_PG_DSN


async def _build_sqlite(spec: DemoSpec) -> Run:
    with tempfile.TemporaryDirectory(prefix="movi_bench_") as tmp:
        path = Path(tmp) / "movi.db"
        engine = make_engine(f"sqlite+aiosqlite:///{path}")
        try:
            await create_schema(engine)
            summary = await build_demo(engine, spec)
        finally:
            await engine.dispose()  # the last connection checkpoints the WAL into the file
        size = _directory_size(Path(tmp))
    return Run(summary.build_seconds, size, sum(summary.counts.values()), summary)


def _directory_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.iterdir())


async def _build_postgres(spec: DemoSpec) -> Run:
    dsn = _pg_dsn()
    schema = f"movi_bench_{uuid.uuid4().hex[:10]}"
    url = pg_schema_url(dsn, schema)
    engine = make_engine(url)
    try:
        await create_schema(engine)
        summary = await build_demo(engine, spec)
        async with engine.connect() as conn:
            size = (
                await conn.execute(
                    text(
                        "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                        "JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE n.nspname = :schema AND c.relkind = 'r'"
                    ),
                    {"schema": schema},
                )
            ).scalar_one()
    finally:
        await engine.dispose()
        await drop_pg_schema(url)
    return Run(summary.build_seconds, int(size), sum(summary.counts.values()), summary)


async def _pg_server() -> str | None:
    """The server's version, or None (with the reason on stderr) when it cannot be reached."""
    engine = make_engine(_pg_dsn())
    try:
        async with engine.connect() as conn:
            return str((await conn.execute(text("SHOW server_version"))).scalar_one())
    except Exception as exc:  # any failure to connect means: skip PostgreSQL
        print(f"PostgreSQL at {_pg_dsn()} unreachable: {exc}", file=sys.stderr)
        return None
    finally:
        await engine.dispose()


def _machine() -> str:
    memory = "?"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return (
        f"{os.cpu_count()} CPUs, {memory} RAM, {platform.machine()} {platform.system()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


async def _main(args: argparse.Namespace) -> int:
    backends = BACKENDS if args.backend == "both" else (args.backend,)
    print(f"machine: {_machine()}")
    if "postgres" in backends:
        version = await _pg_server()
        if version is None:
            if args.backend == "postgres":
                return 1
            backends = ("sqlite",)
        else:
            print(f"PostgreSQL {version} at {_pg_dsn()}")
    header = f"{'backend':<9} {'trips':>10} {'rows':>11} {'runs':>4} {'median s':>9} "
    header += f"{'min s':>7} {'max s':>7} {'rows/s':>9} {'size MB':>8}"
    print(header)
    for trips in args.trips:
        spec = DemoSpec(trips=trips, seed=args.seed, today=args.today)
        for backend in backends:
            build = _build_sqlite if backend == "sqlite" else _build_postgres
            runs = [await build(spec) for _ in range(args.runs)]
            seconds = [r.seconds for r in runs]
            median = statistics.median(seconds)
            rows = runs[0].rows
            size = statistics.median(r.size_bytes for r in runs) / 1e6
            print(
                f"{backend:<9} {trips:>10,} {rows:>11,} {args.runs:>4} {median:>9.1f} "
                f"{min(seconds):>7.1f} {max(seconds):>7.1f} {rows / median:>9,.0f} {size:>8.0f}",
                flush=True,
            )
            if args.verbose:
                print(describe(runs[0].summary), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--trips", type=int, nargs="+", default=[100_000], metavar="N",
        help="trips per build, one or more sizes (default 100000)",
    )  # fmt: skip
    parser.add_argument("--backend", choices=(*BACKENDS, "both"), default="both")
    parser.add_argument("--runs", type=int, default=1, help="builds per size and backend")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--today", type=date.fromisoformat, default=date(2026, 11, 28), metavar="YYYY-MM-DD"
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="also print what each build holds"
    )
    args = parser.parse_args(argv)
    try:
        return asyncio.run(_main(args))
    except MoviError as exc:
        print(f"demo_build: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
