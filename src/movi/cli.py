"""The ``movi`` command line: ``movi db init``, ``movi demo``.

Each subcommand is a small function of its parsed arguments; everything it does lives in the
library, so the command line and the Python API cannot drift apart.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import date

from movi.errors import MoviError

DEMO_DB_URL = "sqlite+aiosqlite:///movi.db"


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-11-28") from None


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return number


async def _db_init(args: argparse.Namespace) -> int:
    from movi.store import create_schema, database_url, drop_schema, make_engine
    from movi.store.demo import DemoSpec, build_demo, describe

    url = database_url(args.db)
    engine = make_engine(url)
    try:
        if args.reset:
            await drop_schema(engine)
        version = await create_schema(engine)
        print(f"schema version {version} ready in {url}")
        if args.demo:
            spec = DemoSpec(trips=args.trips, seed=args.seed, today=args.today or date.today())
            summary = await build_demo(engine, spec)
            print(describe(summary))
    finally:
        await engine.dispose()
    return 0


async def _demo(args: argparse.Namespace) -> int:
    from movi.store import create_schema, drop_schema, make_engine
    from movi.store.demo import DemoSpec, build_demo, describe

    engine = make_engine(args.db)
    try:
        await drop_schema(engine)
        await create_schema(engine)
        summary = await build_demo(engine, DemoSpec(today=args.today or date.today()))
    finally:
        await engine.dispose()
    print(f"movi demo database: {args.db}")
    print(describe(summary))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="movi",
        description="Shuttle-operations commands in plain words: parse, check, execute, report.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    db = commands.add_parser("db", help="create and fill the operations database")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    init = db_commands.add_parser(
        "init",
        help="create the schema (idempotent); with --demo, fill it with deterministic demo data",
        description=(
            "Create every movi table that is missing and record the schema version. With --demo, "
            "add a realistic Bangalore shuttle network: stops, paths, routes, vehicles, drivers, "
            "trips from yesterday on, bookings, and the hard cases on purpose. The same --seed "
            "and --today always give the same data."
        ),
    )
    init.add_argument("--db", metavar="URL", help="database URL (default: $MOVI_DB_URL or movi.db)")
    init.add_argument("--demo", action="store_true", help="add deterministic demo data")
    init.add_argument(
        "--trips", type=_positive, default=None, metavar="N",
        help="number of daily trips to generate (default: a small network of ~300 trips); "
        "vehicles and drivers scale with it (1,000,000 trips → ~10,000 vehicles)",
    )
    init.add_argument("--seed", type=int, default=7, metavar="S", help="random seed (default 7)")
    init.add_argument(
        "--today", type=_date, default=None, metavar="DATE",
        help="the day the data is built around, YYYY-MM-DD (default: today)",
    )
    init.add_argument(
        "--reset", action="store_true", help="drop every movi table first (destroys data)"
    )
    init.set_defaults(run=_db_init)

    demo = commands.add_parser(
        "demo",
        help="build the embedded SQLite demo database and show what is in it",
        description="Rebuild the demo database (default movi.db) from scratch and summarise it.",
    )
    demo.add_argument("--db", metavar="URL", default=DEMO_DB_URL, help=f"default {DEMO_DB_URL}")
    demo.add_argument("--today", type=_date, default=None, metavar="DATE", help="YYYY-MM-DD")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = asyncio.run(args.run(args))
    except MoviError as exc:
        print(f"movi: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
